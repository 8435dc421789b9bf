"""Benchmark of the initiative import: rows per second and memory of a CSV of new initiatives imported end to
end (read, columns matched, every row checked by the initiative form, bulk-written with history), then the
same file again (every row unchanged), next to a floor measured in the same run: the same rows bulk-inserted
as model instances, unchecked and without history (the median of three runs). Memory is each import's peak
resident set (Linux's VmHWM, reset before the import through /proc/self/clear_refs), the
whole process's: Django and every app loaded included."""

from __future__ import annotations

import datetime
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core import changes, roles
from core.tabular import csv_lines
from demo.bench import analyze, bench_database
from demo.bench_engine import counted, reset_peak_rss
from demo.bench_engine import peak_rss_mb as rss_mb
from demo.scale import clear_portfolio
from portfolio.imports.engine import CHUNK, import_table
from portfolio.imports.registry import KINDS
from portfolio.models import Initiative, Program

GOAL_ROWS_PER_SECOND = 5000  # the goal for new initiatives, end to end, on PostgreSQL
FLOOR_RATIO = 6.0  # an import may take this many times the bare bulk insert of its rows
FLOOR_RUNS = 3  # the floor is timed this many times and its median kept (the machine may be shared)
RSS_BUDGET_MB = 300.0  # the bound on the resident memory of a process importing 100,000 rows
TRACED_PEAK_BUDGET_MB = 256.0  # the Python memory a dry run may hold at its peak, whatever the size
HEADER = [
    "code",
    "title",
    "program",
    "category",
    "stage",
    "sponsor",
    "manager",
    "planned_start",
    "planned_end",
    "budget_capex",
    "budget_opex",
    "criticality",
]


def rows(size: int) -> Iterator[list[Any]]:
    """The benchmark's rows, made as they are read (a file of 100,000 is never held as lists)."""
    start = datetime.date(2026, 1, 1)
    for n in range(size):
        yield [
            f"BI-{n:06d}",
            f"Imported initiative {n}",
            f"Program {n % 20}",
            ("run", "grow", "transform")[n % 3],
            "approved",
            "bench-sponsor",
            "bench-manager",
            (start + datetime.timedelta(days=n % 200)).isoformat(),
            (start + datetime.timedelta(days=300 + n % 200)).isoformat(),
            f"{10000 + n}.00",
            f"{n % 5000}.50",
            1 + n % 5,
        ]


