"""Sessions end after an idle time and after a longest time (both configured), and a user may sign out of
every browser at once."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from identity.models import AuditEvent, EventKind, SignInSession
from tests.identity.conftest import PASSWORD, sign_in

T0 = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def at(time_machine):
    def move(**delta: float) -> None:
        time_machine.move_to(T0 + datetime.timedelta(**delta), tick=False)

    move()
    return move


def test_an_idle_session_is_signed_out_after_the_idle_time(client, erin, settings, at):
    # given
    settings.BEARING_SESSION_IDLE_MINUTES = 30
    sign_in(client, "erin")
    # when: active at 25 minutes (the idle clock starts again), then idle for 30 minutes and one second
    at(minutes=25)
    assert client.get("/initiatives/").status_code == 200
    at(minutes=55)
    assert client.get("/initiatives/").status_code == 200
    at(minutes=85, seconds=1)
    page = client.get("/initiatives/", follow=True)
    # then
    assert page.redirect_chain == [("/accounts/login/?next=/initiatives/", 302)]
    assert [str(m) for m in page.context["messages"]] == [
        "You were signed out after 30 minutes without activity."
    ]
    assert SignInSession.objects.count() == 0
    assert list(AuditEvent.objects.filter(subject=erin).order_by("pk").values_list("kind", flat=True)) == [
        "sign_in",
        "session_expired",
    ]


def test_a_session_ends_after_the_longest_time_however_active(client, erin, settings, at):
    # given
    settings.BEARING_SESSION_IDLE_MINUTES = 30
    settings.BEARING_SESSION_MAX_HOURS = 2
    sign_in(client, "erin")
    # when: a request every 20 minutes
    statuses = []
    for minutes in range(20, 141, 20):
        at(minutes=minutes)
        statuses.append(client.get("/initiatives/").status_code)
    # then: signed out at 2 h 20 min
    assert statuses == [200, 200, 200, 200, 200, 200, 302]


def test_time_outs_switched_off_keep_the_session(client, erin, settings, at):
    # given
    settings.BEARING_SESSION_IDLE_MINUTES = 0
    settings.BEARING_SESSION_MAX_HOURS = 0
    sign_in(client, "erin")
    # when
    at(days=10)
    # then
    assert client.get("/initiatives/").status_code == 200


def test_last_activity_is_recorded_at_most_once_a_minute(client, erin, at):
    # given
    sign_in(client, "erin")
    # when
    at(seconds=59)
    client.get("/initiatives/")
    first = SignInSession.objects.get().last_seen_at
    at(minutes=1, seconds=1)
    client.get("/initiatives/")
    second = SignInSession.objects.get().last_seen_at
    # then
    assert (first, second) == (T0, T0 + datetime.timedelta(minutes=1, seconds=1))


def test_sign_out_everywhere_ends_every_session_of_the_user_only(client, erin, pmo):
    # given
    laptop, phone, colleague = client, Client(), Client()
    for browser in (laptop, phone):
        sign_in(browser, "erin")
    sign_in(colleague, "pmo")
    # when
    answer = laptop.post("/accounts/security/sign-out-everywhere/", follow=True)
    # then
    assert answer.redirect_chain == [("/accounts/login/", 302)]
    assert [str(m) for m in answer.context["messages"]] == ["You are signed out everywhere."]
    assert [b.get("/initiatives/").status_code for b in (laptop, phone, colleague)] == [302, 302, 200]
    event = AuditEvent.objects.get(kind=EventKind.SIGNED_OUT_EVERYWHERE)
    assert (event.subject, event.actor, event.detail) == (erin, erin, "2 sessions ended")
    assert AuditEvent.objects.filter(kind=EventKind.SIGN_OUT).count() == 0


def test_sign_out_everywhere_needs_a_post(client, erin):
    # given
    sign_in(client, "erin")
    # when
    answer = client.get("/accounts/security/sign-out-everywhere/")
    # then
    assert answer.status_code == 405
    assert client.get("/initiatives/").status_code == 200


def test_a_password_change_keeps_this_session_recorded(client, erin):
    # given
    sign_in(client, "erin")
    other = Client()
    sign_in(other, "erin")
    # when: erin changes her password (Django gives this session a new key and ends the others)
    new = "another passphrase 77"
    changed = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    page = client.get("/accounts/security/")
    # then: this session is still recorded under its new key, and ending everything ends it too
    assert [s.key for s in page.context["sessions"] if s.key == client.session.session_key] == [
        client.session.session_key
    ]
    client.post("/accounts/security/sign-out-everywhere/")
    assert client.get("/initiatives/").status_code == 302


def test_the_sessions_page_marks_this_browser(client, erin):
    # given
    sign_in(client, "erin", HTTP_USER_AGENT="Firefox <b>bold</b>")
    # when
    page = client.get("/accounts/security/").content.decode()
    # then
    assert '<span class="badge text-bg-primary">This browser</span>' in page
    assert "Firefox &lt;b&gt;bold&lt;/b&gt;" in page
