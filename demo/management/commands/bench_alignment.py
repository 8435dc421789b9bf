"""Benchmark of the alignment engine: full recompute and one-initiative recompute at two portfolio sizes,
against a floor measured in the same run (one SQL statement computing strategic fit over the same tables)."""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import services
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from demo.bench import analyze, bench_database
from demo.scale import build_scale, clear_portfolio
from portfolio.models import Initiative

FULL_BUDGET_S = 3.0
FLOOR_RATIO = 3.0
MAX_QUERIES = 30
ONE_BUDGET_MS = 50.0

# Strategic fit of every initiative in one statement: global weights by a recursive walk of the objective
# tree, r = weight / largest weight, then 100 x (1 - prod(1 - r x s)) as exp(sum(ln(...))).
FLOOR_SQL = """
WITH RECURSIVE tree(id, gw) AS (
    SELECT o.id, CAST(o.local_weight AS DOUBLE PRECISION) / (
        SELECT SUM(s.local_weight) FROM portfolio_objective s WHERE s.parent_id IS NULL AND s.status = 'active')
    FROM portfolio_objective o WHERE o.parent_id IS NULL AND o.status = 'active'
    UNION ALL
    SELECT c.id, t.gw * CAST(c.local_weight AS DOUBLE PRECISION) / (
        SELECT SUM(s.local_weight) FROM portfolio_objective s WHERE s.parent_id = c.parent_id AND s.status = 'active')
    FROM portfolio_objective c JOIN tree t ON c.parent_id = t.id WHERE c.status = 'active'
), top AS (SELECT MAX(gw) AS m FROM tree)
SELECT k.initiative_id, 100 * (1 - EXP(SUM(LN(CASE
        WHEN 1 - (t.gw / top.m) * (CASE k.strength WHEN 'strong' THEN 1.0 WHEN 'moderate' THEN 2.0 / 3
                                   WHEN 'weak' THEN 1.0 / 3 ELSE 0 END) < 1e-12 THEN 1e-12
        ELSE 1 - (t.gw / top.m) * (CASE k.strength WHEN 'strong' THEN 1.0 WHEN 'moderate' THEN 2.0 / 3
                                   WHEN 'weak' THEN 1.0 / 3 ELSE 0 END) END))))
FROM portfolio_contribution k JOIN tree t ON t.id = k.objective_id CROSS JOIN top
GROUP BY k.initiative_id
"""


def timed(action: Callable[[], Any]) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
    return elapsed, len(captured.captured_queries)


def floor() -> None:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        cursor.fetchall()


def clear_computed() -> None:
    for model in (Signal, InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex):
        model.objects.all().delete()


class Command(BaseCommand):
    help = (
        "Time the full alignment recompute and the recompute of one initiative at each size, in a throwaway "
        "database, next to a floor (one SQL statement computing strategic fit); fails if a target is missed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument(
            "--runs", type=int, default=3, help="Timed full recomputes per size (after a cold one)."
        )
        parser.add_argument(
            "--singles", type=int, default=30, help="Timed one-initiative recomputes per size."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        failures: list[str] = []
        queries_by_size: dict[int, int] = {}
        today = timezone.localdate()
        with bench_database() as vendor:
            self.stdout.write(f"Database: {vendor}")
            for size in sizes:
                clear_computed()
                clear_portfolio()
                counts = build_scale(initiatives=size, seed=1, as_of=today)
                analyze()
                self.stdout.write(
                    f"\n{size:,} initiatives: "
                    + ", ".join(
                        f"{counts[k]:,} {k}"
                        for k in ("objectives", "contributions", "kpis", "readings", "risks")
                        if k in counts
                    )
                )
                floor_times = [timed(floor)[0] for _ in range(5)]
                floor_s = statistics.median(floor_times)
                cold_s, cold_q = timed(lambda: services.recompute(today=today))
                warm = [timed(lambda: services.recompute(today=today)) for _ in range(options["runs"])]
                warm_s = statistics.median(t for t, _ in warm)
                warm_q = warm[-1][1]
                queries_by_size[size] = warm_q
                ids = list(Initiative.objects.values_list("pk", flat=True))
                rng = random.Random(7)
                singles = [
                    timed(functools.partial(services.recompute, initiative_ids=[pk], today=today))
                    for pk in rng.sample(ids, min(options["singles"], len(ids)))
                ]
                single_ms = sorted(t * 1000 for t, _ in singles)
                p50 = statistics.median(single_ms)
                p95 = single_ms[min(len(single_ms) - 1, round(0.95 * (len(single_ms) - 1)))]
                ratio = warm_s / floor_s if floor_s else float("nan")
                self.stdout.write(f"  floor (fit in one SQL statement)   {floor_s * 1000:8.1f} ms")
                self.stdout.write(
                    f"  full recompute, cold (all inserts) {cold_s * 1000:8.1f} ms  {cold_q:3d} queries"
                )
                self.stdout.write(
                    f"  full recompute, warm (median of {len(warm)})   {warm_s * 1000:8.1f} ms  {warm_q:3d} queries  "
                    f"{ratio:5.1f}x floor"
                )
                self.stdout.write(
                    f"  one initiative (n={len(singles)})            p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                    f"{singles[-1][1]:3d} queries"
                )
                if warm_s > FULL_BUDGET_S:
                    failures.append(f"{size}: full recompute {warm_s:.2f} s > {FULL_BUDGET_S} s")
                if ratio > FLOOR_RATIO:
                    failures.append(f"{size}: full recompute {ratio:.1f}x the floor > {FLOOR_RATIO}x")
                if max(warm_q, cold_q) > MAX_QUERIES:
                    failures.append(f"{size}: {max(warm_q, cold_q)} queries > {MAX_QUERIES}")
                if p95 > ONE_BUDGET_MS:
                    failures.append(f"{size}: one-initiative recompute p95 {p95:.1f} ms > {ONE_BUDGET_MS} ms")
        if len(set(queries_by_size.values())) > 1:
            failures.append(f"query count depends on size: {queries_by_size}")
        else:
            self.stdout.write(f"\nQueries per full recompute: {queries_by_size} (independent of size)")
        if failures:
            raise CommandError("Targets missed:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS("All alignment targets met."))
