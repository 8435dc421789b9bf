"""manage.py seed_scale --initiatives N [--seed S] [--replace]: a synthetic portfolio for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from demo.bench import analyze
from demo.scale import build_scale, clear_portfolio, portfolio_size


class Command(BaseCommand):
    help = (
        "Bulk-insert a synthetic portfolio of N initiatives (with objectives, KPIs, readings, contributions, "
        "milestones, risks and scope changes in fixed proportions) for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--initiatives", type=int, required=True, help="How many initiatives to create.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the random generator (default 1).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete all portfolio and risk data first (users, groups and tier policies are kept).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["initiatives"]
        if count < 1:
            raise CommandError("--initiatives must be at least 1.")
        started = time.perf_counter()
        with transaction.atomic():
            if portfolio_size():
                if not options["replace"]:
                    raise CommandError(
                        "The portfolio is not empty. Run seed_scale on an empty database, or add --replace "
                        "to delete all portfolio and risk data first."
                    )
                clear_portfolio()
                self.stdout.write(f"Deleted the existing portfolio in {time.perf_counter() - started:.1f} s.")
            counts = build_scale(initiatives=count, seed=options["seed"], as_of=timezone.localdate())
            analyze()  # a bulk load leaves the planner without statistics until autovacuum runs
        elapsed = time.perf_counter() - started
        for name, value in counts.items():
            self.stdout.write(f"{value:>8,} {name}")
        self.stdout.write(
            self.style.SUCCESS(f"Synthetic portfolio of {count:,} initiatives loaded in {elapsed:.1f} s.")
        )
