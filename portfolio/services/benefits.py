"""Writes for benefit plans (docs/benefits.md): a benefit line's owner, KPI, source of actuals and its quarters'
expected and actual values, validated whole before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.records import record_put
from core.roles import can_edit_initiative
from portfolio import finance
from portfolio.benefits import Quarter
from portfolio.events import benefit_actual_event, benefit_plan_event
from portfolio.models import KPI, ActualsSource, BenefitPeriod, BenefitPlan, BusinessCaseLine, Initiative
from portfolio.services.business_cases import MAX_MONEY

MAX_QUARTERS = 200  # fifty years of quarters: the longest horizon a financial policy allows
KPI_LIMIT = Decimal("1e14")


@dataclass(frozen=True)
class PeriodInput:
    """A quarter as entered: its expected and actual values (None or "": not entered)."""

    expected: Any = None
    actual: Any = None


def can_edit_benefit_plan(user: Any, initiative: Initiative) -> bool:
    """Who edits an initiative's benefit plans: whoever edits its business case (PMO all, a manager their
    own initiatives)."""
    return can_edit_initiative(user, initiative)


def benefit_lines(initiative_id: int) -> list[BusinessCaseLine]:
    """The initiative's benefit lines (every line that is not a cost), in the business case's order, each with
    its plan when it has one (`line.benefit_plan`), in one query."""
    costs = [finance.LineKind.CAPEX.value, finance.LineKind.OPEX.value]
    return list(
        BusinessCaseLine.objects.filter(case_id=initiative_id)
        .exclude(kind__in=costs)
        .select_related("kpi", "case__initiative", "benefit_plan__owner", "benefit_plan__kpi")
        .order_by("position")
    )


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


def _check(number: Decimal, financial: bool) -> str:
    if financial:
        if number < 0:
            return "Enter a positive sum (or 0)."
        if number >= MAX_MONEY or number != number.quantize(finance.CENT):
            return "Enter a sum in whole cents below 1,000,000,000,000."
    elif abs(number) >= KPI_LIMIT or number != number.quantize(Decimal("0.0001")):
        return "Enter a KPI value with at most 4 decimals."
    return ""


def _clean_periods(
    periods: Mapping[Quarter, PeriodInput], financial: bool, derived: bool, errors: dict[str, list[str]]
) -> dict[Quarter, tuple[Decimal | None, Decimal | None]]:
    if len(periods) > MAX_QUARTERS:
        errors["periods"] = [f"A benefit plan has at most {MAX_QUARTERS} quarters."]
        return {}
    cleaned: dict[Quarter, tuple[Decimal | None, Decimal | None]] = {}
    for quarter, entered in sorted(periods.items()):
        prefix = f"q{quarter.year}-{quarter.quarter}-"
        if not (1900 <= quarter.year <= 2200 and 1 <= quarter.quarter <= 4):
            errors.setdefault(prefix + "expected", []).append("Not a quarter Bearing takes.")
            continue
        values: list[Decimal | None] = []
        for name, raw in (("expected", entered.expected), ("actual", entered.actual)):
            if name == "actual" and derived:
                values.append(None)  # derived actuals are computed from the readings, never stored
                continue
            try:
                number = _number(raw)
            except ValueError:
                errors.setdefault(prefix + name, []).append("Enter a number.")
                values.append(None)
                continue
            problem = _check(number, financial) if number is not None else ""
            if problem:
                errors.setdefault(prefix + name, []).append(problem)
            values.append(number)
        if values[0] is not None or values[1] is not None:
            cleaned[quarter] = (values[0], values[1])
    return cleaned


def benefit_plan_save(
    *,
    user: Any,
    line_id: int,
    version: int | None,
    owner: Any = None,
    kpi: Any = None,
    source: str = ActualsSource.ENTERED,
    periods: Mapping[Quarter, PeriodInput],
) -> BenefitPlan:
    """Create or replace a benefit line's plan (owner, KPI, source of actuals and every quarter), if the user
    may edit the initiative and the plan is still at `version` (None: the user saw no plan). Everything is
    validated before anything is written; the errors name the field (`owner`, `kpi`, `source`) or the
    quarter's cell (`q2027-1-expected`, `q2027-1-actual`). With actuals derived from the KPI's readings, no
    actual is stored: they are computed whenever they are shown. In the same transaction, the outbox gets
    `benefit.plan_changed` when the plan is new or its fields or quarters changed, and one
    `benefit.actual_recorded` per quarter whose actual was entered or changed."""
    line = BusinessCaseLine.objects.select_related("case__initiative").filter(pk=line_id).first()
    if line is None:
        raise ApplicationError("This business case line no longer exists.")
    initiative = line.case.initiative
    if not can_edit_benefit_plan(user, initiative):
        raise NotAllowed("You may not change the benefit plans of this initiative.")
    kind = line.line_kind
    if kind.is_cost:
        raise ApplicationError("Only a benefit line has a benefit plan.")
    errors: dict[str, list[str]] = {}
    owner_id = getattr(owner, "pk", owner) or None
    if owner_id is not None and not get_user_model().objects.filter(pk=owner_id, is_active=True).exists():
        errors["owner"] = ["Choose an active user as the owner."]
    kpi_id = getattr(kpi, "pk", kpi) or None
    if kpi_id is not None and not KPI.objects.filter(pk=kpi_id).exists():
        errors["kpi"] = ["This KPI no longer exists."]
    if kind is finance.LineKind.NON_FINANCIAL and kpi_id != line.kpi_id:
        errors["kpi"] = ["A non-financial line is measured by the KPI its business case line names."]
    if source not in ActualsSource.values:
        errors["source"] = ["Choose whether actuals are entered or derived from KPI readings."]
    elif source == ActualsSource.DERIVED and kpi_id is None:
        errors["source"] = [
            "Actuals derived from KPI readings need the KPI: choose it, or enter the actuals."
        ]
    cleaned = _clean_periods(periods, kind.is_financial, source == ActualsSource.DERIVED, errors)
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    values = {"owner_id": owner_id, "kpi_id": kpi_id, "source": source}
    with transaction.atomic():
        # read before record_put changes it; a plan changed since (another version) is refused by record_put
        before = BenefitPlan.objects.filter(pk=line_id).values(*values).first()
        plan = record_put(
            BenefitPlan,
            pk=line_id,
            version=version,
            user=user,
            values=values,
            make=lambda: BenefitPlan(line=line),
        )
        quarters, actuals = _write_periods(plan, cleaned, user)
        if before is None:
            benefit_plan_event(plan, line, initiative, actor=user, action="created", quarters=quarters)
        else:
            fields = [name.removesuffix("_id") for name, value in values.items() if before[name] != value]
            if quarters:
                fields.append("quarters")
            if fields:
                benefit_plan_event(
                    plan, line, initiative, actor=user, action="changed", fields=fields, quarters=quarters
                )
        for quarter, expected, actual in actuals:
            benefit_actual_event(
                plan, line, initiative, actor=user, quarter=quarter, expected=expected, actual=actual
            )
        portfolio_changed(initiative_ids=[initiative.pk])
    return plan


Actual = tuple[Quarter, Decimal | None, Decimal]


def _write_periods(
    plan: BenefitPlan, cleaned: dict[Quarter, tuple[Decimal | None, Decimal | None]], user: Any
) -> tuple[list[Quarter], list[Actual]]:
    """Bring the stored quarters to the entered ones, so the audit trail records each quarter that changed.
    Returns the quarters the plan changed in (an expected value set, changed or removed, an actual removed)
    and the actuals entered or changed, each with its quarter's expected value."""
    stored = {Quarter(p.year, p.quarter): p for p in plan.periods.all()}
    changed: list[Quarter] = []
    actuals: list[Actual] = []
    for quarter in sorted(stored.keys() | cleaned.keys()):
        row = stored.get(quarter)
        expected_before, actual_before = (row.expected, row.actual) if row is not None else (None, None)
        expected, actual = cleaned.get(quarter, (None, None))
        if expected != expected_before or (actual is None and actual_before is not None):
            changed.append(quarter)
        if actual is not None and actual != actual_before:
            actuals.append((quarter, expected, actual))
    for quarter, row in stored.items():
        row._history_user = user  # type: ignore[attr-defined]
        if quarter not in cleaned:
            row.delete()
        elif (row.expected, row.actual) != cleaned[quarter]:
            row.expected, row.actual = cleaned[quarter]
            row.save()
    for quarter, (expected, actual) in cleaned.items():
        if quarter not in stored:
            row = BenefitPeriod(
                plan=plan, year=quarter.year, quarter=quarter.quarter, expected=expected, actual=actual
            )
            row._history_user = user  # type: ignore[attr-defined]
            row.save()
    return changed, actuals
