"""Where the alignment engine's work is sent: a change's recompute after commit (to the workers, or in-process
in the embedded default), and the full recompute and dashboard jobs people start from the pages.

A change never waits for, nor fails because of, any of this: it marked what it made stale in its own
transaction (alignment.services.staleness), and the sweep catches whatever a lost message left behind."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment import services, tasks
from core import jobs
from core.changes import Change
from core.models import Job

log = logging.getLogger(__name__)

FULL_RECOMPUTE = tasks.FULL_RECOMPUTE
DASHBOARDS = tasks.DASHBOARDS


def on_portfolio_change(change: Change) -> None:
    """Listener for portfolio changes: mark stale now, recompute after the transaction commits."""
    ids, portfolio = services.affected_initiatives(change)
    now = timezone.now()
    services.mark_stale(ids, now=now)
    if portfolio:
        services.mark_portfolio_stale(now=now)
    kpi_ids = sorted(change.kpi_ids)
    # an objective change that moves no initiative's score still moves the portfolio (units, coverage)
    if ids or kpi_ids or portfolio:
        transaction.on_commit(lambda: enqueue_recompute(sorted(ids), kpi_ids, portfolio=portfolio))


def enqueue_recompute(initiative_ids: list[int], kpi_ids: list[int], *, portfolio: bool) -> None:
    """Rescore changed initiatives after commit, then refresh the portfolio indices once for a burst of edits.

    Runs after the change committed, so it never fails it: the change marked what it made stale in its own
    transaction, and the sweep recomputes whatever a message that could not be sent (or a failed in-process
    recompute) left behind. Such a failure is logged.
    """
    mode = jobs.runner()
    if mode == "celery":
        what = f"initiatives {initiative_ids}, KPIs {kpi_ids}"
        if not jobs.send(tasks.recompute_initiatives, (initiative_ids, kpi_ids), what=what):
            return
        refresh = portfolio and cache.add(
            tasks.PORTFOLIO_REFRESH_LOCK, 1, timeout=tasks.PORTFOLIO_REFRESH_DELAY * 6
        )
        if refresh and not jobs.send(
            tasks.refresh_portfolio, (), what="the portfolio", countdown=tasks.PORTFOLIO_REFRESH_DELAY
        ):
            cache.delete(tasks.PORTFOLIO_REFRESH_LOCK)
        return
    try:
        services.recompute(initiative_ids=initiative_ids, kpi_ids=kpi_ids)
    except Exception:  # the change is saved; its scores stay marked stale
        log.exception(
            "Recompute of initiatives %s after commit failed; they stay marked stale", initiative_ids
        )
        return
    if not portfolio:
        return
    if mode == "thread":
        if cache.add(tasks.PORTFOLIO_REFRESH_LOCK, 1, timeout=60):
            jobs.in_thread(_refresh_portfolio)
    else:
        try:
            services.recompute_and_render()
        except Exception:
            log.exception("Portfolio refresh after commit failed; the portfolio stays marked stale")


def _refresh_portfolio() -> None:
    cache.delete(tasks.PORTFOLIO_REFRESH_LOCK)
    services.recompute_and_render()


def enqueue_full_recompute(*, user: Any = None) -> Job:
    """Start (or join) a full recompute job and return its Job row, whose progress the UI polls."""
    return jobs.start(FULL_RECOMPUTE, user=user, task=tasks.full_recompute, run=services.run_full_recompute)


def enqueue_dashboard_render(*, user: Any = None) -> Job:
    """Start (or join) a redraw of the stored dashboards and return its Job row."""
    return jobs.start(DASHBOARDS, user=user, task=tasks.render_dashboards, run=services.run_dashboard_render)
