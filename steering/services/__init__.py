"""Steering's use cases, by concern: meetings, their agendas, the figures a committee looks at, checkpoint
reviews and the action items they set. Each module imports only the ones before it in that list."""

from __future__ import annotations

from steering.services.actions import action_update, can_run_action, can_update_action
from steering.services.agenda import (
    NOTING_ITEMS,
    Proposal,
    agenda_add,
    agenda_move,
    agenda_plan,
    agenda_propose,
    agenda_remove,
    booked_minutes,
    in_order,
)
from steering.services.decisions import portfolio_decision_record
from steering.services.figures import figures_digest, initiative_figures
from steering.services.meetings import (
    can_manage_any_meeting,
    can_manage_meeting,
    is_chair,
    meeting_create,
    meeting_record_attendance,
    meeting_update,
)
from steering.services.reviews import AlreadyDecided, Condition, FiguresChanged, review_create

__all__ = [
    "NOTING_ITEMS",
    "AlreadyDecided",
    "Proposal",
    "Condition",
    "FiguresChanged",
    "action_update",
    "agenda_add",
    "agenda_move",
    "agenda_plan",
    "agenda_propose",
    "agenda_remove",
    "booked_minutes",
    "can_manage_any_meeting",
    "can_manage_meeting",
    "can_run_action",
    "can_update_action",
    "figures_digest",
    "in_order",
    "initiative_figures",
    "is_chair",
    "meeting_create",
    "meeting_record_attendance",
    "meeting_update",
    "portfolio_decision_record",
    "review_create",
]
