"""The optimiser against exhaustive search: on hundreds of small seeded random scenarios (up to 10
candidates, 1-3 years, budgets, one or two capacity rows, forced, mandatory and forced-out items, requires and
excludes), every one of the 2^n selections is checked by code written here from the scenario's definition, and
the optimiser must agree on feasibility and the best value; its conflicts must be infeasible and minimal, its
explanations true, its frontier exact and the greedy baseline feasible and never better."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest

from planning.optimiser import (
    INFEASIBLE,
    OPTIMAL,
    Candidate,
    Constraint,
    Scenario,
    YearBudget,
    frontier,
    greedy,
    solve,
)

INSTANCES = 400


def random_scenario(rng: random.Random) -> Scenario:
    """Integer data, so that exhaustive search decides every comparison exactly."""
    n = rng.randint(1, 10)
    years = list(range(2027, 2027 + rng.randint(1, 3)))
    rows = [f"team:{m}" for m in range(rng.randint(0, 2))]
    candidates = []
    for cid in range(1, n + 1):
        costs = {y: (rng.randint(0, 6), rng.randint(0, 3)) for y in years if rng.random() < 0.8}
        effort = {r: rng.randint(0, 5) for r in rows if rng.random() < 0.7}
        candidates.append(Candidate(cid, f"C{cid}", rng.randint(-3, 30), costs, effort))
    demand = {
        y: sum(c.costs.get(y, (0, 0))[0] + c.costs.get(y, (0, 0))[1] for c in candidates) for y in years
    }
    budgets = {}
    for y in years:
        share = rng.uniform(0.3, 0.9)
        budgets[y] = YearBudget(
            capex=rng.choice([None, round(share * demand[y] * 0.7)]),
            opex=rng.choice([None, round(share * demand[y] * 0.3)]),
            total=rng.choice([None, None, round(share * demand[y])]),
        )
    capacity = {r: rng.randint(0, 3 * n) for r in rows}
    ids = [c.id for c in candidates]

    def some(k: int, chance: float) -> list[int]:
        return rng.sample(ids, min(len(ids), rng.randint(1, k))) if rng.random() < chance else []

    pairs = [(a, b) for a, b in itertools.permutations(ids, 2)]
    return Scenario(
        candidates=candidates,
        years=years,
        budgets=budgets,
        capacity=capacity,
        force_in=some(1, 0.3),
        force_out=some(1, 0.4),
        mandatory=some(2, 0.4),
        requires=rng.sample(pairs, min(len(pairs), rng.randint(0, 3))),
        excludes=rng.sample(pairs, min(len(pairs), rng.randint(0, 2))),
        budget=rng.choice([None, None, None, rng.randint(0, 20)]),
    )


def feasible_values(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Every selection (a row of 0/1) and whether it keeps every limit and rule, by brute force."""
    ids = [c.id for c in scenario.candidates]
    n = len(ids)
    pick = np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.int64).reshape(-1, n)
    col = {cid: k for k, cid in enumerate(ids)}
    ok = np.ones(len(pick), dtype=bool)
    for y, year in scenario.budgets.items():
        capex = np.array([c.costs.get(y, (0, 0))[0] for c in scenario.candidates])
        opex = np.array([c.costs.get(y, (0, 0))[1] for c in scenario.candidates])
        for limit, spend in ((year.capex, capex), (year.opex, opex), (year.total, capex + opex)):
            if limit is not None:
                ok &= pick @ spend <= limit
    for row, limit in scenario.capacity.items():
        ok &= pick @ np.array([c.effort.get(row, 0) for c in scenario.candidates]) <= limit
    if scenario.budget is not None:
        horizon = set(scenario.years)
        total = [sum(sum(v) for y, v in c.costs.items() if y in horizon) for c in scenario.candidates]
        ok &= pick @ np.array(total) <= scenario.budget
    for cid in [*scenario.force_in, *scenario.mandatory]:
        ok &= pick[:, col[cid]] == 1
    for cid in scenario.force_out:
        ok &= pick[:, col[cid]] == 0
    for a, b in scenario.requires:
        ok &= pick[:, col[a]] <= pick[:, col[b]]
    for a, b in scenario.excludes:
        ok &= pick[:, col[a]] + pick[:, col[b]] <= 1
    values = pick @ np.array([c.value for c in scenario.candidates])
    return pick[ok], values[ok]


