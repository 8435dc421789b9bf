"""Celery tasks of the portfolio: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from portfolio.imports import runs


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def import_file(
    job_id: int, run_id: int, write: bool, only_valid: bool = False, user_id: int | None = None
) -> None:
    """Check, or import, an uploaded file (portfolio.imports.runs.run_import)."""
    runs.run_import(job_id=job_id, run_id=run_id, write=write, only_valid=only_valid, user_id=user_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def recompute_case_figures(job_id: int) -> None:
    """Recompute every business case's stored figures (portfolio.services.business_cases.run_figures_recompute)."""
    from portfolio.services.business_cases import run_figures_recompute

    run_figures_recompute(job_id=job_id)
