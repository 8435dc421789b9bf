"""The events outbox: what happened, written in the same transaction as the change, read by consumers.

A service calls `event_record(...)` inside its own `transaction.atomic()` block, next to its change notice
(core.changes): the event commits or rolls back with the change. Consumers (the events app's in-app
notifications and webhooks) register here when their app starts, so the apps that record events never know
who reads them. Each consumer marks each event it processed with an EventDelivery row, in the same
transaction as its own rows: processed once per consumer, whatever runs the dispatch twice.

Dispatch runs after the commit: a Celery task when workers run (`BEARING_JOB_RUNNER=celery`), a thread of the
web process on the embedded default, in the request itself when inline. A dispatch that could not start (the
broker down at commit time, a worker killed) leaves the events pending: the periodic sweep
(core.tasks.sweep_events, also in the in-process schedule) picks them up, so nothing is stranded.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.models import EventDelivery, OutboxEvent

log = logging.getLogger(__name__)

# The kinds of event, in the users' words. A kind is a stable string: webhooks' receivers switch on it.
INITIATIVE_REGISTERED = "initiative.registered"
INITIATIVE_CHANGED = "initiative.changed"
INITIATIVE_STAGE_MOVED = "initiative.stage_moved"
CONTRIBUTION_CHANGED = "contribution.changed"
DECISION_RECORDED = "decision.recorded"
ACTION_ASSIGNED = "action.assigned"
ACTION_DUE = "action.due"
ACTION_OVERDUE = "action.overdue"
KPI_READING_RECORDED = "kpi.reading_recorded"
BENEFIT_PLAN_CHANGED = "benefit.plan_changed"
BENEFIT_ACTUAL_RECORDED = "benefit.actual_recorded"
SCENARIO_SOLVED = "scenario.solved"
SCENARIO_APPROVED = "scenario.approved"
SIGNAL_RAISED = "signal.raised"
SIGNAL_CLEARED = "signal.cleared"
SCORE_MOVED = "score.moved"
WEBHOOK_DISABLED = "webhook.disabled"

KINDS: dict[str, str] = {
    INITIATIVE_REGISTERED: "Initiative registered",
    INITIATIVE_CHANGED: "Initiative changed",
    INITIATIVE_STAGE_MOVED: "Initiative moved to a new stage",
    CONTRIBUTION_CHANGED: "Contribution changed",
    DECISION_RECORDED: "Decision recorded",
    ACTION_ASSIGNED: "Action assigned",
    ACTION_DUE: "Action due soon",
    ACTION_OVERDUE: "Action overdue",
    KPI_READING_RECORDED: "KPI reading recorded",
    BENEFIT_PLAN_CHANGED: "Benefit plan changed",
    BENEFIT_ACTUAL_RECORDED: "Benefit actual recorded",
    SCENARIO_SOLVED: "Scenario solved",
    SCENARIO_APPROVED: "Scenario approved as the plan",
    SIGNAL_RAISED: "Warning signal raised",
    SIGNAL_CLEARED: "Warning signal cleared",
    SCORE_MOVED: "Alignment score moved",
    WEBHOOK_DISABLED: "Webhook disabled",
}

# What an event can be about (the records people watch), as payload["about"] keys.
ABOUT = ("initiative", "objective", "program", "meeting", "kpi")

BATCH = 200  # events read per query by a dispatch


@dataclass(frozen=True)
class EventSpec:
    """One event to record (event_record_many)."""

    kind: str
    subject_type: str
    subject_id: int | None
    title: str
    url: str = ""
    about: Mapping[str, Iterable[int | None]] = field(default_factory=dict)
    recipients: Iterable[int | None] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


def _payload(spec: EventSpec) -> dict[str, Any]:
    about = {
        key: sorted({int(i) for i in ids if i is not None}) for key, ids in spec.about.items() if key in ABOUT
    }
    return {
        **spec.data,
        "title": spec.title[:300],
        "url": spec.url,
        "about": {key: ids for key, ids in about.items() if ids},
        "recipients": sorted({int(i) for i in spec.recipients if i is not None}),
    }


def _actor_id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return int(actor.pk)


def event_record(
    kind: str,
    *,
    subject_type: str,
    subject_id: int | None,
    title: str,
    url: str = "",
    actor: Any = None,
    about: Mapping[str, Iterable[int | None]] | None = None,
    recipients: Iterable[int | None] = (),
    data: Mapping[str, Any] | None = None,
) -> OutboxEvent:
    """Record one event in the outbox. Call it inside the service's transaction: the event commits with the
    change, and a dispatch is arranged for after the commit. `title` and `url` are what people read (a
    display string and a path on this site); `about` names the records it concerns, by kind ("initiative",
    "objective", "program", "meeting", "kpi") and ids, for their watchers; `recipients` are users told
    whatever they watch (an action's new owner)."""
    spec = EventSpec(kind, subject_type, subject_id, title, url, about or {}, recipients, data or {})
    _check_kinds([spec])
    event = OutboxEvent.objects.create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=_payload(spec),
        actor_id=_actor_id(actor),
        created_at=timezone.now(),
    )
    _dispatch_after_commit()
    return event


