"""Celery tasks every app relies on."""

from __future__ import annotations

from celery import shared_task

from core import jobs


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def fail_lost_jobs() -> None:
    """Mark failed the jobs whose worker died (silent past the limit) or whose message was lost, so the
    page says so and the next request starts a fresh one. Beat runs it every 15 seconds."""
    jobs.fail_lost_jobs()
