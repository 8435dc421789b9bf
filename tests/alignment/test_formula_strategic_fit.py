"""Strategic fit: how contributions to weighted objectives add up to an initiative's fit."""

from __future__ import annotations

import pytest

from alignment.engine import formulas as f
from alignment.engine.inputs import relative
from tests.alignment.formula_support import O1, O2, O3, T1, T2, TREE, units_of

R = relative(*units_of(TREE))


def test_strategic_fit_worked_example():
    # given: CHK-1 strong to O1 (r 1) and moderate to T2 (r 1/2)
    # when
    fit = f.strategic_fit([(O1, "strong"), (T2, "moderate")], R)

    # then: 100 x (1 - 0 x 2/3) = 100; the points split 1 : 1/3
    assert fit.value == 100.0
    assert [(t.objective_id, round(t.weighted, 4), round(t.points, 2)) for t in fit.terms] == [
        (O1, 1.0, 75.0),
        (T2, 0.3333, 25.0),
    ]
    assert sum(t.points for t in fit.terms) == pytest.approx(fit.value, abs=1e-9)


def test_strategic_fit_of_a_weak_contribution_worked_example():
    # given: SRCH-1 weak to O2 (r 1/2)
    fit = f.strategic_fit([(O2, "weak")], R)

    # then: 100 x 1/2 x 1/3
    assert fit.value == pytest.approx(100 / 6, abs=1e-12)
    assert round(fit.value, 2) == 16.67


def test_strategic_fit_adds_up_smaller_contributions_worked_example():
    # given: moderate to O1 (c 2/3) and moderate to T2 (c 1/3)
    fit = f.strategic_fit([(O1, "moderate"), (T2, "moderate")], R)

    # then: 100 x (1 - 1/3 x 2/3) = 100 x 7/9, less than the 100 of the sum of the terms
    assert fit.value == pytest.approx(700 / 9, abs=1e-9)
    assert round(fit.value, 2) == 77.78
    assert [round(t.points, 2) for t in fit.terms] == [51.85, 25.93]


def test_strategic_fit_without_contributions_is_0():
    fit = f.strategic_fit([], R)

    assert fit.value == 0.0
    assert fit.terms == ()


def test_strategic_fit_of_a_strong_contribution_to_the_most_important_priority_objective_is_100():
    fit = f.strategic_fit([(O1, "strong")], R)

    assert fit.value == 100.0
    assert fit.terms[0].points == 100.0


def test_a_strong_contribution_to_a_theme_counts_with_r_capped_at_1():
    # given: T1 weighs 0.75, more than the largest priority weight (0.50)
    fit = f.strategic_fit([(T1, "moderate")], R)

    # then: r = 1, not 1.5
    assert fit.terms[0].relative_weight == 1.0
    assert fit.value == pytest.approx(200 / 3, abs=1e-9)


def test_a_contribution_to_a_retired_objective_adds_nothing_to_fit():
    # given: r(O3) = 0
    # when
    alone = f.strategic_fit([(O3, "strong")], R)
    together = f.strategic_fit([(O3, "strong"), (O2, "weak")], R)

    # then
    assert R[O3] == 0.0
    assert alone.value == 0.0
    assert together.value == f.strategic_fit([(O2, "weak")], R).value
    assert together.terms[0].points == 0.0


def test_contributions_of_strength_none_add_nothing_to_fit():
    fit = f.strategic_fit([(T1, "none"), (O1, "none")], R)

    assert fit.value == 0.0
    assert [t.points for t in fit.terms] == [0.0, 0.0]


def test_strategic_fit_adds_up_with_diminishing_returns():
    # given: two strong contributions to objectives with r = 0.5
    fit = f.strategic_fit([(1, "strong"), (2, "strong")], {1: 0.5, 2: 0.5})

    # then: 100 x (1 - 0.5 x 0.5), not 100
    assert fit.value == 75.0
    assert [t.points for t in fit.terms] == [37.5, 37.5]


def test_strategic_fit_of_an_objective_missing_from_the_weights_is_0():
    assert f.strategic_fit([(999, "strong")], R).value == 0.0
