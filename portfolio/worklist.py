"""The PMO's data-quality worklist: what is missing or out of date in the entered data, check by check.

Each check is a selector that returns the offending records as a queryset, annotated with what the page
shows. `run_checks` turns them into rows with the person who answers for each and, when the viewer may edit
the record, the link to the form that fixes it. Every check costs one query whatever the portfolio's size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from core import roles
from core.extensions import WorklistCheck, registry
from core.formatting import EMPTY, person
from core.links import url_pattern
from core.markup import e, plural, td
from core.paging import CappedPage, Tally, capped_page, tally
from core.redirects import with_next
from core.stages import UNFINISHED, Stage
from portfolio import rationale
from portfolio.models import KPI, Contribution, Milestone, Objective, ObjectiveStatus, Reading

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

READING_MAX_AGE_DAYS = 120
FORECAST_MAX_AGE_DAYS = 60
MILESTONE_HORIZON_DAYS = 180
FORECAST_STAGES = (Stage.APPROVED, Stage.IN_DELIVERY)


@dataclass(frozen=True)
class WorklistFilters:
    """Which rows to check: those of one program's initiatives, and only those a person answers for."""

    program: int | None = None
    responsible: int | None = None  # a user's id: their initiatives (as manager) and objectives (as owner)


def initiatives_of(
    rows: QuerySet[Any], filters: WorklistFilters, prefix: str = "initiative__"
) -> QuerySet[Any]:
    if filters.program:
        rows = rows.filter(**{f"{prefix}program_id": filters.program})
    if filters.responsible:
        rows = rows.filter(**{f"{prefix}manager_id": filters.responsible})
    return rows


def _served_by_program(objective_ref: str, program: int) -> Exists:
    return Exists(
        Contribution.objects.filter(objective_id=OuterRef(objective_ref), initiative__program_id=program)
    )


class RationaleGap(TypedDict):
    """What contributions_without_rationale() annotates on each contribution."""

    rationale_length: int
    reason: str


def contributions_without_rationale(
    filters: WorklistFilters,
) -> QuerySet[WithAnnotations[Contribution, RationaleGap]]:
    """Contributions of open initiatives whose rationale is not a real one (portfolio.rationale, the rule the
    contribution form applies): blank, a placeholder such as "TBD", too short or too few words. The rationale
    is the only evidence that an initiative moves an objective; without it the contribution to strategic fit
    is unexplained. `reason` says which rule matched."""
    rows = (
        Contribution.objects.filter(initiative__stage__in=UNFINISHED, rationale_problem__isnull=False)
        .select_related("initiative", "initiative__manager", "objective")
        .annotate(reason=F("rationale_problem"), rationale_length=rationale.trimmed_length())
    )
    return initiatives_of(rows, filters).order_by("initiative__code", "objective__code")


def objectives_without_kpi(filters: WorklistFilters) -> QuerySet[Objective]:
    """Active objectives with no KPI of their own, so nobody can tell whether they are being met. An objective
    with active sub-objectives is left out: its sub-objectives carry the KPIs (and are checked themselves)."""
    rows = (
        Objective.objects.active()
        .select_related("owner", "parent")
        .filter(
            ~Exists(KPI.objects.filter(objective_id=OuterRef("pk"))),
            ~Exists(Objective.objects.filter(parent_id=OuterRef("pk"), status=ObjectiveStatus.ACTIVE)),
        )
    )
    if filters.program:
        rows = rows.filter(_served_by_program("pk", filters.program))
    if filters.responsible:
        rows = rows.filter(owner_id=filters.responsible)
    return rows.order_by("code")


class ReadingGap(TypedDict):
    """What kpis_without_recent_reading() annotates on each KPI."""

    latest_date: datetime.date | None


