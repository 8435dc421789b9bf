"""What steering adds to other apps through core's slots: the reviews section of an initiative's page, the board
pack section of a meeting, the reviews the engine reads, the history of reviews and actions, and the tier-1
stage gate."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core import jobs, roles
from core.extensions import PageSection, registry
from portfolio.models import Initiative
from steering import rules, selectors
from steering.boardpack import BOARD_PACK, meeting_target
from steering.models import ActionItem, BoardPack, CheckpointReview, MeetingStatus, SteeringMeeting


def meeting_section(meeting: SteeringMeeting, user: Any) -> dict[str, Any]:
    pack = (
        BoardPack.objects.filter(meeting=meeting)
        .order_by("-created_at")
        .only("pk", "created_at", "size")
        .first()
    )
    job = jobs.latest_job(BOARD_PACK, meeting_target(meeting.pk))
    return {
        "pack": pack,
        "job": job if job and job.active else None,
        "can_print": roles.can_record_decisions(user),
    }


def reviews_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    reviews = list(
        initiative.checkpoint_reviews.select_related("meeting", "recorded_by").prefetch_related("attendees")
    )
    actions = list(initiative.action_items.select_related("owner"))
    agenda = list(
        initiative.agenda_items.filter(review__isnull=True, meeting__status=MeetingStatus.PLANNED)
        .select_related("meeting")
        .order_by("meeting__held_on")
    )
    return {"reviews": reviews, "actions": actions, "agenda": agenda, "today": timezone.localdate()}


def register() -> None:
    registry.add_section(
        # the anchor "checkpoints" is what the engine's signals link to
        PageSection("checkpoints", "Reviews", 80, "steering/_initiative_reviews.html", reviews_section)
    )
    registry.add_section(
        PageSection(
            "board-pack",
            "Board pack",
            10,
            "steering/_meeting_boardpack.html",
            meeting_section,
            page="meeting",
        )
    )
    registry.add_hook(registry.review_sources, selectors.review_facts)
    registry.add_history_source(_steering_history)
    registry.add_hook(registry.stage_gates, rules.tier_one_gate)


def _steering_history(initiative: Initiative) -> list[Any]:
    return [
        CheckpointReview.history.filter(initiative_id=initiative.pk),  # type: ignore[attr-defined]
        ActionItem.history.filter(initiative_id=initiative.pk),  # type: ignore[attr-defined]
    ]
