"""What the engine tests share: the worked-example portfolio of docs/scoring.md built in the database, the
shipped tier policies, and a way to empty the computed tables."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from core.stages import Stage
from portfolio.models import ObjectiveStatus
from steering.models import RAG
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
)

D = datetime.date
TODAY = D(2026, 11, 21)
TIER_POLICIES = [
    (1, 30, ["business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan"]),
    (2, 60, ["business_case", "benefits_plan"]),
    (3, 90, ["business_case"]),
]


def build_example() -> dict[str, Any]:
    """The worked-example portfolio of docs/scoring.md."""
    t1 = ObjectiveFactory(code="T1", title="Grow digital sales", local_weight=Decimal("3"))
    o1 = ObjectiveFactory(code="O1", title="Raise online conversion", parent=t1, local_weight=Decimal("2"))
    o2 = ObjectiveFactory(code="O2", title="Grow basket size", parent=t1, local_weight=Decimal("1"))
    o3 = ObjectiveFactory(
        code="O3",
        title="Launch a marketplace",
        parent=t1,
        local_weight=Decimal("1"),
        status=ObjectiveStatus.RETIRED,
    )
    t2 = ObjectiveFactory(code="T2", title="Cut operating cost", local_weight=Decimal("1"))
    orders = KPIFactory(
        objective=o1,
        name="Online orders per week",
        unit="thousand",
        baseline_value=Decimal("20"),
        target_value=Decimal("30"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in [
        (D(2026, 3, 2), "21"),
        (D(2026, 5, 1), "22"),
        (D(2026, 6, 30), "24"),
        (D(2026, 8, 29), "25"),
    ]:
        ReadingFactory(kpi=orders, date=day, value=Decimal(value))
    cost = KPIFactory(
        objective=t2,
        name="Cost per order",
        unit="EUR",
        direction="decrease",
        baseline_value=Decimal("5.00"),
        target_value=Decimal("4.00"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in [(D(2026, 5, 1), "4.80"), (D(2026, 8, 29), "4.60")]:
        ReadingFactory(kpi=cost, date=day, value=Decimal(value))
    chk = InitiativeFactory(
        code="CHK-1",
        title="Checkout rebuild",
        category="grow",
        stage=Stage.IN_DELIVERY,
        planned_start=D(2026, 1, 1),
        planned_end=D(2026, 12, 27),
        actual_start=D(2026, 1, 15),
        budget_capex=Decimal("800000"),
        budget_opex=Decimal("200000"),
        actual_cost=Decimal("600000"),
        forecast_cost=Decimal("1100000"),
        criticality=4,
    )
    ContributionFactory(initiative=chk, objective=o1, strength="strong", kpi=orders)
    ContributionFactory(initiative=chk, objective=t2, strength="moderate", kpi=cost)
    MilestoneFactory(
        initiative=chk, name="Pilot live", baseline_date=D(2026, 6, 30), actual_date=D(2026, 7, 30)
    )
    rollout = MilestoneFactory(
        initiative=chk, name="Rollout", baseline_date=D(2026, 12, 15), forecast_date=D(2027, 1, 20)
    )
    CheckpointReviewFactory(initiative=chk, held_on=D(2026, 8, 23), rag_cost=RAG.AMBER)
    ArtefactFactory(initiative=chk)
    RiskFactory(initiative=chk, title="Payment provider late", probability=3, impact=4)
    RiskFactory(initiative=chk, title="Key developer leaves", probability=2, impact=3)
    srch = InitiativeFactory(
        code="SRCH-1",
        title="Site search upkeep",
        category="run",
        stage=Stage.IN_DELIVERY,
        planned_start=D(2026, 1, 1),
        planned_end=D(2026, 12, 27),
        actual_start=D(2026, 1, 5),
        budget_capex=Decimal("500000"),
        budget_opex=Decimal("0"),
        actual_cost=Decimal("300000"),
        forecast_cost=Decimal("450000"),
    )
    ContributionFactory(initiative=srch, objective=o2, strength="weak")
    MilestoneFactory(
        initiative=srch, name="Design signed off", baseline_date=D(2026, 3, 31), actual_date=D(2026, 3, 31)
    )
    MilestoneFactory(
        initiative=srch, name="Build complete", baseline_date=D(2026, 9, 30), actual_date=D(2026, 9, 20)
    )
    CheckpointReviewFactory(initiative=srch, held_on=D(2026, 10, 1))
    ArtefactFactory(initiative=srch)
    dc = InitiativeFactory(
        code="DC-1",
        title="Data centre exit",
        category="transform",
        stage=Stage.APPROVED,
        planned_start=D(2026, 9, 1),
        planned_end=D(2027, 6, 30),
        actual_start=None,
        budget_capex=Decimal("500000"),
        budget_opex=Decimal("0"),
        actual_cost=Decimal("0"),
    )
    MilestoneFactory(initiative=dc, name="Go decision", baseline_date=D(2026, 10, 31))
    return {
        "t1": t1,
        "o1": o1,
        "o2": o2,
        "o3": o3,
        "t2": t2,
        "orders": orders,
        "cost": cost,
        "chk": chk,
        "srch": srch,
        "dc": dc,
        "rollout": rollout,
    }


def delete_computed_rows() -> None:
    for model in (Signal, PortfolioIndex, ObjectiveScore, KPIScore, InitiativeScore):
        model.objects.all().delete()
