"""Webhooks: the outbox's events sent, signed, to the URLs admins subscribed.

The webhooks consumer queues one WebhookDelivery per event and matching active subscription (in the
transaction that marks the event processed: queued once). `deliver_due()` then sends what is due, oldest
event first per subscription: a delivery is claimed by moving its next attempt a lease ahead, sent, and
marked. A sender killed between the request and the mark leaves the delivery pending: it is sent again once
the lease passes (at least once), with the same event id, by which the receiver drops the duplicate.

Signature: `X-Bearing-Signature: sha256=<hex>` where hex is HMAC-SHA256(secret, f"{timestamp}.{body}") and
`timestamp` the `X-Bearing-Timestamp` header (Unix seconds); see docs/events.md for a verification example.
A failed attempt is retried after 30 s, 1, 2, 4, ... minutes (capped at 6 hours); BEARING_WEBHOOK_MAX_FAILURES
failures in a row disable the subscription and tell its owner.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import OutboxEvent
from events.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)
CONSUMER = "webhooks"
BACKOFF_FIRST = 30  # seconds before the first retry; doubled at each further failure
BACKOFF_CAP = 6 * 3600
LEASE_MARGIN = 5  # seconds beyond the request's timeout that a claimed delivery is left to its sender
USER_AGENT = "Bearing-Webhooks/1"


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s, ... at most 6 hours."""
    return datetime.timedelta(seconds=min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, attempts - 1)))


