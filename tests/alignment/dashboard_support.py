"""What the dashboard tests share: a small scored portfolio, the demo, and helpers that read a dashboard's
tiles, charts and click-through targets. The fixtures that use them are in conftest.py."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alignment import dashboard, services
from alignment.models import (
    InitiativeScore,
    PortfolioIndex,
    StoredDashboard,
)
from core.stages import Stage
from portfolio.models import Initiative, Program
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
)

D = datetime.date
DAY = datetime.timedelta(days=1)
FUNDED = {Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE}
DASHBOARD = reverse("alignment:dashboard")
TILE_INDEX = {  # tile key -> the PortfolioIndex field it shows
    "budget": "funded_budget",
    "alignment": "alignment_index",
    "top_share": "top_share",
    "misallocation": "misallocation",
    "red_signals": "red_signals",
    "predictability": "predictability",
}


def today() -> datetime.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------------------ portfolios


def build_small() -> dict[str, Any]:
    """Six initiatives in two programs (and one in none), scored at three dates so the tiles have history.

    Two themes: T1 with the priority objectives O1 (and its sub-objective O1.1) and O2; T2 a priority
    objective itself. A-1 is large and risky (tier 1), C-1 risky (tier 2); D-1 is only proposed, F-1 closed,
    E-1 serves nothing (its one contribution says "none").
    """
    now = today()
    t1 = ObjectiveFactory(code="T1", title="Win online", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Run lean", local_weight=Decimal("1"))
    o1 = ObjectiveFactory(code="O1", title="Grow conversion", parent=t1, local_weight=Decimal("2"))
    o11 = ObjectiveFactory(code="O1.1", title="Grow the app", parent=o1)
    o2 = ObjectiveFactory(code="O2", title="Cut returns", parent=t1, local_weight=Decimal("1"))
    kpi = KPIFactory(
        objective=o1, name="Conversion", baseline_date=now - 400 * DAY, target_date=now + 300 * DAY
    )
    for n, value in enumerate(["11", "12", "13.5"]):
        ReadingFactory(kpi=kpi, date=now - (200 - 60 * n) * DAY, value=Decimal(value))
    p1, p2 = ProgramFactory(name="Commerce"), ProgramFactory(name="Stores")

    def initiative(code: str, program: Program | None, stage: str, category: str, budget: int) -> Initiative:
        return InitiativeFactory(
            code=code,
            title=f"Initiative {code}",
            program=program,
            stage=stage,
            category=category,
            budget_capex=Decimal(budget) * Decimal("0.9"),
            budget_opex=Decimal(budget) * Decimal("0.1"),
        )

    rows = {
        "A-1": initiative("A-1", p1, Stage.IN_DELIVERY, "grow", 2_000_000),
        "B-1": initiative("B-1", p1, Stage.APPROVED, "run", 200_000),
        "C-1": initiative("C-1", p2, Stage.LIVE, "transform", 300_000),
        "D-1": initiative("D-1", p2, Stage.PROPOSED, "grow", 100_000),
        "E-1": initiative("E-1", None, Stage.IN_DELIVERY, "run", 150_000),
        "F-1": initiative("F-1", p1, Stage.CLOSED, "grow", 400_000),
    }
    for code, objective, strength in [
        ("A-1", o1, "strong"),
        ("B-1", t2, "moderate"),
        ("C-1", o11, "weak"),
        ("C-1", o2, "strong"),
        ("D-1", o1, "strong"),
        ("E-1", o2, "none"),
        ("F-1", o1, "strong"),
    ]:
        ContributionFactory(initiative=rows[code], objective=objective, strength=strength)
    for code, baseline, actual in [
        ("A-1", now - 90 * DAY, now - 95 * DAY),
        ("A-1", now - 20 * DAY, None),
        ("B-1", now - 40 * DAY, now - 41 * DAY),
        ("C-1", now - 60 * DAY, now - 50 * DAY),
        ("D-1", now - 30 * DAY, now - 30 * DAY),
        ("E-1", now + 30 * DAY, None),
    ]:
        MilestoneFactory(initiative=rows[code], baseline_date=baseline, actual_date=actual)
    for code, probability, impact in [("A-1", 5, 5), ("C-1", 4, 5), ("E-1", 2, 2), ("D-1", 2, 2)]:
        RiskFactory(initiative=rows[code], probability=probability, impact=impact)

    # three recomputes: 45 days ago, 10 days ago, today; the portfolio changes in between
    services.recompute(today=now - 45 * DAY)
    services.record_history(today=now - 45 * DAY)
    Initiative.objects.filter(pk=rows["B-1"].pk).update(budget_opex=Decimal("120000"))
    services.recompute(today=now - 10 * DAY)
    services.record_history(today=now - 10 * DAY)
    Initiative.objects.filter(pk=rows["C-1"].pk).update(budget_capex=Decimal("600000"))
    services.recompute(today=now)
    services.record_history(today=now)
    services.render_dashboards(today=now)
    tiers = dict(InitiativeScore.objects.values_list("initiative__code", "tier"))
    assert (tiers["A-1"], tiers["C-1"], tiers["B-1"]) == (1, 2, 3), tiers  # the filters need all three
    return {
        "objectives": {"T1": t1, "T2": t2, "O1": o1, "O1.1": o11, "O2": o2},
        "programs": {"Commerce": p1, "Stores": p2},
        "kpi": kpi,
        **rows,
    }


def budget_of(code: str) -> float:
    initiative = Initiative.objects.get(code=code)
    return float(initiative.budget_capex + initiative.budget_opex)


# ------------------------------------------------------------------------------------------ helpers


def data_for(**filters: Any) -> dashboard.DashboardData:
    return dashboard.dashboard_data(
        dashboard.DashboardFilters(**filters), today=today(), policy=services.current_policy()
    )


def tiles(data: dashboard.DashboardData) -> dict[str, dashboard.Tile]:
    return {t.key: t for t in data.tiles}


def chart(payload: dict[str, Any], key: str) -> dict[str, Any]:
    found = next(c for c in payload["charts"] if c["key"] == key)
    return {**found, "figure": json.loads(found["figure"])}


def payload_tiles(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in payload["tiles"]}


def index(scope: str, on: datetime.date) -> PortfolioIndex:
    row = PortfolioIndex.objects.filter(scope=scope, date__lte=on).order_by("-date").first()
    assert row is not None
    return row


def register_codes(client: Client, url: str) -> list[str]:
    """The codes of every initiative the register lists at this URL (all pages)."""
    assert urlsplit(url).path == reverse("portfolio:initiative-list")
    response = client.get(url)
    assert response.status_code == 200, response.content[:2000]
    listed = list(response.context["page"].rows.values_list("pk", flat=True))  # every row, all pages
    return sorted(Initiative.objects.filter(pk__in=listed).values_list("code", flat=True))


def assert_tiles_equal_index(data: dashboard.DashboardData, scope: str) -> None:
    now, earlier = index(scope, today()), index(scope, today() - dashboard.MONTH)
    assert now is not None
    assert now.date == today()
    assert earlier is not None
    assert earlier.date <= today() - dashboard.MONTH
    for key, field in TILE_INDEX.items():
        tile = tiles(data)[key]
        assert tile.value == pytest.approx(getattr(now, field), abs=1e-6), key
        assert tile.previous == pytest.approx(getattr(earlier, field), abs=1e-6), key


def live_payload(**filters: Any) -> dict[str, Any]:
    payload = dashboard.build_payload(data_for(**filters), symbol="€", as_of=None)
    return json.loads(json.dumps(payload))


def stored_payload(scope: str) -> dict[str, Any]:
    return json.loads(StoredDashboard.objects.get(scope=scope).payload)


def bubble_codes(data: dashboard.DashboardData) -> list[str]:
    return sorted(p["code"] for p in data.charts["bubble"]["points"])


FILTER_CASES = [
    ({}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1", "D-1"]),
    ({"program": "Commerce"}, ["A-1", "B-1"], ["A-1", "B-1"]),
    ({"program": "Stores"}, ["C-1"], ["C-1", "D-1"]),
    ({"theme": "T1"}, ["A-1", "C-1"], ["A-1", "C-1", "D-1"]),
    ({"theme": "T2"}, ["B-1"], ["B-1"]),
    ({"tier": 1}, ["A-1"], ["A-1"]),
    ({"tier": 2}, ["C-1"], ["C-1"]),
    ({"stage": "funded"}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1"]),
    ({"stage": "active"}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1", "D-1"]),
    ({"stage": "proposed"}, [], ["D-1"]),
    ({"stage": "closed"}, [], []),
    ({"category": "run"}, ["B-1", "E-1"], ["B-1", "E-1"]),
    ({"program": "Commerce", "category": "grow"}, ["A-1"], ["A-1"]),
]


def resolve(small: dict[str, Any], filters: dict[str, Any]) -> dict[str, Any]:
    resolved = dict(filters)
    if "program" in resolved:
        resolved["program"] = small["programs"][resolved["program"]].pk
    if "theme" in resolved:
        resolved["theme"] = small["objectives"][resolved["theme"]].pk
    return resolved


def tile_href(data: dashboard.DashboardData, key: str) -> str:
    return tiles(data)[key].href


def read_csv(response: Any) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def as_csv(table: dict[str, Any]) -> list[list[str]]:
    return [table["columns"]] + [["" if c is None else str(c) for c in row] for row in table["rows"]]


def grow(n: int, programs: Sequence[Program], objectives: list[Any], start: int) -> None:
    """n more initiatives spread over programs, stages, categories, objectives, with milestones and risks."""
    stages = [Stage.IN_DELIVERY, Stage.APPROVED, Stage.LIVE, Stage.PROPOSED, Stage.IDEA]
    for k in range(start, start + n):
        initiative = InitiativeFactory(
            code=f"Q-{k:03d}",
            program=programs[k % len(programs)] if programs else None,
            stage=stages[k % len(stages)],
            category=["run", "grow", "transform"][k % 3],
        )
        ContributionFactory(
            initiative=initiative, objective=objectives[k % len(objectives)], strength="strong"
        )
        MilestoneFactory(
            initiative=initiative, baseline_date=today() - (k % 50) * DAY, actual_date=today() - 60 * DAY
        )
        RiskFactory(initiative=initiative, probability=1 + k % 5, impact=1 + (k // 5) % 5)


def count_queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)
