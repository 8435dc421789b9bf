"""Benchmark of the REST API: server time and queries of its lists and records, through the whole stack (the
middleware, the token's authentication, validation of the answer against its schema), at the sizes given, next
to a floor measured in the same run: a view that renders one line for the signed-in user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.utils import timezone

from alignment.services.scores import recompute
from api.tokens import token_create
from core import roles
from demo.bench import FLOOR_PATH, analyze, bench_database, logged_in_client, print_table, time_get
from demo.scale import build_scale, clear_portfolio
from portfolio.models import Initiative

# the budget for 100 initiatives with their objectives, scores and tiers
P50_BUDGET_MS = 25.0
QUERY_BUDGET = 10


class Command(BaseCommand):
    help = (
        "Time the REST API's lists (100 initiatives with objectives, scores and tiers; scores; signals) and a "
        "record in a throwaway database at each size, next to a one-line page; fail when the initiatives' page "
        f"is over {P50_BUDGET_MS:.0f} ms p50 or {QUERY_BUDGET} queries, or its queries change with the size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per address.")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        if not sizes or min(sizes) < 1:
            raise CommandError("Give sizes of at least one initiative, e.g. --sizes 1000,10000")
        requests = max(1, options["requests"])
        write = self.stdout.write
        failures: list[str] = []
        list_queries: set[int] = set()
        with bench_database() as vendor:
            write(f"Database: {vendor}; {requests} timed requests per address (after one warm-up)")
            user = User.objects.create_user("bench-api", password="unused")
            user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
            _token, raw = token_create(user=user, name="bench", scope="read", expires_in_days=None)
            bearer = {"Authorization": f"Bearer {raw}"}
            floor_client = logged_in_client(user)
            client = Client()
            for size in sizes:
                clear_portfolio()
                build_scale(initiatives=size, seed=1, as_of=timezone.localdate())
                recompute(today=timezone.localdate())
                analyze()
                middle = Initiative.objects.order_by("pk").values_list("pk", flat=True)[size // 2]
                first = client.get("/api/v1/initiatives?limit=100", headers=bearer).json()
                addresses = [
                    ("initiatives: 100 of them", "/api/v1/initiatives?limit=100"),
                    (
                        "initiatives: the next 100",
                        f"/api/v1/initiatives?limit=100&cursor={first['next_cursor']}",
                    ),
                    ("initiatives: 100, grow, tier 2", "/api/v1/initiatives?limit=100&category=grow&tier=2"),
                    ("initiatives: search", "/api/v1/initiatives?limit=100&q=platform"),
                    ("initiative", f"/api/v1/initiatives/{middle}"),
                    ("scores: 100", "/api/v1/scores?limit=100"),
                    ("signals: 100", "/api/v1/signals?limit=100"),
                ]
                floor = time_get(floor_client, "floor: one-line page", FLOOR_PATH, requests=requests)
                timings = [
                    time_get(client, label, url, requests=requests, headers=bearer)
                    for label, url in addresses
                ]
                write(f"\n{size:,} initiatives")
                print_table(write, size, timings, floor)
                page = timings[0]
                verdict = "within" if page.p50 <= P50_BUDGET_MS and page.queries <= QUERY_BUDGET else "OVER"
                write(
                    f"  100 initiatives: {page.p50:.1f} ms p50, {page.queries} queries: {verdict} the budget "
                    f"({P50_BUDGET_MS:.0f} ms, {QUERY_BUDGET} queries)"
                )
                list_queries.add(page.queries)
                if page.status != 200:
                    failures.append(f"{size}: {page.url} answered {page.status}")
                if page.p50 > P50_BUDGET_MS:
                    failures.append(
                        f"{size}: 100 initiatives took {page.p50:.1f} ms p50 > {P50_BUDGET_MS} ms"
                    )
                if page.queries > QUERY_BUDGET:
                    failures.append(f"{size}: 100 initiatives took {page.queries} queries > {QUERY_BUDGET}")
                failures += [f"{size}: {t.url} answered {t.status}" for t in timings if t.status != 200]
        if len(list_queries) > 1:
            failures.append(f"the initiatives' page's queries change with the size: {sorted(list_queries)}")
        if failures:
            raise CommandError("Budget missed:\n" + "\n".join(failures))
        write("\nThe API's initiatives page is within its budget at every size.")
