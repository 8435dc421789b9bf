"""Reads for benefit plans: each plan's quarters with their actuals (entered, or derived from the KPI's readings
by portfolio.benefits' rule) and its realisation figures, for one initiative's page or for many plans at once
(the executive benefits view) with the same handful of queries whatever the number of plans."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from core.formatting import number
from portfolio import benefits, finance
from portfolio.benefits import CENT, KPI_PLACES, Period, Quarter
from portfolio.models import ActualsSource, BenefitPeriod, BenefitPlan, Contribution, Direction, Reading


@dataclass(frozen=True)
class PlanRow:
    """One quarter of a plan as shown: expected, actual (entered or derived) and, when derived, why."""

    quarter: Quarter
    expected: Decimal | None
    actual: Decimal | None
    note: str = ""


@dataclass(frozen=True)
class PlanResult:
    plan: BenefitPlan
    financial: bool
    rows: list[PlanRow]
    realisation: benefits.Realisation
    attribution: benefits.Attribution | None  # derived plans only

    @property
    def periods(self) -> list[Period]:
        return [Period(row.quarter, row.expected, row.actual) for row in self.rows]


def _note(
    share: benefits.QuarterShare | None,
    attribution: benefits.Attribution,
    as_of: datetime.date,
    quarter: Quarter,
) -> str:
    """Why a derived quarter's actual is what it is, in words and with the figures the rule used."""
    if share is None:
        return attribution.note
    if share.fraction is None:
        return "To come." if quarter.end > as_of and share.note != "Before go-live." else share.note
    assert share.value is not None
    assert share.movement is not None
    text = (
        f"Reading {number(share.value, 4)}: moved {number(share.movement, 4)} of "
        f"{number(attribution.claimed_total, 4)} claimed, {share.fraction * 100:.1f} % realised"
    )
    if share.movement <= 0:
        text += " (no movement in the KPI's direction)"
    elif share.fraction == 1:
        text += " (capped at everything claimed)"
    return text + ("." if quarter.end <= as_of else "; the quarter is under way.")


def money_plans() -> QuerySet[BenefitPlan]:
    """The plans of money benefit lines, with what plan_results reads (their line, case, initiative and KPI):
    a non-financial line's values are in its KPI's unit and cannot be added to money."""
    non_financial = finance.LineKind.NON_FINANCIAL.value
    costs = [finance.LineKind.CAPEX.value, finance.LineKind.OPEX.value]
    # a line turned into a cost since its plan was entered keeps the plan, which counts no more
    return BenefitPlan.objects.exclude(line__kind__in=[non_financial, *costs]).select_related(
        "kpi", "line__case__initiative"
    )


def plans() -> QuerySet[BenefitPlan]:
    """Every benefit plan (money and non-financial) with what plan_results reads and its owner (the plan's, or
    the initiative's sustainment owner: plan_owner), in the order of the initiatives' codes and their business
    case lines: the API's and the exports' rows."""
    return BenefitPlan.objects.select_related(
        "kpi", "owner", "line__case__initiative__sustainment_owner"
    ).order_by("line__case__initiative__code", "line__position", "pk")


def plan_owner(plan: BenefitPlan) -> Any:
    """Who answers for a plan's benefit: its owner, or when none is entered the initiative's sustainment
    owner (read with plans())."""
    return plan.owner if plan.owner_id else plan.line.case.initiative.sustainment_owner


def derived_inputs(
    kpi_ids: set[int], until: datetime.date | None = None
) -> tuple[dict[int, list[tuple[int, Decimal]]], dict[int, list[tuple[datetime.date, Decimal]]]]:
    """What derives the actuals of plans measured by these KPIs: by KPI, the contributions claiming a change
    in it (initiative, expected change) and its readings (up to `until` when given). Two queries, none when
    no KPI is given."""
    claims: defaultdict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    readings: defaultdict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    if not kpi_ids:
        return claims, readings
    for initiative_id, kpi_id, change in Contribution.objects.filter(
        kpi_id__in=kpi_ids, expected_change__isnull=False
    ).values_list("initiative_id", "kpi_id", "expected_change"):
        if kpi_id is not None and change is not None:
            claims[kpi_id].append((initiative_id, change))
    chosen = Reading.objects.filter(kpi_id__in=kpi_ids)
    if until is not None:
        chosen = chosen.filter(date__lte=until)
    for kpi_id, day, value in chosen.values_list("kpi_id", "date", "value"):
        readings[kpi_id].append((day, value))
    return claims, readings


def plan_results(plans: Sequence[BenefitPlan], as_of: datetime.date) -> dict[int, PlanResult]:
    """Every plan's quarters and realisation as of a date. `plans` come with their line, the line's case and
    initiative, and the plan's KPI (select_related); this reads their quarters, and for the derived ones the
    contributions naming their KPIs and those KPIs' readings: three queries in all."""
    if not plans:
        return {}
    periods: defaultdict[int, list[BenefitPeriod]] = defaultdict(list)
    for period in BenefitPeriod.objects.filter(plan_id__in=[p.pk for p in plans]).order_by(
        "plan_id", "year", "quarter"
    ):
        periods[period.plan_id].append(period)
    claims, readings = derived_inputs(
        {p.kpi_id for p in plans if p.source == ActualsSource.DERIVED and p.kpi_id}
    )
    results = {}
    for plan in plans:
        financial = plan.line.line_kind.is_financial
        places = CENT if financial else KPI_PLACES
        stored = periods[plan.pk]
        attribution = None
        if plan.source == ActualsSource.DERIVED and plan.kpi is not None:
            initiative = plan.line.case.initiative
            attribution, derived = benefits.derived_periods(
                [Period(Quarter(p.year, p.quarter), p.expected, None) for p in stored],
                higher_is_better=plan.kpi.direction == Direction.INCREASE,
                baseline_value=plan.kpi.baseline_value,
                go_live=initiative.go_live_date,
                readings=readings[plan.kpi.pk],
                claims=claims[plan.kpi.pk],
                initiative_id=initiative.pk,
                places=places,
            )
            rows = [
                PlanRow(
                    period.quarter,
                    period.expected,
                    period.actual,
                    _note(attribution.shares.get(period.quarter), attribution, as_of, period.quarter),
                )
                for period in derived
            ]
        else:
            rows = [
                PlanRow(
                    Quarter(p.year, p.quarter),
                    p.expected,
                    p.actual,
                    "To come." if Quarter(p.year, p.quarter).end > as_of and p.actual is None else "",
                )
                for p in stored
            ]
        result = benefits.realisation([Period(r.quarter, r.expected, r.actual) for r in rows], as_of, places)
        results[plan.pk] = PlanResult(plan, financial, rows, result, attribution)
    return results
