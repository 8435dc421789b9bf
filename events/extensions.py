"""What the events app adds to the pages of the apps below it (which never import it): a watch button on
initiative, objective and meeting pages; and its consumers of the outbox."""

from __future__ import annotations

from typing import Any

from core.extensions import PageSection, registry
from events import notify, selectors, webhooks
from portfolio.models import Initiative, Objective
from steering.models import SteeringMeeting


def _watch(subject_type: str, pk: int, user: Any, *, by_default: bool, noun: str) -> dict[str, Any]:
    return {
        "watch": {
            "subject_type": subject_type,
            "subject_id": pk,
            "watching": selectors.is_watching(user, subject_type, pk, by_default=by_default),
            "by_default": by_default,
            "noun": noun,
        }
    }


def initiative_watch(initiative: Initiative, user: Any) -> dict[str, Any]:
    mine = user.pk is not None and user.pk in (initiative.sponsor_id, initiative.manager_id)
    return _watch("initiative", initiative.pk, user, by_default=mine, noun="initiative")


def objective_watch(objective: Objective, user: Any) -> dict[str, Any]:
    mine = user.pk is not None and objective.owner_id == user.pk
    return _watch("objective", objective.pk, user, by_default=mine, noun="objective")


def meeting_watch(meeting: SteeringMeeting, user: Any) -> dict[str, Any]:
    committee = meeting.committee
    mine = committee.chair_id == user.pk or committee.members.filter(pk=user.pk).exists()
    return _watch("meeting", meeting.pk, user, by_default=mine, noun="meeting")


def register() -> None:
    for page, builder in (
        ("initiative", initiative_watch),
        ("objective", objective_watch),
        ("meeting", meeting_watch),
    ):
        registry.add_section(PageSection("watch", "Watching", 1, "events/_watch.html", builder, page=page))
    notify.register()
    webhooks.register()
