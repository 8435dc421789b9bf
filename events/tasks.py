"""Celery tasks of the events app: the digests (scheduled in CELERY_BEAT_SCHEDULE, so they run in-process on
the embedded default too)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from events import digests
from events.models import Channel


@shared_task(ignore_result=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def send_daily_digests() -> None:
    """E-mail each person the notifications they chose to receive in a daily digest."""
    digests.personal_digests(Channel.DAILY)


@shared_task(ignore_result=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def send_weekly_digests() -> None:
    """E-mail the weekly executive digest and each person's weekly digest of notifications."""
    digests.executive_digests(today=timezone.localdate())
    digests.personal_digests(Channel.WEEKLY)
