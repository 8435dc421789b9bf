"""manage.py seed_demo [--as-of YYYY-MM-DD]: load the Northwind Retail demo portfolio and its accounts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alignment import services
from alignment.models import InitiativeScore
from demo.capacity import build_capacity
from demo.intake import build_intake
from demo.northwind import build_demo, freeze_review_figures, prepare_meetings
from demo.scenarios import build_scenarios
from demo.strategy import build_strategy
from demo.surveys import build_surveys

HISTORY_MONTHS = 6


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date like 2026-11-21, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Load the Northwind Retail demo portfolio (dated --as-of, default today) and the demo accounts. "
        "Does nothing to portfolio data if initiatives already exist; always prints the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="Date the demo data is anchored to (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        result = build_demo(as_of=as_of, stdout=self.stdout)
        if result.created:
            frozen = freeze_review_figures()
            self.stdout.write(f"The {frozen} past reviews hold the figures their committee saw.")
        teams = build_capacity(today=as_of)
        if teams:
            self.stdout.write(f"Capacity: {teams} teams with run demand and effort estimates (see Capacity).")
        rounds = build_surveys()
        if rounds:
            self.stdout.write(
                f"{rounds} leadership alignment survey rounds: two closed, one open for answers."
            )
        if result.created or not InitiativeScore.objects.filter(computed_at__isnull=False).exists():
            months = services.backfill_history(today=as_of, months=HISTORY_MONTHS)
            self.stdout.write(f"Scores computed, with monthly history back to {months[0].isoformat()}.")
        elif rounds or teams:  # added to a scored demo: their signals and the programs' dashboards follow
            services.recompute_and_render(today=as_of)
        if build_strategy(today=as_of):
            self.stdout.write("Strategy versions: the one adopted, and a 2027 draft with its what-if.")
        proposals = build_intake()
        if proposals:
            self.stdout.write(f"Intake: {proposals} proposals submitted (see Planning, Proposals).")
        if build_scenarios(today=as_of):
            self.stdout.write("Scenarios: a balanced plan and an NPV-first variant, both solved.")
        if result.created:
            proposed = prepare_meetings()
            self.stdout.write(f"Today's steering meeting has {proposed} initiatives on its proposed agenda.")