def lease() -> datetime.timedelta:
    """How long a claimed delivery is left to its sender before another may send it again: longer than the
    request may take, so a live sender is never doubled; a killed one is covered once it passes."""
    return datetime.timedelta(seconds=settings.BEARING_WEBHOOK_TIMEOUT + LEASE_MARGIN)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_of(event: OutboxEvent) -> str:
    """The JSON a receiver gets: the event's id (its idempotency key), kind, time and payload."""
    payload = {k: v for k, v in event.payload.items() if k != "recipients"}
    return json.dumps(
        {
            "id": event.pk,
            "kind": event.kind,
            "created_at": event.created_at.isoformat(),
            "subject": {"type": event.subject_type, "id": event.subject_id},
            "data": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def handle(events: Sequence[OutboxEvent]) -> None:
    """Queue a batch of events for every active subscription to their kinds: two queries, whatever the
    batch."""
    now = timezone.now()
    subscriptions = list(WebhookSubscription.objects.filter(active=True).only("pk", "kinds"))
    rows = []
    for event in events:
        body = None
        for subscription in subscriptions:
            if event.kind in subscription.kinds:
                body = body or body_of(event)
                rows.append(
                    WebhookDelivery(
                        subscription=subscription,
                        event_id=event.pk,
                        kind=event.kind,
                        body=body,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)


# ------------------------------------------------------------------------------------------- addresses


class AddressRefused(Exception):
    """The URL's host is (or resolves to) an address webhooks may not reach."""


def check_address(address: str) -> None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        raise AddressRefused(f"{address} is a private, loopback or link-local address")
    if ip.is_unspecified or not ip.is_global:
        raise AddressRefused(f"{address} is not a public address")


def resolve(url: str) -> tuple[str, str, int, list[str]]:
    """The URL's scheme, host, port and every address the host resolves to, each checked (unless
    BEARING_WEBHOOK_ALLOW_PRIVATE): a name that resolves to one private address among public ones is
    refused. The request then goes to a checked address, so a second lookup cannot swap it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Only http and https URLs with a host name are sent to")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{parts.hostname} does not resolve") from error
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise AddressRefused(f"{parts.hostname} does not resolve")
    if not settings.BEARING_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            check_address(address)
    return parts.scheme, parts.hostname, port, addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the URL's host name."""

    def __init__(self, address: str, port: int, *, hostname: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._hostname = hostname

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._hostname)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Response:
    status: int
    elapsed_ms: int


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST the body to the URL at a checked address; the answer's status and time. Raises AddressRefused,
    or OSError/HTTPException when the receiver cannot be reached."""
    scheme, hostname, port, addresses = resolve(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = settings.BEARING_WEBHOOK_TIMEOUT
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = _PinnedHTTPSConnection(addresses[0], port, hostname=hostname, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(addresses[0], port, timeout=timeout)
    host_header = hostname if parts.port is None else f"{hostname}:{port}"
    started = time.monotonic()
    try:
        connection.request("POST", target, body=body, headers={**headers, "Host": host_header})
        answer = connection.getresponse()
        answer.read(64 * 1024)  # the receiver's answer is not kept: read a little, then close
        return Response(answer.status, int((time.monotonic() - started) * 1000))
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------- sending

# A test's stand-in for a sender killed after the request was sent and before the delivery was marked.
after_send: Callable[[WebhookDelivery], None] | None = None


def headers_for(
    subscription: WebhookSubscription, delivery: WebhookDelivery, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Bearing-Event": delivery.kind,
        "X-Bearing-Event-Id": str(delivery.event_id),
        "X-Bearing-Delivery-Attempt": str(delivery.attempts + 1),
        "X-Bearing-Timestamp": str(timestamp),
        "X-Bearing-Signature": sign(subscription.secret, timestamp, delivery.body.encode()),
    }


def attempt(delivery: WebhookDelivery, *, now: datetime.datetime) -> bool:
    """Send one claimed delivery and record the outcome; True when the receiver answered 2xx."""
    subscription = delivery.subscription
    timestamp = int(now.timestamp())
    status: int | None = None
    elapsed: int | None = None
    error = ""
    try:
        response = post(
            subscription.url, delivery.body.encode(), headers_for(subscription, delivery, timestamp)
        )
        status, elapsed = response.status, response.elapsed_ms
        if not 200 <= status < 300:
            error = f"The receiver answered {status}"
    except AddressRefused as refused:
        error = f"Refused: {refused}"
    except (OSError, http.client.HTTPException) as failure:
        error = f"Not delivered: {type(failure).__name__}"
    if after_send is not None:
        after_send(delivery)
    ok = not error
    with transaction.atomic():
        number = delivery.attempts + 1
        WebhookAttempt.objects.create(
            subscription=subscription,
            delivery=delivery,
            number=number,
            attempted_at=now,
            status_code=status,
            response_ms=elapsed,
            error=error[:300],
        )
        fields: dict[str, Any] = {
            "attempts": number,
            "last_status_code": status,
            "last_response_ms": elapsed,
            "last_error": error[:300],
        }
        if ok:
            fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        else:
            fields.update(next_attempt_at=now + backoff(number))
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
            _disable_if_failing(subscription.pk, error)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return ok


def _disable_if_failing(subscription_id: int, error: str) -> None:
    """Disable a subscription that failed BEARING_WEBHOOK_MAX_FAILURES times in a row, and tell its owner
    (an event for the notifications consumer)."""
    limit = settings.BEARING_WEBHOOK_MAX_FAILURES
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    if not subscription.active or subscription.consecutive_failures < limit:
        return
    reason = f"Disabled after {subscription.consecutive_failures} failed attempts in a row (last: {error})"[
        :300
    ]
    WebhookSubscription.objects.filter(pk=subscription_id).update(active=False, disabled_reason=reason)
    outbox.event_record(
        outbox.WEBHOOK_DISABLED,
        subject_type="webhook",
        subject_id=subscription_id,
        title=f"Webhook “{subscription.name}” was disabled after {subscription.consecutive_failures} failures",
        url=reverse("events:webhook-log", args=[subscription_id]),
        recipients=[subscription.owner_id],
        data={"webhook_id": subscription_id},
    )


def deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Send the deliveries that are due, per active subscription in event order; a subscription whose
    oldest due delivery fails waits for its retry before its later events are sent (receivers see events
    in order). Returns how many were delivered."""
    now = now or timezone.now()
    delivered = 0
    sent = 0
    subscriptions = WebhookSubscription.objects.filter(
        active=True, deliveries__status=DeliveryStatus.PENDING
    ).distinct()
    for subscription in subscriptions:
        pending = list(
            WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).order_by(
                "event_id"
            )[:limit]
        )
        for delivery in pending:
            if delivery.next_attempt_at > now or sent >= limit:
                break  # the oldest waits for its retry (or its lease): the later ones wait behind it
            claimed = WebhookDelivery.objects.filter(
                pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at=delivery.next_attempt_at
            ).update(next_attempt_at=now + lease())
            if not claimed:
                break
            delivery.subscription = subscription
            sent += 1
            if not attempt(delivery, now=now):
                break
            delivered += 1
    return delivered


def register() -> None:
    outbox.register_consumer(outbox.Consumer(CONSUMER, handle, after=deliver_due))
