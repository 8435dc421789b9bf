"""What the portfolio's lists export: each list's columns, named as the fields an import of that list
accepts, over the rows its page selects (the same selectors and filter forms, so a download holds what the
page shows, every page of it).

People are written by username, programs by name, objectives and initiatives by code, choices by their stored
value (`in_delivery`, `grow`): what an import reads back. A column an import cannot set (a global weight, a
KPI's latest reading) says so in IMPORT_IGNORED and is left out of a template.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from core.extensions import registry
from core.tabular import Column, Export
from portfolio import selectors
from portfolio.benefit_selectors import PlanResult, plan_owner, plan_results, plans
from portfolio.benefits import CENT, KPI_PLACES, rounded
from portfolio.models import KPI, Initiative, Objective, Reading
from portfolio.models.objectives import KPI_VALUE

INITIATIVE_COLUMNS = (
    Column("code", "code"),
    Column("title", "title"),
    Column("description", "description"),
    Column("program", "program__name"),
    Column("category", "category"),
    Column("stage", "stage"),
    Column("sponsor", "sponsor__username"),
    Column("manager", "manager__username"),
    Column("planned_start", "planned_start"),
    Column("planned_end", "planned_end"),
    Column("actual_start", "actual_start"),
    Column("actual_end", "actual_end"),
    Column("budget_capex", "budget_capex"),
    Column("budget_opex", "budget_opex"),
    Column("actual_cost", "actual_cost"),
    Column("forecast_cost", "forecast_cost"),
    Column("requirements_clarity", "requirements_clarity"),
    Column("criticality", "criticality"),
    Column("sustainment_owner", "sustainment_owner__username"),
    Column("go_live_date", "go_live_date"),
    Column("urgency", "urgency"),
    Column("mandatory", "mandatory", lambda flag: "true" if flag else "false"),  # as the import reads it
    Column("mandatory_reason", "mandatory_reason"),
    Column("wsjf_business_value", "wsjf_business_value"),
    Column("wsjf_time_criticality", "wsjf_time_criticality"),
    Column("wsjf_risk_reduction", "wsjf_risk_reduction"),
    Column("wsjf_job_size", "wsjf_job_size"),
    # the business case's stored figures (docs/business-case.md): IRR and ROI as fractions, paybacks in years
    Column("npv", "business_case__npv"),
    Column("irr", "business_case__irr"),
    Column("payback_years", "business_case__payback_years"),
    Column("roi", "business_case__roi"),
)


def initiative_export(filters: selectors.RegisterFilters) -> Export:
    """The register's rows, searched, filtered and sorted as on its page."""
    added = tuple(column for shown in registry.ordered_columns() for column in shown.export)
    return Export(
        "bearing-initiatives",
        INITIATIVE_COLUMNS + added,
        selectors.initiative_register(filters),
        "Initiatives",
    )


def _weight(weights: dict[int, float]) -> Any:
    return lambda pk: round(weights.get(pk, 0.0), 6)


def objective_export(root: Objective | None = None) -> Export:
    """The objective tree (or `root` and everything below it) in reading order, each parent before its
    children, with local and global weights. The global weights need the whole tree's weights: one query of
    four narrow columns per objective, before the rows are streamed."""
    weights = selectors.global_weights(
        Objective.objects.order_by().values_list(*selectors.WEIGHT_FIELDS, named=True)
    )
    rows: QuerySet[Any] = Objective.objects.all()
    if root is not None:
        rows = rows.filter(Q(pk=root.pk) | Q(parent_id=root.pk) | Q(parent__parent_id=root.pk))
    has_grandparent = Q(parent__parent__isnull=False)
    has_parent = Q(parent__isnull=False)
    rows = rows.annotate(
        theme_code=Coalesce("parent__parent__code", "parent__code", "code"),
        middle_code=Case(
            When(has_grandparent, then=F("parent__code")),
            When(has_parent, then=F("code")),
            default=Value(""),
            output_field=CharField(),
        ),
        leaf_code=Case(When(has_grandparent, then=F("code")), default=Value(""), output_field=CharField()),
    ).order_by("theme_code", "middle_code", "leaf_code")
    columns = (
        Column("code", "code"),
        Column("parent", "parent__code"),
        Column("title", "title"),
        Column("description", "description"),
        Column("owner", "owner__username"),
        Column("horizon_start", "horizon_start"),
        Column("horizon_end", "horizon_end"),
        Column("status", "status"),
        Column("local_weight", "local_weight"),
        Column("global_weight", "pk", _weight(weights)),
    )
    name = f"bearing-objectives-{root.code}" if root is not None else "bearing-objectives"
    return Export(name, columns, rows, "Objectives")


def _kpi_value(value: Any) -> Decimal | None:
    """A KPI value read through a subquery, at the stored precision whatever the database returned."""
    return None if value is None else Decimal(value).quantize(KPI_PRECISION)


KPI_PRECISION = Decimal(1).scaleb(-KPI_VALUE["decimal_places"])


def _branch(objective: Objective, path: str) -> Q:
    """Rows whose objective (at `path`) is `objective` or below it."""
    return (
        Q(**{path: objective})
        | Q(**{f"{path}__parent": objective})
        | Q(**{f"{path}__parent__parent": objective})
    )


KPI_COLUMNS = (
    Column("objective", "objective__code"),
    Column("name", "name"),
    Column("description", "description"),
    Column("unit", "unit"),
    Column("direction", "direction"),
    Column("baseline_value", "baseline_value"),
    Column("baseline_date", "baseline_date"),
    Column("target_value", "target_value"),
    Column("target_date", "target_date"),
    Column("latest_value", "latest_value", _kpi_value),
    Column("latest_date", "latest_date"),
)


