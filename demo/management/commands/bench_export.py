"""Benchmark of the register's download: rows per second and memory of the CSV and .xlsx exports of every
initiative, through the whole stack (the view, the shared writer, the streamed response read to its end), next
to a floor measured in the same run: the same rows read by a bare queryset iterator, formatted into nothing."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.tabular import CHUNK_SIZE, Export
from demo.bench import analyze, bench_database, logged_in_client
from demo.bench_engine import counted, peak_rss_mb
from demo.scale import build_scale, clear_portfolio
from portfolio import exports, selectors

# A download may take this many times the bare read of its rows (CSV; a workbook compresses what it writes);
# the Python memory it holds at its peak may not grow past this, whatever the number of rows.
FLOOR_RATIO = {"csv": 6.0, "xlsx": 30.0}
TRACED_PEAK_BUDGET_MB = 64.0
RATIO_FROM = 10_000  # below it a download's fixed cost (a request, an empty workbook) outweighs its rows


def traced(action: Callable[[], Any]) -> float:
    """The most memory Python held at once while `action` ran, above what it held before (MB)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 1024 / 1024


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


class Command(BaseCommand):
    help = (
        "Time the register's CSV and .xlsx downloads of every initiative in a throwaway database, next to the "
        "same rows read by a bare queryset iterator; print rows per second, queries and memory; fail when a "
        "download is too slow against that floor, its query count changes with the size, or its memory grows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,100000", help="Comma-separated initiative counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        if not sizes or min(sizes) < 1:
            raise CommandError("Give sizes of at least one initiative, e.g. --sizes 1000,100000")
        write = self.stdout.write
        failures: list[str] = []
        queries: dict[str, set[int]] = {"csv": set(), "xlsx": set()}
        with bench_database() as vendor:
            write(f"Database: {vendor}; rows read {CHUNK_SIZE:,} at a time")
            user = User.objects.create_user("bench-export", password="unused")
            user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
            client = logged_in_client(user)
            for size in sizes:
                clear_portfolio()
                build_scale(initiatives=size, seed=1, as_of=timezone.localdate())
                analyze()
                export = exports.initiative_export(selectors.RegisterFilters())
                sources = [column.source for column in export.columns]

                def floor(export: Export = export, sources: list[str] = sources) -> int:
                    return sum(1 for _ in export.rows.values_list(*sources).iterator(chunk_size=CHUNK_SIZE))

                floor_s, floor_rows = timed(floor)
                floor_mb = traced(floor)
                write(f"\n{size:,} initiatives")
                write(
                    f"  {'floor: bare queryset iterator':<34} {floor_s:8.2f} s {floor_rows / floor_s:10,.0f} rows/s"
                    f" {'':>9} {floor_mb:7.1f} MB traced"
                )
                for fmt in ("csv", "xlsx"):
                    url = reverse("portfolio:initiative-export", args=[fmt])

                    def download(url: str = url) -> int:
                        response = client.get(url)
                        size_bytes = 0
                        for chunk in response.streaming_content:  # type: ignore[attr-defined]
                            size_bytes += len(chunk)
                        response.close()
                        return size_bytes

                    with counted() as captured:
                        seconds, size_bytes = timed(download)
                    traced_mb = traced(download)
                    ratio = seconds / floor_s if floor_s else float("nan")
                    queries[fmt].add(captured[0])
                    write(
                        f"  {fmt + ' download':<34} {seconds:8.2f} s {floor_rows / seconds:10,.0f} rows/s "
                        f"{ratio:6.1f}x {traced_mb:7.1f} MB traced  {captured[0]} queries  "
                        f"{size_bytes / 1024 / 1024:.1f} MB sent"
                    )
                    if size >= RATIO_FROM and ratio > FLOOR_RATIO[fmt]:
                        failures.append(f"{size}: {fmt} {ratio:.1f}x the floor > {FLOOR_RATIO[fmt]}x")
                    if traced_mb > TRACED_PEAK_BUDGET_MB:
                        failures.append(f"{size}: {fmt} held {traced_mb:.0f} MB > {TRACED_PEAK_BUDGET_MB} MB")
                write(
                    f"  peak RSS of this process so far (building the data included): {peak_rss_mb():.0f} MB"
                )
        for fmt, counts in queries.items():
            if len(counts) > 1:
                failures.append(f"{fmt}: the query count changes with the size: {sorted(counts)}")
        if failures:
            raise CommandError("Budget missed:\n" + "\n".join(failures))
        write("\nEvery download within its budget.")