def kpis_without_recent_reading(
    filters: WorklistFilters, *, today: datetime.date
) -> QuerySet[WithAnnotations[KPI, ReadingGap]]:
    """KPIs of active objectives with no reading at all, or none in the last READING_MAX_AGE_DAYS days: their
    progress, forecast and status are guesses until someone enters a number. `latest_date` is the latest
    reading's date (None when there is none)."""
    cutoff = today - datetime.timedelta(days=READING_MAX_AGE_DAYS)
    latest = Reading.objects.filter(kpi_id=OuterRef("pk")).order_by("-date").values("date")[:1]
    rows = (
        KPI.objects.filter(objective__status=ObjectiveStatus.ACTIVE)
        .select_related("objective", "objective__owner")
        # "no reading since the cutoff" as an anti-join (one pass over the recent readings), not as the latest
        # reading of every KPI compared with the cutoff: only the KPIs that fail look their latest reading up
        .filter(~Exists(Reading.objects.filter(kpi_id=OuterRef("pk"), date__gte=cutoff)))
        .annotate(latest_date=Subquery(latest))
    )
    if filters.program:
        named = Exists(
            Contribution.objects.filter(kpi_id=OuterRef("pk"), initiative__program_id=filters.program)
        )
        rows = rows.filter(_served_by_program("objective_id", filters.program) | named)
    if filters.responsible:
        rows = rows.filter(objective__owner_id=filters.responsible)
    return rows.order_by(
        Case(When(latest_date__isnull=True, then=Value(0)), default=Value(1)),
        "latest_date",
        "objective__code",
        "name",
    )


def milestones_without_forecast_update(
    filters: WorklistFilters, *, today: datetime.date
) -> QuerySet[Milestone]:
    """Open milestones of approved and in-delivery initiatives, due within MILESTONE_HORIZON_DAYS days or
    already past their baseline date, whose forecast was never set or not touched for more than
    FORECAST_MAX_AGE_DAYS days: predictability is only as good as the forecasts behind it."""
    stale_before = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=FORECAST_MAX_AGE_DAYS), datetime.time.min)
    )
    rows = (
        Milestone.objects.filter(
            actual_date__isnull=True,
            initiative__stage__in=FORECAST_STAGES,
            baseline_date__lte=today + datetime.timedelta(days=MILESTONE_HORIZON_DAYS),
        )
        .filter(Q(forecast_updated_at__isnull=True) | Q(forecast_updated_at__lt=stale_before))
        .select_related("initiative", "initiative__manager", "initiative__program")
    )
    return initiatives_of(rows, filters).order_by("baseline_date", "initiative__code", "name")


# ---------------------------------------------------------------------------------------------- the checks


def _portfolio_editor(user: Any, _record: Any) -> bool:
    return roles.can_edit_portfolio(user)


# ------------------------------------------------------------------------------------- each check's cells


def link(kind: str, pk: int, fragment: str = "") -> str:
    """The escaped link to a record's page ("initiative", "objective" or "kpi")."""
    return e(url_pattern(f"portfolio:{kind}-detail").format(pk) + fragment)


def truncated(text: str, length: int) -> str:
    """As the truncatechars filter: at most `length` characters, the last an ellipsis when cut."""
    return Truncator(text).chars(length)


def ago(day: datetime.date | None, days: int | None) -> str:
    """A date and how long ago it was, or a badge when there is none."""
    if day is None:
        return '<span class="badge text-bg-light">Never</span>'
    return f'{day.isoformat()} <span class="muted">· {days} days ago</span>'


PROBLEMS = {"blank": "Blank", "placeholder": "Placeholder"}


def _rationale_cells(row: Any, _today: datetime.date) -> str:
    c = row.record
    if c.reason == "blank":
        quote = '<span class="text-body-secondary">(blank)</span>'
    else:
        quote = f"“{e(truncated(c.rationale, 60))}”"
    if c.reason == "short":
        problem = f"Too short: {c.rationale_length} {plural(c.rationale_length, 'character')}"
    else:
        problem = PROBLEMS.get(c.reason, "Fewer than three words")
    return "".join(
        (
            td(
                f'<a href="{link("initiative", c.initiative_id, "#contributions")}" class="fw-semibold">'
                f'{e(c.initiative.code)}</a><div class="muted">{e(truncated(c.initiative.title, 40))}</div>',
                "text-nowrap",
            ),
            td(
                f'<a href="{link("objective", c.objective_id)}" class="link-body-emphasis">{e(c.objective.code)}</a> '
                f"{e(c.objective.title)}"
            ),
            td(quote, "dq-quote"),
            td(problem, "text-nowrap"),
        )
    )


def _objective_cells(row: Any, _today: datetime.date) -> str:
    o = row.record
    under = (
        f"{e(o.parent.code)} {e(o.parent.title)}"
        if o.parent is not None
        else '<span class="text-body-secondary">Strategic theme</span>'
    )
    return "".join(
        (
            td(f'<a href="{link("objective", o.pk)}" class="fw-semibold">{e(o.code)}</a> {e(o.title)}'),
            td(under),
            td(f"to {o.horizon_end.isoformat()}" if o.horizon_end else EMPTY, "text-nowrap"),
        )
    )