def kpi_export(objective: Objective | None = None) -> Export:
    """Every KPI (or those of an objective and the objectives below it), by objective code and name, with its
    latest reading."""
    rows = KPI.objects.annotate(**selectors.latest_reading_annotations())
    if objective is not None:
        rows = rows.filter(_branch(objective, "objective"))
    name = f"bearing-kpis-{objective.code}" if objective is not None else "bearing-kpis"
    return Export(name, KPI_COLUMNS, rows.order_by("objective__code", "name", "pk"), "KPIs")


READING_COLUMNS = (
    Column("objective", "kpi__objective__code"),
    Column("kpi", "kpi__name"),
    Column("date", "date"),
    Column("value", "value"),
    Column("source", "source"),
    Column("entered_by", "entered_by__username"),
)


def reading_export(*, objective: Objective | None = None, kpi: KPI | None = None) -> Export:
    """Every reading (or those of an objective and the objectives below it, or of a KPI), by objective code,
    KPI name and date."""
    rows = Reading.objects.all()
    name = "bearing-readings"
    if objective is not None:
        rows = rows.filter(_branch(objective, "kpi__objective"))
        name = f"{name}-{objective.code}"
    if kpi is not None:
        rows = rows.filter(kpi=kpi)
        name = f"{name}-kpi-{kpi.pk}"
    return Export(
        name, READING_COLUMNS, rows.order_by("kpi__objective__code", "kpi__name", "date"), "Readings"
    )


MILESTONE_COLUMNS = (
    Column("initiative", "initiative__code"),
    Column("name", "name"),
    Column("baseline_date", "baseline_date"),
    Column("forecast_date", "forecast_date"),
    Column("actual_date", "actual_date"),
)


def milestone_export(rows: QuerySet[Any]) -> Export:
    """The milestone list's rows (selectors.milestone_list), in its order."""
    return Export("bearing-milestones", MILESTONE_COLUMNS, rows, "Milestones")


# read-only columns: what the lists compute, which an import of the same file reads past
IMPORT_IGNORED = frozenset(
    {"global_weight", "latest_value", "latest_date", "exposure", "npv", "irr", "payback_years", "roi"}
    # and what other apps add to the register's export (core.extensions.RegisterColumn.export)
    | {"status_schedule", "status_cost", "status_scope", "status_benefits", "status_review"}
    | {"alignment", "fit", "outcome", "delivery", "governance", "tier", "confidence", "confidence_gaps"}
)


# ------------------------------------------------------------------------------------------ benefit plans

BENEFIT_PLAN_COLUMNS = (
    "initiative",
    "title",
    "line",
    "kind",
    "financial",
    "owner",
    "kpi",
    "source",
)
BENEFIT_QUARTER_HEADER = (*BENEFIT_PLAN_COLUMNS, "year", "quarter", "expected", "actual", "actual_from")
BENEFIT_SUMMARY_HEADER = (
    *BENEFIT_PLAN_COLUMNS,
    "as_of",
    "expected_to_date",
    "realised_to_date",
    "variance",
    "variance_pct",
    "realisation_rate_pct",
    "total_expected",
    "forecast",
    "forecast_variance",
    "quarters_lacking_actual",
    "forecast_confidence",
    "forecast_confidence_words",
)


def _plan_cells(result: PlanResult) -> list[Any]:
    plan = result.plan
    initiative = plan.line.case.initiative
    owner = plan_owner(plan)
    return [
        initiative.code,
        initiative.title,
        plan.line.label,
        plan.line.kind,
        "true" if result.financial else "false",
        owner.get_username() if owner is not None else "",
        plan.kpi.name if plan.kpi is not None else "",
        plan.source,
    ]


def _percent(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else (fraction * 100).quantize(Decimal("0.0001"))


def benefit_quarter_rows(results: Iterable[PlanResult]) -> Iterator[list[Any]]:
    """One row per plan and quarter: expected and actual (derived actuals computed as the pages compute
    them; money to the cent, KPI values to 4 decimals), and where the actual came from (`entered`,
    `derived`, empty when there is none)."""
    for result in results:
        cells = _plan_cells(result)
        places = CENT if result.financial else KPI_PLACES
        for row in result.rows:
            yield [
                *cells,
                row.quarter.year,
                row.quarter.quarter,
                None if row.expected is None else rounded(row.expected, places),
                None if row.actual is None else rounded(row.actual, places),
                "" if row.actual is None else result.plan.source,
            ]


def benefit_summary_rows(results: Iterable[PlanResult]) -> Iterator[list[Any]]:
    """One row per plan with its realisation figures as of the results' day (docs/benefits.md); percentages
    to 4 decimals, the quarters lacking an actual as "2026 Q3; 2026 Q4"."""
    for result in results:
        r = result.realisation
        yield [
            *_plan_cells(result),
            r.as_of,
            r.expected_to_date,
            r.realised_to_date,
            r.variance,
            _percent(r.variance_fraction),
            _percent(r.rate),
            r.total_expected,
            r.forecast,
            r.forecast_variance,
            "; ".join(quarter.label for quarter in r.missing_actuals),
            *r.forecast_confidence(),
        ]


def benefit_results(as_of: datetime.date, initiative: Initiative | None = None) -> list[PlanResult]:
    """Every benefit plan's quarters and realisation as of a day (or one initiative's), in code and line
    order: four queries whatever the number of plans (the plans, their quarters, and for derived plans the
    contributions and readings of their KPIs)."""
    rows = plans()
    if initiative is not None:
        rows = rows.filter(line__case__initiative=initiative)
    found = list(rows)
    results = plan_results(found, as_of)
    return [results[plan.pk] for plan in found]
