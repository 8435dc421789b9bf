"""Webhooks against a real local receiver: signed requests it verifies, events in order and each processed
once, retries with exponential backoff, a sender killed between the request and its record (sent again,
dropped by the receiver as a duplicate), disabled after repeated failures with a notification to its owner,
and private addresses refused unless allowed."""

from __future__ import annotations

import datetime
import json
import socket
from typing import Any

import pytest

from core import outbox
from events import services, webhooks
from events.models import DeliveryStatus, Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription
from portfolio import services as portfolio
from tests.events.receiver import Receiver, verify
from tests.events.support import NOW
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
T0 = int(NOW.timestamp())


@pytest.fixture
def loopback(settings: Any) -> None:
    settings.BEARING_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver(loopback: None):
    with Receiver(now=T0).running() as running:
        yield running


def subscribe(
    admin: Any, receiver: Receiver, kinds: tuple[str, ...] = ("initiative.changed",)
) -> WebhookSubscription:
    hook = services.webhook_create(user=admin, name="Chat", url=receiver.url, kinds=kinds)
    receiver.secret = hook.secret
    return hook


def rename(user: Any, initiative: Any, *titles: str) -> None:
    for title in titles:
        initiative.refresh_from_db()
        portfolio.initiative_update(
            user=user, initiative_id=initiative.pk, version=initiative.version, data={"title": title}
        )


def test_events_arrive_signed_in_order_and_once(admin_user, pmo, receiver):
    hook = subscribe(admin_user, receiver)
    initiative = InitiativeFactory(code="WH-1")
    rename(pmo, initiative, "One", "Two", "Three")

    outbox.dispatch_pending()  # queues and sends (the webhooks consumer's after step)
    outbox.dispatch_pending()  # nothing new: nothing sent again

    assert [r["valid"] for r in receiver.requests] == [True, True, True]
    assert [r["event"]["data"]["title"] for r in receiver.requests] == [
        "WH-1 One was changed (title)",
        "WH-1 Two was changed (title)",
        "WH-1 Three was changed (title)",
    ]
    ids = [r["event"]["id"] for r in receiver.requests]
    assert ids == sorted(ids)
    assert receiver.processed == ids
    first = receiver.requests[0]
    assert first["path"] == "/hook?source=bearing"
    assert first["headers"]["X-Bearing-Event"] == "initiative.changed"
    assert first["headers"]["X-Bearing-Event-Id"] == str(ids[0])
    assert first["headers"]["X-Bearing-Timestamp"] == str(T0)
    assert first["headers"]["Content-Type"] == "application/json"
    assert json.loads(first["body"]) == {
        "id": ids[0],
        "kind": "initiative.changed",
        "created_at": "2026-11-23T09:00:00+00:00",
        "subject": {"type": "initiative", "id": initiative.pk},
        "data": {
            "about": {"initiative": [initiative.pk]},
            "code": "WH-1",
            "fields": ["title"],
            "initiative_id": initiative.pk,
            "title": "WH-1 One was changed (title)",
            "url": f"/initiatives/{initiative.pk}/",
        },
    }
    assert (
        list(WebhookDelivery.objects.filter(subscription=hook).values_list("status", "attempts"))
        == [("delivered", 1)] * 3
    )
    attempt = WebhookAttempt.objects.order_by("pk")[0]
    assert (attempt.number, attempt.status_code) == (1, 200)
    assert attempt.response_ms is not None
    assert attempt.response_ms >= 0


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    assert webhooks.sign("s3cret", 1700000000, b'{"id":1}') == (
        "sha256=" + __import__("hmac").new(b"s3cret", b'1700000000.{"id":1}', "sha256").hexdigest()
    )
    headers = {
        "X-Bearing-Timestamp": "1700000000",
        "X-Bearing-Signature": webhooks.sign("s3cret", 1700000000, b"{}"),
    }
    assert verify("s3cret", headers, b"{}", now=1700000100) is True
    assert verify("wrong", headers, b"{}", now=1700000100) is False
    assert verify("s3cret", headers, b"{ }", now=1700000100) is False
    assert verify("s3cret", headers, b"{}", now=1700000000 + 301) is False  # a replay, too late


