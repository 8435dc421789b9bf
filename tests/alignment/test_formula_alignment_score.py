"""The alignment score: fit scaled by execution, with missing components renormalised."""

from __future__ import annotations

import pytest

from alignment.engine import formulas as f
from alignment.engine.policy import DEFAULT_POLICY


def test_alignment_score_worked_example():
    # when
    composite = f.alignment_score(
        100.0, {"outcome": 69.25, "delivery": 82.5, "governance": 50.0}, DEFAULT_POLICY
    )

    # then
    assert composite.execution == pytest.approx(69.075, abs=1e-9)
    assert composite.factor == pytest.approx(0.845375, abs=1e-12)
    assert composite.value == pytest.approx(84.5375, abs=1e-9)
    assert round(composite.value, 2) == 84.54
    assert composite.used == ("outcome", "delivery", "governance")
    assert composite.missing == ()
    assert composite.note == ""


def test_missing_components_are_renormalised_and_named():
    # given: SRCH-1 has no outcome
    composite = f.alignment_score(
        100 / 6, {"outcome": None, "delivery": 100.0, "governance": 100.0}, DEFAULT_POLICY
    )

    # then: (0.35 x 100 + 0.25 x 100) / 0.60
    assert composite.execution == pytest.approx(100.0, abs=1e-12)
    assert composite.factor == pytest.approx(1.0, abs=1e-12)
    assert round(composite.value, 2) == 16.67
    assert composite.missing == ("outcome",)
    assert composite.note == ""


def test_with_no_component_execution_counts_at_the_floor_and_is_flagged():
    # given: an idea with fit 80
    composite = f.alignment_score(80.0, {}, DEFAULT_POLICY)

    # then: A = 80 x 0.5
    assert composite == f.Composite(
        value=40.0,
        execution=None,
        factor=0.5,
        used=(),
        missing=("outcome", "delivery", "governance"),
        note="execution not assessed: counted at the floor until there is evidence",
    )


def test_an_unproven_initiative_does_not_outrank_one_that_delivers():
    # given: the same fit of 80; an idea, and an initiative in delivery whose execution is poor (Q = 10)
    idea = f.alignment_score(80.0, {}, DEFAULT_POLICY)
    delivering = f.alignment_score(
        80.0, {"outcome": 10.0, "delivery": 10.0, "governance": 10.0}, DEFAULT_POLICY
    )

    # then: 80 x 0.5 = 40 against 80 x (0.5 + 0.5 x 0.10) = 44
    assert idea.value == 40.0
    assert delivering.value == pytest.approx(44.0, abs=1e-9)
    assert idea.value < delivering.value


def test_an_initiative_with_no_strategic_tie_scores_0_however_well_it_delivers():
    composite = f.alignment_score(
        0.0, {"outcome": 100.0, "delivery": 100.0, "governance": 100.0}, DEFAULT_POLICY
    )

    assert composite.execution == 100.0
    assert composite.value == 0.0


def test_execution_scales_fit_between_half_and_all_of_it():
    worst = f.alignment_score(80.0, {"outcome": 0.0, "delivery": 0.0, "governance": 0.0}, DEFAULT_POLICY)
    best = f.alignment_score(80.0, {"outcome": 100.0, "delivery": 100.0, "governance": 100.0}, DEFAULT_POLICY)

    assert (worst.value, best.value) == (40.0, 80.0)
