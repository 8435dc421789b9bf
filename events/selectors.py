"""Reads of the events app: the bell's count, the notifications page, watch states, the webhook log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from events.models import Notification, Watch, WebhookAttempt
from portfolio.models import Initiative, Objective, Program
from steering.models import SteeringMeeting

BELL_BOUND = 99  # the bell counts up to this many unread, then says "99+"

WATCHABLE_MODELS: dict[str, Any] = {
    "initiative": Initiative,
    "objective": Objective,
    "program": Program,
    "meeting": SteeringMeeting,
}


def watchable_exists(subject_type: str, subject_id: int) -> bool:
    model = WATCHABLE_MODELS.get(subject_type)
    return model is not None and model.objects.filter(pk=subject_id).exists()


def unread_count(user: Any) -> int:
    """How many unread notifications the user has, counted up to BELL_BOUND + 1 (one indexed query)."""
    return len(
        Notification.objects.filter(user=user, read_at__isnull=True).values_list("pk", flat=True)[
            : BELL_BOUND + 1
        ]
    )


def notification_list(user: Any, *, kind: str = "", state: str = "") -> QuerySet[Notification]:
    """The user's notifications, newest first, filtered by kind and read state ("unread", "read")."""
    rows = Notification.objects.filter(user=user)
    if kind:
        rows = rows.filter(kind=kind)
    if state == "unread":
        rows = rows.filter(read_at__isnull=True)
    elif state == "read":
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-pk")


def is_watching(user: Any, subject_type: str, subject_id: int, *, by_default: bool) -> bool:
    """Whether the user watches a record: their own choice, else whether they watch it by default."""
    choice = (
        Watch.objects.filter(user=user, subject_type=subject_type, subject_id=subject_id)
        .values_list("watching", flat=True)
        .first()
    )
    return by_default if choice is None else bool(choice)


def watched(user: Any, subject_type: str) -> set[int]:
    """The ids of records of one kind the user chose to watch."""
    return set(
        Watch.objects.filter(user=user, subject_type=subject_type, watching=True).values_list(
            "subject_id", flat=True
        )
    )


def webhook_log(subscription_id: int) -> QuerySet[WebhookAttempt]:
    return (
        WebhookAttempt.objects.filter(subscription_id=subscription_id)
        .select_related("delivery")
        .order_by("-pk")
    )


def unwatched(user: Any, subject_type: str) -> set[int]:
    """The ids of records of one kind the user chose not to watch."""
    return set(
        Watch.objects.filter(user=user, subject_type=subject_type, watching=False).values_list(
            "subject_id", flat=True
        )
    )
