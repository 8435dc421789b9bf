"""Benchmark of the executive dashboard at two portfolio sizes: server time (p50/p95), query counts, and the
ratio to a bare Django view timed in the same run."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alignment import services
from demo.bench import FLOOR_PATH, analyze, bench_database, logged_in_client, print_table, time_get
from demo.scale import build_scale, clear_portfolio
from portfolio.models import Objective, Program

STORED_BUDGET_MS = 50.0
FILTERED_BUDGET_MS = 300.0
HISTORY_MONTHS = 12


class Command(BaseCommand):
    help = (
        "Time the dashboard served from stored figures and computed for filters, at each size, in a throwaway "
        "database, next to a bare Django view; fails if a budget is missed or queries grow with the data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument(
            "--requests", type=int, default=20, help="Timed requests per page (after a warm-up)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        requests = options["requests"]
        today = timezone.localdate()
        failures: list[str] = []
        queries: dict[str, list[int]] = {}
        with bench_database() as vendor:
            self.stdout.write(f"Database: {vendor}; {requests} timed requests per page after one warm-up.")
            for size in sizes:
                clear_portfolio()
                build_scale(initiatives=size, seed=1, as_of=today)
                # a year of history, as after a year of nightly runs (month ends: what the charts read)
                services.backfill_history(today=today, months=HISTORY_MONTHS)
                drawn = services.render_dashboards(today=today)
                analyze()
                program = Program.objects.order_by("pk").values_list("pk", flat=True).first()
                theme = (
                    Objective.objects.filter(parent__isnull=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                    .first()
                )
                exec_user = User.objects.create_user(f"bench-exec-{size}", password="unused")
                exec_user.groups.add(Group.objects.get_or_create(name="Executive")[0])
                client = logged_in_client(exec_user)
                floor = time_get(client, "floor: bare Django view", FLOOR_PATH, requests=requests)
                pages = [
                    ("stored: whole portfolio", "/dashboard/", STORED_BUDGET_MS, {}),
                    ("stored: one program", f"/dashboard/?program={program}", STORED_BUDGET_MS, {}),
                    ("stored: htmx fragment", "/dashboard/", STORED_BUDGET_MS, {"HX-Request": "true"}),
                    ("filtered: tier 1", "/dashboard/?tier=1", FILTERED_BUDGET_MS, {}),
                    (
                        "filtered: funded, grow",
                        "/dashboard/?stage=funded&category=grow",
                        FILTERED_BUDGET_MS,
                        {},
                    ),
                    ("filtered: one theme", f"/dashboard/?theme={theme}", FILTERED_BUDGET_MS, {}),
                ]
                timings = []
                for label, url, budget, headers in pages:
                    timing = time_get(client, label, url, requests=requests, headers=headers)
                    timings.append(timing)
                    queries.setdefault(label, []).append(timing.queries)
                    if timing.status != 200:
                        failures.append(f"{label} at {size}: HTTP {timing.status}")
                    if timing.p95 > budget:
                        failures.append(f"{label} at {size}: p95 {timing.p95:.1f} ms > {budget:.0f} ms")
                self.stdout.write(f"\n{size:,} initiatives ({drawn} stored dashboards):")
                print_table(self.stdout.write, size, timings, floor)
        for label, counts in queries.items():
            same = "same" if len(set(counts)) == 1 else "DIFFERENT"
            self.stdout.write(f"queries for {label}: {' vs '.join(map(str, counts))} ({same})")
            if len(set(counts)) > 1:
                failures.append(f"{label}: queries grow with the data {counts}")
        if failures:
            raise CommandError("Budget missed:\n  " + "\n  ".join(failures))
        self.stdout.write(
            self.style.SUCCESS("Dashboard within budget at every size; query counts independent of size.")
        )
