"""Delivery when things fail: Redis down at commit time delays delivery without failing the write (the sweep
delivers it later), and a real Celery worker killed in the middle of a webhook request loses nothing: the
next worker sends it again and the receiver drops the duplicate by event id."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from config.celery import app
from core import outbox
from core.models import EventDelivery, OutboxEvent
from core.tasks import sweep_events
from events import services
from events.models import DeliveryStatus, WebhookDelivery
from portfolio import services as portfolio
from portfolio.models import Initiative
from tests.alignment.conftest import Worker, redis_worker, wait_for
from tests.alignment.test_broker_down import broker_down, dead_redis
from tests.events.receiver import Receiver
from tests.factories import InitiativeFactory

__all__ = ["broker_down", "dead_redis", "redis_worker"]
COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def receiver(settings: Any):
    settings.BEARING_WEBHOOK_ALLOW_PRIVATE = True
    with Receiver().running() as running:
        yield running


def subscribe(admin: Any, receiver: Receiver) -> None:
    hook = services.webhook_create(user=admin, name="Chat", url=receiver.url, kinds=["initiative.changed"])
    receiver.secret = hook.secret


def rename(user: Any, initiative: Initiative, title: str) -> None:
    initiative.refresh_from_db()
    portfolio.initiative_update(
        user=user, initiative_id=initiative.pk, version=initiative.version, data={"title": title}
    )


@COMMITTED
def test_redis_down_at_commit_saves_the_write_and_the_sweep_delivers_later(
    broker_down: str, receiver: Receiver, admin_user: Any, pmo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a webhook, and the broker down
    subscribe(admin_user, receiver)
    initiative = InitiativeFactory(code="RD-1")
    receiver.now = 0

    # when: the PMO renames the initiative (the dispatch after commit cannot reach the broker)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        rename(pmo, initiative, "Saved anyway")

    # then: saved, the event recorded and pending for both consumers; nothing sent; the failure logged
    assert Initiative.objects.get(pk=initiative.pk).title == "Saved anyway"
    (event,) = OutboxEvent.objects.filter(kind="initiative.changed")
    assert EventDelivery.objects.count() == 0
    assert receiver.requests == []
    assert any("core.tasks.dispatch_events for the events outbox" in r.getMessage() for r in caplog.records)

    # when: the sweep runs (beat's, once Redis is back; here as a function)
    receiver.now = int(event.created_at.timestamp())
    outbox.sweep()

    # then: delivered, signed, once
    assert [(r["event"]["id"], r["valid"]) for r in receiver.requests] == [(event.pk, True)]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


@COMMITTED
def test_a_worker_killed_mid_request_loses_nothing_and_the_receiver_processes_once(
    redis_worker: Worker, postgres: None, receiver: Receiver, admin_user: Any, pmo: Any
) -> None:
    # given: a webhook whose receiver holds the first request until told to answer
    subscribe(admin_user, receiver)
    receiver.check_time = False
    held = threading.Event()
    receiver.hold_first = held
    env = {"BEARING_WEBHOOK_ALLOW_PRIVATE": "true", "BEARING_WEBHOOK_TIMEOUT": "2"}
    redis_worker.start(**env)
    initiative = InitiativeFactory(code="WK-1")

    # when: a change is saved; the worker takes the dispatch and sends the request, and is killed mid-way
    rename(pmo, initiative, "Killed mid-way")
    event = OutboxEvent.objects.get(kind="initiative.changed")
    wait_for(lambda: receiver.requests, timeout=60, what="the first request", check=redis_worker.check_alive)
    redis_worker.kill()
    held.set()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING

    # when: a worker is back, and the sweep runs until the lease (2 s + 5 s) has passed
    redis_worker.start(**env)

    sent = [0.0]

    def delivered() -> bool:
        if time.monotonic() - sent[0] > 2:  # beat's sweep, every 2 s rather than every minute
            sweep_events.delay()
            sent[0] = time.monotonic()
        return WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()

    wait_for(delivered, timeout=60, what="the sweep to send it again", check=redis_worker.check_alive)

    # then: sent twice with the same event id, processed once by the receiver
    assert [r["event"]["id"] for r in receiver.requests] == [event.pk, event.pk]
    assert all(r["valid"] for r in receiver.requests)
    assert receiver.processed == [event.pk]
    assert app.conf.task_always_eager is False
