"""Steering committee use cases: meetings and their agendas, checkpoint decisions with the figures the committee
saw, and the action items those decisions set.

Other apps add to what a committee sees through the registry's hooks (snapshot providers, agenda sources, RAG
suggesters); every function here works with whatever hooks are registered, and with none.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from portfolio.changes import portfolio_changed
from portfolio.errors import ApplicationError, NotAllowed, StaleEdit
from portfolio.extensions import registry
from portfolio.models import (
    OPEN_STAGES,
    RAG,
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Committee,
    Decision,
    Initiative,
    MeetingStatus,
    Milestone,
    ScopeChange,
    ScopeChangeStatus,
    SteeringMeeting,
)
from portfolio.roles import can_edit_portfolio, can_record_decisions, can_view
from portfolio.services.records import record_create, record_delete, record_update
from portfolio.services.snapshots import SnapshotChange as SnapshotChange  # re-exported with the snapshot
from portfolio.services.snapshots import comparable
from portfolio.services.snapshots import humanize as humanize
from portfolio.services.snapshots import snapshot_changes as snapshot_changes

MEETING_FIELDS = ("committee", "title", "held_on", "location", "status", "notes")
RAG_DIMENSIONS = ("schedule", "cost", "scope", "benefits")
CONDITION_DUE_DAYS = 30
RAG_ORDER: dict[str, int] = {RAG.GREEN.value: 0, RAG.AMBER.value: 1, RAG.RED.value: 2}


class AlreadyDecided(ApplicationError):
    """The agenda item already has its checkpoint review; a second one is refused."""

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


# ------------------------------------------------------------------------------------------------ permissions


def can_manage_meeting(user: Any, committee: Committee | None) -> bool:
    """PMO and admins run every committee's meetings and agendas; a chair runs their own committee's."""
    if can_edit_portfolio(user):
        return True
    return (
        committee is not None
        and can_view(user)
        and committee.chair_id is not None
        and committee.chair_id == user.pk
    )


def can_manage_any_meeting(user: Any) -> bool:
    return can_edit_portfolio(user) or (can_view(user) and Committee.objects.filter(chair=user).exists())


def can_update_action(user: Any, action: ActionItem) -> bool:
    """Steering members and the PMO update any action; its owner marks their own done or reopens it."""
    if can_record_decisions(user):
        return True
    return can_view(user) and action.owner_id is not None and action.owner_id == user.pk


# ------------------------------------------------------------------------------------------------ meetings


def _only(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {name: data[name] for name in fields if name in data}


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def meeting_create(*, user: Any, data: Mapping[str, Any]) -> SteeringMeeting:
    """Plan a meeting of a committee (the PMO, admins, or that committee's chair); attendees come later."""
    values = _only(data, MEETING_FIELDS)
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
    values = _only(data, MEETING_FIELDS)

    def authorize(user: Any, current: SteeringMeeting) -> bool:
        if not can_manage_meeting(user, current.committee):
            return False
        target = values.get("committee")
        if target is not None and _pk(target) != current.committee_id:
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
    initiatives decided at the meeting are marked changed."""
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


# ------------------------------------------------------------------------------------------------ agenda


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


def _pending_scope_change_reasons() -> list[tuple[int, str]]:
    rows = (
        ScopeChange.objects.filter(status=ScopeChangeStatus.PENDING, initiative__stage__in=OPEN_STAGES)
        .values("initiative_id")
        .annotate(n=Count("pk"))
        .order_by("initiative_id")
    )
    return [
        (row["initiative_id"], f"{row['n']} scope change{'s' if row['n'] != 1 else ''} awaiting a decision")
        for row in rows
    ]


def agenda_proposals(meeting: SteeringMeeting) -> dict[int, list[str]]:
    """Why each initiative should come before the committee: every agenda source's reasons, merged per
    initiative in the order the sources gave them (registered sources first, then pending scope changes)."""
    reasons: dict[int, list[str]] = {}
    found: list[tuple[int, str]] = []
    for source in registry.agenda_sources:
        found.extend(source(meeting))
    found.extend(_pending_scope_change_reasons())
    for initiative_id, reason in found:
        known = reasons.setdefault(int(initiative_id), [])
        if reason not in known:
            known.append(str(reason))
    return reasons


def _merge_reasons(current: Sequence[str], new: Sequence[str]) -> list[str]:
    merged = list(current)
    merged.extend(reason for reason in new if reason not in merged)
    return merged


def agenda_propose(*, user: Any, meeting: SteeringMeeting) -> list[AgendaItem]:
    """Add to the agenda the open initiatives the data says need the committee, with the reasons.

    Items already on the agenda keep their place (those still to review gain any new reasons); the new ones
    follow, the most reasons first, then by code. Returns the items added.
    """
    with transaction.atomic():
        meeting = _open_meeting(user, meeting.pk)
        proposals = agenda_proposals(meeting)
        existing = {item.initiative_id: item for item in AgendaItem.objects.filter(meeting=meeting)}
        refreshed = []
        for initiative_id, item in existing.items():
            if item.status == AgendaStatus.PLANNED and initiative_id in proposals:
                merged = _merge_reasons(item.reasons, proposals[initiative_id])
                if merged != item.reasons:
                    item.reasons = merged
                    refreshed.append(item)
        if refreshed:
            # Reasons are the data's, not the chair's: refreshing them does not make a review form stale.
            bulk_update_with_history(refreshed, AgendaItem, ["reasons"], default_user=user)
        candidates = Initiative.objects.open().filter(pk__in=[pk for pk in proposals if pk not in existing])
        ordered = sorted(candidates.only("pk", "code"), key=lambda i: (-len(proposals[i.pk]), i.code))
        start = len(existing)
        items = [
            AgendaItem(
                meeting=meeting, initiative=initiative, position=start + n, reasons=proposals[initiative.pk]
            )
            for n, initiative in enumerate(ordered)
        ]
        if items:
            items = bulk_create_with_history(items, AgendaItem, default_user=user)
            if any(item.pk is None for item in items):  # a backend that does not return ids on bulk insert
                items = list(
                    AgendaItem.objects.filter(meeting=meeting, position__gte=start).order_by("position")
                )
    return items


def agenda_add(*, user: Any, meeting: SteeringMeeting, initiative: Initiative, note: str = "") -> AgendaItem:
    """Put an open initiative on the agenda by hand, at the end."""
    with transaction.atomic():
        meeting = _open_meeting(user, meeting.pk)
        initiative = Initiative.objects.filter(pk=initiative.pk).first() or initiative
        if initiative.stage not in OPEN_STAGES:
            raise ApplicationError(
                f"{initiative.code} is {initiative.get_stage_display().lower()}: only open initiatives go on an "
                "agenda.",
                field_errors={"initiative": ["Pick an open initiative."]},
            )
        if AgendaItem.objects.filter(meeting=meeting, initiative=initiative).exists():
            raise ApplicationError(
                f"{initiative.code} is already on this agenda.",
                field_errors={"initiative": [f"{initiative.code} is already on this agenda."]},
            )
        name = user.get_full_name() or user.get_username()
        return record_create(
            AgendaItem,
            user=user,
            values={
                "meeting": meeting,
                "initiative": initiative,
                "position": AgendaItem.objects.filter(meeting=meeting).count(),
                "reasons": [f"Added by {name}"],
                "note": note,
            },
            allowed=True,
        )


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


def _locked_item(user: Any, item_id: int) -> tuple[SteeringMeeting, list[AgendaItem], AgendaItem]:
    meeting_id = AgendaItem.objects.filter(pk=item_id).values_list("meeting_id", flat=True).first()
    if meeting_id is None:
        raise ApplicationError("This agenda item no longer exists.")
    meeting = _open_meeting(user, meeting_id)
    items = list(
        AgendaItem.objects.filter(meeting=meeting).select_related("initiative").order_by("position", "pk")
    )
    item = next((candidate for candidate in items if candidate.pk == item_id), None)
    if item is None:
        raise ApplicationError("This agenda item no longer exists.")
    return meeting, items, item


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
    """Move an item up, down or to a position (0 is first); returns the agenda in its new order."""
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
        index = items.index(item)
        if direction == "up":
            target = max(index - 1, 0)
        elif direction == "down":
            target = min(index + 1, len(items) - 1)
        else:
            target = min(int(position or 0), len(items) - 1)
        items.insert(target, items.pop(index))
        _renumber(items, user)
    return items


# ------------------------------------------------------------------------------------------------ snapshots


def _plain(value: Any) -> Any:
    """A JSON value for anything a snapshot holds: ISO dates, numbers for decimals, lists for tuples and sets."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=str)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _portfolio_parts(initiatives: Sequence[Initiative]) -> dict[int, dict[str, Any]]:
    ids = [initiative.pk for initiative in initiatives]
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for milestone in Milestone.objects.filter(initiative_id__in=ids).order_by(
        "initiative_id", "baseline_date", "name"
    ):
        milestones[milestone.initiative_id].append(
            {
                "name": milestone.name,
                "baseline": milestone.baseline_date,
                "forecast": milestone.forecast_date,
                "actual": milestone.actual_date,
            }
        )
    pending: dict[int, list[ScopeChange]] = defaultdict(list)
    for change in ScopeChange.objects.filter(
        initiative_id__in=ids, status=ScopeChangeStatus.PENDING
    ).order_by("initiative_id", "date", "pk"):
        pending[change.initiative_id].append(change)
    parts = {}
    for initiative in initiatives:
        budget = initiative.budget_total
        forecast = initiative.forecast_cost
        changes = pending[initiative.pk]
        parts[initiative.pk] = {
            "initiative": {
                "code": initiative.code,
                "title": initiative.title,
                "stage": initiative.stage,
                "stage_label": initiative.get_stage_display(),
                "stage_since": initiative.stage_since,
                "sponsor": _person(initiative.sponsor),
                "manager": _person(initiative.manager),
                "planned_start": initiative.planned_start,
                "planned_end": initiative.planned_end,
                "actual_start": initiative.actual_start,
                "actual_end": initiative.actual_end,
                "go_live_date": initiative.go_live_date,
            },
            "spend": {
                "budget": budget,
                "actual_cost": initiative.actual_cost,
                "forecast_cost": forecast,
                "variance": (forecast - budget) if forecast is not None else None,
                "spent_pct": round(float(initiative.actual_cost / budget * 100), 1) if budget > 0 else None,
                "expected_annual_benefit": initiative.expected_annual_benefit,
            },
            "milestones": milestones[initiative.pk],
            "scope_changes": {
                "pending": len(changes),
                "pending_cost": sum((change.cost_impact for change in changes), Decimal("0")),
                "pending_days": sum(change.schedule_impact_days for change in changes),
                "items": [
                    {
                        "date": change.date,
                        "description": change.description,
                        "rationale": change.rationale,
                        "cost_impact": change.cost_impact,
                        "schedule_impact_days": change.schedule_impact_days,
                    }
                    for change in changes
                ],
            },
        }
    return parts


def _merge_part(snapshot: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        present = snapshot.get(key)
        if isinstance(present, dict) and isinstance(value, Mapping):
            present.update(value)
        elif isinstance(present, list) and isinstance(value, list | tuple):
            present.extend(value)
        else:
            snapshot[key] = value


def initiative_snapshots(initiatives: Sequence[Initiative]) -> dict[int, dict[str, Any]]:
    """The frozen view of several initiatives at once (see initiative_snapshot), with a fixed number of
    queries for the portfolio's part.

    A snapshot provider is called once per initiative, unless it also offers `many(initiatives)` returning
    {initiative id: dict}: then it is called once for all of them.
    """
    initiatives = list(initiatives)
    snapshots: dict[int, dict[str, Any]] = {
        pk: {"as_of": timezone.localdate(), **part} for pk, part in _portfolio_parts(initiatives).items()
    }
    for provider in registry.snapshot_providers:
        many = getattr(provider, "many", None)
        if callable(many):
            found = many(initiatives)
            parts = {initiative.pk: found.get(initiative.pk) or {} for initiative in initiatives}
        else:
            parts = {initiative.pk: provider(initiative) or {} for initiative in initiatives}
        for pk, part in parts.items():
            _merge_part(snapshots[pk], part)
    return {pk: _plain(snapshot) for pk, snapshot in snapshots.items()}


def initiative_snapshot(initiative: Initiative) -> dict[str, Any]:
    """What a committee looks at for one initiative, as JSON: its facts (stage, people, dates), spend, milestones
    (baseline, forecast, actual) and pending scope changes, plus whatever each snapshot provider adds
    (the alignment app: "scores", "signals", "kpis")."""
    return initiative_snapshots([initiative])[initiative.pk]


def rag_suggestions(initiative: Initiative) -> dict[str, dict[str, str]]:
    """Per dimension, the RAG the data suggests and why: the worst any RAG suggester proposes (reasons of equally
    bad suggestions are joined). Dimensions no suggester speaks to are left out."""
    suggested: dict[str, dict[str, str]] = {}
    for suggester in registry.rag_suggesters:
        for dimension, proposal in (suggester(initiative) or {}).items():
            if dimension not in RAG_DIMENSIONS or not proposal:
                continue
            rag, reason = proposal
            if rag not in RAG_ORDER:
                continue
            present = suggested.get(dimension)
            if present is None or RAG_ORDER[rag] > RAG_ORDER[present["rag"]]:
                suggested[dimension] = {"rag": str(rag), "reason": str(reason)}
            elif RAG_ORDER[rag] == RAG_ORDER[present["rag"]] and reason and reason not in present["reason"]:
                present["reason"] = f"{present['reason']}; {reason}" if present["reason"] else str(reason)
    return {dimension: suggested[dimension] for dimension in RAG_DIMENSIONS if dimension in suggested}


def snapshot_digest(snapshot: Mapping[str, Any], suggested: Mapping[str, Any]) -> str:
    """A fingerprint of the figures and suggestions a review page showed, to notice if they changed before the
    decision is saved. Time stamps are left out: a recompute that changes no figure changes no fingerprint."""
    text = json.dumps([comparable(snapshot), suggested], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------------------------ decisions


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


def checkpoint_decide(
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
    """Record the committee's decision on an agenda item (steering members, PMO, admins).

    Creates the checkpoint review dated the meeting's date, with the figures the committee looked at frozen in
    it (`snapshot`) and the RAG the data suggested (`suggested`); turns each condition into an action item;
    marks the item reviewed; adds the attendees to the meeting's (and marks a planned meeting held). `version`
    is the agenda item's as the page showed it and `seen` the digest of the figures shown: if either moved,
    nothing is saved. All or nothing.
    """
    if not can_record_decisions(user):
        raise NotAllowed("Only steering members and the PMO record checkpoint decisions.")
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
        errors = _decision_errors(rags, decision, rationale, attendees, conditions)
        if errors:
            raise ApplicationError(
                "The decision was not recorded: please correct the errors below.", field_errors=errors
            )
        initiative = current.initiative
        frozen = initiative_snapshot(initiative)
        suggested = rag_suggestions(initiative)
        if seen is not None and seen != snapshot_digest(frozen, suggested):
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
                "snapshot": frozen,
                "suggested": suggested,
            },
            allowed=True,
            m2m={"attendees": attendees},
        )
        due = meeting.held_on + datetime.timedelta(days=CONDITION_DUE_DAYS)
        for condition in conditions:
            record_create(
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
        record_update(
            AgendaItem,
            pk=current.pk,
            version=current.version,
            user=user,
            values={"status": AgendaStatus.REVIEWED, "review": review},
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
    return review


# ------------------------------------------------------------------------------------------------ actions

ACTION_FIELDS = ("title", "owner", "due_date", "status", "completed_on")
OWNER_FIELDS = {"status", "completed_on"}


def action_update(*, user: Any, action_id: int, version: int, data: Mapping[str, Any]) -> ActionItem:
    """Change an action item: its owner marks it done or reopens it; steering members and the PMO may also
    change its title, owner and due date. Done stamps the completion date (today unless given)."""
    values = _only(data, ACTION_FIELDS)

    def authorize(user: Any, current: ActionItem) -> bool:
        if not can_update_action(user, current):
            return False
        if not can_record_decisions(user):
            for field in set(values) - OWNER_FIELDS:
                if _pk(values[field]) != getattr(current, f"{field}_id" if field == "owner" else field):
                    raise NotAllowed(
                        "Only steering members and the PMO change an action's title, owner or due date."
                    )
        return True

    def prepare(before: ActionItem, after: ActionItem) -> None:
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

    return record_update(
        ActionItem,
        pk=action_id,
        version=version,
        user=user,
        values=values,
        authorize=authorize,
        prepare=prepare,
    )
