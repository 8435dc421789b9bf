"""Benchmark of the initiative register at two portfolio sizes: server time, query counts, ratio to a floor."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo.bench import FLOOR_PATH, analyze, bench_database, logged_in_client, print_table, time_get
from demo.scale import build_scale, clear_portfolio

BUDGET_MS = 100.0


class Command(BaseCommand):
    help = (
        "Time the initiative register (p50/p95 server time and queries) at each size in a throwaway database, "
        "next to a bare Django view as the floor; fails if the 100 ms budget is missed or queries grow with size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="100,10000", help="Comma-separated initiative counts.")
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per page.")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        requests = options["requests"]
        pages = [
            ("register, default order", "/initiatives/"),
            ("register, sorted by budget desc", "/initiatives/?sort=-budget"),
            ("register, search + stage filter", "/initiatives/?q=platform&stage=in_delivery"),
            ("register page 20, htmx fragment", "/initiatives/?page=20&sort=title"),
        ]
        results: dict[int, list[Any]] = {}
        failures: list[str] = []
        with bench_database() as vendor:
            self.stdout.write(f"Database: {vendor}; {requests} timed requests per page after one warm-up.")
            for size in sizes:
                clear_portfolio()
                counts = build_scale(initiatives=size, seed=1, as_of=timezone.localdate())
                analyze()
                pmo = User.objects.create_user(f"bench-pmo-{size}", password="unused")
                pmo.groups.add(Group.objects.get_or_create(name="PMO")[0])
                client = logged_in_client(pmo)
                floor = time_get(client, "floor: bare Django view", FLOOR_PATH, requests=requests)
                timings = [
                    time_get(
                        client,
                        label,
                        url,
                        requests=requests,
                        headers={"HX-Request": "true"} if "htmx" in label else None,
                    )
                    for label, url in pages
                ]
                results[size] = timings
                self.stdout.write(
                    f"\n{size:,} initiatives ({counts.get('contributions', 0):,} contributions):"
                )
                print_table(self.stdout.write, size, timings, floor)
                for timing in timings:
                    if timing.status != 200:
                        failures.append(f"{timing.label} at {size}: HTTP {timing.status}")
                    if timing.p95 > BUDGET_MS:
                        failures.append(
                            f"{timing.label} at {size}: p95 {timing.p95:.1f} ms > {BUDGET_MS:.0f} ms"
                        )
        if len(sizes) > 1:
            first, last = results[sizes[0]], results[sizes[-1]]
            for small, large in zip(first, last, strict=True):
                same = "same" if small.queries == large.queries else "DIFFERENT"
                self.stdout.write(f"queries for {small.label}: {small.queries} vs {large.queries} ({same})")
                if small.queries != large.queries:
                    failures.append(
                        f"{small.label}: queries grow with the data ({small.queries} -> {large.queries})"
                    )
        if failures:
            raise CommandError("Budget missed:\n  " + "\n  ".join(failures))
        self.stdout.write(
            self.style.SUCCESS("Register within budget at every size, query count independent of size.")
        )
