"""Celery tasks of planning: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse

from core import jobs
from core.models import Job


def _version_link(job: Job) -> jobs.DoneLink | None:
    _, _, pk = job.target.partition(":")
    return (
        jobs.DoneLink(reverse("planning:strategy-detail", args=[int(pk)]), "See the what-if")
        if pk.isdigit()
        else None
    )


WHATIF = jobs.register_kind("strategy_whatif", "Strategy what-if", done_link=_version_link)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def strategy_whatif(job_id: int, strategy_id: int) -> None:
    """Score every initiative against the objective tree now and under a strategy version."""
    from planning import services

    services.run_whatif(job_id=job_id, strategy_id=strategy_id)


def _scenario_link(job: Job) -> jobs.DoneLink | None:
    _, _, pk = job.target.partition(":")
    return (
        jobs.DoneLink(reverse("planning:scenario-detail", args=[int(pk)]), "See the scenario")
        if pk.isdigit()
        else None
    )


SOLVE = jobs.register_kind("scenario_solve", "Scenario answer", done_link=_scenario_link)
FRONTIER = jobs.register_kind("scenario_frontier", "Efficient frontier", done_link=_scenario_link)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def scenario_solve(job_id: int, scenario_id: int) -> None:
    """Solve a scenario and store its answer."""
    from planning.services import scenarios

    scenarios.run_solve(job_id=job_id, scenario_id=scenario_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def scenario_frontier(job_id: int, scenario_id: int) -> None:
    """Draw a scenario's efficient frontier."""
    from planning.services import scenarios

    scenarios.run_frontier(job_id=job_id, scenario_id=scenario_id)
