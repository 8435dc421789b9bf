"""Admins invite people by e-mail: the account is created with its roles and no password, and a one-time link
lets its holder choose one."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from identity.models import AuditEvent, EventKind
from tests.factories import UserFactory

LINK = re.compile(r"https://bearing\.example\.org(/accounts/invitation/[^/\s]+/[^/\s]+/)")
NEW = "a brand new passphrase 42"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BEARING_BASE_URL = "https://bearing.example.org/"


def invite(admin_client, django_capture_on_commit_callbacks, **values):
    data = {"email": "nina@example.org", "username": "nina", "first_name": "Nina", "last_name": "New"}
    data.update(values)
    with django_capture_on_commit_callbacks(execute=True):
        return admin_client.post("/accounts/people/invite/", data)


def test_an_invitation_creates_the_account_with_its_roles_and_e_mails_a_link(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    # when
    answer = invite(admin_client, django_capture_on_commit_callbacks, roles=["PMO", "Steering member"])
    # then
    nina = User.objects.get(username="nina")
    assert (answer.status_code, answer["Location"]) == (302, f"/accounts/people/{nina.pk}/")
    assert (nina.email, nina.first_name, nina.last_name, nina.is_active, nina.has_usable_password()) == (
        "nina@example.org",
        "Nina",
        "New",
        True,
        False,
    )
    assert sorted(nina.groups.values_list("name", flat=True)) == ["PMO", "Steering member"]
    assert [(m.to, m.subject) for m in mail.outbox] == [(["nina@example.org"], "You are invited to Bearing")]
    assert "Your username is nina." in mail.outbox[0].body
    assert len(LINK.findall(str(mail.outbox[0].body))) == 1
    event = AuditEvent.objects.get(kind=EventKind.INVITED)
    assert (event.subject, event.actor, event.username, event.detail) == (
        nina,
        admin_user,
        "nina",
        "Roles: PMO, Steering member",
    )


def test_with_passwords_off_the_invitation_sends_the_person_to_the_identity_provider(
    admin_client, django_capture_on_commit_callbacks, settings
):
    # given local passwords are off: people sign in through the organisation's provider
    settings.BEARING_LOCAL_PASSWORDS = False
    settings.BEARING_OIDC_BUTTON_LABEL = "Sign in with Example directory"

    # when
    invite(admin_client, django_capture_on_commit_callbacks, roles=["PMO"])

    # then the e-mail names the button and links to the login page, not to a password to choose
    body = str(mail.outbox[0].body)
    assert 'open Bearing here and choose "Sign in with Example directory":' in body
    assert "https://bearing.example.org/accounts/login/" in body
    assert "password" not in body
    assert LINK.findall(body) == []


def test_the_link_sets_the_password_once_and_then_the_person_signs_in(
    admin_client, client, django_capture_on_commit_callbacks
):
    # given
    invite(admin_client, django_capture_on_commit_callbacks)
    path = LINK.findall(str(mail.outbox[0].body))[0]
    guest = type(client)()
    # when: nina follows the link (it moves to a page whose URL holds no token) and chooses a password
    opened = guest.get(path, follow=True)
    assert opened.status_code == 200
    assert "choose-password" in opened.redirect_chain[-1][0]
    done = guest.post(opened.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    # then
    assert (done.status_code, done["Location"]) == (302, "/accounts/login/")
    assert guest.post("/accounts/login/", {"username": "nina", "password": NEW}).status_code == 302
    nina = User.objects.get(username="nina")
    assert list(AuditEvent.objects.filter(subject=nina).order_by("pk").values_list("kind", flat=True)) == [
        "invited",
        "invitation_accepted",
        "sign_in",
    ]
    # and the link does not work a second time
    again = type(client)().get(path)
    assert again.status_code == 404
    assert "This invitation link does not work" in again.content.decode()


def test_sending_an_invitation_again_ends_the_earlier_link(
    admin_client, client, django_capture_on_commit_callbacks
):
    # given
    invite(admin_client, django_capture_on_commit_callbacks)
    nina = User.objects.get(username="nina")
    first = LINK.findall(str(mail.outbox[0].body))[0]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/accounts/people/{nina.pk}/resend/")
    # then
    assert answer.status_code == 302
    second = LINK.findall(str(mail.outbox[1].body))[0]
    assert client.get(first).status_code == 404
    assert client.get(second, follow=True).status_code == 200


def test_a_link_expires_after_the_configured_days(
    admin_client, client, settings, time_machine, django_capture_on_commit_callbacks
):
    # given
    settings.BEARING_INVITATION_DAYS = 2
    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC), tick=False)
    invite(admin_client, django_capture_on_commit_callbacks)
    path = LINK.findall(str(mail.outbox[0].body))[0]
    # when / then: two days later it still works, a minute after that it does not
    time_machine.move_to(datetime.datetime(2026, 3, 3, 9, tzinfo=datetime.UTC), tick=False)
    assert client.get(path).status_code == 302
    time_machine.move_to(datetime.datetime(2026, 3, 3, 9, 1, tzinfo=datetime.UTC), tick=False)
    assert type(client)().get(path).status_code == 404


def test_a_deactivated_invitee_cannot_use_the_link(admin_client, client, django_capture_on_commit_callbacks):
    # given
    invite(admin_client, django_capture_on_commit_callbacks)
    nina = User.objects.get(username="nina")
    path = LINK.findall(str(mail.outbox[0].body))[0]
    admin_client.post(f"/accounts/people/{nina.pk}/deactivate/")
    # when
    answer = client.get(path)
    # then
    assert answer.status_code == 404


def test_a_username_or_address_already_used_is_refused_and_nothing_is_saved(
    admin_client, django_capture_on_commit_callbacks
):
    # given
    UserFactory(username="Nina", email="other@example.org")
    UserFactory(username="someone", email="NINA@example.org")
    # when
    answer = invite(admin_client, django_capture_on_commit_callbacks, roles=["PMO"])
    # then
    assert answer.status_code == 422
    assert answer.context["form"].errors == {
        "username": ["An account with this username already exists."],
        "email": ["An account with this e-mail address already exists."],
    }
    assert (User.objects.count(), AuditEvent.objects.filter(kind="invited").count(), len(mail.outbox)) == (
        3,
        0,
        0,
    )


def test_bad_input_is_shown_next_to_its_field(admin_client, django_capture_on_commit_callbacks):
    # when
    answer = invite(admin_client, django_capture_on_commit_callbacks, email="not an address", username="a b")
    # then
    assert answer.status_code == 422
    assert answer.context["form"].errors == {
        "email": ["Enter a valid email address."],
        "username": ["Use letters, digits and @ . + - _ only."],
    }
    assert User.objects.filter(username__in=["nina", "a b"]).count() == 0


def test_a_made_up_link_is_refused(client, db):
    # when
    answers = [
        client.get(f"/accounts/invitation/{uid}/{token}/") for uid, token in [("MQ", "abc-123"), ("!!", "x")]
    ]
    # then
    assert [a.status_code for a in answers] == [404, 404]
    # and the page that follows a link refuses a session that never opened one
    assert client.get("/accounts/invitation/MQ/choose-password/").status_code == 404
