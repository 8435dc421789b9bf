"""What planning adds to other apps through core's slots: the intake section of an initiative's page."""

from __future__ import annotations

from typing import Any

from core.extensions import PageSection, registry
from core.stages import Stage
from planning import intake
from planning.models import NEXT_STAGE, OPEN_STATUSES, Proposal, ProposalEventKind
from planning.services.intake import can_submit, current_policy
from portfolio.models import Initiative

RECENT_PROPOSALS = 5


def intake_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    """The stage, what the next one requires and whether it is there, the open proposal (with the reason it
    was returned), the latest proposals, and whether the user may submit."""
    next_stage = NEXT_STAGE.get(initiative.stage)
    proposals = list(
        Proposal.objects.filter(initiative=initiative).order_by("-submitted_at", "-pk")[:RECENT_PROPOSALS]
    )
    open_proposal = next((p for p in proposals if p.status in OPEN_STATUSES), None)
    policy = current_policy()
    checklist = intake.checklist(initiative, policy.required(next_stage)) if next_stage else []
    last_reason = ""
    if open_proposal is not None:
        returned = open_proposal.events.filter(kind=ProposalEventKind.RETURNED).order_by("-at", "-pk").first()
        last_reason = returned.note if returned else ""
    return {
        "next_stage": next_stage,
        "next_label": Stage(next_stage).label if next_stage else "",
        "policy": policy,
        "checklist": checklist,
        "missing_count": sum(1 for _r, met in checklist if not met),
        "open_proposal": open_proposal,
        "last_reason": last_reason,
        "proposals": proposals,
        "may_submit": bool(next_stage)
        and can_submit(user, initiative)
        and (open_proposal is None or open_proposal.status != "submitted"),
    }


def register() -> None:
    registry.add_section(PageSection("intake", "Intake", 12, "planning/_intake_section.html", intake_section))
