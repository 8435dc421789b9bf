"""Celery tasks of planning: thin wrappers that take ids and call one service."""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task
from django.urls import reverse

from core import jobs
from core.models import Job


def _link_to(route: str, label: str) -> Callable[[Job], jobs.DoneLink | None]:
    """A job's link to the page of its target ("<kind>:<pk>") once done."""

    def link(job: Job) -> jobs.DoneLink | None:
        _, _, pk = job.target.partition(":")
        return jobs.DoneLink(reverse(route, args=[int(pk)]), label) if pk.isdigit() else None

    return link


WHATIF = jobs.register_kind(
    "strategy_whatif", "Strategy what-if", done_link=_link_to("planning:strategy-detail", "See the what-if")
)


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


SOLVE = jobs.register_kind(
    "scenario_solve", "Scenario answer", done_link=_link_to("planning:scenario-detail", "See the scenario")
)
FRONTIER = jobs.register_kind(
    "scenario_frontier",
    "Efficient frontier",
    done_link=_link_to("planning:scenario-detail", "See the scenario"),
)


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
