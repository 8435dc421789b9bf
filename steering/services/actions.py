"""Action items set by the committee's decisions: who may change them, marking them done or cancelled with a
note, reopening them, and the committee's changes to their title, owner and due date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import outbox
from core.errors import ApplicationError, NotAllowed
from core.records import record_update
from core.roles import can_edit_portfolio, can_view
from steering.events import action_event
from steering.models import ActionItem, ActionStatus, Committee
from steering.services.meetings import is_chair, only, pk_of

ACTION_FIELDS = ("title", "owner", "due_date", "status", "completed_on", "note")
OWNER_FIELDS = {"status", "completed_on", "note"}
CLOSED = (ActionStatus.DONE, ActionStatus.CANCELLED)
NOTE_NEEDED = {
    ActionStatus.DONE: "Say what was done: a note is kept with the action.",
    ActionStatus.CANCELLED: "Say why it is cancelled: a note is kept with the action.",
}


def _committee(action: ActionItem) -> Committee | None:
    review = action.review
    meeting = review.meeting if review is not None else None
    return meeting.committee if meeting is not None else None


def can_run_action(user: Any, action: ActionItem) -> bool:
    """The committee's side of an action: the chair of the committee that set it, the PMO and admins change
    its title, owner and due date."""
    return can_edit_portfolio(user) or is_chair(user, _committee(action))


def can_update_action(user: Any, action: ActionItem) -> bool:
    """Who may mark an action done, cancel or reopen it: its owner, the chair of the committee that set it,
    the PMO and admins."""
    if can_run_action(user, action):
        return True
    return can_view(user) and action.owner_id is not None and action.owner_id == user.pk


def action_update(*, user: Any, action_id: int, version: int, data: Mapping[str, Any]) -> ActionItem:
    """Change an action item. Its owner marks it done, cancels or reopens it; the committee's chair, the PMO
    and admins may also change its title, owner and due date. Done or cancelled needs a note saying what was
    done or why; done stamps the completion date (today unless given)."""
    values = only(data, ACTION_FIELDS)
    if "note" in values:
        values["note"] = str(values["note"] or "").strip()

    def authorize(user: Any, current: ActionItem) -> bool:
        if not can_update_action(user, current):
            return False
        if not can_run_action(user, current):
            for field in set(values) - OWNER_FIELDS:
                if pk_of(values[field]) != getattr(current, f"{field}_id" if field == "owner" else field):
                    raise NotAllowed(
                        "Only the committee's chair and the PMO change an action's title, owner or due date."
                    )
        return True

    def prepare(before: ActionItem, after: ActionItem) -> None:
        closing = after.status in CLOSED and after.status != before.status
        if closing and not after.note:
            message = NOTE_NEEDED[ActionStatus(after.status)]
            raise ApplicationError(message, field_errors={"note": [message]})
        if after.status == ActionStatus.OPEN and before.status != ActionStatus.OPEN and "note" not in values:
            after.note = ""  # the note said why it was closed; reopened, it no longer holds
        if after.status == ActionStatus.DONE:
            if (
                after.completed_on is None
                or before.status != ActionStatus.DONE
                and "completed_on" not in values
            ):
                after.completed_on = timezone.localdate()
            if after.completed_on > timezone.localdate():
                raise ApplicationError(
                    "An action cannot be completed in the future.",
                    field_errors={"completed_on": ["An action cannot be completed in the future."]},
                )
        else:
            after.completed_on = None

    with transaction.atomic():
        before_owner = ActionItem.objects.filter(pk=action_id).values_list("owner_id", flat=True).first()
        action = record_update(
            ActionItem,
            pk=action_id,
            version=version,
            user=user,
            values=values,
            authorize=authorize,
            prepare=prepare,
        )
        if action.owner_id is not None and action.owner_id != before_owner:
            action_event(outbox.ACTION_ASSIGNED, action, actor=user)
    return action
