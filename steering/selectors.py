"""Reads of steering data that other apps use through core's slots."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterator
from typing import Any

from django.db.models import Q, QuerySet

from core.extensions import ReviewFact
from steering.models import ActionItem, ActionStatus, CheckpointReview, PortfolioDecision, SteeringMeeting


def review_facts(initiative_ids: Collection[int] | None, today: datetime.date) -> Iterator[ReviewFact]:
    """Checkpoint reviews held up to `today` (of the given initiatives, or all), by initiative and newest
    first within each, with who attended: the review's attendees and its meeting's (attendance may be
    recorded later). Three queries, however many reviews; the reviews are fetched as they are read."""
    ids = None if initiative_ids is None else list(initiative_ids)
    attendees: dict[int, set[int]] = defaultdict(set)
    through = CheckpointReview.attendees.through
    review_filter = Q() if ids is None else Q(checkpointreview__initiative_id__in=ids)
    for review_id, user_id in through.objects.filter(review_filter).values_list(
        "checkpointreview_id", "user_id"
    ):
        attendees[review_id].add(user_id)
    meeting_attendees: dict[int, set[int]] = defaultdict(set)
    meeting_filter = Q(steeringmeeting__reviews__isnull=False)
    if ids is not None:
        meeting_filter &= Q(steeringmeeting__reviews__initiative_id__in=ids)
    for meeting_id, user_id in (
        SteeringMeeting.attendees.through.objects.filter(meeting_filter)
        .values_list("steeringmeeting_id", "user_id")
        .distinct()
    ):
        meeting_attendees[meeting_id].add(user_id)
    reviews = CheckpointReview.objects.filter(held_on__lte=today)
    if ids is not None:
        reviews = reviews.filter(initiative_id__in=ids)
    for pk, initiative_id, meeting_id, held_on, schedule, cost, scope, benefits, decision in (
        reviews.order_by("initiative_id", "-held_on", "-pk")
        .values_list(
            "pk",
            "initiative_id",
            "meeting_id",
            "held_on",
            "rag_schedule",
            "rag_cost",
            "rag_scope",
            "rag_benefits",
            "decision",
        )
        .iterator(chunk_size=2000)
    ):
        yield ReviewFact(
            pk,
            initiative_id,
            held_on,
            (schedule, cost, scope, benefits),
            decision,
            frozenset(attendees.get(pk, set()) | meeting_attendees.get(meeting_id, set())),
        )


def decision_log(values: dict[str, Any]) -> QuerySet[CheckpointReview]:
    """The checkpoint reviews the decision log's filters select (DecisionLogFilterForm's cleaned data),
    newest first: its page and its export."""
    reviews = CheckpointReview.objects.select_related(
        "initiative", "initiative__program", "meeting__committee"
    )
    if values["decision"]:
        reviews = reviews.filter(decision=values["decision"])
    if values["committee"]:
        reviews = reviews.filter(meeting__committee=values["committee"])
    if values["program"]:
        reviews = reviews.filter(initiative__program=values["program"])
    for word in (values["q"] or "").split():
        reviews = reviews.filter(Q(initiative__code__icontains=word) | Q(initiative__title__icontains=word))
    if values["initiative"]:
        reviews = reviews.filter(initiative=values["initiative"])
    if values["date_from"]:
        reviews = reviews.filter(held_on__gte=values["date_from"])
    if values["date_to"]:
        reviews = reviews.filter(held_on__lte=values["date_to"])
    return reviews.order_by("-held_on", "-pk")


def portfolio_decision_log(values: dict[str, Any]) -> QuerySet[PortfolioDecision]:
    """The portfolio decisions the log's filters select (PortfolioDecisionFilterForm's cleaned data), newest
    first: its page, its export and the API."""
    decisions = PortfolioDecision.objects.select_related("initiative", "decided_by")
    if values.get("kind"):
        decisions = decisions.filter(kind=values["kind"])
    if values.get("outcome"):
        decisions = decisions.filter(outcome=values["outcome"])
    for word in (values.get("q") or "").split():
        decisions = decisions.filter(
            Q(subject__icontains=word)
            | Q(initiative__code__icontains=word)
            | Q(initiative__title__icontains=word)
        )
    if values.get("initiative"):
        decisions = decisions.filter(initiative=values["initiative"])
    if values.get("date_from"):
        decisions = decisions.filter(decided_at__date__gte=values["date_from"])
    if values.get("date_to"):
        decisions = decisions.filter(decided_at__date__lte=values["date_to"])
    return decisions.order_by("-decided_at", "-pk")


def action_list(values: dict[str, Any], *, user: Any, today: datetime.date) -> QuerySet[ActionItem]:
    """The action items the action list's filters select (ActionFilterForm's cleaned data; `mine` is the
    user's), soonest due first: its page and its export."""
    actions = ActionItem.objects.select_related("initiative", "owner", "review", "review__meeting__committee")
    if values["status"] and values["status"] != "all":
        actions = actions.filter(status=values["status"])
    if values["mine"]:
        actions = actions.filter(owner_id=user.pk)
    if values["overdue"]:
        actions = actions.filter(status=ActionStatus.OPEN, due_date__lt=today)
    if values["owner"]:
        actions = actions.filter(owner=values["owner"])
    for word in (values["q"] or "").split():
        actions = actions.filter(Q(initiative__code__icontains=word) | Q(initiative__title__icontains=word))
    return actions.order_by("due_date", "pk")
