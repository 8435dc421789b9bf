"""The worklist's sustainment-owner check, registered by the alignment app: the rule and its window are the
engine's (formulas.sustainment_owner_due under the current policy's signal window), so the worklist and the
"go-live near, no sustainment owner" signal list the same initiatives."""

from __future__ import annotations

import datetime

from django.db.models import F, Q, QuerySet
from django.urls import reverse

from alignment.services import current_policy
from core import roles
from core.extensions import WorklistCheck, registry
from core.stages import ACTIVE, Stage
from portfolio.models import Initiative
from portfolio.worklist import WorklistFilters, initiatives_of


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
            rows_template="alignment/_worklist_sustainment.html",
            select=lambda filters, today: initiatives_without_sustainment_owner(filters, today=today),
            responsible=lambda i: i.manager,
            may_fix=roles.can_edit_initiative,
            fix_url=lambda i: reverse("portfolio:initiative-sustainment-owner", args=[i.pk]),
            days=_days,
        )
    )
