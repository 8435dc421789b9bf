"""The risk tier: impact parts, risk exposure and the thresholds between tiers."""

from __future__ import annotations

import pytest

from alignment.engine import formulas as f
from alignment.engine.policy import DEFAULT_POLICY


def test_risk_tier_worked_example():
    # when
    tiering = f.risk_tier(
        budget=1_000_000.0,
        fit=100 * 20 / 27,
        criticality=4,
        risk_exposures=[12, 6],
        policy=DEFAULT_POLICY.tier,
    )

    # then
    assert [round(p, 2) for p in tiering.impact_parts] == [20.0, 22.22, 22.5]
    assert round(tiering.impact, 2) == 64.72
    assert (tiering.exposure, tiering.top_risks) == (18, (12, 6))
    assert (tiering.impact_high, tiering.exposure_high, tiering.tier) == (True, False, 2)


def test_exposure_counts_the_three_largest_risks():
    tiering = f.risk_tier(
        budget=0.0, fit=0.0, criticality=1, risk_exposures=[4, 25, 9, 16], policy=DEFAULT_POLICY.tier
    )

    assert tiering.top_risks == (25, 16, 9)
    assert tiering.exposure == 50


@pytest.mark.parametrize(
    ("budget", "criticality", "risks", "impact", "exposure", "tier"),
    [
        # impact exactly 50 (20 + 0 + 30), exposure exactly 20 (4 x 5): both high
        (1_000_000.0, 5, [20], 50.0, 20, 1),
        (1_000_000.0, 5, [16, 3], 50.0, 19, 2),
        (999_999.0, 5, [20], pytest.approx(49.99998, abs=1e-9), 20, 2),
        (999_999.0, 5, [16, 3], pytest.approx(49.99998, abs=1e-9), 19, 3),
        (5_000_000.0, 5, [], 70.0, 0, 2),
    ],
)
def test_tier_boundaries_sit_exactly_on_the_thresholds(budget, criticality, risks, impact, exposure, tier):
    tiering = f.risk_tier(
        budget=budget, fit=0.0, criticality=criticality, risk_exposures=risks, policy=DEFAULT_POLICY.tier
    )

    assert tiering.impact == impact
    assert tiering.exposure == exposure
    assert tiering.tier == tier


def test_impact_parts_are_capped():
    tiering = f.risk_tier(budget=9e9, fit=150.0, criticality=5, risk_exposures=[], policy=DEFAULT_POLICY.tier)

    assert tiering.impact_parts == (40.0, 30.0, 30.0)
