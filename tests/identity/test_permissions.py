"""Only admins manage accounts and read the audit log: every other role gets 403, an anonymous visitor the
login page, and a refused request changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail

from identity.models import AuditEvent, SignInSession
from tests.factories import UserFactory

NOT_ADMINS = ["executive", "pmo", "manager", "steering_member", "outsider"]


def snapshot() -> tuple:
    """Everything an account action could change."""
    users = list(
        User.objects.order_by("pk").values_list(
            "pk", "username", "is_active", "is_superuser", "is_staff", "password"
        )
    )
    groups = sorted(User.groups.through.objects.values_list("user_id", "group_id"))
    events = list(AuditEvent.objects.order_by("pk").values_list("pk", "kind"))
    sessions = sorted(SignInSession.objects.values_list("key", flat=True))
    return users, groups, events, sessions, len(mail.outbox)


@pytest.fixture
def target(db):
    return UserFactory(username="target", roles=["Executive"])


def requests(target_pk: int) -> list[tuple[str, str, dict]]:
    base = f"/accounts/people/{target_pk}/"
    return [
        ("get", "/accounts/people/", {}),
        ("get", "/accounts/people/invite/", {}),
        ("get", base, {}),
        ("get", "/accounts/audit/", {}),
        (
            "post",
            "/accounts/people/invite/",
            {"email": "new@example.org", "username": "new", "roles": ["PMO"]},
        ),
        ("post", base, {"roles": ["Admin"]}),
        ("post", f"{base}deactivate/", {}),
        ("post", f"{base}reactivate/", {}),
        ("post", f"{base}resend/", {}),
        ("post", f"{base}sign-out/", {}),
    ]


@pytest.mark.parametrize("persona", NOT_ADMINS, indirect=True)
def test_no_role_but_admin_may_manage_accounts_and_a_refusal_changes_nothing(client, persona, target):
    # given
    other = type(client)()
    other.force_login(target)  # the target is signed in elsewhere: signing them out would show
    client.force_login(persona)
    before = snapshot()
    # when
    statuses = [getattr(client, method)(path, data).status_code for method, path, data in requests(target.pk)]
    # then
    assert statuses == [403] * 10
    assert snapshot() == before


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page_and_changes_nothing(client, target):
    # given
    before = snapshot()
    # when
    answers = [getattr(client, method)(path, data) for method, path, data in requests(target.pk)]
    # then
    assert [(a.status_code, a["Location"].split("?")[0]) for a in answers] == [(302, "/accounts/login/")] * 10
    assert snapshot() == before


def test_an_admin_may_open_every_account_page(client, admin_user, target):
    # given
    client.force_login(admin_user)
    # when
    statuses = [
        client.get(path).status_code for method, path, _data in requests(target.pk) if method == "get"
    ]
    # then
    assert statuses == [200, 200, 200, 200]


@pytest.mark.parametrize("persona", [*NOT_ADMINS, "admin_user"], indirect=True)
def test_every_role_sees_their_own_sessions(client, persona):
    # given
    client.force_login(persona)
    # when
    page = client.get("/accounts/security/")
    # then
    assert page.status_code == 200
    assert [s.user_id for s in page.context["sessions"]] == [persona.pk]


@pytest.mark.parametrize("persona", [*NOT_ADMINS, "admin_user"], indirect=True)
def test_only_admins_see_the_accounts_link(client, persona):
    # given
    client.force_login(persona)
    # when
    page = client.get("/accounts/security/").content.decode()
    # then
    link = '<a class="dropdown-item" href="/accounts/people/">Accounts</a>'
    assert (link in page) == (persona.username == "admin")
