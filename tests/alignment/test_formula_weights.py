"""Global and relative objective weights and the priority units they divide by."""

from __future__ import annotations

from dataclasses import replace

from alignment.engine.inputs import ObjectiveRow, largest_priority_weight, relative
from portfolio.selectors import global_weights
from tests.alignment.formula_support import O1, O2, O3, T1, T2, TREE, units_of


def test_global_weights_worked_example():
    # given: the example tree, O3 retired
    # when
    weights = global_weights(TREE)

    # then: T1 3/4, T2 1/4, O1 and O2 share T1's weight 2:1, O3 weighs nothing and is out of the share
    assert weights == {T1: 0.75, O1: 0.5, O2: 0.25, O3: 0.0, T2: 0.25}


def test_a_retired_objective_would_take_its_share_if_it_were_active():
    # given: O3 reactivated
    tree = [replace(o, status="active") if o.id == O3 else o for o in TREE]

    # when
    weights = global_weights(tree)

    # then: 0.75 x 2/4 and 0.75 x 1/4
    assert weights == {T1: 0.75, O1: 0.375, O2: 0.1875, O3: 0.1875, T2: 0.25}


def test_a_retired_objectives_subtree_weighs_nothing():
    # given: a sub-objective under the retired O3
    tree = [*TREE, ObjectiveRow(6, "O3.1", "Onboard sellers", O3, 1.0, "active", None)]

    # when
    weights = global_weights(tree)

    # then
    assert weights[6] == 0.0
    assert weights[O1] == 0.5


def test_relative_weights_worked_example():
    # given: the priority units O1 (0.50), O2 (0.25) and T2 (0.25)
    weights, units = units_of(TREE)

    # when
    r = relative(weights, units)

    # then: divided by O1's 0.50, the largest priority weight; T1 (0.75 / 0.50 = 1.5) is capped at 1
    assert units == {O1: 0.5, O2: 0.25, T2: 0.25}
    assert largest_priority_weight(units) == 0.5
    assert r == {T1: 1.0, O1: 1.0, O2: 0.5, O3: 0.0, T2: 0.5}


def test_a_sub_objective_weighs_less_than_its_unit():
    # given: O1 split into O1.1 (local weight 1) and O1.2 (3): global weights 0.125 and 0.375
    tree = [
        *TREE,
        ObjectiveRow(6, "O1.1", "Faster pages", O1, 1.0, "active", None),
        ObjectiveRow(7, "O1.2", "One-click payment", O1, 3.0, "active", None),
    ]
    weights, units = units_of(tree)

    # when
    r = relative(weights, units)

    # then: O1 is still the unit and the divisor; its sub-objectives get 0.125 / 0.5 and 0.375 / 0.5
    assert units == {O1: 0.5, O2: 0.25, T2: 0.25}
    assert (r[O1], r[6], r[7]) == (1.0, 0.25, 0.75)


def test_a_theme_without_active_objectives_is_its_own_unit():
    # given: O1 and O2 retired too: T1 (0.75) and T2 (0.25) are the units
    tree = [replace(o, status="retired") if o.parent_id == T1 else o for o in TREE]
    weights, units = units_of(tree)

    # when
    r = relative(weights, units)

    # then: divided by T1's 0.75
    assert units == {T1: 0.75, T2: 0.25}
    assert r == {T1: 1.0, O1: 0.0, O2: 0.0, O3: 0.0, T2: 1 / 3}


def test_relative_weights_of_an_empty_tree_are_empty():
    assert relative({}, {}) == {}
    assert relative({1: 0.0}, {1: 0.0}) == {1: 0.0}
    # every objective retired: no unit, nothing weighs anything
    assert relative({1: 0.0, 2: 0.0}, {}) == {1: 0.0, 2: 0.0}
