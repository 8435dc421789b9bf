"""What the benefit signal tests share (rules 16 to 18 of docs/scoring.md): benefit lines with their plans
written straight to the tables, and live initiatives that no other rule has anything to say about."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.urls import reverse

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from portfolio.models import BenefitPeriod, BenefitPlan, BusinessCase, BusinessCaseLine, Initiative, Objective
from tests.alignment.signal_support import TODAY, D, subject
from tests.factories import ContributionFactory, KPIFactory, ReadingFactory, UserFactory

GO_LIVE = D(2026, 2, 15)
Quarters = Sequence[tuple[tuple[int, int], str | None, str | None]]  # ((year, quarter), expected, actual)


def line(
    initiative: Initiative, label: str, kind: str = "cost_saving", position: int = 0, kpi: Any = None
) -> BusinessCaseLine:
    case, _ = BusinessCase.objects.get_or_create(initiative=initiative, defaults={"first_year": 2026})
    return BusinessCaseLine.objects.create(
        case=case, position=position, kind=kind, label=label, kpi=kpi if kind == "non_financial" else None
    )


def plan(
    initiative: Initiative,
    label: str,
    quarters: Quarters,
    *,
    kind: str = "cost_saving",
    position: int = 0,
    kpi: Any = None,
    source: str = "entered",
) -> BenefitPlan:
    """A benefit line with its plan and quarters (the engine reads; the service is tested elsewhere)."""
    benefit_plan = BenefitPlan.objects.create(
        line=line(initiative, label, kind, position, kpi), kpi=kpi, source=source
    )
    BenefitPeriod.objects.bulk_create(
        BenefitPeriod(
            plan=benefit_plan,
            year=year,
            quarter=quarter,
            expected=None if expected is None else Decimal(expected),
            actual=None if actual is None else Decimal(actual),
        )
        for (year, quarter), expected, actual in quarters
    )
    return benefit_plan


def set_actual(benefit_plan: BenefitPlan, year: int, quarter: int, actual: str) -> None:
    BenefitPeriod.objects.filter(plan=benefit_plan, year=year, quarter=quarter).update(actual=Decimal(actual))


def live(
    themes: dict[str, Objective], code: str = "SUBJ-1", go_live: D = GO_LIVE, **values: Any
) -> Initiative:
    """A live initiative whose KPI was read after go-live at its target and that has a sustainment owner: no
    rule but the benefit rules has anything to say about it."""
    kpi = KPIFactory(objective=themes["t1"], name=f"KPI of {code}")
    ReadingFactory(kpi=kpi, date=D(2026, 11, 1), value=Decimal("20"))
    initiative = subject(
        themes,
        code=code,
        stage=values.pop("stage", Stage.LIVE),
        go_live_date=go_live,
        sustainment_owner=UserFactory(),
        contributions=[],
        **values,
    )
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)
    return initiative


def raised_by(rule: str) -> list[tuple[str, str, str]]:
    """The signals of one rule after a full recompute on TODAY: (initiative code, severity, message)."""
    services.recompute(today=TODAY)
    return list(
        Signal.objects.filter(rule=rule)
        .order_by("initiative__code")
        .values_list("initiative__code", "severity", "message")
    )


def plan_url(benefit_line: BenefitPlan | BusinessCaseLine) -> str:
    """The plan page of a benefit line (a plan shares its line's key)."""
    return reverse("portfolio:benefit-plan-edit", args=[benefit_line.pk])
