"""The worklist's sustainment-owner check, registered by the alignment app: the rule and its window are the
engine's (formulas.sustainment_owner_due under the current policy's signal window), so the worklist and the
"go-live near, no sustainment owner" signal list the same initiatives."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from alignment.services import current_policy
from core import roles
from core.extensions import WorklistCheck, registry
from core.formatting import EMPTY
from core.links import url_pattern
from core.markup import e, plural, td
from core.stages import ACTIVE, Stage
from core.templatetags.bearing import stage_badge
from portfolio.models import Initiative
from portfolio.worklist import WorklistFilters, initiatives_of, link


def sustainment_owner_due_filter(*, today: datetime.date, window_days: int) -> Q:
    """alignment.engine.formulas.sustainment_owner_due as a query filter (the worklist counts and pages in SQL): active, and
    live or going live within the window. tests/alignment/test_sustainment_owner.py pins that both agree."""
    horizon = today + datetime.timedelta(days=window_days)
    return Q(stage__in=ACTIVE) & (Q(stage=Stage.LIVE) | Q(go_live_date__lte=horizon))


def sustainment_window_days() -> int:
    return current_policy().signals.sustainment_warning_days


def initiatives_without_sustainment_owner(
    filters: WorklistFilters, *, today: datetime.date, window_days: int | None = None
) -> QuerySet[Initiative]:
    """Initiatives that need a sustainment owner by now (sustainment_owner_due) and have none, those with no
    go-live date first, then by go-live date. The window is the current policy's unless given."""
    window = sustainment_window_days() if window_days is None else window_days
    rows = (
        Initiative.objects.filter(sustainment_owner__isnull=True)
        .filter(sustainment_owner_due_filter(today=today, window_days=window))
        .select_related("manager", "program")
    )
    return initiatives_of(rows, filters, prefix="").order_by(F("go_live_date").asc(nulls_first=True), "code")


def _days(initiative: Initiative, today: datetime.date) -> int | None:
    return (initiative.go_live_date - today).days if initiative.go_live_date else None


def _to_go(initiative: Initiative, days: int | None) -> str:
    if days is None:
        return EMPTY
    if days > 0:
        return f"in {days} {plural(days, 'day')}"
    if days == 0:
        return "today"
    if initiative.stage == Stage.LIVE:
        return f"live for {-days} {plural(-days, 'day')}"
    return f'<span class="text-danger-emphasis">{-days} {plural(-days, "day")} overdue</span>'


def _cells(row: Any, _today: datetime.date) -> str:
    i = row.record
    program = f'<div class="muted">{e(i.program.name)}</div>' if i.program is not None else ""
    return "".join(
        (
            td(
                f'<a href="{link("initiative", i.pk)}" class="fw-semibold">{e(i.code)}</a> {e(i.title)}{program}'
            ),
            td(stage_badge(i)),
            td(i.go_live_date.isoformat() if i.go_live_date else EMPTY, "text-nowrap"),
            td(_to_go(i, row.days), "text-nowrap"),
        )
    )


def _explanation() -> str:
    return (
        f"Proposed to live, and live or going live within {sustainment_window_days()} days (the scoring "
        "policy's window, the same rule as the “go-live near, no sustainment owner” signal), with nobody "
        "named to own the solution and its benefits afterwards. Ideas are left out."
    )


def register() -> None:
    registry.add_worklist_check(
        WorklistCheck(
            key="sustainment",
            title="Missing sustainment owner before go-live",
            explanation=_explanation,
            responsible_label="Manager",
            fix_label="Name the owner",
            order=40,
            columns=("Initiative", "Stage", "Go-live", "Days to go"),
            cells=_cells,
            select=lambda filters, today: initiatives_without_sustainment_owner(filters, today=today),
            responsible=lambda i: i.manager,
            may_fix=roles.can_edit_initiative,
            fix_url=lambda i: url_pattern("portfolio:initiative-sustainment-owner").format(i.pk),
            days=_days,
        )
    )
