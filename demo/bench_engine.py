"""What bench_alignment measures, run in a process of its own so that its peak memory is the engine's, not
that of building the benchmark portfolio: the full recompute cold (every row inserted) and warm (nothing
changed), the recompute of one initiative, and the I/O floor of each full recompute measured in the same
process: the engine's read queries, plus one set-based write of the score rows that recompute changed.

Nothing Django is imported at module level: a spawned process imports this module before Django is set up.
"""

from __future__ import annotations

import datetime
import functools
import json
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

FLOOR_TABLE = "bench_floor_scores"


@dataclass
class Measured:
    size: int = 0
    floor_reads_s: float = 0.0  # the engine's read queries (median)
    cold_s: float = 0.0
    cold_queries: int = 0
    cold_written: int = 0  # score rows the cold recompute wrote
    cold_write_floor_s: float = 0.0  # one INSERT of those rows
    cold_signals: int = 0  # signal rows the cold recompute wrote
    cold_signal_floor_s: float = 0.0  # one INSERT of those rows
    cold_rss_mb: float = 0.0  # peak resident memory of this process once the cold recompute is done
    warm_s: list[float] = field(default_factory=list)
    warm_queries: int = 0
    warm_written: int = 0  # score rows the warm recomputes changed
    warm_write_floor_s: float = 0.0  # one UPDATE of those rows
    warm_rss_mb: float = 0.0
    single_ms: list[float] = field(default_factory=list)
    single_queries: int = 0

    @property
    def warm_median_s(self) -> float:
        return statistics.median(self.warm_s) if self.warm_s else 0.0

    @property
    def cold_floor_s(self) -> float:
        return self.floor_reads_s + self.cold_write_floor_s + self.cold_signal_floor_s

    @property
    def warm_floor_s(self) -> float:
        return self.floor_reads_s + self.warm_write_floor_s


def peak_rss_mb() -> float:
    """The peak resident memory of this process since it started or since reset_peak_rss: Linux's VmHWM
    (/proc/self/status). Not getrusage's ru_maxrss, which a process started by another inherits across fork
    and exec (a benchmark's spawned process would report its parent's peak) and which nothing resets; that
    is read only where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start the process's peak resident memory (VmHWM) again from what it holds now, so that the next peak
    read is that of what runs next (Linux: /proc/self/clear_refs); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


@contextmanager
def counted() -> Iterator[list[int]]:
    """Count the statements run (without keeping their text, which for the engine's writes is a document
    of every row)."""
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def timed(action: Callable[[], Any]) -> tuple[float, int]:
    with counted() as count:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
    return elapsed, count[0]


def _written_fields(model: Any) -> list[Any]:
    """The fields a write of `model`'s rows gives a value (not a column the database generates)."""
    return [f for f in model._meta.concrete_fields if not f.generated]


def _stored_rows(model: Any, pks: set[int] | None = None) -> list[dict[str, Any]]:
    """The stored rows of a table the recompute writes (all, or those of `pks`), column name -> value, dates as
    ISO text (as JSON and COPY take them)."""
    fields = _written_fields(model)
    rows = model.objects.all() if pks is None else model.objects.filter(pk__in=pks)
    return [
        {
            f.column: value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
            for f, value in zip(fields, values, strict=True)
        }
        for values in rows.values_list(*[f.attname for f in fields])
    ]


