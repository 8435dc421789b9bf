"""The portfolio indices: alignment index, spend attribution, misallocation, coverage and mix."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from alignment.engine import formulas as f
from alignment.engine.compute import compute_portfolio
from alignment.engine.inputs import ContributionRow, PortfolioInputs
from tests.alignment.formula_support import (
    O1,
    O2,
    O3,
    T1,
    T2,
    TREE,
    example_initiatives,
    initiative_row,
    portfolio_inputs,
    score,
)


def example_portfolio() -> tuple[PortfolioInputs, Any]:
    inputs = portfolio_inputs(example_initiatives())
    scores = {row.id: score(row, inputs) for row in inputs.initiatives.values()}
    return inputs, compute_portfolio(inputs, scores)


def test_alignment_index_worked_example():
    # given
    inputs, portfolio = example_portfolio()

    # then: (1,000,000 x 84.54 + 500,000 x 16.67 + 500,000 x 0) / 2,000,000
    assert portfolio.funded_budget == 2_000_000.0
    assert portfolio.alignment_index == pytest.approx((84.5375 + 100 / 6 * 0.5) / 2, abs=1e-9)
    assert round(portfolio.alignment_index, 2) == 46.44
    assert f.weighted_mean([(1_000_000.0, 84.54), (500_000.0, 16.67), (500_000.0, 0.0)]) == pytest.approx(
        46.4375, abs=1e-9
    )


def test_priority_units_worked_example():
    _, portfolio = example_portfolio()

    units = {pk for pk, o in portfolio.objectives.items() if o.is_unit}
    assert units == {O1, O2, T2}
    assert {pk: o.weight_share for pk, o in portfolio.objectives.items() if o.is_unit} == {
        O1: 0.5,
        O2: 0.25,
        T2: 0.25,
    }


def test_spend_attribution_worked_example():
    _, portfolio = example_portfolio()

    spend = {pk: round(o.spend, 2) for pk, o in portfolio.objectives.items()}
    assert spend == {T1: 0.0, O1: 600_000.0, O2: 500_000.0, O3: 0.0, T2: 400_000.0}
    assert portfolio.details["unaligned_spend"] == 500_000.0


def test_misallocation_worked_example():
    # given: spend shares O1 0.30, O2 0.25, T2 0.20, unaligned 0.25 against weights 0.50, 0.25, 0.25
    weighted = f.misallocation(
        {O1: 600_000.0, O2: 500_000.0, T2: 400_000.0}, 500_000.0, {O1: 0.5, O2: 0.25, T2: 0.25}, top_n=3
    )
    _, portfolio = example_portfolio()

    # then: 1/2 x (0.20 + 0.00 + 0.05 + 0.25)
    assert weighted.misallocation == pytest.approx(0.25, abs=1e-12)
    assert portfolio.misallocation == pytest.approx(0.25, abs=1e-12)


def test_share_of_spend_on_the_top_objectives_worked_example():
    _, portfolio = example_portfolio()

    assert portfolio.top_share == 0.75
    assert portfolio.details["top_units"] == [O1, O2, T2]


def test_coverage_worked_example():
    _, portfolio = example_portfolio()

    assert portfolio.coverage == pytest.approx(2 / 3, abs=1e-12)
    assert portfolio.details["covered_units"] == [O1, T2]


def test_predictability_worked_example():
    _, portfolio = example_portfolio()

    assert portfolio.predictability == 0.5
    assert (portfolio.details["milestones_due"], portfolio.details["milestones_on_time"]) == (4, 2)


def test_run_grow_transform_mix_worked_example():
    _, portfolio = example_portfolio()

    assert portfolio.details["mix"] == {"grow": 0.5, "run": 0.25, "transform": 0.25}
    assert portfolio.details["target_mix"] == {"run": 0.5, "grow": 0.3, "transform": 0.2}


def test_misallocation_is_0_when_spend_follows_the_weights_exactly():
    weighted = f.misallocation({1: 500.0, 2: 250.0, 3: 250.0}, 0.0, {1: 0.5, 2: 0.25, 3: 0.25}, top_n=1)

    assert weighted.misallocation == 0.0
    assert weighted.top_share == 0.5
    assert weighted.top_units == (1,)


def test_misallocation_is_1_when_all_spend_is_unaligned():
    weighted = f.misallocation({}, 1_000.0, {1: 0.5, 2: 0.25, 3: 0.25}, top_n=3)

    assert weighted.misallocation == 1.0
    assert weighted.top_share == 0.0


def test_a_contribution_to_a_theme_is_spread_over_its_objectives_by_weight():
    # given: strong to T1, whose active objectives are O1 (0.50) and O2 (0.25)
    row = initiative_row(1, budget=900_000.0, contributions=[ContributionRow(1, T1, "strong", None)])

    # when
    inputs = portfolio_inputs([row])
    portfolio = compute_portfolio(inputs, {1: score(row, inputs)})

    # then
    assert round(portfolio.objectives[O1].spend, 2) == 600_000.0
    assert round(portfolio.objectives[O2].spend, 2) == 300_000.0
    assert portfolio.details["covered_units"] == [O1, O2]


def test_spend_on_a_retired_objective_is_unaligned_even_next_to_an_aligned_contribution():
    # given: strong to the retired O3 and strong to O1: half the budget serves no priority
    row = initiative_row(
        1,
        budget=1_000_000.0,
        contributions=[
            ContributionRow(1, O3, "strong", None),
            ContributionRow(2, O1, "strong", None),
        ],
    )

    # when
    inputs = portfolio_inputs([row])
    portfolio = compute_portfolio(inputs, {1: score(row, inputs)})

    # then: the retired half counts as unaligned, not lost from the total
    assert portfolio.objectives[O1].spend == 500_000.0
    assert portfolio.details["unaligned_spend"] == 500_000.0
    assert portfolio.objectives[O1].spend_share == 0.5
    # 1/2 x (|0.5 - 0.5| + |0 - 0.25| + |0 - 0.25| + 0.5)
    assert portfolio.misallocation == pytest.approx(0.5, abs=1e-12)


def test_without_priority_units_misallocation_is_not_computed():
    # given: funded spend but every objective retired
    tree = [replace(o, status="retired") for o in TREE]
    row = initiative_row(1, budget=1_000_000.0, contributions=[ContributionRow(1, O1, "strong", None)])

    # when
    inputs = portfolio_inputs([row], objectives=tree)
    portfolio = compute_portfolio(inputs, {1: score(row, inputs)})

    # then: nothing to compare with, rather than a perfect 0
    assert portfolio.details["unaligned_spend"] == 1_000_000.0
    assert portfolio.misallocation is None
    assert portfolio.top_share is None
    assert portfolio.coverage is None


def test_portfolio_indices_are_empty_without_funded_initiatives():
    row = initiative_row(1, stage="idea", contributions=[ContributionRow(1, O1, "strong", None)])

    inputs = portfolio_inputs([row])
    portfolio = compute_portfolio(inputs, {1: score(row, inputs)})

    assert portfolio.funded_budget == 0.0
    assert (portfolio.alignment_index, portfolio.misallocation, portfolio.top_share) == (None, None, None)
    assert portfolio.predictability is None
    assert portfolio.coverage == 0.0
