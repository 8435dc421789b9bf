"""Steering's events in the outbox (core.outbox): decisions recorded and actions assigned, due or overdue."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core import outbox
from portfolio.models import Initiative
from steering.models import ActionItem, CheckpointReview, PortfolioDecision


def _initiative_about(initiative: Initiative | None) -> dict[str, list[int | None]]:
    if initiative is None:
        return {}
    return {"initiative": [initiative.pk], "program": [initiative.program_id]}


def review_event(review: CheckpointReview, *, actor: Any) -> None:
    """A checkpoint review's decision, recorded at a meeting."""
    initiative = review.initiative
    outbox.event_record(
        outbox.DECISION_RECORDED,
        subject_type="review",
        subject_id=review.pk,
        title=f"Decision on {initiative.code} {initiative.title}: {review.get_decision_display()}",
        url=reverse("steering:review-detail", args=[review.pk]),
        actor=actor,
        about={**_initiative_about(initiative), "meeting": [review.meeting_id]},
        data={
            "initiative_id": initiative.pk,
            "meeting_id": review.meeting_id,
            "decision": review.decision,
            "source": "checkpoint_review",
        },
    )


def portfolio_decision_event(decision: PortfolioDecision, *, actor: Any) -> None:
    """A decision taken outside a review (a proposal at intake, a plan approved)."""
    outbox.event_record(
        outbox.DECISION_RECORDED,
        subject_type="portfolio_decision",
        subject_id=decision.pk,
        title=f"{decision.get_kind_display()}: {decision.subject} ({decision.get_outcome_display()})",
        url=decision.link or reverse("steering:portfolio-decision-log"),
        actor=actor,
        about=_initiative_about(decision.initiative),
        data={
            "initiative_id": decision.initiative_id,
            "kind": decision.kind,
            "decision": decision.outcome,
            "source": "portfolio_decision",
        },
    )


def action_event(kind: str, action: ActionItem, *, actor: Any = None) -> None:
    """An action assigned to its owner (new, or a new owner), due soon or overdue: told to its owner and to
    the watchers of its initiative and meeting."""
    initiative = action.initiative
    review = action.review
    words = {outbox.ACTION_ASSIGNED: "assigned", outbox.ACTION_DUE: "due", outbox.ACTION_OVERDUE: "overdue"}[
        kind
    ]
    outbox.event_record(
        kind,
        subject_type="action",
        subject_id=action.pk,
        title=f"Action {words} on {initiative.code}: {action.title} (due {action.due_date.isoformat()})",
        url=reverse("steering:action-list"),
        actor=actor,
        about={**_initiative_about(initiative), "meeting": [review.meeting_id if review else None]},
        recipients=[action.owner_id],
        data={
            "initiative_id": initiative.pk,
            "owner_id": action.owner_id,
            "due_date": action.due_date.isoformat(),
        },
    )