def _check_kinds(specs: Sequence[EventSpec]) -> None:
    if kind_unknown := {s.kind for s in specs} - set(KINDS):
        raise ValueError(f"Unknown event kind: {sorted(kind_unknown)}")


def event_record_many(specs: Sequence[EventSpec], *, actor: Any = None) -> int:
    """Record several events in one statement, however many (a recompute that raises many signals: its
    query count must not grow with the portfolio). Returns how many."""
    if not specs:
        return 0
    _check_kinds(specs)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    actor_id = _actor_id(actor)
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c)
        for c in ("kind", "subject_type", "subject_id", "payload", "actor_id", "created_at")
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # one statement with the events as one JSON document, unpacked in the server in the order given
            # (the events' ids follow it): an executemany sends one statement per event, and arrays of
            # payloads are quoted element by element in Python (1-3 s for a first recompute's 30,000 signals)
            document = json.dumps([[s.kind, s.subject_type, s.subject_id, _payload(s)] for s in specs])
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT e.v->>0, e.v->>1, (e.v->>2)::bigint, e.v->3, %s, %s "
                "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n",
                [actor_id, now, document],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (s.kind, s.subject_type, s.subject_id, json.dumps(_payload(s)), actor_id, now)
                    for s in specs
                ],
            )
    _dispatch_after_commit()
    return len(specs)


# ------------------------------------------------------------------------------------------------ consumers


@dataclass(frozen=True)
class Consumer:
    """A reader of the outbox. `handle(events)` gets a batch of events, oldest first, and runs inside the
    transaction that marks them processed for this consumer (all or nothing): its queries must not grow
    with the batch. `after()` runs once a dispatch has handled what was pending (a webhook consumer sends
    the requests it queued)."""

    name: str
    handle: Callable[[Sequence[OutboxEvent]], None]
    after: Callable[[], Any] | None = None


_consumers: dict[str, Consumer] = {}


def register_consumer(consumer: Consumer) -> None:
    _consumers[consumer.name] = consumer


def consumers() -> list[Consumer]:
    return list(_consumers.values())


def pending(consumer: str) -> Any:
    """The events a consumer has not processed yet, oldest first."""
    done = EventDelivery.objects.filter(consumer=consumer, event=OuterRef("pk"))
    return OutboxEvent.objects.filter(~Exists(done)).order_by("pk")


