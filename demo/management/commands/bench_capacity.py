"""Benchmark of the capacity heat map (issue 13): 200 teams x 36 months at 1,000 and 10,000 initiatives
(two teams' effort each, spread over 3 to 18 planned months), timed server-side with proposals included, next
to a bare Django view measured in the same run (the floor); the selector alone too. The issue's budget is
150 ms of server time at 10,000 initiatives, and the query count must be the same at both sizes."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from capacity import selectors, services
from capacity.models import ChangeDemand, RunDemand, Team, TeamMember
from capacity.months import add_months
from core import changes, roles
from core.stages import Stage
from demo.bench import FLOOR_PATH, Timing, analyze, bench_database, logged_in_client, print_table, time_get
from portfolio.models import Initiative

TEAMS = 200
MONTHS = 36
START = datetime.date(2027, 1, 1)
BUDGET_MS = 150.0
STAGES = [Stage.IDEA, Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY, Stage.IN_DELIVERY, Stage.LIVE]


def build(initiatives: int, *, seed: int = 13) -> None:
    """The teams (8 members each, one joining later), run demand in two categories every month, and
    `initiatives` initiatives with effort for two teams each, spread evenly over their planned months."""
    rng = random.Random(seed)
    with transaction.atomic(), changes.paused():
        ChangeDemand.objects.all().delete()
        Initiative.objects.all().delete()
        RunDemand.objects.all().delete()
        TeamMember.objects.all().delete()
        Team.objects.all().delete()
        teams = Team.objects.bulk_create(Team(name=f"Team {n:03d}") for n in range(TEAMS))
        TeamMember.objects.bulk_create(
            TeamMember(
                team=team,
                name=f"Member {team.pk}-{m}",
                availability=rng.choice([50, 80, 100, 100]),
                start_month=add_months(START, 6) if m == 7 else None,
            )
            for team in teams
            for m in range(8)
        )
        RunDemand.objects.bulk_create(
            RunDemand(
                team=team,
                month=add_months(START, i),
                category=category,
                person_days=Decimal(rng.randint(10, 60)),
            )
            for team in teams
            for i in range(MONTHS)
            for category in ("support", "incidents")
        )
        rows = []
        for n in range(initiatives):
            start = add_months(START, rng.randint(-6, MONTHS - 3))
            end = add_months(start, rng.randint(2, 17)) + datetime.timedelta(days=27)
            rows.append(
                Initiative(
                    code=f"CAP-{n:05d}",
                    title=f"Initiative {n}",
                    stage=STAGES[n % len(STAGES)],
                    planned_start=start,
                    planned_end=end,
                )
            )
        created = Initiative.objects.bulk_create(rows, batch_size=2000)
        ChangeDemand.objects.bulk_create(
            (
                ChangeDemand(initiative=initiative, team=team, person_days=Decimal(rng.randint(20, 400)))
                for initiative in created
                for team in rng.sample(teams, 2)
            ),
            batch_size=2000,
        )
        services.respread()
    analyze()


class Command(BaseCommand):
    help = (
        f"Time the capacity heat map ({TEAMS} teams x {MONTHS} months, proposals included) at 1,000 and 10,000 "
        f"initiatives in a throwaway database, next to a bare Django view; fails above {BUDGET_MS:.0f} ms "
        "(p50) at the largest size or when the query count grows with the data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument("--requests", type=int, default=15, help="Timed requests (after a warm-up).")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        requests = options["requests"]
        write = self.stdout.write
        failures: list[str] = []
        queries: dict[int, int] = {}
        with bench_database() as vendor:
            user = User.objects.create_user("bench-exec", password="unused")
            user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
            client = logged_in_client(user)
            url = f"/capacity/?start={START:%Y-%m}&months={MONTHS}&proposals=on"
            for size in sizes:
                build(size)
                months = ChangeDemand.objects.count()
                write(
                    f"{vendor}: {TEAMS} teams x {MONTHS} months, {size:,} initiatives, {months:,} effort "
                    "estimates"
                )
                floor = time_get(client, "floor: bare Django view", FLOOR_PATH, requests=requests)
                page = time_get(client, "capacity heat map (page)", url, requests=requests)
                selector = _time_selector(requests)
                print_table(write, size, [page, selector], floor, budgets=[(BUDGET_MS, 2 * BUDGET_MS)] * 2)
                write(f"  heat map p50 / floor p50: {page.p50 / floor.p50:.1f}x")
                queries[size] = page.queries
                if page.status != 200:
                    failures.append(f"{size:,}: the page answered {page.status}")
                if size == max(sizes) and page.p50 > BUDGET_MS:
                    failures.append(f"{size:,}: p50 {page.p50:.1f} ms over the {BUDGET_MS:.0f} ms budget")
        if len(set(queries.values())) > 1:
            failures.append(f"the query count grows with the data: {queries}")
        if failures:
            raise CommandError("; ".join(failures))
        write(self.style.SUCCESS("Capacity heat map within budget, queries constant."))


def _time_selector(requests: int) -> Timing:
    """The heat map's selector alone: its four queries and the grid built in Python."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    policy = services.current_policy()
    teams = selectors.team_rows(Team.objects.order_by("name"))
    months = selectors.window(START, MONTHS)
    samples = []
    count = 0
    for _ in range(requests + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            selectors.heat_map(teams, months, policy=policy, proposals=True, all_teams=True)
            samples.append((time.perf_counter() - started) * 1000)
        count = len(captured.captured_queries)
    return Timing("heat map selector alone", "", samples[1:], count, 200)