def test_kinds_not_subscribed_are_not_sent(admin_user, pmo, receiver):
    subscribe(admin_user, receiver, kinds=("decision.recorded",))
    rename(pmo, InitiativeFactory(), "One")
    outbox.dispatch_pending()
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_a_failed_delivery_is_retried_with_exponential_backoff_and_holds_later_events(
    admin_user, pmo, receiver
):
    hook = subscribe(admin_user, receiver)
    receiver.answers = [500, 503]
    rename(pmo, InitiativeFactory(code="WH-2"), "One", "Two")

    outbox.dispatch_pending()  # at T0: the first fails (500); the second waits behind it
    first = WebhookDelivery.objects.filter(subscription=hook).order_by("event_id")[0]
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.next_attempt_at == NOW + datetime.timedelta(seconds=30)
    assert len(receiver.requests) == 1

    assert webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=29)) == 0  # not yet
    assert webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=30)) == 0  # fails again (503)
    first.refresh_from_db()
    assert (first.attempts, first.next_attempt_at) == (2, NOW + datetime.timedelta(seconds=90))

    receiver.now = T0 + 90
    assert webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=90)) == 2  # then both, in order
    titles = [r["event"]["data"]["title"] for r in receiver.requests]
    assert titles == ["WH-2 One was changed (title)"] * 3 + ["WH-2 Two was changed (title)"]
    assert [r["headers"]["X-Bearing-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3", "1"]
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0


def test_the_backoff_schedule():
    assert [webhooks.backoff(n).total_seconds() for n in range(1, 12)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3840,
        7680,
        15360,
        21600,
    ]


def test_a_sender_killed_after_sending_sends_again_and_the_receiver_drops_the_duplicate(
    admin_user, pmo, receiver
):
    subscribe(admin_user, receiver)
    rename(pmo, InitiativeFactory(code="WH-3"), "One")

    def killed(_delivery: WebhookDelivery) -> None:
        raise SystemExit("worker killed")

    webhooks.after_send = killed
    try:
        with pytest.raises(SystemExit):
            outbox.dispatch_pending()  # queued; the sender dies after the request, before marking it
    finally:
        webhooks.after_send = None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 0)

    # the lease (the request's timeout, 10 s, and 5 s more) holds it, then it goes again
    assert webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=14)) == 0
    receiver.now = T0 + 15
    assert webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=15)) == 1

    event_ids = [r["event"]["id"] for r in receiver.requests]
    assert event_ids == [delivery.event_id, delivery.event_id]  # sent twice (at least once) ...
    assert receiver.processed == [delivery.event_id]  # ... processed once
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_repeated_failures_disable_the_subscription_and_tell_its_owner(admin_user, pmo, receiver, settings):
    settings.BEARING_WEBHOOK_MAX_FAILURES = 3
    hook = subscribe(admin_user, receiver)
    receiver.answers = [500] * 10
    rename(pmo, InitiativeFactory(code="WH-4"), "One")

    outbox.dispatch_pending()
    for seconds in (30, 90):
        webhooks.deliver_due(now=NOW + datetime.timedelta(seconds=seconds))
    outbox.dispatch_pending()  # the "disabled" event reaches the owner

    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (False, 3)
    assert (
        hook.disabled_reason == "Disabled after 3 failed attempts in a row (last: The receiver answered 500)"
    )
    (note,) = Notification.objects.filter(kind="webhook.disabled")
    assert (note.user, note.title) == (admin_user, "Webhook “Chat” was disabled after 3 failures")
    assert webhooks.deliver_due(now=NOW + datetime.timedelta(hours=1)) == 0  # a disabled one sends nothing
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_recorded_as_a_failure(admin_user, pmo, loopback):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    services.webhook_create(
        user=admin_user, name="Gone", url=f"http://127.0.0.1:{port}/", kinds=["initiative.changed"]
    )
    rename(pmo, InitiativeFactory(), "One")
    outbox.dispatch_pending()
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (None, "Not delivered: ConnectionRefusedError")


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (["127.0.0.1"], "127.0.0.1 is a private, loopback or link-local address"),
        (["10.1.2.3"], "10.1.2.3 is a private, loopback or link-local address"),
        (["169.254.169.254"], "169.254.169.254 is a private, loopback or link-local address"),
        (["::1"], "::1 is a private, loopback or link-local address"),
        (["93.184.216.34", "192.168.0.10"], "192.168.0.10 is a private, loopback or link-local address"),
        (["0.0.0.0"], "0.0.0.0 is a private, loopback or link-local address"),
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(monkeypatch, addresses, refused):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in addresses],
    )
    with pytest.raises(webhooks.AddressRefused, match=refused.replace(".", r"\.")):
        webhooks.resolve("https://hooks.example.org/x")


def test_a_refused_address_is_logged_as_an_attempt_and_retried_later(admin_user, pmo):
    services.webhook_create(
        user=admin_user, name="Local", url="http://127.0.0.1:9/", kinds=["initiative.changed"]
    )
    rename(pmo, InitiativeFactory(), "One")
    outbox.dispatch_pending()
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == "Refused: 127.0.0.1 is a private, loopback or link-local address"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.parametrize("url", ["ftp://example.org/", "http:///nohost", "file:///etc/passwd"])
def test_only_http_and_https_urls_are_sent_to(url):
    with pytest.raises(webhooks.AddressRefused, match="Only http and https"):
        webhooks.resolve(url)


def test_only_admins_manage_webhooks(pmo, executive):
    for user in (pmo, executive):
        with pytest.raises(services.NotAllowed):
            services.webhook_create(
                user=user, name="x", url="https://example.org/", kinds=["initiative.changed"]
            )
    assert WebhookSubscription.objects.count() == 0