def process_many(consumer: Consumer, events: Sequence[OutboxEvent]) -> bool:
    """Process a batch of events for one consumer, once: the delivery rows and the consumer's rows commit
    together. False, with nothing written, when another process had already processed one of them (or is
    processing it and commits first); raises what the consumer raised, with nothing written."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                EventDelivery.objects.bulk_create(
                    [EventDelivery(consumer=consumer.name, event=event, processed_at=now) for event in events]
                )
        except IntegrityError:
            return False
        consumer.handle(events)
    return True


def process(consumer: Consumer, event: OutboxEvent) -> bool:
    """Process one event for one consumer, once (process_many of one)."""
    return process_many(consumer, [event])


def _process_batch(consumer: Consumer, batch: Sequence[OutboxEvent]) -> tuple[int, set[int]]:
    """Process a batch in one transaction; when that cannot be (another dispatch processed some of it, or
    the consumer failed on one event), each event alone, so one bad event holds back only itself. Returns
    how many were processed here and the ids of those the consumer failed on."""
    try:
        if process_many(consumer, batch):
            return len(batch), set()
    except Exception:
        if len(batch) == 1:
            log.exception("Consumer %s failed on event %s", consumer.name, batch[0].pk)
            return 0, {batch[0].pk}
    processed, failed = 0, set()
    for event in batch:
        try:
            processed += process(consumer, event)
        except Exception:
            log.exception("Consumer %s failed on event %s", consumer.name, event.pk)
            failed.add(event.pk)
    return processed, failed


def dispatch_pending(*, limit: int = 20000) -> int:
    """Hand every pending event to every consumer, oldest first and BATCH at a time (at most `limit` per
    consumer: the sweep takes what is left), then run each consumer's `after`. Returns how many (consumer, event) pairs were processed here. An event a consumer
    fails on is logged and left pending (the next sweep tries it again); the other events go on."""
    processed = 0
    for consumer in consumers():
        failed: set[int] = set()
        tried = 0
        while tried < limit:
            batch = list(pending(consumer.name).exclude(pk__in=failed)[: min(BATCH, limit - tried)])
            if not batch:
                break
            done, bad = _process_batch(consumer, batch)
            tried += len(batch)
            processed += done
            failed |= bad
        if consumer.after is not None:
            try:
                consumer.after()
            except Exception:
                log.exception("Consumer %s failed after its dispatch", consumer.name)
    return processed


def purge_processed(*, now: datetime.datetime | None = None) -> int:
    """Delete the events older than the retention (BEARING_EVENT_RETENTION_DAYS) that every consumer has
    processed. Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.BEARING_EVENT_RETENTION_DAYS)
    old = OutboxEvent.objects.filter(created_at__lt=cutoff)
    for consumer in consumers():
        old = old.filter(Exists(EventDelivery.objects.filter(consumer=consumer.name, event=OuterRef("pk"))))
    deleted, _ = OutboxEvent.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:10000])).delete()
    return deleted


def sweep() -> int:
    """The periodic sweep: process whatever is pending (a dispatch that was never sent, a worker killed), then
    drop old processed events."""
    processed = dispatch_pending()
    purge_processed()
    return processed


# ------------------------------------------------------------------------------------------------ dispatch


_deferred = threading.local()


@contextmanager
def dispatch_deferred() -> Iterator[None]:
    """Record events without arranging their dispatch: they stay pending for the next dispatch or the sweep.
    For a benchmark that times a job alone, as a deployment with workers runs it (there the dispatch is a task
    of its own, in another process; without a broker it would run in a thread of the timed process)."""
    _deferred.on = True
    try:
        yield
    finally:
        _deferred.on = False


def _dispatch_after_commit() -> None:
    """Arrange one dispatch after the current transaction commits (once, however many events it records)."""
    if getattr(_deferred, "on", False):
        return
    if any(
        getattr(item, "__getitem__", None) and item[1] is dispatch_now for item in connection.run_on_commit
    ):
        return
    transaction.on_commit(dispatch_now, robust=True)


def dispatch_now() -> None:
    """Dispatch where jobs run: a task for the workers, a thread, or right here. Never raises: what is not
    dispatched now stays pending for the sweep."""
    from core import jobs

    mode = jobs.runner()
    if mode == "celery":
        from core.tasks import dispatch_events

        jobs.send(dispatch_events, (), what="the events outbox")
    elif mode == "thread":
        jobs.in_thread(dispatch_pending)
    else:
        try:
            dispatch_pending()
        except Exception:
            log.exception("The events outbox could not be dispatched; the sweep will")
