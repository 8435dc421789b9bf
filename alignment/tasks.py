"""Celery tasks of the alignment engine: thin, idempotent wrappers that take ids and call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.cache import cache

from alignment import services
from core import jobs

RECOMPUTE_OPTIONS: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
# A task with a hard limit below CELERY_TASK_SOFT_TIME_LIMIT states its own soft limit: Celery refuses to send
# a task whose soft limit exceeds its hard one (ValueError from delay/apply_async).

FULL_RECOMPUTE = jobs.register_kind("full_recompute", "Full recompute")
DASHBOARDS = jobs.register_kind("dashboards", "Dashboard rendering")

PORTFOLIO_REFRESH_LOCK = "bearing:portfolio-refresh-queued"
PORTFOLIO_REFRESH_DELAY = 5  # seconds: several edits in a row share one refresh


@shared_task(**RECOMPUTE_OPTIONS, time_limit=15 * 60, soft_time_limit=14 * 60)
def full_recompute(job_id: int) -> None:
    """Recompute every score, KPI status, signal and index; progress goes to the Job row."""
    services.run_full_recompute(job_id=job_id)


@shared_task(**RECOMPUTE_OPTIONS, time_limit=5 * 60, soft_time_limit=4 * 60)
def recompute_initiatives(initiative_ids: list[int], kpi_ids: list[int] | None = None) -> None:
    """Rescore the initiatives whose inputs changed (and the given KPIs)."""
    services.recompute(initiative_ids=initiative_ids, kpi_ids=kpi_ids or ())


@shared_task(**RECOMPUTE_OPTIONS, time_limit=15 * 60)
def refresh_portfolio() -> None:
    """Recompute the portfolio (indices and objective-level signals need every initiative)."""
    cache.delete(PORTFOLIO_REFRESH_LOCK)
    services.recompute_and_render()


@shared_task(**RECOMPUTE_OPTIONS, time_limit=10 * 60, soft_time_limit=9 * 60)
def sweep_stale() -> None:
    """Catch what a lost message left stale: rescore stale initiatives, then refresh the indices and
    dashboards when the portfolio is marked stale (or an initiative was rescored after them)."""
    services.recompute_stale()
    if services.portfolio_is_stale():
        services.recompute_and_render()


@shared_task(**RECOMPUTE_OPTIONS, time_limit=10 * 60, soft_time_limit=9 * 60)
def render_dashboards(job_id: int) -> None:
    """Redraw the stored dashboards (the portfolio's and each program's)."""
    services.run_dashboard_render(job_id=job_id)


@shared_task(**RECOMPUTE_OPTIONS, time_limit=15 * 60)
def nightly_recompute() -> None:
    """The nightly full recompute (dates move on even when nobody edits anything). When a full recompute
    is already running, that one is joined and nothing more is done."""
    job = jobs.job_start(FULL_RECOMPUTE)
    services.run_full_recompute(job_id=job.pk)


@shared_task(**RECOMPUTE_OPTIONS, time_limit=10 * 60, soft_time_limit=9 * 60)
def record_history() -> None:
    """The daily score history: every initiative's scores copied for the day."""
    services.record_history()
