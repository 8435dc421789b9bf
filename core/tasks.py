"""Celery tasks every app relies on."""

from __future__ import annotations

from celery import shared_task

from core import jobs, outbox


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def fail_lost_jobs() -> None:
    """Mark failed the jobs whose worker died (silent past the limit) or whose message was lost, so the
    page says so and the next request starts a fresh one. Beat runs it every 15 seconds."""
    jobs.fail_lost_jobs()


@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def dispatch_events() -> None:
    """Hand the events recorded in the outbox to their consumers (notifications, webhooks); sent after the
    commit that recorded them."""
    outbox.dispatch_pending()


@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def sweep_events() -> None:
    """Deliver any event left pending (the broker down at commit time, a worker killed) and drop old
    processed events. Every minute."""
    outbox.sweep()
