"""The scenario optimiser on hand-made scenarios whose answers are worked out by hand: the worked example of
docs/planning-scenarios.md, each kind of explanation, the conflicts of infeasible scenarios, the frontier, the
greedy baseline and the input it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from planning.optimiser import (
    INFEASIBLE,
    OPTIMAL,
    Breach,
    Candidate,
    Constraint,
    Program,
    Scenario,
    YearBudget,
    frontier,
    greedy,
    plan_point,
    solve,
)


def worked_example() -> Scenario:
    """The worked example of docs/planning-scenarios.md."""
    return Scenario(
        candidates=[
            Candidate(1, "CRM renewal", 40, {2027: (4, 1), 2028: (2, 1)}, {"dev:2027": 4}),
            Candidate(2, "Data platform", 55, {2027: (5, 1), 2028: (4, 1)}, {"dev:2027": 6}),
            Candidate(3, "Analytics", 30, {2027: (2, 1), 2028: (2, 1)}, {"dev:2027": 3}),
            Candidate(4, "ERP upgrade", 50, {2027: (6, 2), 2028: (3, 1)}, {"dev:2027": 5}),
            Candidate(5, "Legacy ERP patch", 10, {2027: (0, 1), 2028: (0, 1)}),
            Candidate(6, "Self-service BI", 8, {2028: (1, 0)}),
        ],
        years=[2027, 2028],
        budgets={2027: YearBudget(capex=10, opex=4), 2028: YearBudget(capex=8, opex=4)},
        capacity={"dev:2027": 12},
        mandatory=[5],
        requires=[(3, 2), (6, 3)],
        excludes=[(4, 5)],
    )


def test_worked_example_chooses_crm_and_data_platform_with_the_mandatory_patch() -> None:
    # given the worked example
    scenario = worked_example()

    # when it is solved
    solution = solve(scenario)

    # then the optimum is proven, and every candidate says why it is in or out
    assert solution.status == OPTIMAL
    assert solution.value == 105
    assert solution.selected == (1, 2, 5)
    assert solution.gap == 0
    assert {cid: (d.selected, d.reason, d.text) for cid, d in solution.decisions.items()} == {
        1: (True, "chosen", "chosen"),
        2: (True, "chosen", "chosen"),
        3: (
            False,
            "limits",
            "would break 2027 capex: 1 over the 10 limit; capacity dev:2027: 1 over the 12 limit",
        ),
        4: (False, "excludes", "excludes Legacy ERP patch (#5), which is in"),
        5: (True, "mandatory", "mandatory"),
        6: (False, "requires", "requires Analytics (#3), which is out"),
    }
    assert solution.decisions[3].breaches == (
        Breach(Constraint("capex", year=2027), 11, 10),
        Breach(Constraint("capacity", row="dev:2027"), 13, 12),
    )
    assert solution.decisions[4].others == (5,)
    assert solution.decisions[6].others == (3,)
    assert [(u.name, u.used, u.limit, u.binding) for u in solution.limits] == [
        ("2027 capex", 9, 10, True),
        ("2027 opex", 3, 4, False),
        ("2028 capex", 6, 8, False),
        ("2028 opex", 3, 4, False),
        ("capacity dev:2027", 10, 12, True),
    ]
    assert solution.spend == {2027: (9, 3), 2028: (6, 3)}
    assert solution.conflicts == ()


def test_worked_example_greedy_takes_the_cheap_chain_and_misses_the_optimum() -> None:
    # given the worked example, whose best value per cost is Self-service BI (8 for 1)
    scenario = worked_example()

    # when the greedy baseline ranks by value per cost
    baseline = greedy(scenario)

    # then it takes BI with what it requires (Analytics, Data platform), and CRM no longer fits: 103 < 105
    assert baseline.feasible
    assert baseline.selected == (2, 3, 5, 6)
    assert baseline.value == 103


def test_worked_example_frontier_at_five_budget_levels() -> None:
    # given the worked example, whose candidates cost 40 in all over the two years
    scenario = worked_example()
    seen: list[tuple[int, int]] = []

    # when its frontier is computed at 5 levels
    curve = frontier(scenario, points=5, progress=lambda done, total: seen.append((done, total)))

    # then each level has its best value; level 0 is below the mandatory patch's cost of 2
    assert curve.demand == 40
    assert [(p.budget, p.status, p.value, p.cost, p.selected) for p in curve.points] == [
        (0, INFEASIBLE, None, None, ()),
        (10, OPTIMAL, 50, 10, (1, 5)),
        (20, OPTIMAL, 103, 20, (2, 3, 5, 6)),
        (30, OPTIMAL, 105, 21, (1, 2, 5)),
        (40, OPTIMAL, 105, 21, (1, 2, 5)),
    ]
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_plan_point_places_a_plan_and_says_whether_it_keeps_the_rules() -> None:
    # given the worked example
    scenario = worked_example()

    # when the greedy plan and a plan without the mandatory patch are placed
    kept = plan_point(scenario, [2, 3, 5, 6])
    broken = plan_point(scenario, [1, 2])

    # then both have their value and cost; only the first keeps every rule and limit
    assert (kept.value, kept.cost, kept.feasible) == (103, 20, True)
    assert (broken.value, broken.cost, broken.feasible) == (95, 19, False)


def test_forced_in_and_forced_out_items_are_explained_as_such() -> None:
    # given a forced-in item of low value and a forced-out item of high value
    scenario = Scenario(
        candidates=[
            Candidate(1, "A", 1, {2027: (1, 0)}),
            Candidate(2, "B", 100, {2027: (1, 0)}),
            Candidate(3, "C", 0, {2027: (1, 0)}),
            Candidate(4, "D", -3, {2027: (1, 0)}),
        ],
        years=[2027],
        budgets={2027: YearBudget(total=5)},
        force_in=[1],
        force_out=[2],
    )

    # when it is solved
    solution = solve(scenario)

    # then the forced items keep their place, and items of no value stay out although they fit
    assert solution.selected == (1,)
    assert {cid: d.text for cid, d in solution.decisions.items()} == {
        1: "forced in",
        2: "forced out",
        3: "fits every limit but adds no value (value 0)",
        4: "fits every limit but adds no value (value -3)",
    }
    assert [(u.name, u.used, u.binding) for u in solution.limits] == [("2027 total cost", 1, False)]


def test_costs_outside_the_horizon_and_effort_on_rows_without_limit_are_not_counted() -> None:
    # given an item that costs 9 in 2030, outside the horizon, and works on a row that has no limit
    scenario = Scenario(
        candidates=[Candidate(1, "A", 5, {2027: (1, 1), 2030: (9, 0)}, {"ops:2027": 50})],
        years=[2027],
        budgets={2027: YearBudget(capex=1, opex=1)},
        capacity={"dev:2027": 0},
    )

    # when it is solved
    solution = solve(scenario)

    # then it fits
    assert solution.selected == (1,)
    assert [(u.name, u.used) for u in solution.limits] == [
        ("2027 capex", 1),
        ("2027 opex", 1),
        ("capacity dev:2027", 0),
    ]
    assert solution.spend == {2027: (1, 1)}


def test_two_mandatory_items_that_exclude_each_other_are_named_as_the_conflict() -> None:
    # given two mandatory items that exclude each other, and an unrelated tight budget
    scenario = Scenario(
        candidates=[
            Candidate(1, "A", 1, {2027: (1, 0)}),
            Candidate(2, "B", 1, {2027: (1, 0)}),
            Candidate(3, "C", 1, {2027: (1, 0)}),
        ],
        years=[2027],
        budgets={2027: YearBudget(capex=5)},
        mandatory=[1, 2],
        excludes=[(2, 1)],
    )

    # when it is solved
    solution = solve(scenario)

    # then it is infeasible and the conflict is exactly the two mandates and the exclusion
    assert solution.status == INFEASIBLE
    assert solution.value is None
    assert solution.selected == ()
    assert [c.text for c in solution.conflicts] == [
        "A (#1) is mandatory",
        "B (#2) is mandatory",
        "A (#1) excludes B (#2)",
    ]


def test_mandatory_items_over_a_year_limit_name_the_limit_and_what_they_need() -> None:
    # given mandatory items whose 2027 capex (3 + 4, and 2 more that one of them requires) passes the
    # limit of 8, while their opex fits
    scenario = Scenario(
        candidates=[
            Candidate(1, "A", 1, {2027: (3, 1)}),
            Candidate(2, "B", 1, {2027: (4, 1), 2028: (9, 0)}),
            Candidate(3, "C", 1, {2027: (2, 0)}),
            Candidate(4, "D", 1, {2027: (1, 0)}),
        ],
        years=[2027, 2028],
        budgets={2027: YearBudget(capex=8, opex=2), 2028: YearBudget(capex=20)},
        mandatory=[1, 2],
        requires=[(2, 3), (1, 4)],
    )

    # when it is solved
    solution = solve(scenario)

    # then the conflict is the two mandates, the requirement that adds C and the 2027 capex limit; dropping
    # the requirement of D (1 of capex) would not be enough, so it is not named
    assert solution.status == INFEASIBLE
    assert [c.text for c in solution.conflicts] == [
        "A (#1) is mandatory",
        "B (#2) is mandatory",
        "B (#2) requires C (#3)",
        "2027 capex limit 8: the items above need 9",
    ]
    assert [c.constraint for c in solution.conflicts][-1] == Constraint("capex", year=2027)


def test_an_item_forced_both_in_and_out_is_an_infeasibility_not_an_error() -> None:
    # given an item forced in and out at once
    scenario = Scenario(
        candidates=[Candidate(1, "A", 1), Candidate(2, "B", 1)],
        years=[2027],
        force_in=[1],
        force_out=[1],
    )

    # when it is solved
    solution = solve(scenario)

    # then the conflict names both rules
    assert solution.status == INFEASIBLE
    assert [c.text for c in solution.conflicts] == ["A (#1) is forced in", "A (#1) is forced out"]


def test_a_scenario_without_candidates_has_the_empty_optimum() -> None:
    solution = solve(Scenario(candidates=[], years=[2027], budgets={2027: YearBudget(total=0)}))

    assert (solution.status, solution.value, solution.selected) == (OPTIMAL, 0, ())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"years": []}, "The horizon has no year."),
        ({"years": [2027, 2027]}, "A year appears twice in the horizon."),
        ({"candidates": [Candidate(1, "A", 1), Candidate(1, "B", 1)]}, "Candidate id 1 appears twice."),
        (
            {"candidates": [Candidate(1, "A", float("nan"))]},
            "Candidate 1 has a value that is not a number: nan.",
        ),
        (
            {"candidates": [Candidate(1, "A", 1, {2027: (-1, 0)})]},
            "Candidate 1 has a negative or unknown cost in 2027.",
        ),
        (
            {"candidates": [Candidate(1, "A", 1, effort={"dev": -2})]},
            "Candidate 1 has a negative or unknown effort on dev.",
        ),
        ({"budgets": {2030: YearBudget(capex=1)}}, "A budget is given for 2030, outside the horizon."),
        (
            {"budgets": {2027: YearBudget(opex=-1)}},
            "The 2027 opex limit must be a number of at least zero, not -1.",
        ),
        ({"capacity": {"dev": -1}}, "The capacity of dev must be a number of at least zero, not -1."),
        ({"budget": -5}, "The budget over the horizon must be a number of at least zero, not -5."),
        ({"mandatory": [9]}, "Unknown candidate id 9 in mandatory."),
        ({"force_out": [9]}, "Unknown candidate id 9 in force out."),
        ({"requires": [(1, 9)]}, "Unknown candidate id 9 in requires."),
        ({"excludes": [(9, 1)]}, "Unknown candidate id 9 in excludes."),
        ({"requires": [(1, 1)]}, "Candidate 1 requires itself."),
    ],
)
def test_input_without_meaning_is_refused_with_the_culprit_named(
    change: dict[str, object], message: str
) -> None:
    # given a valid scenario changed in one way
    fields: dict[str, object] = {"candidates": [Candidate(1, "A", 1, {2027: (1, 1)})], "years": [2027]}
    fields.update(change)

    # when it is solved, then it is refused with the message
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        solve(Scenario(**fields))  # type: ignore[arg-type]


def test_a_frontier_needs_two_levels_and_both_a_gap_of_at_least_zero() -> None:
    with pytest.raises(ValueError, match="at least two budget levels"):
        frontier(worked_example(), points=1)
    with pytest.raises(ValueError, match="gap cannot be negative"):
        solve(worked_example(), gap=-0.1)
    with pytest.raises(ValueError, match="gap cannot be negative"):
        frontier(worked_example(), gap=-0.1)


def test_a_frontier_level_stopped_within_its_gap_keeps_the_better_selection_of_the_level_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a solver that, within a gap, stops at a worse selection (the patch alone) at the higher level
    answers = iter([[1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 1, 0]])

    def run(self: object, **kwargs: object) -> tuple[str, np.ndarray, float]:
        return OPTIMAL, np.array(next(answers), dtype=np.float64), 0.01

    monkeypatch.setattr(Program, "run", run)

    # when the worked example's frontier is computed at two levels
    curve = frontier(worked_example(), points=2, gap=0.01)

    # then the higher level keeps the lower level's selection, which fits its larger budget too
    assert [(p.value, p.cost, p.selected, p.gap) for p in curve.points] == [
        (50, 10, (1, 5), 0.01),
        (50, 10, (1, 5), 0.01),
    ]
