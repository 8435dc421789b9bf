"""What the formula tests share: the worked-example portfolio of docs/scoring.md as in-memory rows, and
helpers that build and score them (pure functions, no database)."""

from __future__ import annotations

import datetime
from typing import Any

from alignment.engine import formulas as f
from alignment.engine.compute import score_initiative
from alignment.engine.inputs import (
    ContributionRow,
    InitiativeRow,
    MilestoneRow,
    ObjectiveRow,
    PortfolioInputs,
    RiskRow,
    largest_priority_weight,
    priority_units,
    relative,
)
from alignment.engine.policy import DEFAULT_POLICY
from core.extensions import ReviewFact
from portfolio.selectors import global_weights

D = datetime.date
TODAY = D(2026, 11, 21)
KPI_POLICY = DEFAULT_POLICY.kpi
TIER_POLICIES = {
    1: (30, ("business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan")),
    2: (60, ("business_case", "benefits_plan")),
    3: (90, ("business_case",)),
}

# The worked-example portfolio of docs/scoring.md.
T1, O1, O2, O3, T2 = 1, 2, 3, 4, 5
TREE = [
    ObjectiveRow(T1, "T1", "Grow digital sales", None, 3.0, "active", None),
    ObjectiveRow(O1, "O1", "Raise online conversion", T1, 2.0, "active", None),
    ObjectiveRow(O2, "O2", "Grow basket size", T1, 1.0, "active", None),
    ObjectiveRow(O3, "O3", "Launch a marketplace", T1, 1.0, "retired", None),
    ObjectiveRow(T2, "T2", "Cut operating cost", None, 1.0, "active", None),
]
ORDERS, COST = 11, 12
ORDERS_KPI = f.KPIDefinition(ORDERS, "increase", 20.0, D(2026, 1, 1), 30.0, D(2026, 12, 27))
COST_KPI = f.KPIDefinition(COST, "decrease", 5.0, D(2026, 1, 1), 4.0, D(2026, 12, 27))
ORDERS_READINGS = [
    (D(2026, 3, 2), 21.0),
    (D(2026, 5, 1), 22.0),
    (D(2026, 6, 30), 24.0),
    (D(2026, 8, 29), 25.0),
]
COST_READINGS = [(D(2026, 5, 1), 4.8), (D(2026, 8, 29), 4.6)]
CHK, SRCH, DC = 21, 22, 23


def initiative_row(pk: int = 1, **values: Any) -> InitiativeRow:
    defaults: dict[str, Any] = {
        "id": pk,
        "code": f"INI-{pk}",
        "title": f"Initiative {pk}",
        "stage": "in_delivery",
        "category": "grow",
        "budget": 100_000.0,
        "actual_cost": 0.0,
        "forecast_cost": None,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 27),
        "actual_start": D(2026, 1, 1),
        "actual_end": None,
        "go_live_date": None,
        "criticality": 3,
        "clarity": 4,
        "sponsor_id": None,
        "manager_id": None,
        "program_id": None,
        "sustainment_owner_id": None,
    }
    return InitiativeRow(**{**defaults, **values})


def example_initiatives() -> list[InitiativeRow]:
    chk = initiative_row(
        CHK,
        code="CHK-1",
        category="grow",
        budget=1_000_000.0,
        actual_cost=600_000.0,
        forecast_cost=1_100_000.0,
        actual_start=D(2026, 1, 15),
        criticality=4,
        contributions=[ContributionRow(1, O1, "strong", ORDERS), ContributionRow(2, T2, "moderate", COST)],
        milestones=[
            MilestoneRow(1, "Pilot live", D(2026, 6, 30), None, D(2026, 7, 30)),
            MilestoneRow(2, "Rollout", D(2026, 12, 15), D(2027, 1, 20), None),
        ],
        reviews=[
            ReviewFact(1, CHK, D(2026, 8, 23), ("green", "amber", "green", "green"), "proceed", frozenset())
        ],
        risks=[
            RiskRow(1, "Payment provider late", 3, 4, True),
            RiskRow(2, "Key developer leaves", 2, 3, True),
        ],
        artefacts={"business_case"},
    )
    srch = initiative_row(
        SRCH,
        code="SRCH-1",
        category="run",
        budget=500_000.0,
        actual_cost=300_000.0,
        forecast_cost=450_000.0,
        actual_start=D(2026, 1, 5),
        contributions=[ContributionRow(3, O2, "weak", None)],
        milestones=[
            MilestoneRow(3, "Design signed off", D(2026, 3, 31), None, D(2026, 3, 31)),
            MilestoneRow(4, "Build complete", D(2026, 9, 30), None, D(2026, 9, 20)),
        ],
        reviews=[ReviewFact(2, SRCH, D(2026, 10, 1), ("green",) * 4, "proceed", frozenset())],
        artefacts={"business_case"},
    )
    dc = initiative_row(
        DC,
        code="DC-1",
        category="transform",
        stage="approved",
        budget=500_000.0,
        planned_start=D(2026, 9, 1),
        planned_end=D(2027, 6, 30),
        actual_start=None,
        milestones=[MilestoneRow(5, "Go decision", D(2026, 10, 31), None, None)],
    )
    return [chk, srch, dc]


def portfolio_inputs(
    initiatives: list[InitiativeRow],
    *,
    objectives: list[ObjectiveRow] = TREE,
    kpis: tuple[f.KPIDefinition, ...] = (ORDERS_KPI, COST_KPI),
    readings: dict[int, list[tuple[datetime.date, float]]] | None = None,
    today: datetime.date = TODAY,
) -> PortfolioInputs:
    weights = global_weights(objectives)
    units, _ = priority_units({o.id: o for o in objectives}, weights)
    return PortfolioInputs(
        today=today,
        policy=DEFAULT_POLICY,
        objectives={o.id: o for o in objectives},
        global_weights=weights,
        relative_weights=relative(weights, units),
        largest_priority_weight=largest_priority_weight(units),
        lookback_relative_weights={},
        kpis={k.id: k for k in kpis},
        kpi_names={k.id: (f"KPI {k.id}", O1) for k in kpis},
        readings={ORDERS: ORDERS_READINGS, COST: COST_READINGS} if readings is None else readings,
        tier_policies=TIER_POLICIES,
        initiatives={row.id: row for row in initiatives},
    )


def score(row: InitiativeRow, inputs: PortfolioInputs | None = None) -> Any:
    inputs = inputs or portfolio_inputs([row])
    kpis = {
        pk: f.assess_kpi(kpi, inputs.readings.get(pk, []), inputs.today, KPI_POLICY)
        for pk, kpi in inputs.kpis.items()
    }
    return score_initiative(row, inputs, kpis, explain=True)


def units_of(tree: list[ObjectiveRow]) -> tuple[dict[int, float], dict[int, float]]:
    weights = global_weights(tree)
    return weights, priority_units({o.id: o for o in tree}, weights)[0]
