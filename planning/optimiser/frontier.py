"""The efficient frontier: the best value reachable at each budget level, from nothing to the total demand.

A budget level B caps the total cost (capex + opex) of the selection over the whole horizon; every other
limit and rule of the scenario is kept. The levels are evenly spaced: B_k = k / (points - 1) * D for k = 0 ..
points - 1, where D is the total demand, the total cost of all candidates over the horizon. A level below what
the forced and mandatory items cost has no feasible selection; its point says so.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from planning.optimiser.scenario import Model, Scenario
from planning.optimiser.solve import Program

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FrontierPoint:
    """The best selection under one budget level and its proven relative gap; value, cost, selected and gap
    are empty when it has none."""

    budget: float
    status: str
    value: float | None
    cost: float | None
    selected: tuple[int, ...]
    gap: float | None


@dataclass(frozen=True)
class Frontier:
    demand: float
    points: tuple[FrontierPoint, ...]


@dataclass(frozen=True)
class PlanPoint:
    """Where a given selection (the current plan, a scenario's answer) sits on the frontier's axes, and
    whether it keeps the scenario's limits and rules."""

    value: float
    cost: float
    feasible: bool


def frontier(
    scenario: Scenario,
    *,
    points: int = 25,
    time_limit: float = 60.0,
    gap: float = 0.0,
    progress: Progress | None = None,
) -> Frontier:
    """Solve the scenario at `points` budget levels (at least 2), calling progress(done, total) after each,
    so a tracked job can report how far it is; each point is proven within the relative `gap` (exact by
    default) or stops at `time_limit` seconds. A level never shows less than the level before it: when the
    solver stops (within its gap) below it, the earlier selection, which fits the larger budget, is kept.
    One program is built and only its budget row changes."""
    if points < 2:
        raise ValueError("A frontier needs at least two budget levels.")
    model = Model(replace(scenario, budget=None))
    program = Program(model)
    demand = float(model.total_cost.sum())
    result: list[FrontierPoint] = []
    for k in range(points):
        budget = demand * k / (points - 1)
        status, x, proven = program.run(cap=budget, time_limit=time_limit, gap=gap)
        if x is None:
            result.append(FrontierPoint(budget, status, None, None, (), None))
        else:
            chosen, _moved = program.ways(x)
            selected = tuple(cid for i, cid in enumerate(model.ids) if chosen[i])
            value = float(model.values[chosen].sum())
            cost = program.cost(x)
            before = result[-1] if result else None
            if (
                before is not None
                and before.value is not None
                and before.cost is not None
                and before.value > value
            ):
                # within a gap a level may stop below the level before it, whose selection fits here too
                value, cost, selected = before.value, before.cost, before.selected
            result.append(FrontierPoint(budget, status, value, cost, selected, proven))
        if progress is not None:
            progress(k + 1, points)
    return Frontier(demand, tuple(result))


def plan_point(
    scenario: Scenario, selected: Collection[int], shifts: Mapping[int, int] | None = None
) -> PlanPoint:
    """The value and total cost of a selection, to mark it on the frontier, and whether it keeps every rule
    and limit of the scenario; `shifts` (candidate id: months) are the starts it moves, when the scenario
    offers those moves (a move it does not offer counts as the planned start)."""
    model = Model(scenario)
    chosen = set(selected)
    for cid in chosen:
        if cid not in model.index:
            raise ValueError(f"Unknown candidate id {cid} in the plan.")
    rows = [model.index[c] for c in sorted(chosen)]
    used = model.usage[rows].sum(axis=0)
    cost = float(model.total_cost[rows].sum())
    way = {
        (i, months): k for k, (i, months) in enumerate(zip(model.shift_of, model.shift_months, strict=True))
    }
    for cid, months in (shifts or {}).items():
        k = way.get((model.index.get(cid, -1), months))
        if k is not None and cid in chosen:
            i = model.index[cid]
            used = used - model.usage[i] + model.shift_usage[k]
            cost += float(model.shift_cost[k] - model.total_cost[i])
    fits = all(used[k] <= v + model.tolerance(v) for k, v in enumerate(model.limit_values))
    keeps = {
        "mandatory": lambda a, b: a in chosen,
        "force_in": lambda a, b: a in chosen,
        "force_out": lambda a, b: a not in chosen,
        "requires": lambda a, b: a not in chosen or b in chosen,
        "excludes": lambda a, b: not (a in chosen and b in chosen),
    }
    ok = all(keeps[r.kind](r.items[0], r.items[-1]) for r in model.rules)
    return PlanPoint(float(model.values[rows].sum()), cost, fits and ok)
