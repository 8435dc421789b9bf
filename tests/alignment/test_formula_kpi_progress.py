"""KPI progress towards the target and the progress expected by a date, through interim targets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alignment.engine import formulas as f
from tests.alignment.formula_support import COST_KPI, ORDERS_KPI, D

# ------------------------------------------------------------------------------------ KPI progress


def test_kpi_progress_worked_example():
    # increase: (25 - 20) / (30 - 20)
    assert f.progress(ORDERS_KPI, 25.0) == 0.5
    # decrease: (4.60 - 5.00) / (4.00 - 5.00)
    assert f.progress(COST_KPI, 4.6) == pytest.approx(0.4, abs=1e-12)
    # past the target and the wrong way
    assert f.progress(ORDERS_KPI, 32.0) == 1.2
    assert f.progress(ORDERS_KPI, 18.0) == -0.2


def test_kpi_progress_of_a_decreasing_kpi_moving_the_wrong_way_is_negative():
    assert f.progress(COST_KPI, 5.5) == pytest.approx(-0.5, abs=1e-12)
    assert f.progress(COST_KPI, 3.5) == pytest.approx(1.5, abs=1e-12)


@pytest.mark.parametrize(
    ("direction", "level", "value", "expected"),
    [
        ("increase", 99.9, 99.95, 1.0),
        ("increase", 99.9, 99.9, 1.0),
        ("increase", 99.9, 99.8, 0.0),
        ("decrease", 0.0, 0.0, 1.0),
        ("decrease", 0.0, -1.0, 1.0),
        ("decrease", 0.0, 2.0, 0.0),
    ],
)
def test_kpi_progress_when_target_equals_baseline(direction, level, value, expected):
    # given: nothing to improve
    kpi = f.KPIDefinition(1, direction, level, D(2026, 1, 1), level, D(2026, 12, 27))

    # then: 1 at the target or better in the KPI's direction, else 0
    assert f.progress(kpi, value) == expected


# ------------------------------------------------------------------------------------ expected progress


def test_expected_progress_worked_example():
    # day 240 of 360
    assert f.expected_progress(ORDERS_KPI, D(2026, 8, 29)) == pytest.approx(2 / 3, abs=1e-12)
    assert f.expected_progress(ORDERS_KPI, D(2026, 6, 30)) == 0.5


def test_expected_progress_through_interim_targets_worked_example():
    # given: 22 by 30 June 2026 (progress 0.20)
    kpi = replace(ORDERS_KPI, interim=((D(2026, 6, 30), 22.0),))

    # then
    assert f.expected_progress(kpi, D(2026, 4, 1)) == pytest.approx(0.1, abs=1e-12)
    assert f.expected_progress(kpi, D(2026, 6, 30)) == pytest.approx(0.2, abs=1e-12)
    assert f.expected_progress(kpi, D(2026, 8, 29)) == pytest.approx(0.2 + 0.8 / 3, abs=1e-12)
    assert round(f.expected_progress(kpi, D(2026, 8, 29)), 2) == 0.47


def test_expected_progress_through_interim_targets_of_a_decreasing_kpi():
    # given: 4.80 by 30 June (progress 0.20)
    kpi = replace(COST_KPI, interim=((D(2026, 6, 30), 4.8),))

    assert f.expected_progress(kpi, D(2026, 4, 1)) == pytest.approx(0.1, abs=1e-12)
    assert f.expected_progress(kpi, D(2026, 9, 28)) == pytest.approx(0.6, abs=1e-12)


def test_expected_progress_is_0_before_the_baseline_and_1_after_the_target():
    assert f.expected_progress(ORDERS_KPI, D(2025, 12, 1)) == 0.0
    assert f.expected_progress(ORDERS_KPI, D(2026, 1, 1)) == 0.0
    assert f.expected_progress(ORDERS_KPI, D(2026, 12, 27)) == 1.0
    assert f.expected_progress(ORDERS_KPI, D(2027, 3, 1)) == 1.0


def test_interim_targets_outside_the_baseline_to_target_span_are_ignored():
    kpi = replace(ORDERS_KPI, interim=((D(2025, 6, 30), 29.0), (D(2027, 6, 30), 21.0)))

    assert f.expected_progress(kpi, D(2026, 6, 30)) == 0.5
