"""The portfolio's own sections of the initiative page; other apps add theirs through the registry."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core import roles
from core.extensions import PageSection, registry
from portfolio import selectors
from portfolio.models import BusinessCase, Initiative, Milestone

HISTORY_PREVIEW = 40


@dataclass(frozen=True)
class MilestoneState:
    label: str
    tone: str  # success, warning, danger, secondary
    slip_days: int


def milestone_state(milestone: Milestone, today: datetime.date) -> MilestoneState:
    """Where a milestone stands against its baseline: done on time or late, on plan, slipping or overdue."""
    if milestone.actual_date:
        slip = (milestone.actual_date - milestone.baseline_date).days
        if slip <= 0:
            return MilestoneState("Done on time", "success", slip)
        return MilestoneState(f"Done {slip} days late", "warning", slip)
    expected = milestone.forecast_date or milestone.baseline_date
    slip = (expected - milestone.baseline_date).days
    if expected < today:
        return MilestoneState(
            f"Overdue since {expected.isoformat()}", "danger", (today - milestone.baseline_date).days
        )
    if slip > 0:
        return MilestoneState(f"Slipping {slip} days", "warning", slip)
    return MilestoneState("On plan", "secondary", slip)


def overview(initiative: Initiative, user: Any) -> dict[str, Any]:
    budget = initiative.budget_total
    forecast = initiative.forecast_cost
    variance = (forecast - budget) if forecast is not None else None
    variance_pct = (variance / budget * 100) if variance is not None and budget > 0 else None
    spent_pct = (initiative.actual_cost / budget * 100) if budget > 0 else None
    case_npv = BusinessCase.objects.filter(pk=initiative.pk).values_list("npv", flat=True).first()
    return {
        "budget": budget,
        "variance": variance,
        "variance_pct": variance_pct,
        "spent_pct": spent_pct,
        "case_npv": case_npv,
    }


def contributions(initiative: Initiative, user: Any) -> dict[str, Any]:
    rows = list(initiative.contributions.select_related("objective", "kpi").order_by("objective__code"))
    # the weights of its objectives only: their paths, not the whole tree
    weights = selectors.path_weights(c.objective_id for c in rows)
    return {
        "contributions": [(c, weights.get(c.objective_id, 0.0)) for c in rows],
        "can_edit_contributions": roles.can_edit_portfolio(user),
    }


def milestones(initiative: Initiative, user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    rows = list(initiative.milestones.all())
    return {"milestones": [(m, milestone_state(m, today)) for m in rows]}


def scope_changes(initiative: Initiative, user: Any) -> dict[str, Any]:
    rows = list(initiative.scope_changes.select_related("approved_by"))
    return {
        "scope_changes": rows,
        "scope_cost": sum((c.cost_impact for c in rows if c.status != "rejected"), Decimal("0")),
        "scope_days": sum(c.schedule_impact_days for c in rows if c.status != "rejected"),
    }


def artefacts(initiative: Initiative, user: Any) -> dict[str, Any]:
    return {"artefacts": list(initiative.artefacts.all())}


def history(initiative: Initiative, user: Any) -> dict[str, Any]:
    entries = selectors.initiative_history(initiative)
    return {"entries": entries[:HISTORY_PREVIEW], "more_entries": max(len(entries) - HISTORY_PREVIEW, 0)}


def register_sections() -> None:
    for section in (
        PageSection("overview", "Overview", 10, "portfolio/sections/_overview.html", overview),
        PageSection(
            "contributions", "Contributions", 30, "portfolio/sections/_contributions.html", contributions
        ),
        PageSection("milestones", "Milestones", 40, "portfolio/sections/_milestones.html", milestones),
        PageSection(
            "scope-changes", "Scope changes", 60, "portfolio/sections/_scope_changes.html", scope_changes
        ),
        PageSection("artefacts", "Artefacts", 70, "portfolio/sections/_artefacts.html", artefacts),
        PageSection("history", "History", 100, "portfolio/sections/_history.html", history),
    ):
        registry.add_section(section)
