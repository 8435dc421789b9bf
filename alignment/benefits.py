"""The executive benefits view (issue 14, part 2): expected against realised benefit by objective, program and
sponsor, with totals, and the portfolio's cumulative benefit over time.

Money benefit lines only: a non-financial line's values are in its KPI's unit and cannot be added to money
(they are counted and shown on each initiative's page). Each plan's figures come from portfolio.benefits'
rules through portfolio.benefit_selectors, read with a fixed number of queries whatever the number of plans;
a group's figures are the sums of its plans' figures (its forecast too), so the groups of each dimension add
up to the totals.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from alignment.charts import BLUE, ORANGE, axis, layout
from core.chart_parts import Chart, Table
from core.formatting import currency_symbol, person
from portfolio import benefits, finance
from portfolio.benefit_selectors import PlanResult, money_plans, plan_results
from portfolio.benefits import CENT
from portfolio.models import BenefitPlan, BusinessCaseLine

GROUP_LIMIT = 50  # groups shown per dimension on the page; the CSV has them all
ZERO = Decimal("0")
FRACTION = Decimal("0.000001")


@dataclass
class Group:
    """Sums of the realisation figures of the plans in one group (an objective, a program, a sponsor)."""

    name: str
    plans: int = 0
    expected_to_date: Decimal = ZERO
    realised_to_date: Decimal = ZERO
    total_expected: Decimal = ZERO
    forecast: Decimal = ZERO
    measured: int = 0  # quarters to date with an actual, over the group's plans
    lacking: int = 0  # quarters to date that expected a benefit and have no actual

    def add(self, r: benefits.Realisation) -> None:
        self.plans += 1
        self.expected_to_date += r.expected_to_date
        self.realised_to_date += r.realised_to_date
        self.total_expected += r.total_expected
        self.forecast += r.forecast
        self.measured += r.measured
        self.lacking += len(r.missing_actuals)

    @property
    def forecast_confidence(self) -> str:
        """How sure the group's forecast is, in words (portfolio.benefits.forecast_confidence)."""
        return benefits.forecast_confidence(
            total_expected=self.total_expected,
            expected_to_date=self.expected_to_date,
            remaining_expected=self.total_expected - self.expected_to_date,
            measured=self.measured,
            lacking=self.lacking,
        )[1]

    @property
    def variance(self) -> Decimal:
        return self.realised_to_date - self.expected_to_date

    @property
    def variance_fraction(self) -> Decimal | None:
        if not self.expected_to_date:
            return None
        return (self.variance / self.expected_to_date).quantize(FRACTION)

    @property
    def variance_pct(self) -> Decimal | None:
        fraction = self.variance_fraction
        return None if fraction is None else fraction * 100


@dataclass
class Dimension:
    key: str
    title: str
    groups: list[Group] = field(default_factory=list)

    @property
    def shown(self) -> list[Group]:
        return self.groups[:GROUP_LIMIT]

    @property
    def hidden(self) -> int:
        return max(len(self.groups) - GROUP_LIMIT, 0)


@dataclass(frozen=True)
class BenefitsView:
    as_of: datetime.date
    total: Group
    dimensions: list[Dimension]
    cumulative: list[tuple[benefits.Quarter, Decimal, Decimal | None]]
    non_financial: int  # plans of non-financial lines, left out of the money figures
    unplanned: int  # money benefit lines without a plan


def _objective(result: PlanResult) -> str:
    kpi = result.plan.kpi
    return f"{kpi.objective.code} {kpi.objective.title}" if kpi is not None else "No KPI named"


def _program(result: PlanResult) -> str:
    program = result.plan.line.case.initiative.program
    return program.name if program is not None else "No program"


def _sponsor(result: PlanResult) -> str:
    sponsor = result.plan.line.case.initiative.sponsor
    return person(sponsor) if sponsor is not None else "No sponsor"


DIMENSIONS: list[tuple[str, str, Callable[[PlanResult], str]]] = [
    ("objective", "By objective (of the KPI a benefit is measured by)", _objective),
    ("program", "By program", _program),
    ("sponsor", "By sponsor", _sponsor),
]


