"""What Django's user admin changes about an account reaches the audit log as the account pages' changes do:
roles old -> new, a deactivation that ends every session, a reactivation; a save that changes neither logs
nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.test import Client

from core import roles
from identity.models import AuditEvent, EventKind, SignInSession
from tests.identity.conftest import sign_in


def change_form(user: Any, **changes: Any) -> dict[str, Any]:
    """The admin's change form for `user` as it stands, with `changes` applied (a browser posts all fields)."""
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_active:
        data["is_active"] = "on"
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_roles_changed_in_the_admin_are_logged_old_to_new(admin_client, admin_user, erin):
    # given erin is an executive; the steering group exists
    steering = Group.objects.get_or_create(name=roles.STEERING)[0]
    executive = Group.objects.get(name=roles.EXECUTIVE)

    # when an admin gives her the steering role too, in the admin
    answer = admin_client.post(
        f"/admin/auth/user/{erin.pk}/change/", change_form(erin, groups=[executive.pk, steering.pk])
    )

    # then the change is saved and logged, by that admin
    assert answer.status_code == 302
    assert set(erin.groups.values_list("name", flat=True)) == {roles.EXECUTIVE, roles.STEERING}
    event = AuditEvent.objects.get(kind=EventKind.ROLES_CHANGED)
    assert (event.subject, event.actor, event.detail) == (
        erin,
        admin_user,
        f"{roles.EXECUTIVE} → {roles.EXECUTIVE}, {roles.STEERING} (in the admin)",
    )


def test_a_save_in_the_admin_that_changes_no_role_logs_nothing(admin_client, erin):
    # when an admin changes only her name
    answer = admin_client.post(f"/admin/auth/user/{erin.pk}/change/", change_form(erin, first_name="Erina"))

    # then
    assert answer.status_code == 302
    assert AuditEvent.objects.filter(kind__in=[EventKind.ROLES_CHANGED, EventKind.DEACTIVATED]).count() == 0


def test_deactivating_in_the_admin_ends_every_session_and_is_logged(admin_client, admin_user, erin):
    # given erin is signed in
    laptop = Client()
    assert sign_in(laptop, "erin").status_code == 302
    assert SignInSession.objects.filter(user=erin).count() == 1

    # when an admin clears "active" in the admin
    answer = admin_client.post(f"/admin/auth/user/{erin.pk}/change/", change_form(erin, is_active=False))

    # then her next request is signed out, and the log says who did it and where
    assert answer.status_code == 302
    page = laptop.get("/initiatives/")
    assert (page.status_code, page["Location"]) == (302, "/accounts/login/?next=/initiatives/")
    event = AuditEvent.objects.get(kind=EventKind.DEACTIVATED)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "1 session ended (in the admin)")

    # when reactivated there
    erin.refresh_from_db()
    admin_client.post(f"/admin/auth/user/{erin.pk}/change/", change_form(erin, is_active="on"))

    # then
    event = AuditEvent.objects.get(kind=EventKind.REACTIVATED)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "In the admin")
