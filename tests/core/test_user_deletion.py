"""Deleting a user in the admin: refused with a message (never a 500) while records name them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from portfolio.models import Initiative, ScopeChange, ScopeChangeStatus
from tests.factories import CommitteeFactory, InitiativeFactory, ScopeChangeFactory, UserFactory

REFUSAL = (
    "A person named on portfolio records or in their history cannot be deleted: Bearing keeps who did "
    "what. Deactivate the account instead (open it and untick “Active”): they can no longer log in, and "
    "every record still says who they were."
)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_deleting_a_user_who_decided_a_scope_change_is_refused_with_a_message(client, admin_user):
    # given: a scope change approved by "decider" (a decided change must say who decided it)
    decider = UserFactory(username="decider")
    change = ScopeChangeFactory(status=ScopeChangeStatus.APPROVED, approved_by=decider)
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/auth/user/{decider.pk}/delete/", {"post": "yes"})
    # then: the confirmation page again, saying why and what to do; nothing changed
    assert response.status_code == 200
    assert messages_of(response) == [REFUSAL]
    assert response.context["protected"] == [
        "decider is named on:",
        ["historical scope changes (approved by): 1", "scope changes (approved by): 1"],
    ]
    assert User.objects.filter(pk=decider.pk).exists()
    change.refresh_from_db()
    assert (change.approved_by_id, change.version) == (decider.pk, 1)


@pytest.mark.django_db
def test_deleting_a_manager_is_refused_so_the_initiative_keeps_its_manager(client, admin_user):
    # given
    manager = UserFactory(username="mgr")
    initiative = InitiativeFactory(manager=manager, sponsor=manager)
    CommitteeFactory().members.add(manager)
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/auth/user/{manager.pk}/delete/", {"post": "yes"})
    # then
    assert response.status_code == 200
    assert response.context["protected"] == [
        "mgr is named on:",
        [
            "HistoricalCommittee_memberss (user): 1",
            "committees (members): 1",
            "historical initiatives (manager): 1",
            "historical initiatives (sponsor): 1",
            "initiatives (manager): 1",
            "initiatives (sponsor): 1",
        ],
    ]
    assert Initiative.objects.get(pk=initiative.pk).manager_id == manager.pk


@pytest.mark.django_db
def test_deleting_a_user_named_in_the_audit_trail_is_refused(client, admin_user, pmo):
    # given: the history says pmo made the initiative
    initiative = InitiativeFactory(code="CRM-1")
    history = initiative.history.first()
    history.history_user = pmo
    history.save()
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/auth/user/{pmo.pk}/delete/", {"post": "yes"})
    # then
    assert response.status_code == 200
    assert response.context["protected"] == ["pmo is named on:", ["historical initiatives (history user): 1"]]
    assert User.objects.filter(pk=pmo.pk).exists()


@pytest.mark.django_db
def test_the_delete_selected_action_refuses_named_users_and_deletes_nobody(client, admin_user):
    # given: one user named on a record, one named nowhere
    decider = UserFactory(username="decider")
    ScopeChangeFactory(status=ScopeChangeStatus.REJECTED, approved_by=decider)
    nobody = UserFactory(username="nobody")
    client.force_login(admin_user)
    # when
    response = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [decider.pk, nobody.pk], "post": "yes"},
    )
    # then
    assert response.status_code == 200
    assert messages_of(response) == [REFUSAL]
    assert set(User.objects.filter(pk__in=[decider.pk, nobody.pk]).values_list("username", flat=True)) == {
        "decider",
        "nobody",
    }
    assert ScopeChange.objects.get().approved_by_id == decider.pk


@pytest.mark.django_db
def test_a_user_named_nowhere_can_still_be_deleted(client, admin_user):
    # given
    nobody = UserFactory(username="nobody")
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/auth/user/{nobody.pk}/delete/", {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not User.objects.filter(pk=nobody.pk).exists()


@pytest.mark.django_db
def test_a_named_user_can_be_deactivated_instead(client, admin_user):
    # given
    decider = UserFactory(username="decider")
    ScopeChangeFactory(status=ScopeChangeStatus.APPROVED, approved_by=decider)
    client.force_login(admin_user)
    form = client.get(f"/admin/auth/user/{decider.pk}/change/").context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in {"groups", "user_permissions"}
    }
    data.update({"is_active": "", "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    # when
    response = client.post(f"/admin/auth/user/{decider.pk}/change/", data)
    # then
    assert response.status_code == 302
    assert User.objects.get(pk=decider.pk).is_active is False