def _grouped(results: Iterable[PlanResult], key: Callable[[PlanResult], str]) -> list[Group]:
    groups: dict[str, Group] = {}
    for result in results:
        name = key(result)
        groups.setdefault(name, Group(name)).add(result.realisation)
    return sorted(groups.values(), key=lambda g: (-g.total_expected, g.name))


def benefits_view(as_of: datetime.date) -> BenefitsView:
    """Every money benefit plan's realisation as of a date, summed by objective, program and sponsor, and
    the portfolio's cumulative expected and realised benefit by quarter. Six queries whatever the data."""
    non_financial = finance.LineKind.NON_FINANCIAL.value
    costs = [finance.LineKind.CAPEX.value, finance.LineKind.OPEX.value]
    plans = list(
        money_plans().select_related(
            "kpi__objective",
            "line__case__initiative__program",
            "line__case__initiative__sponsor",
        )
    )
    results = list(plan_results(plans, as_of).values())
    total = Group("All benefits")
    for result in results:
        total.add(result.realisation)
    periods = [period for result in results for period in result.periods]
    return BenefitsView(
        as_of=as_of,
        total=total,
        dimensions=[Dimension(key, title, _grouped(results, rule)) for key, title, rule in DIMENSIONS],
        cumulative=[
            (
                quarter,
                benefits.rounded(expected, CENT),
                None if realised is None else benefits.rounded(realised, CENT),
            )
            for quarter, expected, realised in benefits.cumulative(periods, as_of)
        ],
        non_financial=BenefitPlan.objects.filter(line__kind=non_financial).count(),
        unplanned=BusinessCaseLine.objects.exclude(kind__in=[*costs, non_financial])
        .filter(benefit_plan__isnull=True)
        .count(),
    )


GROUP_COLUMNS = [
    "dimension",
    "group",
    "plans",
    "expected_to_date",
    "realised_to_date",
    "variance",
    "variance_pct",
    "total_expected",
    "forecast",
]


def group_rows(view: BenefitsView) -> list[list[Any]]:
    """Every group of every dimension, then the totals, as the CSV has them (money to the cent)."""
    rows = []
    for dimension in view.dimensions:
        for group in dimension.groups:
            rows.append(_row(dimension.key, group))
    rows.append(_row("total", view.total))
    return rows


def _row(dimension: str, group: Group) -> list[Any]:
    fraction = group.variance_fraction
    return [
        dimension,
        group.name,
        group.plans,
        group.expected_to_date,
        group.realised_to_date,
        group.variance,
        None if fraction is None else (fraction * 100).quantize(Decimal("0.01")),
        group.total_expected,
        group.forecast,
    ]


def cumulative_chart(view: BenefitsView) -> Chart:
    """Cumulative expected and realised benefit by quarter: two lines, the realised one stopping at the last
    quarter ended (solid line with circles against a dashed line with squares, so colour is not the only
    cue)."""
    symbol = currency_symbol().strip()
    quarters = [q.label for q, _, _ in view.cumulative]
    expected = [float(e) for _, e, _ in view.cumulative]
    realised = [float(r) for _, _, r in view.cumulative if r is not None]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Expected (plan)",
                "x": quarters,
                "y": expected,
                "line": {"color": ORANGE, "dash": "dash", "width": 2},
                "marker": {"symbol": "square", "size": 6},
                "hovertemplate": "%{x}: %{y:,.0f} expected<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Realised",
                "x": quarters[: len(realised)],
                "y": realised,
                "line": {"color": BLUE, "width": 3},
                "marker": {"symbol": "circle", "size": 7},
                "hovertemplate": "%{x}: %{y:,.0f} realised<extra></extra>",
            },
        ],
        "layout": layout(
            "Cumulative benefit: expected against realised",
            xaxis=axis("Quarter", type="category"),
            yaxis=axis(f"Cumulative benefit ({symbol})", tickformat="~s", rangemode="tozero"),
        ),
    }
    table = Table(
        ["Quarter", f"Cumulative expected ({symbol})", f"Cumulative realised ({symbol})"],
        [[q.label, e, r] for q, e, r in view.cumulative],
    )
    return Chart(
        "cumulative-benefit",
        "Cumulative benefit: expected against realised",
        "Money benefits of every benefit plan, summed by quarter since the first planned quarter. Realised "
        f"counts the quarters ended by {view.as_of.isoformat()}.",
        figure,
        table,
    )
