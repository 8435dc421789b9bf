"""The scenario optimiser (issue 12): pure functions from a Scenario (dataclasses in) to a Solution, a
Frontier or a Greedy baseline (dataclasses out), solved exactly with HiGHS. No database: the scenario model
and its pages compute the candidates' values and costs and call these. See docs/planning-scenarios.md."""

from __future__ import annotations

from planning.optimiser.conflicts import Conflict
from planning.optimiser.frontier import Frontier, FrontierPoint, PlanPoint, frontier, plan_point
from planning.optimiser.greedy import Greedy, greedy
from planning.optimiser.scenario import Candidate, Constraint, Scenario, Shift, YearBudget
from planning.optimiser.solve import (
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT,
    Breach,
    Decision,
    LimitUse,
    Program,
    Solution,
    solve,
)

__all__ = [
    "INFEASIBLE",
    "OPTIMAL",
    "TIME_LIMIT",
    "Breach",
    "Candidate",
    "Conflict",
    "Constraint",
    "Decision",
    "Frontier",
    "FrontierPoint",
    "Greedy",
    "LimitUse",
    "PlanPoint",
    "Program",
    "Scenario",
    "Shift",
    "Solution",
    "YearBudget",
    "frontier",
    "greedy",
    "plan_point",
    "solve",
]
