"""Benchmark of every page a user browses, at several portfolio sizes: server time p50/p95 against each page's
budget, query counts (which must not grow with the data), and the ratio to a bare Django view timed in the
same run."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alignment import services
from core import roles
from core.views import forget_shared_pages
from demo.bench import FLOOR_PATH, Timing, analyze, bench_database, logged_in_client, print_table, time_get
from demo.scale import build_scale, clear_portfolio
from portfolio.models import Initiative, Objective, Program
from steering import services as steering
from steering.models import AgendaItem, CheckpointReview, Committee, Decision

HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    p50_ms: float
    p95_ms: float
    role: str = roles.PMO
    headers: dict[str, str] | None = None
    first_view: bool = False  # every request as the first of its kind: the pages shared_page() kept dropped


@dataclass(frozen=True)
class World:
    """What the pages of one size point at."""

    initiative: int
    theme: int
    objective: int
    program: int
    meeting: int
    item: int
    review: int


class Command(BaseCommand):
    help = (
        "Time every page users browse at each size in a throwaway database (p50/p95 server time and queries), "
        "next to a bare Django view as the floor; fails if a page misses its budget or its queries grow with "
        "the data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument(
            "--requests", type=int, default=30, help="Timed requests per page (after a warm-up)."
        )
        parser.add_argument(
            "--history-months",
            type=int,
            default=3,
            help="Month ends of score history computed before timing.",
        )
        parser.add_argument(
            "--only",
            default="",
            help="Time only the pages whose label contains one of these comma-separated texts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        requests = options["requests"]
        failures: list[str] = []
        queries: dict[str, list[int]] = {}
        today = timezone.localdate()
        only = [text.strip() for text in options["only"].split(",") if text.strip()]
        with bench_database() as vendor:
            self.stdout.write(f"Database: {vendor}; {requests} timed requests per page after one warm-up.")
            for size in sizes:
                started = time.perf_counter()
                world = self._build(size, today, options["history_months"])
                self.stdout.write(f"\n{size:,} initiatives (built in {time.perf_counter() - started:.0f} s):")
                clients = {
                    role: logged_in_client(self._user(f"bench-{role.lower()}-{size}", role))
                    for role in (roles.PMO, roles.EXECUTIVE)
                }
                floor = time_get(clients[roles.PMO], "floor: bare Django view", FLOOR_PATH, requests=requests)
                timings: list[Timing] = []
                budgets: list[Page] = []
                for page in pages(world):
                    if only and not any(text in page.label for text in only):
                        continue
                    timing = time_get(
                        clients[page.role],
                        page.label,
                        page.url,
                        requests=requests,
                        headers=page.headers,
                        before=forget_shared_pages if page.first_view else None,
                    )
                    timings.append(timing)
                    budgets.append(page)
                    queries.setdefault(page.label, []).append(timing.queries)
                    if timing.status != 200:
                        failures.append(f"{page.label} at {size:,}: HTTP {timing.status}")
                    if timing.p50 > page.p50_ms or timing.p95 > page.p95_ms:
                        failures.append(
                            f"{page.label} at {size:,}: p50/p95 {timing.p50:.1f}/{timing.p95:.1f} ms > "
                            f"{page.p50_ms:.0f}/{page.p95_ms:.0f} ms"
                        )
                print_table(
                    self.stdout.write, size, timings, floor, budgets=[(p.p50_ms, p.p95_ms) for p in budgets]
                )
        for label, counts in queries.items():
            if len(set(counts)) > 1:
                failures.append(f"{label}: queries grow with the data ({' -> '.join(map(str, counts))})")
        if len(sizes) > 1:
            same = sum(1 for counts in queries.values() if len(set(counts)) == 1)
            self.stdout.write(f"\nQueries independent of size on {same} of {len(queries)} pages.")
        if failures:
            raise CommandError("Budget missed:\n  " + "\n  ".join(failures))
        self.stdout.write(
            self.style.SUCCESS("Every page within budget at every size; queries independent of size.")
        )

    def _user(self, name: str, role: str) -> User:
        user = User.objects.create_user(name, password="unused")
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    def _build(self, size: int, today: datetime.date, history_months: int) -> World:
        clear_portfolio()
        CheckpointReview.objects.all().delete()
        build_scale(initiatives=size, seed=1, as_of=today)
        if history_months:
            services.backfill_history(today=today, months=history_months)
        else:
            services.recompute(today=today)
        services.render_dashboards(today=today)
        pmo = self._user(f"bench-chair-{size}", roles.PMO)
        committee = Committee.objects.create(name=f"Bench committee {size}", chair=pmo)
        meeting = steering.meeting_create(
            user=pmo,
            data={
                "committee": committee,
                "title": "Portfolio steering",
                "held_on": today + datetime.timedelta(days=7),
                "duration_minutes": 120,
            },
        )
        steering.agenda_propose(user=pmo, meeting=meeting)
        item = AgendaItem.objects.filter(meeting=meeting, for_noting=False).order_by("position").first()
        assert item is not None, "the scale data flags no initiative for the agenda"
        figures = steering.initiative_figures([item.initiative])[item.initiative_id]
        review = CheckpointReview.objects.create(
            initiative_id=item.initiative_id,
            meeting=meeting,
            held_on=today,
            rag_schedule="amber",
            rag_cost="green",
            rag_scope="green",
            rag_benefits="amber",
            decision=Decision.PROCEED,
            rationale="Benchmark review.",
            recorded_by=pmo,
            figures=figures,
        )
        analyze()
        # a representative initiative: in delivery, with the most contributions
        initiative = (
            Initiative.objects.filter(stage="in_delivery")
            .order_by("-budget_capex", "pk")
            .values_list("pk", flat=True)
        )[0]
        theme = Objective.objects.filter(parent__isnull=True).order_by("pk").values_list("pk", flat=True)[0]
        objective = Objective.objects.filter(parent__parent__isnull=True, parent__isnull=False).order_by("pk")
        program = Program.objects.order_by("pk").values_list("pk", flat=True)[0]
        return World(
            initiative=initiative,
            theme=theme,
            objective=objective.values_list("pk", flat=True)[0],
            program=program,
            meeting=meeting.pk,
            item=item.pk,
            review=review.pk,
        )


def pages(w: World) -> list[Page]:
    """The pages timed, with the budgets (p50, p95 in ms) the portfolio must meet at 100,000 initiatives."""
    exec_ = roles.EXECUTIVE
    return [
        # the register at 100 rows a page, its largest page size
        Page("register: default", "/initiatives/?per_page=100", 40, 80),
        Page("register: sorted by budget", "/initiatives/?sort=-budget&per_page=100", 40, 80),
        Page("register: searched", "/initiatives/?q=platform&per_page=100", 40, 80),
        Page(
            "register: filtered", "/initiatives/?stage=in_delivery&category=grow&tier=1&per_page=100", 40, 80
        ),
        Page(
            "register: page 20, htmx", "/initiatives/?page=20&sort=title&per_page=100", 40, 80, headers=HTMX
        ),
        Page("objective list", "/objectives/", 40, 80),
        Page("objective page", f"/objectives/{w.objective}/", 40, 80),
        Page("dashboard: stored", "/dashboard/", 20, 30, exec_),
        Page("dashboard: stored program", f"/dashboard/?program={w.program}", 20, 30, exec_),
        Page("dashboard: filtered tier 1", "/dashboard/?tier=1", 150, 250, exec_),
        Page("dashboard: filtered funded grow", "/dashboard/?stage=funded&category=grow", 150, 250, exec_),
        Page("dashboard: filtered theme", f"/dashboard/?theme={w.theme}", 150, 250, exec_),
        # a filter's first view, before anything is kept: what a new combination costs
        *(
            Page(f"dashboard: filtered {name}, first view", url, 150, 250, exec_, first_view=True)
            for name, url in (
                ("tier 1", "/dashboard/?tier=1"),
                ("funded grow", "/dashboard/?stage=funded&category=grow"),
                ("theme", f"/dashboard/?theme={w.theme}"),
            )
        ),
        Page("initiative page", f"/initiatives/{w.initiative}/", 60, 120),
        Page("signals", "/signals/", 60, 120),
        Page("risks", "/risks/", 60, 120),
        Page("worklist", "/worklist/", 60, 120),
        Page("milestones", "/milestones/", 60, 120),
        Page("steering: meetings", "/steering/", 60, 120),
        Page("steering: meeting and agenda", f"/steering/meetings/{w.meeting}/", 60, 120),
        Page("steering: review form", f"/steering/agenda/{w.item}/review/", 60, 120),
        Page("steering: review", f"/steering/reviews/{w.review}/", 60, 120),
        Page("steering: decisions", "/steering/decisions/", 60, 120),
        Page("steering: actions", "/steering/actions/", 60, 120),
        Page("steering: board pack", f"/steering/meetings/{w.meeting}/pack/", 60, 120),
    ]