def csv_bytes(table: Iterable[list[Any]]) -> bytes:
    """The file a spreadsheet would save, written by the shared writer (no cell here starts like a formula)."""
    return "".join(csv_lines(HEADER, table)).encode()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def batched(items: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def traced(action: Callable[[], Any]) -> float:
    """The most memory Python held at once while `action` ran, above what it held before (MB)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 1024 / 1024


class Command(BaseCommand):
    help = (
        "Time the import of new initiatives from a CSV in a throwaway database, and a second import of the same "
        "file, next to the same rows bulk-inserted unchecked; print rows per second, queries and memory; fail "
        "when the import is too slow against that floor or its memory grows past its budget."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated row counts.")
        parser.add_argument("--trace", action="store_true", help="also trace a dry run's Python memory")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        if not sizes or min(sizes) < 1:
            raise CommandError("Give sizes of at least one row, e.g. --sizes 1000,100000")
        failures: list[str] = []
        # the recompute an import asks for once committed is the engine's cost (bench_alignment), not the import's
        listeners = list(changes._listeners)
        changes._listeners.clear()
        try:
            self.run(sizes, options["trace"], failures)
        finally:
            changes._listeners[:] = listeners
        if failures:
            raise CommandError("Budget missed:\n" + "\n".join(failures))
        self.stdout.write("\nEvery import within its budget.")

    def run(self, sizes: list[int], trace: bool, failures: list[str]) -> None:
        write = self.stdout.write
        kind = KINDS["initiatives"]
        with bench_database() as vendor:
            write(f"Database: {vendor}; rows checked and written {CHUNK:,} at a time")
            pmo = User.objects.create_user("bench-pmo", password="unused")
            pmo.groups.add(Group.objects.get_or_create(name=roles.PMO)[0])
            sponsor = User.objects.create_user("bench-sponsor", password="unused")
            sponsor.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
            manager = User.objects.create_user("bench-manager", password="unused")
            manager.groups.add(Group.objects.get_or_create(name=roles.MANAGER)[0])
            for size in sizes:
                clear_portfolio()
                programs = {
                    p.name: p
                    for p in Program.objects.bulk_create(Program(name=f"Program {n}") for n in range(20))
                }
                content = csv_bytes(rows(size))

                def floor(size: int = size, programs: dict[str, Program] = programs) -> int:
                    made = 0
                    with transaction.atomic():
                        for batch in batched(rows(size), CHUNK):  # as the import: never all held at once
                            made += len(
                                Initiative.objects.bulk_create(
                                    Initiative(
                                        code=r[0],
                                        title=r[1],
                                        program=programs[r[2]],
                                        category=r[3],
                                        stage=r[4],
                                        sponsor=sponsor,
                                        manager=manager,
                                        planned_start=datetime.date.fromisoformat(r[7]),
                                        planned_end=datetime.date.fromisoformat(r[8]),
                                        budget_capex=Decimal(r[9]),
                                        budget_opex=Decimal(r[10]),
                                        criticality=r[11],
                                        stage_since=datetime.date(2025, 12, 1),
                                    )
                                    for r in batch
                                )
                            )
                        transaction.set_rollback(True)
                    return made

                floor_runs = [timed(floor) for _run in range(FLOOR_RUNS)]
                floor_s = statistics.median(seconds for seconds, _rows in floor_runs)
                floor_rows = floor_runs[0][1]
                analyze()

                def load(content: bytes = content) -> Any:
                    return import_table(kind, content, "bench.csv", None, user=pmo, write=True)

                reset = reset_peak_rss()
                with counted() as first_queries:
                    first_s, first = timed(load)
                first_rss = rss_mb()
                analyze()
                reset_peak_rss()
                with counted() as second_queries:
                    second_s, second = timed(load)
                second_rss = rss_mb()
                write(f"\n{size:,} rows ({len(content) / 1024 / 1024:.1f} MB of CSV)")
                write(
                    f"  {'floor: bulk insert, unchecked':<36} {floor_s:8.2f} s {floor_rows / floor_s:10,.0f} rows/s  "
                    f"(median of {FLOOR_RUNS}: {', '.join(f'{seconds:.2f}' for seconds, _rows in floor_runs)} s)"
                )
                for label, seconds, outcome, queries, peak in (
                    ("import, every row new", first_s, first, first_queries[0], first_rss),
                    ("import again, every row unchanged", second_s, second, second_queries[0], second_rss),
                ):
                    ratio = seconds / floor_s if floor_s else float("nan")
                    write(
                        f"  {label:<36} {seconds:8.2f} s {size / seconds:10,.0f} rows/s {ratio:6.1f}x the floor  "
                        f"{queries} queries  peak RSS {peak:.0f} MB  ({outcome.created:,} new, "
                        f"{outcome.updated:,} changed, {outcome.unchanged:,} unchanged, "
                        f"{outcome.problem_count:,} problems)"
                    )
                    if outcome.problem_count or outcome.created + outcome.unchanged != size:
                        failures.append(f"{size}: {label}: not every row went in as expected")
                    if size >= 10_000 and ratio > FLOOR_RATIO:
                        failures.append(f"{size}: {label} {ratio:.1f}x the floor > {FLOOR_RATIO}x")
                    if reset and peak > RSS_BUDGET_MB:
                        failures.append(f"{size}: {label}: peak RSS {peak:.0f} MB > {RSS_BUDGET_MB:.0f} MB")
                write(
                    "  peak RSS: the process's resident memory at its highest while the import ran "
                    + (
                        "(VmHWM, reset before each import through /proc/self/clear_refs)"
                        if reset
                        else "(since the process started: it could not be reset here)"
                    )
                )
                rate = size / first_s
                met = "met" if rate >= GOAL_ROWS_PER_SECOND else "not met"
                write(
                    f"  the issue's goal of {GOAL_ROWS_PER_SECOND:,} new rows/s (on PostgreSQL): {met} "
                    f"({rate:,.0f} rows/s here, {first_s / floor_s:.1f}x this machine's floor of "
                    f"{floor_rows / floor_s:,.0f} rows/s)"
                )
                if trace:

                    def dry_run(content: bytes = content) -> Any:
                        return import_table(kind, content, "bench.csv", None, user=pmo, write=False)

                    traced_mb = traced(dry_run)
                    write(f"  a dry run held {traced_mb:.0f} MB of Python memory at its peak (traced)")
                    if traced_mb > TRACED_PEAK_BUDGET_MB:
                        failures.append(
                            f"{size}: a dry run held {traced_mb:.0f} MB > {TRACED_PEAK_BUDGET_MB} MB"
                        )
