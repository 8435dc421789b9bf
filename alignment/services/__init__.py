"""Use cases of the alignment engine, by concern: the policy in force, recomputing, what a change makes stale,
the daily history and the stored dashboards. Jobs that run them: alignment.jobs (where they are sent) and
alignment.tasks (what workers run)."""

from __future__ import annotations

from alignment.services.dashboards import render_dashboards, run_dashboard_render
from alignment.services.history import backfill_history, record_history
from alignment.services.policy import current_policy, policy_version
from alignment.services.scores import (
    RecomputeSummary,
    explain_initiative,
    full_recompute_reads,
    portfolio_is_stale,
    recompute,
    recompute_and_render,
    recompute_stale,
    run_full_recompute,
    warm_up,
)
from alignment.services.staleness import affected_initiatives, mark_portfolio_stale, mark_stale

__all__ = [
    "RecomputeSummary",
    "affected_initiatives",
    "backfill_history",
    "current_policy",
    "explain_initiative",
    "full_recompute_reads",
    "mark_portfolio_stale",
    "mark_stale",
    "policy_version",
    "portfolio_is_stale",
    "recompute",
    "recompute_and_render",
    "recompute_stale",
    "record_history",
    "render_dashboards",
    "run_dashboard_render",
    "run_full_recompute",
    "warm_up",
]
