"""Where jobs run. With Redis (production) they go to Celery workers. Without it (the embedded default)
a changed initiative is rescored in-process right after commit, and the longer jobs (full recompute,
portfolio refresh) run in a background thread, so their progress can be watched like a worker's. Tests
run everything inline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

PORTFOLIO_REFRESH_LOCK = "bearing:portfolio-refresh-queued"
PORTFOLIO_REFRESH_DELAY = 5  # seconds: several edits in a row share one refresh


def runner() -> str:
    return str(getattr(settings, "BEARING_JOB_RUNNER", "inline"))


def _in_thread(target: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    def run() -> None:
        close_old_connections()
        try:
            target(*args, **kwargs)
        except Exception:  # a background job must not die silently: log it; the job row records the failure
            log.exception("Background job %s failed", getattr(target, "__name__", target))
        finally:
            connection.close()

    threading.Thread(target=run, name=f"bearing-{getattr(target, '__name__', 'job')}", daemon=True).start()


def enqueue_recompute(initiative_ids: list[int], kpi_ids: list[int], *, portfolio: bool) -> None:
    """Rescore changed initiatives after commit, then refresh the portfolio indices once for a burst of edits."""
    from alignment import services, tasks

    mode = runner()
    if mode == "celery":
        tasks.recompute_initiatives.delay(initiative_ids, kpi_ids)
        if portfolio and cache.add(PORTFOLIO_REFRESH_LOCK, 1, timeout=PORTFOLIO_REFRESH_DELAY * 6):
            tasks.refresh_portfolio.apply_async(countdown=PORTFOLIO_REFRESH_DELAY)
        return
    services.recompute(initiative_ids=initiative_ids, kpi_ids=kpi_ids)
    if not portfolio:
        return
    if mode == "thread":
        if cache.add(PORTFOLIO_REFRESH_LOCK, 1, timeout=60):
            _in_thread(_refresh_portfolio)
    else:
        services.recompute_and_render()


def _refresh_portfolio() -> None:
    from alignment import services

    cache.delete(PORTFOLIO_REFRESH_LOCK)
    services.recompute_and_render()


def _start(
    kind: str, *, user: Any, task: Any, run: Callable[..., Any], target: str = "", **kwargs: Any
) -> Any:
    """Start (or join) a job of this kind and target, run it where jobs run, and return its Job row."""
    from alignment import services

    job, created = services.job_start_or_join(kind, user=user, target=target)
    if not created:  # joined a queued or running job: it is already on its way
        return job
    mode = runner()
    if mode == "celery":
        task.delay(job.pk, **kwargs)
    elif mode == "thread":
        _in_thread(run, job_id=job.pk, **kwargs)
    else:
        run(job_id=job.pk, **kwargs)
        job.refresh_from_db()
    return job


def enqueue_full_recompute(*, user: Any = None) -> Any:
    """Start (or join) a full recompute job and return its Job row, whose progress the UI polls."""
    from alignment import services, tasks
    from alignment.models import JobKind

    return _start(
        JobKind.FULL_RECOMPUTE, user=user, task=tasks.full_recompute, run=services.run_full_recompute
    )


def enqueue_dashboard_render(*, user: Any = None) -> Any:
    """Start (or join) a redraw of the stored dashboards and return its Job row."""
    from alignment import services, tasks
    from alignment.models import JobKind

    return _start(
        JobKind.DASHBOARDS, user=user, task=tasks.render_dashboards, run=services.run_dashboard_render
    )


def enqueue_board_pack(meeting_id: int, *, user: Any = None) -> Any:
    """Start (or join) the printing of a meeting's board pack and return its Job row."""
    from alignment import services, tasks
    from alignment.models import JobKind

    return _start(
        JobKind.BOARD_PACK,
        user=user,
        task=tasks.render_board_pack,
        run=services.run_board_pack,
        target=services.meeting_target(meeting_id),
        meeting_id=meeting_id,
        user_id=getattr(user, "pk", None),
    )
