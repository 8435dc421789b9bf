"""Deactivating an account ends every session of it at once: its next request anywhere is signed out."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.test import Client

from identity.models import AuditEvent, EventKind, SignInSession
from tests.identity.conftest import sign_in


def test_deactivating_signs_out_a_user_who_is_signed_in_elsewhere(admin_client, admin_user, erin):
    # given: erin is signed in on two browsers, and reads the dashboard
    laptop, phone = Client(), Client()
    assert sign_in(laptop, "erin").status_code == 302
    assert sign_in(phone, "erin").status_code == 302
    assert laptop.get("/initiatives/").status_code == 200
    assert SignInSession.objects.filter(user=erin).count() == 2
    # when
    answer = admin_client.post(f"/accounts/people/{erin.pk}/deactivate/")
    # then: her next request, on either browser, is signed out, and her sessions are gone from the store
    assert (answer.status_code, answer["Location"]) == (302, f"/accounts/people/{erin.pk}/")
    for browser in (laptop, phone):
        page = browser.get("/initiatives/")
        assert (page.status_code, page["Location"]) == (302, "/accounts/login/?next=/initiatives/")
    assert SignInSession.objects.filter(user=erin).count() == 0
    assert [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()] == [str(admin_user.pk)]
    event = AuditEvent.objects.get(kind=EventKind.DEACTIVATED)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "2 sessions ended")


def test_a_deactivated_account_cannot_sign_in_until_reactivated(admin_client, client, erin):
    # given
    admin_client.post(f"/accounts/people/{erin.pk}/deactivate/")
    # when / then
    assert sign_in(client, "erin").status_code == 200
    assert AuditEvent.objects.filter(kind=EventKind.SIGN_IN_FAILED, username="erin").count() == 1
    # when reactivated
    answer = admin_client.post(f"/accounts/people/{erin.pk}/reactivate/")
    # then
    assert answer.status_code == 302
    assert sign_in(client, "erin").status_code == 302
    assert list(AuditEvent.objects.filter(subject=erin).order_by("pk").values_list("kind", flat=True)) == [
        "deactivated",
        "reactivated",
        "sign_in",
    ]


def test_an_admin_cannot_deactivate_themself(admin_client, admin_user):
    # when
    answer = admin_client.post(f"/accounts/people/{admin_user.pk}/deactivate/", follow=True)
    # then
    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert [str(m) for m in answer.context["messages"]] == ["You cannot deactivate your own account."]
    assert AuditEvent.objects.filter(kind=EventKind.DEACTIVATED).count() == 0


def test_an_admin_signs_another_account_out_everywhere(admin_client, admin_user, erin):
    # given
    browser = Client()
    sign_in(browser, "erin")
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/sign-out/")
    # then: she is signed out but may sign in again
    assert browser.get("/initiatives/").status_code == 302
    assert sign_in(browser, "erin").status_code == 302
    event = AuditEvent.objects.get(kind=EventKind.SIGNED_OUT_EVERYWHERE)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "1 session ended")


def test_an_unknown_account_is_a_404(admin_client):
    assert [
        admin_client.post(f"/accounts/people/999999/{action}/").status_code
        for action in ("deactivate", "reactivate", "resend", "sign-out")
    ] == [404, 404, 404, 404]
    assert admin_client.get("/accounts/people/999999/").status_code == 404
