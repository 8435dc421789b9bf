"""Steering meetings: who runs them, planning and changing one, recording who attended."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.records import record_create, record_update
from core.roles import can_edit_portfolio, can_view
from steering.models import AgendaItem, CheckpointReview, Committee, MeetingStatus, SteeringMeeting

MEETING_FIELDS = ("committee", "title", "held_on", "duration_minutes", "location", "status", "notes")


def can_manage_meeting(user: Any, committee: Committee | None) -> bool:
    """PMO and admins run every committee's meetings and agendas; a chair runs their own committee's."""
    if can_edit_portfolio(user):
        return True
    return is_chair(user, committee)


def is_chair(user: Any, committee: Committee | None) -> bool:
    return (
        committee is not None
        and can_view(user)
        and committee.chair_id is not None
        and committee.chair_id == user.pk
    )


def can_manage_any_meeting(user: Any) -> bool:
    return can_edit_portfolio(user) or (can_view(user) and Committee.objects.filter(chair=user).exists())


def only(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {name: data[name] for name in fields if name in data}


def pk_of(value: Any) -> Any:
    return getattr(value, "pk", value)


def meeting_create(*, user: Any, data: Mapping[str, Any]) -> SteeringMeeting:
    """Plan a meeting of a committee (the PMO, admins, or that committee's chair); attendees come later."""
    values = only(data, MEETING_FIELDS)
    committee = values.get("committee")
    if committee is not None and not isinstance(committee, Committee):
        committee = values["committee"] = Committee.objects.filter(pk=committee).first()
    allowed = can_manage_meeting(user, committee)
    if allowed:
        _check_meeting_date(SteeringMeeting(**values))
    return record_create(SteeringMeeting, user=user, values=values, allowed=allowed)


def _check_meeting_date(meeting: SteeringMeeting) -> None:
    """A meeting that took place (held, or with decisions recorded) cannot be dated in the future: its reviews
    carry its date, and governance counts them from that day."""
    if not isinstance(meeting.held_on, datetime.date) or meeting.held_on <= timezone.localdate():
        return
    if meeting.status == MeetingStatus.HELD:
        raise ApplicationError(
            "A held meeting cannot be dated in the future.",
            field_errors={"held_on": ["A held meeting cannot be dated in the future."]},
        )
    if meeting.pk and CheckpointReview.objects.filter(meeting_id=meeting.pk).exists():
        raise ApplicationError(
            "Decisions were recorded at this meeting: it cannot move to a future date.",
            field_errors={
                "held_on": ["Decisions were recorded at this meeting: it cannot move to a future date."]
            },
        )


def meeting_update(*, user: Any, meeting_id: int, version: int, data: Mapping[str, Any]) -> SteeringMeeting:
    """Change a meeting's details. Its reviews are dated the meeting's date, so a new date moves them too;
    a meeting with recorded decisions cannot be cancelled."""
    values = only(data, MEETING_FIELDS)

    def authorize(user: Any, current: SteeringMeeting) -> bool:
        if not can_manage_meeting(user, current.committee):
            return False
        target = values.get("committee")
        if target is not None and pk_of(target) != current.committee_id:
            target = target if isinstance(target, Committee) else Committee.objects.filter(pk=target).first()
            if not can_manage_meeting(user, target):
                raise NotAllowed("You may only move a meeting to a committee you chair.")
        return True

    def prepare(before: SteeringMeeting, after: SteeringMeeting) -> None:
        _check_meeting_date(after)
        if after.status == MeetingStatus.CANCELLED and before.status != MeetingStatus.CANCELLED:
            decided = CheckpointReview.objects.filter(meeting_id=before.pk).count()
            if decided:
                raise ApplicationError(
                    "Decisions were recorded at this meeting, so it took place: it cannot be cancelled.",
                    field_errors={
                        "status": [f"{decided} decision{'s' if decided != 1 else ''} recorded here."]
                    },
                )

    with transaction.atomic():
        before = SteeringMeeting.objects.filter(pk=meeting_id).values_list("held_on", flat=True).first()
        meeting = record_update(
            SteeringMeeting,
            pk=meeting_id,
            version=version,
            user=user,
            values=values,
            authorize=authorize,
            prepare=prepare,
        )
        if before is not None and before != meeting.held_on:
            reviews = list(CheckpointReview.objects.select_for_update().filter(meeting=meeting))
            for review in reviews:
                review.held_on = meeting.held_on
                review.version += 1
            if reviews:
                bulk_update_with_history(reviews, CheckpointReview, ["held_on", "version"], default_user=user)
                portfolio_changed(initiative_ids=[review.initiative_id for review in reviews])
    return meeting


def meeting_record_attendance(
    *, user: Any, meeting_id: int, version: int, attendees: Iterable[Any]
) -> SteeringMeeting:
    """Record who attended a meeting (chair, PMO, admins). The sponsor-absence signal reads attendance, so the
    initiatives reviewed at the meeting are marked changed."""
    with transaction.atomic():
        meeting = record_update(
            SteeringMeeting,
            pk=meeting_id,
            version=version,
            user=user,
            values={},
            authorize=lambda user, current: can_manage_meeting(user, current.committee),
            m2m={"attendees": list(attendees)},
        )
        portfolio_changed(initiative_ids=_meeting_initiative_ids(meeting))
    return meeting


def _meeting_initiative_ids(meeting: SteeringMeeting) -> list[int]:
    reviewed = CheckpointReview.objects.filter(meeting=meeting).values_list("initiative_id", flat=True)
    listed = AgendaItem.objects.filter(meeting=meeting).values_list("initiative_id", flat=True)
    return sorted(set(reviewed) | set(listed))
