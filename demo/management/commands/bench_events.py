"""Benchmark of the events outbox's dispatch: the events a full alignment recompute records (signals raised,
scores moved) handed to every consumer (in-app notifications, webhooks), at each portfolio size, against a
floor measured in the same run: reading the same events once and inserting one delivery row per event and
consumer and the notifications it made, which any dispatch must do at least."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from alignment.services.scores import recompute
from core import outbox
from core.models import EventDelivery, OutboxEvent
from demo.bench import analyze, bench_database
from demo.scale import build_scale, clear_portfolio
from events.models import Notification

# The dispatch may take this many times the floor; its queries grow with the batches (BATCH events), never
# with the events one by one (but for the statements a bulk insert is split into on SQLite, at most 999
# parameters each).
FLOOR_RATIO = 10.0
QUERIES_PER_BATCH = 16


def floor_seconds(consumers: int) -> float:
    """What any dispatch must do, timed, then undone: read every event once, insert a delivery row per event
    and consumer, and insert the notifications the dispatch made (copies of them, in one bulk insert)."""
    fields = ("user_id", "event_id", "kind", "title", "url", "channel", "created_at")
    made = list(Notification.objects.order_by("pk").values(*fields))
    with transaction.atomic():
        Notification.objects.all().delete()
        started = time.perf_counter()
        ids = list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        for n in range(consumers):
            EventDelivery.objects.bulk_create(
                [EventDelivery(consumer=f"floor-{n}", event_id=pk, processed_at=now) for pk in ids]
            )
        Notification.objects.bulk_create([Notification(**row) for row in made])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def insert_statements(rows: int) -> int:
    """How many statements Django splits a bulk insert of `rows` notifications into on this database."""
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // max(per_statement, 1))


class Command(BaseCommand):
    help = (
        "Time the dispatch of the events a full recompute records to every consumer, at each size, in a "
        "throwaway database, next to a floor (one read of the events, the delivery and notification rows); fails if the "
        "ratio or the queries per batch are over their bounds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        failures: list[str] = []
        today = timezone.localdate()
        write = self.stdout.write
        consumers = outbox.consumers()
        # inline: the recompute's own dispatch runs in this thread (not in one racing the timed dispatch);
        # its deliveries are deleted before the timed one
        with bench_database() as vendor, override_settings(BEARING_JOB_RUNNER="inline"):
            write(f"Database: {vendor}; consumers: {', '.join(c.name for c in consumers)}")
            write(
                f"  {'initiatives':>11} {'events':>8} {'dispatch s':>11} {'events/s':>9} {'floor s':>8} "
                f"{'x floor':>8} {'queries':>8} {'batches':>8} {'notifications':>14}"
            )
            for size in sizes:
                clear_portfolio()
                OutboxEvent.objects.all().delete()
                build_scale(initiatives=size, seed=1, as_of=today)
                recompute(today=today)
                events = OutboxEvent.objects.count()
                EventDelivery.objects.all().delete()
                Notification.objects.all().delete()
                analyze()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    processed = outbox.dispatch_pending(limit=events + 1)
                    elapsed = time.perf_counter() - started
                queries = len(captured.captured_queries)
                floor = floor_seconds(len(consumers))
                batches = len(consumers) * (-(-events // outbox.BATCH) + 1)
                ratio = elapsed / floor if floor else float("nan")
                write(
                    f"  {size:>11,} {events:>8,} {elapsed:11.2f} {events / elapsed if elapsed else 0:9.0f} "
                    f"{floor:8.2f} {ratio:8.1f} {queries:8d} {batches:8d} {Notification.objects.count():>14,}"
                )
                if processed != events * len(consumers):
                    failures.append(f"{size:,}: {processed} of {events * len(consumers)} processed")
                if ratio > FLOOR_RATIO:
                    failures.append(f"{size:,}: the dispatch took {ratio:.1f} x the floor (> {FLOOR_RATIO})")
                if queries > QUERIES_PER_BATCH * batches + insert_statements(Notification.objects.count()):
                    failures.append(f"{size:,}: {queries} queries for {batches} batches")
        if failures:
            raise CommandError("; ".join(failures))
