"""Benchmark of the alignment engine: the full recompute, cold (every row inserted) and warm (nothing changed),
and the recompute of one initiative, at each portfolio size, against an I/O floor measured in the same run:
the engine's read queries plus one set-based write of the rows the recompute changed (a cold one: its score
rows and its signal rows, each table in one statement). The recomputes run in a process of their own (see
demo.bench_engine), which reports its peak memory."""

from __future__ import annotations

import multiprocessing
import statistics
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from demo.bench import analyze, bench_database
from demo.bench_engine import Measured, measure
from demo.scale import build_scale, clear_portfolio

# The targets (seconds, MB) at the sizes they are set for; the floor ratio and the query count hold at every
# size.
WARM_BUDGET_S = {10_000: 1.5, 100_000: 10.0}
COLD_BUDGET_S = {100_000: 15.0}
PEAK_RSS_BUDGET_MB = {100_000: 600.0}
FLOOR_RATIO = 3.0
MAX_QUERIES = 30
ONE_BUDGET_MS = 50.0


def clear_computed() -> None:
    for model in (Signal, InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex):
        model.objects.all().delete()


def measured_apart(today: Any, runs: int, singles: int) -> Measured:
    """The measurements, in a fresh process on PostgreSQL (a database a second process can reach); in this
    one elsewhere (SQLite's test database lives in this process's memory)."""
    options = {"today": today, "runs": runs, "singles": singles}
    if connection.vendor != "postgresql":
        return Measured(**measure(database=None, **options))
    connection.close()  # the child opens its own
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.apply(measure, kwds={"database": connection.settings_dict["NAME"], **options})
    return Measured(**result)


class Command(BaseCommand):
    help = (
        "Time the full alignment recompute (cold and warm) and the recompute of one initiative at each size, "
        "in a throwaway database, next to an I/O floor (the engine's reads plus one set-based write of the "
        "score and signal rows that changed), with the peak memory of the process that recomputes; fails if a target "
        "is missed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument(
            "--runs", type=int, default=3, help="Timed warm full recomputes per size (after the cold one)."
        )
        parser.add_argument(
            "--singles", type=int, default=30, help="Timed one-initiative recomputes per size."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        failures: list[str] = []
        queries_by_size: dict[int, int] = {}
        today = timezone.localdate()
        write = self.stdout.write
        with bench_database() as vendor:
            write(f"Database: {vendor}")
            for size in sizes:
                clear_computed()
                clear_portfolio()
                counts = build_scale(initiatives=size, seed=1, as_of=today)
                analyze()
                write(
                    f"\n{size:,} initiatives: "
                    + ", ".join(
                        f"{counts[k]:,} {k}"
                        for k in ("objectives", "contributions", "kpis", "readings", "risks")
                        if k in counts
                    )
                )
                m = measured_apart(today, options["runs"], options["singles"])
                cold_ratio = m.cold_s / m.cold_floor_s if m.cold_floor_s else float("nan")
                warm_ratio = m.warm_median_s / m.warm_floor_s if m.warm_floor_s else float("nan")
                single = sorted(m.single_ms)
                p50 = statistics.median(single) if single else 0.0
                p95 = single[min(len(single) - 1, round(0.95 * (len(single) - 1)))] if single else 0.0
                write(f"  floor: the engine's reads               {m.floor_reads_s * 1000:9.1f} ms")
                write(
                    f"  floor: one INSERT of {m.cold_written:,} score rows     {m.cold_write_floor_s * 1000:9.1f} ms"
                )
                write(
                    f"  floor: one INSERT of {m.cold_signals:,} signal rows    {m.cold_signal_floor_s * 1000:9.1f} ms"
                )
                write(
                    f"  floor: one UPDATE of {m.warm_written:,} changed rows   {m.warm_write_floor_s * 1000:9.1f} ms"
                )
                write(
                    f"  full recompute, cold (all inserts)      {m.cold_s * 1000:9.1f} ms  {m.cold_queries:3d} queries  "
                    f"{cold_ratio:5.2f}x floor (reads + inserts)"
                )
                write(
                    f"  full recompute, warm (median of {len(m.warm_s)})       {m.warm_median_s * 1000:9.1f} ms  "
                    f"{m.warm_queries:3d} queries  {warm_ratio:5.2f}x floor (reads + update); "
                    f"{m.warm_written:,} score rows written"
                )
                write(
                    f"  one initiative (n={len(single)})                 p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                    f"{m.single_queries:3d} queries"
                )
                write(
                    f"  peak RSS of the recomputing process     {m.cold_rss_mb:7.0f} MB after the cold run, "
                    f"{m.warm_rss_mb:.0f} MB after the warm runs"
                )
                queries_by_size[size] = m.warm_queries
                warm_budget = WARM_BUDGET_S.get(size)
                if warm_budget is not None and m.warm_median_s > warm_budget:
                    failures.append(f"{size}: warm full recompute {m.warm_median_s:.2f} s > {warm_budget} s")
                cold_budget = COLD_BUDGET_S.get(size)
                if cold_budget is not None and m.cold_s > cold_budget:
                    failures.append(f"{size}: cold full recompute {m.cold_s:.2f} s > {cold_budget} s")
                for label, ratio in (("cold", cold_ratio), ("warm", warm_ratio)):
                    if ratio > FLOOR_RATIO:
                        failures.append(
                            f"{size}: {label} full recompute {ratio:.1f}x the floor > {FLOOR_RATIO}x"
                        )
                rss_budget = PEAK_RSS_BUDGET_MB.get(size)
                if rss_budget is not None and max(m.cold_rss_mb, m.warm_rss_mb) > rss_budget:
                    failures.append(
                        f"{size}: peak RSS {max(m.cold_rss_mb, m.warm_rss_mb):.0f} MB > {rss_budget:.0f} MB"
                    )
                if m.warm_written:
                    failures.append(
                        f"{size}: a warm recompute with nothing changed wrote {m.warm_written} rows"
                    )
                if max(m.warm_queries, m.cold_queries) > MAX_QUERIES:
                    failures.append(f"{size}: {max(m.warm_queries, m.cold_queries)} queries > {MAX_QUERIES}")
                if p95 > ONE_BUDGET_MS:
                    failures.append(f"{size}: one-initiative recompute p95 {p95:.1f} ms > {ONE_BUDGET_MS} ms")
        if len(set(queries_by_size.values())) > 1:
            failures.append(f"query count depends on size: {queries_by_size}")
        else:
            write(f"\nQueries per full recompute: {queries_by_size} (independent of size)")
        if failures:
            raise CommandError("Targets missed:\n  " + "\n  ".join(failures))
        write(self.style.SUCCESS("All alignment targets met."))
