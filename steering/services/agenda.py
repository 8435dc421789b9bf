"""A meeting's agenda: proposed from the data in order of importance up to the meeting's length (the rest for
noting), items added by hand, time boxes, order and removal. The chair and the PMO arrange it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import ApplicationError, NotAllowed
from core.records import record_create, record_delete
from core.stages import UNFINISHED
from portfolio.models import Initiative
from steering import rules
from steering.models import AgendaItem, AgendaStatus, MeetingStatus, SteeringMeeting
from steering.services.meetings import can_manage_meeting

MIN_MINUTES = 5
MAX_MINUTES = 240
# Items for noting a proposal lists at most: a meeting notes a page of initiatives, not thousands; the others
# the data flags are counted, and stay on the worklist and the signals page.
NOTING_ITEMS = 20


@dataclass(frozen=True)
class Proposal:
    """What a proposal put on the agenda, in order, how many more flagged initiatives it left off, and the
    most items for noting an agenda lists."""

    added: list[AgendaItem]
    left_off: int
    noting_limit: int


def _open_meeting(user: Any, meeting_id: int) -> SteeringMeeting:
    """The meeting, locked so that concurrent agenda changes line up, after checking the user may change it."""
    meeting = (
        SteeringMeeting.objects.select_for_update(of=("self",))
        .select_related("committee")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise ApplicationError("This meeting no longer exists.")
    if not can_manage_meeting(user, meeting.committee):
        raise NotAllowed("Only the committee's chair and the PMO change a meeting's agenda.")
    if meeting.status == MeetingStatus.CANCELLED:
        raise ApplicationError("This meeting was cancelled: its agenda can no longer change.")
    return meeting


def in_order(items: list[AgendaItem]) -> list[AgendaItem]:
    """The agenda's order: the items to review in the chair's order, then those for noting."""
    return sorted(items, key=lambda item: (item.for_noting, item.position, item.pk or 0))


def _renumber(items: list[AgendaItem], user: Any) -> None:
    """Positions 0..n-1 in the given order, writing only the items whose position changed."""
    changed = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        # The order is the chair's arrangement, not the item's content: no version bump, so a review form
        # open on a moved item stays valid.
        bulk_update_with_history(changed, AgendaItem, ["position"], default_user=user)


def booked_minutes(items: list[AgendaItem]) -> int:
    """The minutes the items to review take (those for noting take none)."""
    return sum(item.minutes for item in items if not item.for_noting)


def agenda_propose(*, user: Any, meeting: SteeringMeeting) -> Proposal:
    """Put on the agenda the open initiatives the data says need the committee, the most important first.

    Items already there keep their place; the reasons of those not yet reviewed are brought up to date (a
    reason that no longer holds goes). The new ones follow by importance (then code), each with the time box
    its importance gives, as long as the meeting's length allows: from the first that does not fit, the rest
    are listed for noting, up to NOTING_ITEMS for noting in all; the rest are left off (and counted).
    Returns the items added, in that order, and how many were left off.
    """
    with transaction.atomic():
        meeting = _open_meeting(user, meeting.pk)
        facts = rules.agenda_facts(meeting.held_on)
        existing = list(AgendaItem.objects.filter(meeting=meeting))
        refreshed = []
        for item in existing:
            if item.review_id is None and item.status == AgendaStatus.PLANNED:
                known = facts.get(item.initiative_id)
                reasons = known.reasons() if known is not None else []
                if reasons != item.reasons:
                    item.reasons = reasons
                    refreshed.append(item)
        if refreshed:
            # Reasons are the data's, not the chair's: refreshing them does not make a review form stale.
            bulk_update_with_history(refreshed, AgendaItem, ["reasons"], default_user=user)
        listed = {item.initiative_id for item in existing}
        flagged = [pk for pk, fact in facts.items() if fact.flagged and pk not in listed]
        candidates = Initiative.objects.filter(pk__in=flagged, stage__in=UNFINISHED).only("pk", "code")
        ranked = sorted(candidates, key=lambda i: (-facts[i.pk].importance().points, i.code))
        used = booked_minutes(existing)
        noting = sum(1 for item in existing if item.for_noting)
        full = False
        start = max((item.position for item in existing), default=-1) + 1
        items: list[AgendaItem] = []
        left_off = 0
        for initiative in ranked:
            fact = facts[initiative.pk]
            minutes = fact.importance().minutes()
            full = full or used + minutes > meeting.duration_minutes
            if not full:
                used += minutes
            elif noting >= NOTING_ITEMS:
                left_off += 1
                continue
            else:
                noting += 1
            items.append(
                AgendaItem(
                    meeting=meeting,
                    initiative=initiative,
                    position=start + len(items),
                    reasons=fact.reasons(),
                    minutes=0 if full else minutes,
                    for_noting=full,
                )
            )
        if items:
            items = bulk_create_with_history(items, AgendaItem, default_user=user)
            if any(item.pk is None for item in items):  # a backend that does not return ids on bulk insert
                items = list(
                    AgendaItem.objects.filter(meeting=meeting, position__gte=start).order_by("position")
                )
            _renumber(in_order([*existing, *items]), user)
    return Proposal(items, left_off, NOTING_ITEMS)


def agenda_add(*, user: Any, meeting: SteeringMeeting, initiative: Initiative, note: str = "") -> AgendaItem:
    """Put an open initiative on the agenda by hand, after the items to review, with the time box its
    importance gives (10 minutes if the data does not flag it)."""
    with transaction.atomic():
        meeting = _open_meeting(user, meeting.pk)
        initiative = Initiative.objects.filter(pk=initiative.pk).first() or initiative
        if initiative.stage not in UNFINISHED:
            raise ApplicationError(
                f"{initiative.code} is {initiative.get_stage_display().lower()}: only open initiatives go on an "
                "agenda.",
                field_errors={"initiative": ["Pick an open initiative."]},
            )
        items = list(AgendaItem.objects.filter(meeting=meeting))
        if any(item.initiative_id == initiative.pk for item in items):
            raise ApplicationError(
                f"{initiative.code} is already on this agenda.",
                field_errors={"initiative": [f"{initiative.code} is already on this agenda."]},
            )
        fact = rules.agenda_facts(meeting.held_on, [initiative.pk])[initiative.pk]
        item = record_create(
            AgendaItem,
            user=user,
            values={
                "meeting": meeting,
                "initiative": initiative,
                "position": len(items),
                "reasons": fact.reasons(),
                "note": note,
                "added_by": user,
                "minutes": fact.importance().minutes() if fact.flagged else rules.HAND_ADDED_MINUTES,
            },
            allowed=True,
        )
        _renumber(in_order([*items, item]), user)
    return item


def _locked_item(user: Any, item_id: int) -> tuple[SteeringMeeting, list[AgendaItem], AgendaItem]:
    meeting_id = AgendaItem.objects.filter(pk=item_id).values_list("meeting_id", flat=True).first()
    if meeting_id is None:
        raise ApplicationError("This agenda item no longer exists.")
    meeting = _open_meeting(user, meeting_id)
    items = in_order(list(AgendaItem.objects.filter(meeting=meeting).select_related("initiative")))
    item = next((candidate for candidate in items if candidate.pk == item_id), None)
    if item is None:
        raise ApplicationError("This agenda item no longer exists.")
    return meeting, items, item


def agenda_plan(
    *, user: Any, item_id: int, minutes: int | None = None, for_noting: bool | None = None
) -> AgendaItem:
    """Set an item's time box, or list it for noting (no time box) or back for review (the time box its
    importance gives, unless one is given). Not once the committee decided on it."""
    with transaction.atomic():
        meeting, items, item = _locked_item(user, item_id)
        if item.review_id is not None:
            raise ApplicationError(
                f"The committee's decision on {item.initiative.code} is recorded: its time box is final."
            )
        noting = item.for_noting if for_noting is None else for_noting
        if noting:
            minutes = 0
        elif minutes is None:
            if not item.for_noting and item.minutes:
                minutes = item.minutes
            else:
                fact = rules.agenda_facts(meeting.held_on, [item.initiative_id])[item.initiative_id]
                minutes = fact.importance().minutes() if fact.flagged else rules.HAND_ADDED_MINUTES
        elif not MIN_MINUTES <= minutes <= MAX_MINUTES:
            message = (
                f"A time box is {MIN_MINUTES} to {MAX_MINUTES} minutes; list the item for noting instead."
            )
            raise ApplicationError(f"{item.initiative.code}: {message}", field_errors={"minutes": [message]})
        moved = noting != item.for_noting
        item.minutes, item.for_noting = minutes, noting
        # The time box is the chair's arrangement, like the order: no version bump.
        bulk_update_with_history([item], AgendaItem, ["minutes", "for_noting"], default_user=user)
        if moved:  # to the end of its new group
            item.position = len(items)
            _renumber(in_order(items), user)
    return item


def agenda_remove(*, user: Any, item_id: int, version: int) -> None:
    """Take an item off the agenda (not one with a recorded decision); the items after it move up."""
    with transaction.atomic():
        _meeting, items, item = _locked_item(user, item_id)
        if item.review_id is not None or item.status == AgendaStatus.REVIEWED:
            raise ApplicationError(
                f"The committee's decision on {item.initiative.code} is recorded: it stays on the agenda."
            )
        record_delete(
            AgendaItem, pk=item_id, version=version, user=user, authorize=lambda user, current: True
        )
        _renumber([other for other in items if other.pk != item_id], user)


def agenda_move(
    *, user: Any, item_id: int, direction: str | None = None, position: int | None = None
) -> list[AgendaItem]:
    """Move an item up, down or to a position (0 is first) among the items of its kind (to review, or for
    noting); returns the agenda in its new order."""
    if (direction is None) == (position is None):
        raise ApplicationError("Say where to move the item: up, down, or to a position.")
    if direction is not None and direction not in ("up", "down"):
        raise ApplicationError("An item moves up or down.")
    if position is not None and position < 0:
        raise ApplicationError("Positions start at 0.")
    with transaction.atomic():
        meeting, items, item = _locked_item(user, item_id)
        if meeting.status == MeetingStatus.HELD and item.status == AgendaStatus.REVIEWED:
            raise ApplicationError(
                f"The meeting was held and {item.initiative.code} was reviewed there: its place is final."
            )
        group = [other for other in items if other.for_noting == item.for_noting]
        index = group.index(item)
        if direction == "up":
            target = max(index - 1, 0)
        elif direction == "down":
            target = min(index + 1, len(group) - 1)
        else:
            target = min(int(position or 0), len(group) - 1)
        group.insert(target, group.pop(index))
        others = [other for other in items if other.for_noting != item.for_noting]
        ordered = [*group, *others] if not item.for_noting else [*others, *group]
        _renumber(ordered, user)
    return ordered
