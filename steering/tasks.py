"""Celery tasks of steering: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from alignment.tasks import RECOMPUTE_OPTIONS
from steering import boardpack, reminders


@shared_task(**RECOMPUTE_OPTIONS, time_limit=5 * 60, soft_time_limit=4 * 60)
def render_board_pack(job_id: int, meeting_id: int, user_id: int | None = None) -> None:
    """Print a steering meeting's board pack to PDF."""
    boardpack.run_board_pack(job_id=job_id, meeting_id=meeting_id, user_id=user_id)


@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def send_reminders() -> None:
    """The daily e-mails: overdue action items to their owners, checkpoints due within a week to managers.
    Also records the events of actions due soon or overdue (for notifications and webhooks)."""
    reminders.send_reminders()
    reminders.action_events(timezone.localdate())
