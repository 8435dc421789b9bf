"""Creating portfolio and risk records through the services: exact rows and the audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from core.stages import Stage
from portfolio import services
from portfolio.models import (
    KPI,
    Artefact,
    ArtefactKind,
    Category,
    Contribution,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
)
from risk import services as risk_services
from risk.models import Risk
from tests.portfolio.utils import World, history_of

pytestmark = pytest.mark.django_db

D = datetime.date


@dataclass
class CreateCase:
    id: str
    model: type
    data: Callable[[World], dict[str, Any]]
    call: Callable[[Any, World, dict[str, Any]], Any]

    def __str__(self) -> str:
        return self.id


CREATES = [
    CreateCase(
        "initiative",
        Initiative,
        lambda w: {
            "code": "CRM-7",
            "title": "CRM consolidation",
            "description": "Merge the two CRMs into one.",
            "sponsor": w.executive,
            "manager": w.manager,
            "program": w.program,
            "category": Category.TRANSFORM,
            "stage": Stage.APPROVED,
            "planned_start": D(2026, 2, 1),
            "planned_end": D(2027, 3, 31),
            "budget_capex": Decimal("250000.00"),
            "budget_opex": Decimal("40000.50"),
            "actual_cost": Decimal("0.00"),
            "forecast_cost": Decimal("300000.00"),
            "requirements_clarity": 3,
            "criticality": 4,
        },
        lambda user, w, data: services.initiative_create(user=user, data=data),
    ),
    CreateCase(
        "contribution",
        Contribution,
        lambda w: {
            "objective": w.objective,
            "strength": "strong",
            "rationale": "A faster checkout converts more visitors.",
            "kpi": w.kpi,
            "expected_change": Decimal("2.5000"),
        },
        lambda user, w, data: services.contribution_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "milestone",
        Milestone,
        lambda w: {"name": "Pilot live", "baseline_date": D(2026, 9, 30), "forecast_date": D(2026, 10, 15)},
        lambda user, w, data: services.milestone_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "scope change",
        ScopeChange,
        lambda w: {
            "date": D(2026, 4, 1),
            "description": "Drop the loyalty module.",
            "rationale": "The loyalty vendor was not selected.",
            "cost_impact": Decimal("-5000.00"),
            "schedule_impact_days": -3,
            "status": "approved",
            "approved_by": w.executive,
        },
        lambda user, w, data: services.scope_change_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "artefact",
        Artefact,
        lambda w: {
            "kind": ArtefactKind.TEST_STRATEGY,
            "title": "Test strategy v2",
            "reference": "DOC-42",
            "dated": D(2026, 5, 5),
        },
        lambda user, w, data: services.artefact_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "risk",
        Risk,
        lambda w: {
            "title": "Vendor insolvency",
            "description": "The payment vendor is loss-making.",
            "category": "vendor",
            "probability": 2,
            "impact": 5,
            "owner": w.manager,
            "mitigation": "Code escrow.",
            "status": "mitigating",
            "review_date": D(2026, 12, 1),
        },
        lambda user, w, data: risk_services.risk_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "objective",
        Objective,
        lambda w: {
            "parent": w.theme,
            "code": "O9",
            "title": "Open a marketplace",
            "description": "Third-party sellers on our site.",
            "owner": w.executive,
            "horizon_start": D(2026, 1, 1),
            "horizon_end": D(2028, 12, 31),
            "status": "active",
            "local_weight": Decimal("2.50"),
        },
        lambda user, w, data: services.objective_create(user=user, data=data),
    ),
    CreateCase(
        "kpi",
        KPI,
        lambda w: {
            "objective": w.objective,
            "name": "Basket size",
            "description": "Average order value.",
            "unit": "EUR",
            "direction": "increase",
            "baseline_value": Decimal("41.2000"),
            "baseline_date": D(2025, 1, 1),
            "target_value": Decimal("48.0000"),
            "target_date": D(2027, 12, 31),
        },
        lambda user, w, data: services.kpi_create(user=user, data=data),
    ),
    CreateCase(
        "reading",
        Reading,
        lambda w: {
            "kpi": w.kpi,
            "date": D(2026, 6, 30),
            "value": Decimal("13.7500"),
            "source": "Web analytics",
        },
        lambda user, w, data: services.reading_record(user=user, **data),
    ),
    CreateCase(
        "interim target",
        InterimTarget,
        lambda w: {"kpi": w.kpi, "date": D(2026, 1, 1), "value": Decimal("15.0000")},
        lambda user, w, data: services.interim_target_create(user=user, **data),
    ),
    CreateCase(
        "program",
        Program,
        lambda w: {"name": "Back office", "description": "Finance and HR systems.", "owner": w.executive},
        lambda user, w, data: services.program_create(user=user, data=data),
    ),
]


@pytest.mark.parametrize("case", CREATES, ids=str)
def test_create_writes_exactly_the_given_values_and_one_history_row_by_the_acting_user(case, world, pmo):
    # given
    data = case.data(world)
    before = case.model.objects.count()

    # when
    record = case.call(pmo, world, data)

    # then
    assert case.model.objects.count() == before + 1
    stored = case.model.objects.get(pk=record.pk)
    assert {field: getattr(stored, field) for field in data} == data
    assert stored.version == 1
    assert history_of(stored) == [("+", pmo)]


def test_reading_records_who_entered_it(kpi, pmo):
    # when
    reading = services.reading_record(user=pmo, kpi=kpi, date=D(2026, 3, 31), value=Decimal("11"))

    # then
    stored = Reading.objects.get(pk=reading.pk)
    assert stored.entered_by == pmo
    assert stored.source == ""
