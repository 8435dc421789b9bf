"""Governance compliance: checkpoint cadence, required artefacts and when a checkpoint is due."""

from __future__ import annotations

import datetime

import pytest

from alignment.engine import formulas as f
from tests.alignment.formula_support import TODAY, D


def test_governance_compliance_worked_example():
    # when
    result = f.governance_compliance(
        cadence_days=60,
        last_checkpoint=D(2026, 8, 23),
        entered_stage=D(2026, 1, 15),
        required=("business_case", "benefits_plan"),
        present={"business_case"},
        today=TODAY,
    )

    # then
    assert result == f.Governance(
        value=50.0,
        cadence_days=60,
        days_since_checkpoint=90,
        cadence_score=50.0,
        required=("business_case", "benefits_plan"),
        present=("business_case",),
        artefact_score=50.0,
        due_on=D(2026, 10, 22),
    )
    assert result.overdue(TODAY) is True
    assert result.overdue(D(2026, 10, 22)) is False


@pytest.mark.parametrize(
    ("days", "cadence_score"),
    [(0, 100.0), (60, 100.0), (61, pytest.approx(98.333, abs=1e-3)), (120, 0.0), (400, 0.0)],
)
def test_cadence_score_falls_from_the_cadence_to_0_at_twice_the_cadence(days, cadence_score):
    result = f.governance_compliance(
        cadence_days=60,
        last_checkpoint=TODAY - datetime.timedelta(days=days),
        entered_stage=D(2020, 1, 1),
        required=(),
        present=(),
        today=TODAY,
    )

    assert result.cadence_score == cadence_score
    assert result.artefact_score == 100.0


def test_without_a_checkpoint_the_cadence_counts_from_the_day_it_entered_its_stage():
    approved = f.governance_compliance(
        cadence_days=90,
        last_checkpoint=None,
        entered_stage=D(2026, 9, 1),
        required=(),
        present=(),
        today=TODAY,
    )
    long_ago = f.governance_compliance(
        cadence_days=90,
        last_checkpoint=None,
        entered_stage=D(2026, 4, 1),
        required=(),
        present=(),
        today=TODAY,
    )

    assert (approved.days_since_checkpoint, approved.due_on, approved.cadence_score) == (
        81,
        D(2026, 11, 30),
        100.0,
    )
    assert (long_ago.days_since_checkpoint, long_ago.due_on) == (234, D(2026, 6, 30))
    assert long_ago.cadence_score == 0.0  # 144 days past due, more than a whole cadence


def test_the_checkpoint_is_due_a_cadence_after_the_latest_review_else_after_the_stage_began():
    # the one definition the engine, the steering agenda and the reminders share
    assert f.checkpoint_due(
        cadence_days=30, last_checkpoint=D(2026, 10, 1), entered_stage=D(2026, 1, 1)
    ) == D(2026, 10, 31)
    assert f.checkpoint_due(cadence_days=60, last_checkpoint=None, entered_stage=D(2026, 9, 1)) == D(
        2026, 10, 31
    )
