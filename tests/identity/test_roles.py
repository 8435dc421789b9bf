"""Admins assign roles on an account's page; each change is in the audit log as old -> new."""

from __future__ import annotations

from identity.models import AuditEvent, EventKind


def test_an_admin_gives_an_account_exactly_the_roles_ticked(admin_client, admin_user, erin):
    # when
    answer = admin_client.post(f"/accounts/people/{erin.pk}/", {"roles": ["PMO", "Admin"]})
    # then
    assert (answer.status_code, answer["Location"]) == (302, f"/accounts/people/{erin.pk}/")
    erin.refresh_from_db()
    assert (sorted(erin.groups.values_list("name", flat=True)), erin.is_superuser, erin.is_staff) == (
        ["PMO"],
        True,
        True,
    )
    event = AuditEvent.objects.get(kind=EventKind.ROLES_CHANGED)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "Executive → PMO, Admin")


def test_taking_every_role_away_leaves_the_account_with_none(admin_client, erin):
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/", {})
    # then
    erin.refresh_from_db()
    assert (list(erin.groups.values_list("name", flat=True)), erin.is_superuser) == ([], False)
    assert AuditEvent.objects.get(kind=EventKind.ROLES_CHANGED).detail == "Executive → no role"


def test_groups_that_are_no_role_are_kept(admin_client, erin):
    # given
    from django.contrib.auth.models import Group

    erin.groups.add(Group.objects.create(name="Auditors"))
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/", {"roles": ["PMO"]})
    # then
    assert sorted(erin.groups.values_list("name", flat=True)) == ["Auditors", "PMO"]


def test_saving_the_same_roles_records_nothing(admin_client, erin):
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/", {"roles": ["Executive"]})
    # then
    assert AuditEvent.objects.filter(kind=EventKind.ROLES_CHANGED).count() == 0


def test_an_admin_cannot_take_the_admin_role_from_themself(admin_client, admin_user):
    # when
    answer = admin_client.post(f"/accounts/people/{admin_user.pk}/", {"roles": ["PMO"]})
    # then
    assert answer.status_code == 422
    assert answer.context["form"].errors == {"roles": ["Keep Admin: you cannot take it from yourself."]}
    admin_user.refresh_from_db()
    assert (admin_user.is_superuser, list(admin_user.groups.values_list("name", flat=True))) == (
        True,
        ["Admin"],
    )
    assert AuditEvent.objects.filter(kind=EventKind.ROLES_CHANGED).count() == 0


def test_an_unknown_role_is_refused(admin_client, erin):
    # when
    answer = admin_client.post(f"/accounts/people/{erin.pk}/", {"roles": ["Emperor"]})
    # then
    assert answer.status_code == 422
    assert answer.context["form"].errors == {
        "roles": ["Select a valid choice. Emperor is not one of the available choices."]
    }
    assert list(erin.groups.values_list("name", flat=True)) == ["Executive"]


def test_the_new_roles_apply_at_the_next_request(admin_client, client, erin):
    # given: erin is signed in, an executive (she may not edit the portfolio)
    client.force_login(erin)
    assert client.get("/initiatives/new/").status_code == 403
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/", {"roles": ["PMO"]})
    # then
    assert client.get("/initiatives/new/").status_code == 200
