"""A KPI's status (achieved, on track, at risk, off track, no data) and the evidence it gives."""

from __future__ import annotations

from typing import cast

import pytest

from alignment.engine import formulas as f
from tests.alignment.formula_support import (
    COST_KPI,
    COST_READINGS,
    KPI_POLICY,
    ORDERS,
    ORDERS_KPI,
    ORDERS_READINGS,
    TODAY,
    D,
)


def test_kpi_status_worked_example():
    # when
    orders = f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY)
    cost = f.assess_kpi(COST_KPI, COST_READINGS, TODAY, KPI_POLICY)

    # then: forecast 0.79 is at risk; without a trend, 0.40 / 0.67 = 0.60 is off track
    assert orders.status == f.AT_RISK
    assert (orders.progress, orders.latest_value, orders.latest_date) == (0.5, 25.0, D(2026, 8, 29))
    assert cost.status == f.OFF_TRACK
    assert cost.forecast_value is None
    assert cost.forecast_progress is None
    assert cost.progress == pytest.approx(0.4, abs=1e-12)
    assert cost.expected == pytest.approx(2 / 3, abs=1e-12)
    assert cost.readings_used == 2
    assert cost.progress is not None
    assert cost.expected is not None
    assert cost.progress / cost.expected == pytest.approx(0.6, abs=1e-12)
    # the ratio that decided the status is kept (to explain it); with a trend there is none
    assert cost.ratio == pytest.approx(0.6, abs=1e-12)
    assert orders.ratio is None


def test_a_kpi_with_no_readings_has_no_data():
    assessment = f.assess_kpi(ORDERS_KPI, [], TODAY, KPI_POLICY)

    assert assessment == f.KPIAssessment(ORDERS, f.NO_DATA)
    assert assessment.evidence is None


def test_readings_dated_after_today_are_ignored():
    # given: only a reading in the future
    only_future = f.assess_kpi(ORDERS_KPI, [(D(2026, 12, 1), 29.0)], TODAY, KPI_POLICY)
    # and: the example readings followed by one after today
    with_future = f.assess_kpi(ORDERS_KPI, [*ORDERS_READINGS, (D(2026, 12, 1), 40.0)], TODAY, KPI_POLICY)

    # then
    assert only_future.status == f.NO_DATA
    assert with_future == f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY)


def test_one_reading_gives_no_trend_and_is_judged_against_expected_progress():
    # given: 24.5 on 30 June, half-way through: progress 0.45 against 0.50 expected
    on_track = f.assess_kpi(ORDERS_KPI, [(D(2026, 6, 30), 24.5)], TODAY, KPI_POLICY)
    # and: 23.5 on the same day: 0.35 against 0.50
    at_risk = f.assess_kpi(ORDERS_KPI, [(D(2026, 6, 30), 23.5)], TODAY, KPI_POLICY)
    off_track = f.assess_kpi(ORDERS_KPI, [(D(2026, 6, 30), 23.0)], TODAY, KPI_POLICY)

    # then: the ratios 0.90 and 0.70 sit exactly on the no-trend thresholds
    assert on_track.slope_per_year is None
    assert on_track.forecast_value is None
    assert on_track.readings_used == 1
    assert on_track.status == f.ON_TRACK
    assert at_risk.status == f.AT_RISK
    assert off_track.status == f.OFF_TRACK
    assert [round(cast(float, a.ratio), 12) for a in (on_track, at_risk, off_track)] == [0.9, 0.7, 0.6]


def test_a_reading_before_anything_was_expected_is_on_track():
    assessment = f.assess_kpi(ORDERS_KPI, [(D(2025, 12, 1), 19.0)], TODAY, KPI_POLICY)

    assert assessment.expected == 0.0
    assert assessment.status == f.ON_TRACK


def test_a_kpi_at_its_target_is_achieved_whatever_its_trend():
    readings = [(D(2026, 3, 2), 35.0), (D(2026, 5, 1), 32.0), (D(2026, 6, 30), 30.0)]

    assessment = f.assess_kpi(ORDERS_KPI, readings, TODAY, KPI_POLICY)

    assert assessment.status == f.ACHIEVED
    assert assessment.progress == 1.0


def test_an_achieved_kpi_is_full_evidence_even_when_its_trend_falls():
    # given: orders at 35, 32, then exactly the target of 30 (days 0, 60, 120 from 2 March)
    readings = [(D(2026, 3, 2), 35.0), (D(2026, 5, 1), 32.0), (D(2026, 6, 30), 30.0)]

    # when
    assessment = f.assess_kpi(ORDERS_KPI, readings, TODAY, KPI_POLICY)

    # then: the falling trend (slope -300 / 7,200 = -1/24 per day, mean 97/3 on day 60) reads
    # 97/3 - 240/24 = 67/3 on the target date, day 300: forecast progress (67/3 - 20) / 10 = 0.23;
    # but the target is met, so the KPI is full evidence
    assert assessment.status == f.ACHIEVED
    assert assessment.forecast_value == pytest.approx(67 / 3, abs=1e-9)
    assert assessment.forecast_progress == pytest.approx(7 / 30, abs=1e-9)
    assert assessment.evidence == 1.0


@pytest.mark.parametrize(
    ("direction", "value", "status"), [("increase", 99.9, f.ACHIEVED), ("increase", 99.8, f.OFF_TRACK)]
)
def test_kpi_status_when_target_equals_baseline(direction, value, status):
    kpi = f.KPIDefinition(1, direction, 99.9, D(2026, 1, 1), 99.9, D(2026, 12, 27))

    assessment = f.assess_kpi(kpi, [(D(2026, 6, 30), value)], TODAY, KPI_POLICY)

    assert assessment.status == status


def test_kpi_evidence_is_forecast_progress_clamped_to_0_1():
    ahead = f.KPIAssessment(1, f.ON_TRACK, progress=0.9, forecast_progress=1.4)
    behind = f.KPIAssessment(1, f.OFF_TRACK, progress=-0.2)
    on_its_way = f.KPIAssessment(1, f.AT_RISK, progress=0.5, forecast_progress=0.79)

    assert ahead.evidence == 1.0
    assert behind.evidence == 0.0
    assert on_its_way.evidence == 0.79
