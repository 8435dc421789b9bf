"""Daily reminders by e-mail: overdue action items to their owners, and checkpoints due within a week to
the initiatives' managers. Each person gets at most one e-mail of each kind a day."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import OutboxEvent
from portfolio.models import Initiative
from steering.events import action_event
from steering.models import ActionItem, ActionStatus, ReminderLog
from steering.rules import checkpoints_due

DUE_WITHIN_DAYS = 7
ACTION_DUE_DAYS = 2  # an open action due within this many days is "due soon" (an event, once)
OVERDUE_ACTIONS = "overdue_actions"
CHECKPOINTS_DUE = "checkpoints_due"


@dataclass(frozen=True)
class Reminder:
    kind: str
    recipient: Any
    subject: str
    lines: list[str]


def _url(path: str) -> str:
    return settings.BEARING_BASE_URL.rstrip("/") + path


def _days_ago(today: datetime.date, day: datetime.date) -> str:
    days = (today - day).days
    return f"{days} day{'s' if days != 1 else ''} ago"


def overdue_action_reminders(today: datetime.date) -> list[Reminder]:
    """One reminder per owner of open action items past their due date (one query)."""
    by_owner: dict[Any, list[ActionItem]] = defaultdict(list)
    for action in (
        ActionItem.objects.filter(status=ActionStatus.OPEN, due_date__lt=today, owner__isnull=False)
        .select_related("owner", "initiative")
        .order_by("owner_id", "due_date")
    ):
        by_owner[action.owner].append(action)
    return [
        Reminder(
            OVERDUE_ACTIONS,
            owner,
            f"Bearing: {len(actions)} overdue action item{'s' if len(actions) > 1 else ''}",
            [
                f"- {a.initiative.code}: {a.title} (due {a.due_date.isoformat()}, {_days_ago(today, a.due_date)})\n"
                f"  {_url(reverse('portfolio:initiative-detail', args=[a.initiative_id]))}#checkpoints"
                for a in actions
            ],
        )
        for owner, actions in by_owner.items()
    ]


def checkpoint_reminders(today: datetime.date) -> list[Reminder]:
    """One reminder per manager (or, without one, sponsor) of initiatives whose checkpoint is due within
    a week under their tier's cadence."""
    horizon = today + datetime.timedelta(days=DUE_WITHIN_DAYS)
    due = {
        pk: (checkpoint.due_on, checkpoint.tier)
        for pk, checkpoint in checkpoints_due().items()
        if today <= checkpoint.due_on <= horizon
    }
    by_person: dict[Any, list[tuple[Initiative, datetime.date, int]]] = defaultdict(list)
    for initiative in (
        Initiative.objects.filter(pk__in=due).select_related("manager", "sponsor").order_by("code")
    ):
        person = initiative.manager or initiative.sponsor
        if person is not None:
            by_person[person].append((initiative, *due[initiative.pk]))
    return [
        Reminder(
            CHECKPOINTS_DUE,
            person,
            f"Bearing: {len(rows)} checkpoint review{'s' if len(rows) > 1 else ''} due within {DUE_WITHIN_DAYS} days",
            [
                f"- {i.code} {i.title}: due {date.isoformat()} (tier {tier})\n"
                f"  {_url(reverse('portfolio:initiative-detail', args=[i.pk]))}"
                for i, date, tier in rows
            ],
        )
        for person, rows in by_person.items()
    ]


def send(reminders: Iterable[Reminder], today: datetime.date) -> int:
    """Send each reminder whose (kind, person, day) was not sent yet; returns how many went out."""
    User = get_user_model()
    sent = 0
    connection = get_connection()
    for reminder in reminders:
        address = getattr(reminder.recipient, "email", "")
        if not address:
            continue
        name = reminder.recipient.get_full_name() if isinstance(reminder.recipient, User) else ""
        try:
            with transaction.atomic():
                ReminderLog.objects.create(
                    kind=reminder.kind,
                    recipient=reminder.recipient,
                    sent_on=today,
                    subject=reminder.subject[:200],
                    items=len(reminder.lines),
                )
                body = (
                    f"Hello {name or reminder.recipient.get_username()},\n\n"
                    + "\n".join(reminder.lines)
                    + "\n\nThis reminder is sent once a day by Bearing.\n"
                )
                EmailMessage(reminder.subject, body, to=[address], connection=connection).send()
        except IntegrityError:  # already reminded today (the job ran twice): nothing to do
            continue
        sent += 1
    return sent


def action_events(today: datetime.date) -> int:
    """Record in the outbox each open action that falls due within ACTION_DUE_DAYS or is overdue, once per
    action and kind (an action already told about is skipped, so a job that runs twice records nothing
    twice). Returns how many events were recorded."""
    open_actions = ActionItem.objects.filter(status=ActionStatus.OPEN, owner__isnull=False).select_related(
        "initiative", "review"
    )
    recorded = 0
    for kind, actions in (
        (outbox.ACTION_OVERDUE, open_actions.filter(due_date__lt=today)),
        (
            outbox.ACTION_DUE,
            open_actions.filter(
                due_date__gte=today, due_date__lte=today + datetime.timedelta(days=ACTION_DUE_DAYS)
            ),
        ),
    ):
        told = OutboxEvent.objects.filter(kind=kind, subject_type="action", subject_id=OuterRef("pk"))
        with transaction.atomic():
            for action in actions.filter(~Exists(told)).order_by("due_date", "pk")[:1000]:
                action_event(kind, action)
                recorded += 1
    return recorded


def send_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """The daily reminder job: overdue action items and checkpoints due within a week."""
    today = today or timezone.localdate()
    return {
        OVERDUE_ACTIONS: send(overdue_action_reminders(today), today),
        CHECKPOINTS_DUE: send(checkpoint_reminders(today), today),
    }
