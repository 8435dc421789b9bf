"""The events pages as each role uses them: the bell on every page, the notifications page (filters, paging,
mark read), preferences, watch buttons on initiative, objective and meeting pages and the programs' watch
list, and admins' webhooks (secret shown once, masked after, delivery log). Hostile input gets an answer,
never a 500; what people typed is escaped."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core import outbox
from events import services
from events.models import (
    Notification,
    Preference,
    Watch,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.events.support import NOW
from tests.factories import InitiativeFactory, ObjectiveFactory, ProgramFactory

pytestmark = pytest.mark.django_db
ROLES = ["executive", "pmo", "manager", "steering_member", "admin_user"]


def notify(user: Any, n: int, *, title: str = "Thing {i} changed", kind: str = "initiative.changed") -> None:
    first = Notification.objects.filter(user=user).count()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                event_id=first + i + 1,
                kind=kind,
                title=title.format(i=i),
                url="/initiatives/",
                created_at=NOW,
            )
            for i in range(n)
        ]
    )


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", ROLES, indirect=True)
def test_every_page_loads_the_bell_and_the_bell_shows_the_unread_count(client, persona):
    notify(persona, 3)
    Notification.objects.filter(user=persona, event_id=1).update(read_at=NOW)
    client = logged_in(client, persona)
    page = client.get(reverse("portfolio:initiative-list")).content.decode()
    assert 'hx-get="/notifications/bell/" hx-trigger="load" hx-swap="outerHTML"' in page

    bell = client.get(reverse("events:bell"), headers={"HX-Request": "true"})
    assert bell["Cache-Control"] == "no-store"
    assert (
        '<span class="visually-hidden">Notifications</span> <span class="badge rounded-pill text-bg-warning">2'
        '<span class="visually-hidden"> unread</span></span></a>'
    ) in bell.content.decode()


def test_the_bell_says_99_plus_beyond_its_bound_in_one_query(client, executive, django_assert_num_queries):
    client = logged_in(client, executive)
    url = reverse("events:bell")
    client.get(url)
    notify(executive, 5)
    with django_assert_num_queries(4) as small:  # session, user, roles; the count
        assert ">5<" in client.get(url).content.decode()
    notify(executive, 150)
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert ">99+<" in page
    Notification.objects.update(read_at=NOW)
    assert "none unread" in client.get(url).content.decode()


def test_an_outsider_and_anonymous_see_no_bell_and_no_page(client, outsider):
    assert client.get(reverse("events:notification-list")).status_code == 302
    client = logged_in(client, outsider)
    assert client.get(reverse("events:notification-list")).status_code == 403
    assert "/notifications/bell/" not in client.get(reverse("identity:security")).content.decode()
    assert client.get(reverse("events:bell")).status_code == 403


def test_the_notifications_page_filters_pages_and_escapes(client, manager, django_assert_max_num_queries):
    notify(manager, 30, title="<script>x{i}</script>")
    notify(manager, 1, title="Registered", kind="initiative.registered")
    Notification.objects.filter(user=manager, event_id__lte=10).update(read_at=NOW)
    client = logged_in(client, manager)
    url = reverse("events:notification-list")

    page = client.get(url).content.decode()
    assert '<strong class="text-body">31</strong> notifications' in page
    assert "Page 1 of 2" in page
    assert "&lt;script&gt;x29&lt;/script&gt;" in page
    assert "<script>x" not in page

    unread = client.get(url, {"state": "unread", "kind": "initiative.changed"}).content.decode()
    assert '<strong class="text-body">20</strong> notifications' in unread
    fragment = client.get(url, {"kind": "initiative.registered"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert '<strong class="text-body">1</strong> notification' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    with django_assert_max_num_queries(12):
        client.get(url, {"page": "2"})


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "<script>"},
        {"state": "maybe"},
        {"page": "abc"},
        {"page": "-1"},
        {"kind": "x" * 5000},
        {"page": "9" * 40},
    ],
)
def test_hostile_filters_get_a_clear_answer_not_a_500(client, manager, query):
    response = logged_in(client, manager).get(reverse("events:notification-list"), query)
    assert response.status_code == 400
    assert "These filters could not be applied." in response.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link_only_ones_own(client, manager, executive):
    notify(manager, 1)
    notify(executive, 1)
    mine = Notification.objects.get(user=manager)
    theirs = Notification.objects.get(user=executive)
    client = logged_in(client, manager)

    assert client.post(reverse("events:notification-open", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("events:notification-open", args=[mine.pk]))
    assert (response.status_code, response["Location"]) == (302, "/initiatives/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at == NOW
    assert theirs.read_at is None
    assert client.get(reverse("events:notification-open", args=[mine.pk])).status_code == 405


def test_mark_all_read(client, manager):
    notify(manager, 3)
    response = logged_in(client, manager).post(
        reverse("events:notifications-read"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("events:notification-list")
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_preferences_are_saved_and_a_forged_choice_saves_nothing(client, manager):
    client = logged_in(client, manager)
    url = reverse("events:preferences")
    assert client.get(url).status_code == 200
    data = dict.fromkeys(outbox.KINDS, "in_app")
    response = client.post(url, {**data, "decision.recorded": "email", "signal.raised": "weekly"})
    assert response.status_code == 302
    assert dict(
        Preference.objects.filter(user=manager).exclude(channel="in_app").values_list("kind", "channel")
    ) == {
        "decision.recorded": "email",
        "signal.raised": "weekly",
    }
    forged = client.post(url, {**data, "decision.recorded": "<b>pigeon</b>"})
    assert forged.status_code == 400
    assert (
        "Select a valid choice. &lt;b&gt;pigeon&lt;/b&gt; is not one of the available choices."
        in forged.content.decode()
    )
    assert Preference.objects.get(user=manager, kind="decision.recorded").channel == "email"


def test_watch_buttons_on_initiative_objective_and_meeting_pages(client, executive, meeting):
    initiative = InitiativeFactory(code="W-1")
    objective = ObjectiveFactory()
    client = logged_in(client, executive)
    for url in (
        reverse("portfolio:initiative-detail", args=[initiative.pk]),
        reverse("portfolio:objective-detail", args=[objective.pk]),
        reverse("steering:meeting-detail", args=[meeting.pk]),
    ):
        page = client.get(url).content.decode()
        assert "You do not watch this" in page, url
        assert 'name="watching" value="1"' in page

    response = client.post(
        reverse("events:watch"),
        {
            "subject_type": "initiative",
            "subject_id": initiative.pk,
            "watching": "1",
            "next": f"/initiatives/{initiative.pk}/",
        },
    )
    assert response["Location"] == f"/initiatives/{initiative.pk}/"
    assert Watch.objects.get(user=executive).watching is True
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    assert "You watch this initiative" in page


def test_a_manager_watches_their_initiative_by_default_and_can_unwatch(client, manager):
    initiative = InitiativeFactory(manager=manager)
    client = logged_in(client, manager)
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    assert "You watch this initiative" in page
    client.post(
        reverse("events:watch"), {"subject_type": "initiative", "subject_id": initiative.pk, "watching": "0"}
    )
    assert Watch.objects.get(user=manager).watching is False


@pytest.mark.parametrize(
    "data",
    [
        {"subject_type": "user", "subject_id": "1", "watching": "1"},
        {"subject_type": "initiative", "subject_id": "abc", "watching": "1"},
        {"subject_type": "initiative", "subject_id": "99999999", "watching": "1"},
        {"subject_type": "initiative", "subject_id": "1", "watching": "maybe"},
        {},
    ],
)
def test_hostile_watch_posts_change_nothing(client, executive, data):
    response = logged_in(client, executive).post(reverse("events:watch"), data)
    assert response.status_code == 302
    assert Watch.objects.count() == 0


def test_the_watching_page_lists_programs_with_their_state(client, executive):
    ProgramFactory(name="Alpha <i>")
    owned = ProgramFactory(name="Beta", owner=executive)
    client = logged_in(client, executive)
    page = client.get(reverse("events:watching")).content.decode()
    assert "Alpha &lt;i&gt;" in page
    assert page.count("Unwatch<span") == 1  # the program they own, by default
    client.post(reverse("events:watch"), {"subject_type": "program", "subject_id": owned.pk, "watching": "0"})
    assert client.get(reverse("events:watching")).content.decode().count("Unwatch<span") == 0


@pytest.mark.parametrize(
    "persona", ["executive", "pmo", "manager", "steering_member", "outsider"], indirect=True
)
def test_only_admins_reach_the_webhook_pages(client, persona, admin_user):
    hook = services.webhook_create(
        user=admin_user, name="Chat", url="https://hooks.example.org/", kinds=["decision.recorded"]
    )
    client = logged_in(client, persona)
    for url in (
        reverse("events:webhook-list"),
        reverse("events:webhook-create"),
        reverse("events:webhook-log", args=[hook.pk]),
    ):
        assert client.get(url).status_code == 403
    for url in (
        reverse("events:webhook-rotate", args=[hook.pk]),
        reverse("events:webhook-delete", args=[hook.pk]),
    ):
        assert client.post(url).status_code == 403
    assert WebhookSubscription.objects.get().secret == hook.secret


def test_an_admin_creates_a_webhook_sees_its_secret_once_then_masked(client, admin_user):
    client = logged_in(client, admin_user)
    response = client.post(
        reverse("events:webhook-create"),
        {
            "name": "Chat <b>",
            "url": "https://hooks.example.org/x",
            "kinds": ["decision.recorded", "signal.raised"],
            "active": "on",
        },
    )
    hook = WebhookSubscription.objects.get()
    assert (hook.name, hook.kinds, hook.owner) == (
        "Chat <b>",
        ["decision.recorded", "signal.raised"],
        admin_user,
    )
    assert hook.secret in response.content.decode()
    listing = client.get(reverse("events:webhook-list")).content.decode()
    assert hook.secret not in listing
    assert f"{hook.secret[:4]}…" in listing
    assert "Chat &lt;b&gt;" in listing
    rotated = client.post(reverse("events:webhook-rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret in rotated.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "x", "url": "javascript:alert(1)", "kinds": ["decision.recorded"]}, "Enter a valid URL."),
        ({"name": "x", "url": "https://a.example/", "kinds": []}, "This field is required."),
        ({"name": "x", "url": "https://a.example/", "kinds": ["made.up"]}, "Select a valid choice."),
        (
            {"name": "", "url": "https://a.example/", "kinds": ["decision.recorded"]},
            "This field is required.",
        ),
    ],
)
def test_a_bad_webhook_is_refused_at_the_field(client, admin_user, data, error):
    response = logged_in(client, admin_user).post(reverse("events:webhook-create"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_a_stale_webhook_edit_is_refused(client, admin_user):
    hook = services.webhook_create(
        user=admin_user, name="Chat", url="https://a.example/", kinds=["decision.recorded"]
    )
    client = logged_in(client, admin_user)
    data = {
        "name": "New",
        "url": "https://a.example/",
        "kinds": ["decision.recorded"],
        "active": "on",
        "version": hook.version,
    }
    assert client.post(reverse("events:webhook-edit", args=[hook.pk]), data).status_code == 302
    stale = client.post(reverse("events:webhook-edit", args=[hook.pk]), {**data, "name": "Older"})
    assert stale.status_code == 400
    assert "Someone changed this webhook" in stale.content.decode()
    assert WebhookSubscription.objects.get().name == "New"


def test_the_delivery_log_is_paged_and_escaped(client, admin_user, django_assert_max_num_queries):
    hook = services.webhook_create(
        user=admin_user, name="Chat", url="https://a.example/", kinds=["decision.recorded"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=hook,
        event_id=7,
        kind="decision.recorded",
        body="{}",
        next_attempt_at=NOW,
        created_at=NOW,
    )
    WebhookAttempt.objects.bulk_create(
        [
            WebhookAttempt(
                subscription=hook,
                delivery=delivery,
                number=i + 1,
                attempted_at=NOW + datetime.timedelta(minutes=i),
                status_code=500,
                response_ms=40 + i,
                error="<img src=x onerror=alert(1)>",
            )
            for i in range(60)
        ]
    )
    client = logged_in(client, admin_user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("events:webhook-log", args=[hook.pk])).content.decode()
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 50
    assert "<img src=x" not in page
    assert '<td class="num">99</td>' in page  # the newest: response time 40 + 59 ms
    assert "1 / 2" in page


def test_an_executive_turns_the_executive_digest_off_and_others_cannot(client, executive, manager):
    data = dict.fromkeys(outbox.KINDS, "in_app")
    response = logged_in(client, executive).post(
        reverse("events:preferences"), {**data, "digest.executive": "none"}
    )
    assert response.status_code == 302
    assert Preference.objects.get(user=executive, kind="digest.executive").channel == "none"
    assert (
        "The weekly executive digest"
        not in logged_in(Client(), manager).get(reverse("events:preferences")).content.decode()
    )
    with pytest.raises(services.ApplicationError):
        services.preferences_set(user=manager, channels={"digest.executive": "weekly"})
