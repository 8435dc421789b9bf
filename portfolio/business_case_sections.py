"""The business case on the portfolio's pages: its section of the initiative page, and the register's NPV and
ROI columns, sorted by the figures stored with each case."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import mark_safe

from core.extensions import PageSection, RegisterColumn, registry
from core.formatting import money, money_full
from portfolio import finance
from portfolio.models import BusinessCase, FinancialPolicy, Initiative
from portfolio.services import business_cases as service

EMPTY_CELL = mark_safe('<td class="num text-nowrap"><span class="text-body-secondary">—</span></td>')


def percent(fraction: Decimal | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.226110 -> "22.61 %"; None -> "—"."""
    if fraction is None:
        return "—"
    return f"{fraction * 100:,.{digits}f} %".replace("-", "−")


def years(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} years"


@dataclass(frozen=True)
class GridLine:
    kind: str
    label: str
    kpi: str
    cost: bool
    financial: bool
    cells: list[str]


def case_view(case: BusinessCase, policy: FinancialPolicy) -> dict[str, Any]:
    """What the page shows of a case: the lines x years grid (the horizon's years, and any year outside it
    that holds an amount), each year's flows, and the figures computed now under `policy`."""
    lines = list(case.lines.select_related("kpi").prefetch_related("amounts"))
    horizon = list(range(case.first_year, case.first_year + policy.horizon_years))
    extra = sorted({a.year for line in lines for a in line.amounts.all()} - set(horizon))
    columns = sorted({*horizon, *extra})
    result = finance.evaluate_business_case(
        [
            finance.CaseLine(
                kind=line.line_kind,
                label=line.label,
                amounts={a.year - case.first_year: a.amount for a in line.amounts.all()},
                kpi=line.kpi.name if line.kpi else "",
            )
            for line in lines
        ],
        policy.policy(),
    )
    grid = []
    for line in lines:
        by_year = {a.year: a.amount for a in line.amounts.all()}
        kind = line.line_kind
        cells = [
            (
                ""
                if year not in by_year
                else money_full(by_year[year])
                if kind.is_financial
                else f"{by_year[year].normalize():f}"
            )
            for year in columns
        ]
        grid.append(
            GridLine(
                line.get_kind_display(),
                line.label,
                line.kpi.name if line.kpi else "",
                kind.is_cost,
                kind.is_financial,
                cells,
            )
        )
    flows = {case.first_year + y.year: y for y in result.years}
    return {
        "case": case,
        "policy": policy,
        "columns": [(year, year - case.first_year, year in flows) for year in columns],
        "grid": grid,
        "flows": [flows.get(year) for year in columns],
        "result": result,
        "figures": {
            "npv": money_full(result.npv, cents=True),
            "irr": percent(result.irr),
            "payback": years(result.payback_years),
            "discounted_payback": years(result.discounted_payback_years),
            "roi": percent(result.roi),
            "total_cost": money_full(result.total_costs, cents=True),
            "total_benefit": money_full(result.total_benefits, cents=True),
        },
        "rate": percent(policy.discount_rate / 100),
        "ignored": [(i.label, case.first_year + i.year, money_full(i.amount)) for i in result.ignored],
    }


def business_case(initiative: Initiative, user: Any) -> dict[str, Any]:
    case = BusinessCase.objects.filter(pk=initiative.pk).first()
    policy = service.current_policy()
    context: dict[str, Any] = {
        "case": None,
        "policy": policy,
        "rate": percent(policy.discount_rate / 100),
        "can_edit_case": service.can_edit_business_case(user, initiative),
    }
    if case is not None:
        context.update(case_view(case, policy))
    return context


def _with_case(rows: Any) -> Any:
    return rows.select_related("business_case").defer("business_case__irr_note")


def _case(initiative: Initiative) -> BusinessCase | None:
    return getattr(initiative, "business_case", None)  # no case: the reverse one-to-one raises AttributeError


def _npv_cell(initiative: Initiative) -> str:
    case = _case(initiative)
    if case is None or case.npv is None:
        return EMPTY_CELL
    # plain formatting, the text escaped: see alignment.extensions (the register's cells)
    return mark_safe(
        f'<td class="num text-nowrap" title="{escape(money_full(case.npv))}">{escape(money(case.npv))}</td>'
    )


def _roi_cell(initiative: Initiative) -> str:
    case = _case(initiative)
    if case is None or case.roi is None:
        return EMPTY_CELL
    return mark_safe(f'<td class="num text-nowrap">{escape(percent(case.roi, 0))}</td>')


def register() -> None:
    registry.add_section(
        PageSection(
            "business-case", "Business case", 35, "portfolio/sections/_business_case.html", business_case
        )
    )
    registry.add_column(
        RegisterColumn("npv", "NPV", 30, _with_case, _npv_cell, sort_field="business_case__npv", numeric=True)
    )
    registry.add_column(
        RegisterColumn("roi", "ROI", 31, _with_case, _roi_cell, sort_field="business_case__roi", numeric=True)
    )
