"""The least-squares trend of a KPI's readings and the forecast it gives on the target date."""

from __future__ import annotations

import datetime

import pytest

from alignment.engine import formulas as f
from tests.alignment.formula_support import COST_KPI, KPI_POLICY, ORDERS_KPI, ORDERS_READINGS, TODAY, D


def test_forecast_worked_example():
    # when
    trend = f.least_squares_trend(ORDERS_READINGS)
    assessment = f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY)

    # then: slope 420 / 18,000 per day, intercept 20.90, read on day 300
    assert trend is not None
    assert trend.slope_per_day == pytest.approx(420 / 18_000, abs=1e-12)
    assert trend.intercept == pytest.approx(20.9, abs=1e-12)
    assert trend.origin == D(2026, 3, 2)
    assert assessment.forecast_value == pytest.approx(27.9, abs=1e-12)
    assert assessment.forecast_progress == pytest.approx(0.79, abs=1e-12)
    assert assessment.slope_per_year == pytest.approx(8.5225, abs=1e-12)
    assert assessment.readings_used == 4


def test_forecast_fits_only_the_latest_readings_of_the_window():
    # given: 8 readings, the first two far off the line of the last six
    readings = [(D(2025, 1, 1), 100.0), (D(2025, 2, 1), 100.0)] + [
        (D(2026, 1, 1) + datetime.timedelta(days=30 * i), 20.0 + i) for i in range(6)
    ]

    # when
    assessment = f.assess_kpi(ORDERS_KPI, readings, TODAY, KPI_POLICY)

    # then: one per 30 days, from 20 on 1 January: 20 + 360 / 30 = 32 on the target date
    assert assessment.readings_used == 6
    assert assessment.forecast_value == pytest.approx(32.0, abs=1e-9)


def test_a_decreasing_kpi_is_forecast_along_its_trend():
    # given: cost per order falling 0.10 every 60 days from 5.00
    readings = [(D(2026, 1, 1), 5.0), (D(2026, 3, 2), 4.9), (D(2026, 5, 1), 4.8)]

    # when
    assessment = f.assess_kpi(COST_KPI, readings, TODAY, KPI_POLICY)

    # then: 5.00 - 0.10 x 360 / 60 = 4.40 on the target date, progress 0.60
    assert assessment.forecast_value == pytest.approx(4.4, abs=1e-9)
    assert assessment.forecast_progress == pytest.approx(0.6, abs=1e-9)
    assert assessment.status == f.OFF_TRACK


def test_least_squares_needs_two_dates():
    assert f.least_squares_trend([]) is None
    assert f.least_squares_trend([(D(2026, 1, 1), 1.0)]) is None
    assert f.least_squares_trend([(D(2026, 1, 1), 1.0), (D(2026, 1, 1), 2.0)]) is None