def _reading_cells(row: Any, _today: datetime.date) -> str:
    k = row.record
    return "".join(
        (
            td(
                f'<a href="{link("kpi", k.pk)}" class="fw-semibold">{e(k.name)}</a> <span class="muted">({e(k.unit)})</span>'
            ),
            td(
                f'<a href="{link("objective", k.objective_id)}" class="link-body-emphasis">{e(k.objective.code)}</a> '
                f"{e(k.objective.title)}"
            ),
            td(ago(k.latest_date, row.days), "text-nowrap"),
        )
    )


def _forecast_cells(row: Any, today: datetime.date) -> str:
    m = row.record
    program = m.initiative.program
    passed = ' <span class="badge text-bg-light">passed</span>' if m.baseline_date < today else ""
    updated = timezone.localdate(m.forecast_updated_at) if m.forecast_updated_at else None
    return "".join(
        (
            td(
                f'<a href="{link("initiative", m.initiative_id, "#milestones")}" class="fw-semibold">'
                f"{e(m.initiative.code)}</a>"
                + (f'<div class="muted">{e(program.name)}</div>' if program is not None else ""),
                "text-nowrap",
            ),
            td(e(m.name)),
            td(f"{m.baseline_date.isoformat()}{passed}", "text-nowrap"),
            td(m.forecast_date.isoformat() if m.forecast_date else EMPTY, "text-nowrap"),
            td(ago(updated, row.days), "text-nowrap"),
        )
    )


CHECKS: tuple[WorklistCheck, ...] = (
    WorklistCheck(
        key="rationale",
        order=10,
        columns=("Initiative", "Objective", "Rationale", "Problem"),
        cells=_rationale_cells,
        title="Contributions without a real rationale",
        explanation=(
            f"The rationale is blank, a placeholder such as “TBD”, shorter than {rationale.MIN_LENGTH} "
            f"characters or fewer than {rationale.MIN_WORDS} words: the rule the contribution form applies. "
            "Contributions of closed and cancelled initiatives are left out."
        ),
        responsible_label="Manager",
        fix_label="Edit the rationale",
        select=lambda filters, _today: contributions_without_rationale(filters),
        responsible=lambda c: c.initiative.manager,
        may_fix=_portfolio_editor,
        fix_url=lambda c: url_pattern("portfolio:record-edit", "contributions").format(c.pk),
    ),
    WorklistCheck(
        key="objective-kpi",
        order=20,
        columns=("Objective", "Under", "Horizon"),
        cells=_objective_cells,
        title="Active objectives without a KPI",
        explanation=(
            "Nobody can tell whether these objectives are met. Objectives with active sub-objectives are left "
            "out: their sub-objectives carry the KPIs."
        ),
        responsible_label="Owner",
        fix_label="Add a KPI",
        select=lambda filters, _today: objectives_without_kpi(filters),
        responsible=lambda o: o.owner,
        may_fix=_portfolio_editor,
        fix_url=lambda o: f"{reverse('portfolio:kpi-create')}?objective={o.pk}",
    ),
    WorklistCheck(
        key="reading",
        order=30,
        columns=("KPI", "Objective", "Latest reading"),
        cells=_reading_cells,
        title="KPIs without a recent reading",
        explanation=(
            f"No reading at all, or none in the last {READING_MAX_AGE_DAYS} days. Only KPIs of active "
            "objectives."
        ),
        responsible_label="Objective owner",
        fix_label="Enter a reading",
        select=lambda filters, today: kpis_without_recent_reading(filters, today=today),
        responsible=lambda k: k.objective.owner,
        may_fix=_portfolio_editor,
        fix_url=lambda k: url_pattern("portfolio:kpi-detail").format(k.pk) + "#readings",
        days=lambda k, today: (today - k.latest_date).days if k.latest_date else None,
    ),
    WorklistCheck(
        key="forecast",
        order=50,
        columns=("Initiative", "Milestone", "Baseline", "Forecast", "Forecast updated"),
        cells=_forecast_cells,
        title="Milestones without a forecast update",
        explanation=(
            f"Not achieved, due within {MILESTONE_HORIZON_DAYS} days or already past the baseline date, and "
            f"the forecast never set or not updated for more than {FORECAST_MAX_AGE_DAYS} days. Only "
            "initiatives approved or in delivery."
        ),
        responsible_label="Manager",
        fix_label="Update the forecast",
        select=lambda filters, today: milestones_without_forecast_update(filters, today=today),
        responsible=lambda m: m.initiative.manager,
        may_fix=lambda user, m: roles.can_edit_initiative(user, m.initiative),
        fix_url=lambda m: url_pattern("portfolio:record-edit", "milestones").format(m.pk),
        days=lambda m, today: (
            (today - timezone.localdate(m.forecast_updated_at)).days if m.forecast_updated_at else None
        ),
    ),
)


