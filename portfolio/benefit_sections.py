"""The Benefits section of the initiative page: each benefit line's plan, its quarters with expected and
actual values, and its realisation to date, variance and forecast."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from core.extensions import PageSection, registry
from core.formatting import money_full, number, person
from portfolio.benefit_selectors import PlanResult, plan_results
from portfolio.models import BenefitPlan, Initiative
from portfolio.services import benefits as service


def percent(fraction: Decimal | None) -> str:
    if fraction is None:
        return "—"
    return f"{fraction * 100:+,.1f} %".replace("-", "−")


@dataclass(frozen=True)
class LineView:
    line_id: int
    label: str
    kind: str
    financial: bool
    owner: str
    owner_is_default: bool
    kpi: str
    source: str
    result: PlanResult | None
    figures: dict[str, str]


def plan_figures(result: PlanResult) -> dict[str, str]:
    """A plan's realisation figures in words: money, or values in its KPI's unit (the page's and the board
    pack's)."""
    r = result.realisation
    kpi = result.plan.kpi
    unit = f" {kpi.unit}" if kpi is not None and kpi.unit else ""

    def fmt(value: Decimal) -> str:
        return (
            money_full(value, cents=True) if result.financial else number(value, 4).replace("-", "−") + unit
        )

    return {
        "expected_to_date": fmt(r.expected_to_date),
        "realised_to_date": fmt(r.realised_to_date),
        "variance": fmt(r.variance),
        "variance_pct": percent(r.variance_fraction),
        "total_expected": fmt(r.total_expected),
        "forecast": fmt(r.forecast),
        "forecast_variance": fmt(r.forecast_variance),
        "rate": "—" if r.rate is None else f"{r.rate * 100:,.1f} %",
        "forecast_confidence": r.forecast_confidence()[1],
    }


def _plan(line: Any) -> BenefitPlan | None:
    return getattr(line, "benefit_plan", None)  # no plan: the reverse one-to-one raises AttributeError


def benefits_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    lines = service.benefit_lines(initiative.pk)
    plans = [plan for line in lines if (plan := _plan(line)) is not None]
    today = timezone.localdate()
    results = plan_results(plans, today)
    by_line = {plan.pk: plan for plan in plans}
    views = []
    for line in lines:
        plan = by_line.get(line.pk)
        result = results.get(line.pk)
        owner = plan.owner if plan and plan.owner_id else initiative.sustainment_owner
        views.append(
            LineView(
                line_id=line.pk,
                label=line.label,
                kind=line.get_kind_display(),
                financial=line.line_kind.is_financial,
                owner=person(owner),
                owner_is_default=not (plan and plan.owner_id),
                kpi=(plan.kpi.name if plan and plan.kpi else (line.kpi.name if line.kpi else "")),
                source=plan.get_source_display() if plan else "",
                result=result,
                figures=plan_figures(result) if result else {},
            )
        )
    return {
        "benefit_lines": views,
        "as_of": today,
        "benefit_plans": len(plans),
        "benefit_export_query": urlencode({"initiative": initiative.code}),
        "can_edit_benefits": service.can_edit_benefit_plan(user, initiative),
    }


def register() -> None:
    registry.add_section(
        PageSection("benefits", "Benefits", 36, "portfolio/sections/_benefits.html", benefits_section)
    )