def write_floor(model: Any, rows: list[dict[str, Any]], *, insert: bool) -> float:
    """One set-based write of `rows` to the table of `model`, timed; the rows are serialised beforehand, and
    the write is undone afterwards. `insert`: into an empty copy of the table (its indexes included), as a
    cold recompute inserts; otherwise an UPDATE of the stored rows, as a warm one updates. On PostgreSQL the
    rows are streamed by COPY (into the copy, or into a temporary table the UPDATE reads), as the engine
    sends many rows; elsewhere as one executemany."""
    from django.db import connection, transaction

    from core.bulk import copy_in

    if not rows:
        return 0.0
    table = model._meta.db_table
    quote = connection.ops.quote_name
    columns = [f.column for f in _written_fields(model)]
    names = ", ".join(quote(c) for c in columns)
    key = model._meta.pk.column
    values = [[json.dumps(v) if isinstance(v, dict | list) else v for v in row.values()] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            if connection.vendor == "postgresql":
                if insert:
                    cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {quote(table)} INCLUDING ALL)")
                else:
                    cursor.execute(
                        f"CREATE TEMPORARY TABLE {FLOOR_TABLE} AS SELECT {names} FROM {quote(table)} WITH NO DATA"
                    )
                started = time.perf_counter()
                copy_in(cursor, f"COPY {FLOOR_TABLE} ({names}) FROM STDIN", values)
                if not insert:
                    assignments = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns if c != key)
                    cursor.execute(
                        f"UPDATE {quote(table)} AS t SET {assignments} FROM {FLOOR_TABLE} AS v "
                        f"WHERE t.{quote(key)} = v.{quote(key)}"
                    )
            else:
                if insert:
                    cursor.execute(
                        f"CREATE TABLE {FLOOR_TABLE} AS SELECT {names} FROM {quote(table)} WHERE 0 = 1"
                    )
                    sql = f"INSERT INTO {FLOOR_TABLE} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
                else:
                    sql = (
                        f"UPDATE {quote(table)} SET "
                        + ", ".join(f"{quote(c)} = %s" for c in columns)
                        + f" WHERE {quote(key)} = %s"
                    )
                    values = [[*row, row[columns.index(key)]] for row in values]
                started = time.perf_counter()
                cursor.executemany(sql, values)
            return time.perf_counter() - started
        finally:
            transaction.set_rollback(True)


def measure(
    *, database: str | None, today: datetime.date, runs: int, singles: int, floor_runs: int = 3
) -> dict[str, Any]:
    """Run the measurements against `database` (set up Django first when it is given: a fresh process);
    returns Measured as a dict."""
    if database is not None:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        settings.DEBUG = False
        connection.settings_dict["NAME"] = database

    from alignment import services
    from core import outbox

    services.warm_up()  # as each worker process does when it starts (config.celery)
    # the events a recompute records are dispatched by a task of their own in a deployment with workers, not
    # in a thread of the recomputing process (as without a broker): bench_events measures their dispatch
    with outbox.dispatch_deferred():
        reset_peak_rss()  # the peak of the recomputes, not of Django's start
        return asdict(_measured(today=today, runs=runs, singles=singles, floor_runs=floor_runs))


def _measured(*, today: datetime.date, runs: int, singles: int, floor_runs: int) -> Measured:
    from django.db.models import Max

    from alignment import services
    from alignment.models import InitiativeScore, Signal
    from portfolio.models import Initiative

    m = Measured(size=Initiative.objects.count())

    # cold: the computed tables are empty, every row is inserted
    m.cold_s, m.cold_queries = timed(lambda: services.recompute(today=today))
    m.cold_rss_mb = peak_rss_mb()
    m.cold_written = InitiativeScore.objects.count()
    m.cold_signals = Signal.objects.count()

    # warm: nothing changed since; the rows it wrote are those computed after the cold run
    cold_end = InitiativeScore.objects.aggregate(latest=Max("computed_at"))["latest"]
    warm = [timed(lambda: services.recompute(today=today)) for _ in range(runs)]
    m.warm_s = [t for t, _ in warm]
    m.warm_queries = warm[-1][1]
    m.warm_rss_mb = peak_rss_mb()
    changed = set(
        InitiativeScore.objects.filter(computed_at__gt=cold_end).values_list("pk", flat=True)
        if cold_end
        else ()
    )
    m.warm_written = len(changed)

    # the floor: the engine's reads, and one write of the rows each recompute wrote (the rows are read
    # after the recomputes are measured, so that holding them does not count in their peak memory)
    m.floor_reads_s = statistics.median(
        timed(lambda: services.full_recompute_reads(today=today))[0] for _ in range(floor_runs)
    )
    m.cold_write_floor_s = write_floor(InitiativeScore, _stored_rows(InitiativeScore), insert=True)
    m.cold_signal_floor_s = write_floor(Signal, _stored_rows(Signal), insert=True)
    m.warm_write_floor_s = write_floor(InitiativeScore, _stored_rows(InitiativeScore, changed), insert=False)

    ids = list(Initiative.objects.values_list("pk", flat=True))
    chosen = random.Random(7).sample(ids, min(singles, len(ids)))
    single = [timed(functools.partial(services.recompute, initiative_ids=[pk], today=today)) for pk in chosen]
    m.single_ms = [t * 1000 for t, _ in single]
    m.single_queries = single[-1][1] if single else 0
    return m