def register_checks() -> None:
    for check in CHECKS:
        registry.add_worklist_check(check)


@dataclass(frozen=True)
class Row:
    """A record that fails a check; `fix_url` is None when the viewer may not edit the record. `days` is the
    check's count of days: since the latest reading, until go-live (negative: since), since the forecast
    was updated; None when there is nothing to count."""

    record: Any
    responsible: Any
    fix_url: str | None
    days: int | None = None


@dataclass(frozen=True)
class CheckResult:
    """A check's count (exact up to COUNT_BOUND, "1,000+" beyond) and, when it is on show, one page of its rows
    (`page`: its number, whether another follows)."""

    check: WorklistCheck
    total: Tally
    rows: list[Row]
    page: CappedPage | None = None
    shown: bool = True

    @property
    def explanation(self) -> str:
        explanation = self.check.explanation
        return explanation if isinstance(explanation, str) else explanation()

    @property
    def fixable(self) -> bool:
        return any(row.fix_url for row in self.rows)

    @property
    def more(self) -> bool:
        """Whether rows beyond those shown fail the check."""
        return self.page is not None and self.page.has_next


# A check counts its rows up to this bound ("1,000+" beyond): nobody works through a thousand rows from one
# page, and counting every one of a hundred thousand would cost more than the page.
COUNT_BOUND = 1_000


def run_checks(
    filters: WorklistFilters,
    *,
    viewer: Any,
    today: datetime.date,
    only: str = "",
    limit: int = 20,
    page: int = 1,
    back: str = "",
) -> list[CheckResult]:
    """Every registered check's count for the filters (up to COUNT_BOUND), with one page of `limit` rows of the
    checks on show: all of them (their first page), or `only` the one named (page `page`). Two queries per
    check shown, one per check counted; no query per row. Each fix link carries `back` (the worklist as the
    viewer sees it) as its `next`, so the form returns there."""
    results = []
    for check in registry.ordered_worklist_checks():
        rows = check.select(filters, today)
        if only and check.key != only:
            counted, _sums = tally(rows, bound=COUNT_BOUND)
            results.append(CheckResult(check=check, total=counted, rows=[], shown=False))
            continue
        shown = capped_page(rows, page if only else 1, limit, bound=COUNT_BOUND, narrow=False)
        results.append(
            CheckResult(
                check=check,
                total=shown.tally,
                page=shown,
                rows=[
                    Row(
                        record=record,
                        responsible=check.responsible(record),
                        fix_url=with_next(check.fix_url(record), back)
                        if check.may_fix(viewer, record)
                        else None,
                        days=check.days(record, today),
                    )
                    for record in shown.object_list
                ],
            )
        )
    return results


def table_html(result: CheckResult, today: datetime.date) -> str:
    """A check's table head and rows: its own columns (WorklistCheck.cells), then the person who answers for
    the row and, when the viewer may fix any row, the link to the form that fixes it."""
    check = result.check
    fixable = result.fixable
    heads = "".join(f'<th scope="col">{e(label)}</th>' for label in (*check.columns, check.responsible_label))
    if fixable:
        heads += '<th scope="col"><span class="visually-hidden">Fix</span></th>'
    fix_label = e(check.fix_label)
    rows = []
    for row in result.rows:
        fix = ""
        if fixable:
            button = (
                f'<a class="btn btn-sm btn-outline-primary dq-fix" href="{e(row.fix_url)}">{fix_label}</a>'
                if row.fix_url
                else ""
            )
            fix = td(button, "text-end text-nowrap")
        rows.append(f"<tr>{check.cells(row, today)}{td(e(person(row.responsible)), 'text-nowrap')}{fix}</tr>")
    return f"<thead><tr>{heads}</tr></thead>\n<tbody>{''.join(rows)}</tbody>"
