"""Reads of steering data that other apps use through core's slots."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterator

from django.db.models import Q

from core.extensions import ReviewFact
from steering.models import CheckpointReview, SteeringMeeting


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