def best(scenario: Scenario) -> float | None:
    _picks, values = feasible_values(scenario)
    return float(values.max()) if len(values) else None


def restricted(scenario: Scenario, groups: set[Constraint]) -> Scenario:
    """The scenario keeping only the given constraint groups (every other limit and rule dropped)."""

    def kept(kind: str, year: int) -> float | None:
        if Constraint(kind, year=year) not in groups:
            return None
        limit: float | None = getattr(scenario.budgets[year], kind)
        return limit

    rules = {(g.kind, g.items) for g in groups}
    return replace(
        scenario,
        budgets={
            y: YearBudget(kept("capex", y), kept("opex", y), kept("total", y)) for y in scenario.budgets
        },
        capacity={r: v for r, v in scenario.capacity.items() if Constraint("capacity", row=r) in groups},
        budget=scenario.budget if Constraint("budget") in groups else None,
        force_in=[c for c in scenario.force_in if ("force_in", (c,)) in rules],
        force_out=[c for c in scenario.force_out if ("force_out", (c,)) in rules],
        mandatory=[c for c in scenario.mandatory if ("mandatory", (c,)) in rules],
        requires=[p for p in scenario.requires if ("requires", p) in rules],
        excludes=[p for p in scenario.excludes if ("excludes", tuple(sorted(p))) in rules],
    )


@pytest.mark.parametrize("seed", range(INSTANCES))
def test_optimiser_equals_exhaustive_search(seed: int) -> None:
    # given a small random scenario
    scenario = random_scenario(random.Random(seed))
    expected = best(scenario)

    # when it is solved
    solution = solve(scenario)

    # then it is infeasible exactly when no selection is feasible, and otherwise finds the best value
    if expected is None:
        assert solution.status == INFEASIBLE
        conflict = {c.constraint for c in solution.conflicts}
        assert conflict
        assert best(restricted(scenario, conflict)) is None
        for member in conflict:
            assert best(restricted(scenario, conflict - {member})) is not None, member
        return
    assert solution.status == OPTIMAL
    assert solution.value == pytest.approx(expected, abs=1e-6)
    picks, values = feasible_values(scenario)
    chosen = np.array([int(c.id in solution.selected) for c in scenario.candidates])
    assert any((row == chosen).all() for row in picks)
    assert sum(c.value for c in scenario.candidates if c.id in solution.selected) == solution.value
    assert solution.spend == {
        y: (
            sum(c.costs.get(y, (0, 0))[0] for c in scenario.candidates if c.id in solution.selected),
            sum(c.costs.get(y, (0, 0))[1] for c in scenario.candidates if c.id in solution.selected),
        )
        for y in scenario.years
    }
    # and every out-candidate's explanation holds
    for cid, decision in solution.decisions.items():
        assert decision.selected == (cid in solution.selected)
        if decision.reason == "limits":
            assert all(b.used > b.limit for b in decision.breaches)
            with_it = [*solution.selected, cid]
            assert best(replace(scenario, force_in=with_it, mandatory=())) is None
        elif decision.reason == "fits":
            assert next(c.value for c in scenario.candidates if c.id == cid) <= 0


@pytest.mark.parametrize("seed", range(0, INSTANCES, 10))
def test_frontier_and_greedy_agree_with_exhaustive_search(seed: int) -> None:
    # given a small random scenario
    scenario = random_scenario(random.Random(seed))

    # when its frontier at 4 levels and its greedy baseline are computed
    curve = frontier(scenario, points=4)
    baseline = greedy(scenario)

    # then every level's value is the best under that budget (every other limit kept), and the greedy
    # selection is feasible and never better than the optimum
    for point in curve.points:
        assert point.value == (
            None if (v := best(replace(scenario, budget=point.budget))) is None else pytest.approx(v)
        )
    expected = best(scenario)
    assert baseline.feasible == (expected is not None)
    if expected is not None:
        assert baseline.value is not None
        assert baseline.value <= expected
        assert best(replace(scenario, force_in=baseline.selected, mandatory=())) is not None
