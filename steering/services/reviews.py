"""Checkpoint reviews: the committee's decision on an agenda item, with the figures it saw frozen in the review
and the action items its conditions set."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import outbox
from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.records import record_create, record_update
from core.roles import can_record_decisions
from steering import rules
from steering.events import action_event, review_event
from steering.models import (
    RAG,
    RAG_DIMENSIONS,
    ActionItem,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Decision,
    MeetingStatus,
    SteeringMeeting,
)
from steering.services.figures import figures_digest, initiative_figures

CONDITION_DUE_DAYS = 30


class AlreadyDecided(ApplicationError):
    """The agenda item already has its review; a second one is refused."""

    def __init__(self, review_id: int) -> None:
        super().__init__("The committee's decision on this item was already recorded; nothing was changed.")
        self.review_id = review_id


class FiguresChanged(ApplicationError):
    """The figures behind the review changed after the page showed them: the decision would not match them."""

    def __init__(self) -> None:
        super().__init__(
            "The figures for this initiative changed while the review was open (an edit or a recompute). "
            "Nothing was saved: check the current figures below and record the decision again."
        )


@dataclass(frozen=True)
class Condition:
    """A condition of a decision, which becomes an action item: what, who (default: the initiative's manager)
    and by when (default: 30 days after the meeting)."""

    title: str
    owner: Any = None
    due_date: datetime.date | None = None


def _conditions(conditions: Iterable[Mapping[str, Any] | Condition]) -> list[Condition]:
    found = []
    for condition in conditions:
        if isinstance(condition, Condition):
            found.append(condition)
        else:
            found.append(
                Condition(
                    title=str(condition.get("title") or ""),
                    owner=condition.get("owner"),
                    due_date=condition.get("due_date"),
                )
            )
    return found


def _decision_errors(
    rags: Mapping[str, str],
    decision: str,
    rationale: str,
    attendees: Sequence[Any],
    conditions: Sequence[Condition],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for dimension in RAG_DIMENSIONS:
        if rags.get(dimension) not in RAG.values:
            errors[f"rag_{dimension}"] = [f"Rate {dimension}: green, amber or red."]
    if decision not in Decision.values:
        errors["decision"] = ["Pick the committee's decision."]
    if not (rationale or "").strip():
        errors["rationale"] = ["Record why the committee decided this."]
    if not attendees:
        errors["attendees"] = ["Tick who took part in the decision."]
    untitled = [str(n) for n, condition in enumerate(conditions, start=1) if not condition.title.strip()]
    if untitled:
        errors["conditions"] = [f"Condition {', '.join(untitled)} needs a title."]
    elif decision == Decision.PROCEED_WITH_CONDITIONS and not conditions:
        errors["conditions"] = ["Proceeding with conditions needs at least one condition."]
    return errors


def review_create(
    *,
    user: Any,
    item: AgendaItem,
    rags: Mapping[str, str],
    decision: str,
    rationale: str,
    attendees: Iterable[Any],
    conditions: Iterable[Mapping[str, Any] | Condition] = (),
    version: int | None = None,
    seen: str | None = None,
) -> CheckpointReview:
    """Record the committee's review of an agenda item (steering members, PMO, admins).

    Creates the review dated the meeting's date, with the figures the committee looked at frozen in it
    (`figures`) and the RAG the data suggested (`suggested`); turns each condition into an action item; marks
    the item reviewed, with the reasons that brought it there as they stand; adds the attendees to the
    meeting's (and marks a planned meeting held). `version` is the agenda item's as the page showed it and
    `seen` the digest of the figures shown: if either moved, nothing is saved. All or nothing.
    """
    if not can_record_decisions(user):
        raise NotAllowed("Only steering members and the PMO record the committee's decisions.")
    attendees = list(attendees)
    conditions = _conditions(conditions)
    with transaction.atomic():
        # The meeting first, then the item: the same order as agenda changes, so the two never deadlock.
        meeting_id = AgendaItem.objects.filter(pk=item.pk).values_list("meeting_id", flat=True).first() or 0
        meeting = SteeringMeeting.objects.select_for_update().filter(pk=meeting_id).first()
        current = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("initiative", "initiative__manager", "initiative__sponsor")
            .filter(pk=item.pk)
            .first()
        )
        if meeting is None or current is None:
            raise ApplicationError("This agenda item no longer exists.")
        if current.review_id is not None:
            raise AlreadyDecided(current.review_id)
        if version is not None and current.version != version:
            raise StaleEdit(current)
        if meeting.status == MeetingStatus.CANCELLED:
            raise ApplicationError("This meeting was cancelled: no decision can be recorded at it.")
        if meeting.held_on > timezone.localdate():
            raise ApplicationError(
                f"This meeting is on {meeting.held_on.isoformat()}: record its decisions on or after that day."
            )
        if current.for_noting:
            raise ApplicationError(
                f"{current.initiative.code} is listed for noting: the chair moves it into review before the "
                "committee decides on it."
            )
        errors = _decision_errors(rags, decision, rationale, attendees, conditions)
        if errors:
            raise ApplicationError(
                "The decision was not recorded: please correct the errors below.", field_errors=errors
            )
        initiative = current.initiative
        # why it came before the committee, as it stood before this review counts
        reasons = rules.agenda_facts(meeting.held_on, [initiative.pk])[initiative.pk].reasons()
        frozen = initiative_figures([initiative])[initiative.pk]
        suggested = rules.suggest_rag(initiative)
        if seen is not None and seen != figures_digest(frozen, suggested):
            raise FiguresChanged()
        review = record_create(
            CheckpointReview,
            user=user,
            values={
                "initiative": initiative,
                "meeting": meeting,
                "held_on": meeting.held_on,
                **{f"rag_{dimension}": rags[dimension] for dimension in RAG_DIMENSIONS},
                "decision": decision,
                "rationale": rationale.strip(),
                "recorded_by": user,
                "figures": frozen,
                "suggested": suggested,
            },
            allowed=True,
            m2m={"attendees": attendees},
        )
        due = meeting.held_on + datetime.timedelta(days=CONDITION_DUE_DAYS)
        for condition in conditions:
            action = record_create(
                ActionItem,
                user=user,
                values={
                    "initiative": initiative,
                    "review": review,
                    "title": condition.title.strip(),
                    "owner": condition.owner or initiative.manager,
                    "due_date": condition.due_date or due,
                },
                allowed=True,
            )
            action_event(outbox.ACTION_ASSIGNED, action, actor=user)
        record_update(
            AgendaItem,
            pk=current.pk,
            version=current.version,
            user=user,
            values={"status": AgendaStatus.REVIEWED, "review": review, "reasons": reasons},
            authorize=lambda user, item: True,
        )
        present = {attendee.pk for attendee in meeting.attendees.all()}
        if meeting.status == MeetingStatus.PLANNED or not {a.pk for a in attendees} <= present:
            record_update(
                SteeringMeeting,
                pk=meeting.pk,
                version=meeting.version,
                user=user,
                values={"status": MeetingStatus.HELD},
                authorize=lambda user, meeting: True,
                m2m={"attendees": sorted(present | {a.pk for a in attendees})},
            )
        portfolio_changed(initiative_ids=[initiative.pk])
        review_event(review, actor=user)
    return review
