"""The worked example of docs/benefits.md as data, shared by the tests of the benefits view, the benefit plan
exports, the API and the board pack: ECOM-1's plan derived from the readings of "Support calls per 1,000
orders", CRM-2's entered revenue plan and a non-financial plan, and a money line left without a plan."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from portfolio.models import BenefitPeriod, BenefitPlan, BusinessCase, BusinessCaseLine, Direction, Initiative
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    UserFactory,
)

D = datetime.date
EXAMPLE_DAY = D(2027, 1, 10)  # 2026 Q1 to Q4 have ended
EXAMPLE_NOW = datetime.datetime(2027, 1, 10, 12, tzinfo=datetime.UTC)


def plan(
    initiative: Initiative,
    kind: str = "cost_saving",
    label: str = "Saving",
    periods: Any = (),
    kpi: Any = None,
    source: str = "entered",
    position: int = 0,
    owner: Any = None,
) -> BenefitPlan:
    """A benefit line with its plan, written straight to the tables (the readers are under test; the service
    is tested in tests/portfolio/test_benefit_plans.py)."""
    case, _ = BusinessCase.objects.get_or_create(initiative=initiative, defaults={"first_year": 2026})
    line = BusinessCaseLine.objects.create(
        case=case, position=position, kind=kind, label=label, kpi=kpi if kind == "non_financial" else None
    )
    benefit_plan = BenefitPlan.objects.create(line=line, kpi=kpi, source=source, owner=owner)
    BenefitPeriod.objects.bulk_create(
        BenefitPeriod(plan=benefit_plan, year=y, quarter=q, expected=Decimal(e), actual=a and Decimal(a))
        for (y, q), e, a in periods
    )
    return benefit_plan


def worked_example(*, ecom_label: str = "Saving", crm_label: str = "Saving") -> tuple[Initiative, Initiative]:
    """Two sponsors, two programs: ECOM-1's derived plan of the worked example, and CRM-2's entered one (with
    a non-financial plan and an unplanned revenue line)."""
    erin = UserFactory(username="erin", first_name="Erin", last_name="Exec")
    formula = UserFactory(username="formula", first_name="=HYPERLINK(1)", last_name="<b>")
    objective = ObjectiveFactory(code="O1", title="Serve customers better")
    kpi = KPIFactory(
        objective=objective,
        name="Support calls per 1,000 orders",
        direction=Direction.DECREASE,
        baseline_value=Decimal("42"),
        target_value=Decimal("30"),
    )
    for day, value in [
        (D(2026, 1, 31), "38"),
        (D(2026, 3, 31), "35"),
        (D(2026, 6, 30), "32"),
        (D(2026, 12, 15), "27"),
    ]:
        ReadingFactory(kpi=kpi, date=day, value=Decimal(value))
    ecom = InitiativeFactory(
        code="ECOM-1", sponsor=erin, program=ProgramFactory(name="Digital"), go_live_date=D(2026, 2, 15)
    )
    crm = InitiativeFactory(code="CRM-2", sponsor=formula, program=None, go_live_date=D(2026, 6, 1))
    ContributionFactory(initiative=ecom, objective=objective, kpi=kpi, expected_change=Decimal("-6"))
    ContributionFactory(initiative=crm, objective=objective, kpi=kpi, expected_change=Decimal("-4"))
    plan(
        ecom,
        kpi=kpi,
        source="derived",
        label=ecom_label,
        periods=[((2026, 1), "12345.67", None)]
        + [((2026, q), "20000", None) for q in (2, 3, 4)]
        + [((2027, q), "20000", None) for q in (1, 2, 3, 4)],
    )
    plan(
        crm,
        kind="revenue",
        label=crm_label,
        periods=[((2026, 3), "10000", "5000"), ((2026, 4), "10000", "7000"), ((2027, 1), "10000", None)],
    )
    plan(crm, kind="non_financial", kpi=kpi, position=1, periods=[((2026, 4), "3", "2")])
    BusinessCaseLine.objects.create(case=crm.business_case, position=2, kind="revenue", label="Unplanned")
    return ecom, crm
