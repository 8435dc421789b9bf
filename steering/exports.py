"""What the decision log and the action list export: their columns, by code, name and username."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.tabular import Column, Export

DECISION_COLUMNS = (
    Column("held_on", "held_on"),
    Column("committee", "meeting__committee__name"),
    Column("initiative", "initiative__code"),
    Column("initiative_title", "initiative__title"),
    Column("rag_schedule", "rag_schedule"),
    Column("rag_cost", "rag_cost"),
    Column("rag_scope", "rag_scope"),
    Column("rag_benefits", "rag_benefits"),
    Column("decision", "decision"),
    Column("rationale", "rationale"),
    Column("recorded_by", "recorded_by__username"),
)

PORTFOLIO_DECISION_COLUMNS = (
    Column("decided_at", "decided_at"),
    Column("kind", "kind"),
    Column("outcome", "outcome"),
    Column("subject", "subject"),
    Column("initiative", "initiative__code"),
    Column("initiative_title", "initiative__title"),
    Column("rationale", "rationale"),
    Column("decided_by", "decided_by__username"),
    Column("link", "link"),
)

ACTION_COLUMNS = (
    Column("initiative", "initiative__code"),
    Column("title", "title"),
    Column("owner", "owner__username"),
    Column("due_date", "due_date"),
    Column("status", "status"),
    Column("completed_on", "completed_on"),
    Column("note", "note"),
    Column("committee", "review__meeting__committee__name"),
    Column("decided_on", "review__held_on"),
)


def decision_export(rows: QuerySet[Any]) -> Export:
    """The decision log's rows (selectors.decision_log), newest first as on its page."""
    return Export("bearing-decisions", DECISION_COLUMNS, rows, "Decisions")


def portfolio_decision_export(rows: QuerySet[Any]) -> Export:
    """The portfolio decisions (selectors.portfolio_decision_log), newest first as on the log's page."""
    return Export("bearing-portfolio-decisions", PORTFOLIO_DECISION_COLUMNS, rows, "Portfolio decisions")


def action_export(rows: QuerySet[Any]) -> Export:
    """The action list's rows (selectors.action_list), soonest due first as on its page."""
    return Export("bearing-actions", ACTION_COLUMNS, rows, "Actions")
