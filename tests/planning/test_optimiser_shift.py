"""Later starts (issue 13, part 5): a candidate may be funded with its start moved, as one binary per way of
funding it, at most one chosen. Exact on a hand-built case, the same as before when nothing may move, and
against exhaustive search over every way of funding every candidate on small seeded random scenarios."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from planning.optimiser import (
    OPTIMAL,
    Candidate,
    Constraint,
    Scenario,
    Shift,
    YearBudget,
    frontier,
    plan_point,
    solve,
)

INSTANCES = 150


def team_case(*, shifts: bool) -> Scenario:
    """Team T has 10 in March and 10 in April. A (value 5) needs 8 in March and cannot move; X (value 3)
    needs 4 in March, or 4 in April with its start a month later."""
    later = (Shift(1, {2027: (2, 0)}, {"t:2027-04": 4}),) if shifts else ()
    return Scenario(
        candidates=[
            Candidate(1, "A", 5, {2027: (5, 0)}, {"t:2027-03": 8}),
            Candidate(2, "X", 3, {2027: (2, 0)}, {"t:2027-03": 4}, later),
        ],
        years=[2027],
        capacity={"t:2027-03": 10, "t:2027-04": 10},
        capacity_labels={"t:2027-03": "T, March 2027", "t:2027-04": "T, April 2027"},
    )


def test_without_a_later_start_the_team_month_keeps_x_out():
    solution = solve(team_case(shifts=False))

    assert solution.selected == (1,)
    assert solution.shifts == {}
    assert solution.decisions[2].text == "would break capacity of T, March 2027: 2 over the 10 limit"


def test_a_start_moved_a_month_funds_x_and_names_the_team_month_it_leaves():
    solution = solve(team_case(shifts=True))

    assert solution.status == OPTIMAL
    assert solution.selected == (1, 2)
    assert solution.value == 8.0
    assert solution.shifts == {2: 1}
    decision = solution.decisions[2]
    assert (decision.selected, decision.reason, decision.shift) == (True, "chosen", 1)
    assert decision.text == (
        "chosen, its start moved 1 month later: at its planned start it would break capacity of T, "
        "March 2027: 2 over the 10 limit"
    )
    assert [(b.constraint.row, b.used, b.limit) for b in decision.moved] == [("t:2027-03", 12.0, 10.0)]
    uses = {use.constraint.row: (use.used, use.binding) for use in solution.limits}
    assert uses == {"t:2027-03": (8.0, True), "t:2027-04": (4.0, False)}
    assert solution.decisions[1].shift == 0


def test_a_start_moves_only_when_the_planned_one_does_not_fit():
    # room for both in March: X stays at its planned start although moving it would fit too
    roomy = team_case(shifts=True)
    roomy = Scenario(**{**roomy.__dict__, "capacity": {"t:2027-03": 12, "t:2027-04": 10}})

    solution = solve(roomy)

    assert (solution.selected, solution.shifts) == ((1, 2), {})
    assert solution.decisions[2].text == "chosen"


def test_a_candidate_that_fits_at_no_start_says_so():
    case = team_case(shifts=True)
    case = Scenario(**{**case.__dict__, "capacity": {"t:2027-03": 10, "t:2027-04": 3}})

    decision = solve(case).decisions[2]

    assert (decision.selected, decision.reason) == (False, "limits")
    assert decision.text == (
        "would break capacity of T, March 2027: 2 over the 10 limit; no start up to 1 month later fits either"
    )


def test_costs_that_move_with_the_start_count_in_the_years_limits_and_spend():
    later = (Shift(6, {2027: (1, 0), 2028: (1, 0)}, {}),)
    case = Scenario(
        candidates=[Candidate(1, "A", 5, {2027: (2, 0)}, {}, later)],
        years=[2027, 2028],
        budgets={2027: YearBudget(capex=1)},
    )

    solution = solve(case)

    assert (solution.selected, solution.shifts) == ((1,), {1: 6})
    assert solution.spend == {2027: (1.0, 0.0), 2028: (1.0, 0.0)}
    assert solution.decisions[1].text == (
        "chosen, its start moved 6 months later: at its planned start it would break 2027 capex: 1 over the 1 limit"
    )


def test_a_forced_in_candidate_takes_exactly_one_way():
    case = team_case(shifts=True)
    case = Scenario(**{**case.__dict__, "force_in": [2], "force_out": [1]})

    solution = solve(case)

    assert (solution.selected, solution.shifts) == ((2,), {})
    assert solution.decisions[2].text == "forced in"


def test_the_frontier_and_plan_points_read_the_moved_starts():
    case = team_case(shifts=True)

    points = frontier(case, points=2)

    assert [(p.value, p.selected) for p in points.points] == [(0.0, ()), (8.0, (1, 2))]
    assert plan_point(case, [1, 2]).feasible is False
    assert plan_point(case, [1, 2], {2: 1}).feasible is True


@pytest.mark.parametrize("bad", [0, -1])
def test_a_shift_below_a_month_is_refused(bad):
    case = Scenario(candidates=[Candidate(1, "A", 1, shifts=(Shift(bad),))], years=[2027])

    with pytest.raises(ValueError, match="Candidate 1 has a shift"):
        solve(case)


def random_case(rng: random.Random) -> Scenario:
    n = rng.randint(1, 6)
    rows = [f"t:{m}" for m in range(4)]
    candidates = []
    for cid in range(1, n + 1):
        first = rng.randint(0, 2)
        days = {rows[first]: rng.randint(1, 6), rows[first + 1]: rng.randint(0, 4)}
        cost = {2027: (rng.randint(0, 5), 0)}
        ways = []
        for later in range(1, rng.randint(0, 3)):
            if first + later + 1 < len(rows):
                moved = {
                    rows[first + later]: days[rows[first]],
                    rows[first + later + 1]: days[rows[first + 1]],
                }
                ways.append(Shift(later, {2027: (max(0, cost[2027][0] - later), later)}, moved))
        candidates.append(Candidate(cid, f"C{cid}", rng.randint(0, 20), cost, days, tuple(ways)))
    ids = [c.id for c in candidates]
    pairs = list(itertools.permutations(ids, 2))
    return Scenario(
        candidates=candidates,
        years=[2027],
        budgets={2027: YearBudget(capex=rng.choice([None, rng.randint(3, 15)]), opex=rng.choice([None, 2]))},
        capacity={r: rng.randint(2, 10) for r in rows},
        mandatory=rng.sample(ids, 1) if rng.random() < 0.2 else [],
        force_out=rng.sample(ids, 1) if rng.random() < 0.2 else [],
        requires=rng.sample(pairs, min(len(pairs), rng.randint(0, 1))),
        excludes=rng.sample(pairs, min(len(pairs), rng.randint(0, 1))),
    )


def usage(scenario: Scenario, ways: dict[int, int]) -> dict[object, float]:
    """What funding each candidate in `ways` (0: as planned, else its shift's months) uses of each limit."""
    used: dict[object, float] = {}
    for c in scenario.candidates:
        if c.id not in ways:
            continue
        shift = next((s for s in c.shifts if s.months == ways[c.id]), None)
        costs, effort = (c.costs, c.effort) if shift is None else (shift.costs, shift.effort)
        for year, (capex, opex) in costs.items():
            used[("capex", year)] = used.get(("capex", year), 0) + capex
            used[("opex", year)] = used.get(("opex", year), 0) + opex
        for row, days in effort.items():
            used[row] = used.get(row, 0) + days
    return used


def keeps(scenario: Scenario, ways: dict[int, int]) -> bool:
    used = usage(scenario, ways)
    for year, budget in scenario.budgets.items():
        for kind in ("capex", "opex"):
            limit = getattr(budget, kind)
            if limit is not None and used.get((kind, year), 0) > limit:
                return False
    if any(used.get(row, 0) > limit for row, limit in scenario.capacity.items()):
        return False
    chosen = set(ways)
    return (
        set(scenario.mandatory) <= chosen
        and not set(scenario.force_out) & chosen
        and all(a not in chosen or b in chosen for a, b in scenario.requires)
        and all(not (a in chosen and b in chosen) for a, b in scenario.excludes)
    )


@pytest.mark.parametrize("seed", range(INSTANCES))
def test_the_optimum_with_later_starts_is_the_exhaustive_one(seed):
    scenario = random_case(random.Random(seed))
    values = {c.id: c.value for c in scenario.candidates}
    options = [[None, 0, *(s.months for s in c.shifts)] for c in scenario.candidates]
    best = None
    for pick in itertools.product(*options):
        ways = {c.id: way for c, way in zip(scenario.candidates, pick, strict=True) if way is not None}
        if keeps(scenario, ways):
            value = sum(values[cid] for cid in ways)
            best = value if best is None else max(best, value)

    solution = solve(scenario)

    if best is None:
        assert solution.value is None
        return
    assert solution.value == pytest.approx(best, abs=1e-6)
    ways = {cid: solution.shifts.get(cid, 0) for cid in solution.selected}
    assert keeps(scenario, ways)
    for cid, months in solution.shifts.items():
        # a start moved only as far as it had to: every earlier start breaks a limit, the others as they are
        for earlier in [0, *(s.months for c in scenario.candidates if c.id == cid for s in c.shifts)]:
            if earlier < months:
                assert not keeps(scenario, {**ways, cid: earlier})
        assert solution.decisions[cid].moved
    assert np.isclose(
        sum(sum(v) for v in solution.spend.values()),
        sum(v for k, v in usage(scenario, ways).items() if isinstance(k, tuple)),
    )
    assert all(
        isinstance(c, Constraint)
        for d in solution.decisions.values()
        for c in [b.constraint for b in d.moved]
    )
