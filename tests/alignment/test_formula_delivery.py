"""Delivery confidence: schedule slip, cost overrun and the latest checkpoint RAGs."""

from __future__ import annotations

from typing import Any

import pytest

from alignment.engine import formulas as f
from alignment.engine.policy import DEFAULT_POLICY
from tests.alignment.formula_support import TODAY, D

CHK_MILESTONES = [
    f.MilestoneDates(D(2026, 6, 30), None, D(2026, 7, 30)),
    f.MilestoneDates(D(2026, 12, 15), D(2027, 1, 20), None),
]


def delivery(**values: Any) -> f.Delivery:
    arguments: dict[str, Any] = {
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 27),
        "slip": 36,
        "has_schedule": True,
        "budget": 1_000_000.0,
        "forecast_cost": 1_100_000.0,
        "actual_cost": 600_000.0,
        "latest_rags": ("green", "amber", "green", "green"),
        "policy": DEFAULT_POLICY.delivery,
    }
    return f.delivery_confidence(**{**arguments, **values})


def test_delivery_confidence_worked_example():
    # when
    slip = f.slip_days(CHK_MILESTONES, D(2026, 12, 27), TODAY)
    result = delivery(slip=slip)

    # then
    assert slip == 36
    assert result == f.Delivery(
        value=82.5,
        schedule=80.0,
        cost=80.0,
        checkpoint=87.5,
        slip_days=36,
        duration_days=360,
        slip_ratio=0.1,
        overrun=pytest.approx(0.1, abs=1e-12),  # type: ignore[arg-type]  # equals the float it stands for
        reason="",
    )


def test_slip_counts_a_milestone_overdue_by_today():
    # given: due 31 October, not achieved, no forecast
    slip = f.slip_days([f.MilestoneDates(D(2026, 10, 31), None, None)], None, TODAY)

    assert slip == 21


def test_slip_counts_running_past_the_planned_end_up_to_today():
    # given: planned to end 31 October, still running on 21 November
    assert f.slip_days([], D(2026, 10, 31), TODAY) == 21


@pytest.mark.parametrize(
    ("ended", "slip"),
    [(D(2026, 11, 10), 10), (D(2026, 10, 31), 0), (D(2026, 10, 1), 0), (D(2026, 12, 20), 21)],
    ids=["late", "on-the-day", "early", "end-after-today-counts-to-today"],
)
def test_a_finished_initiative_slips_by_its_end_after_the_planned_end(ended, slip):
    # given: planned to end 31 October, finished on `ended`
    assert f.slip_days([], D(2026, 10, 31), TODAY, finished_on=ended) == slip


def test_a_finished_initiative_stops_slipping_on_an_unachieved_milestone_at_its_end():
    # given: "Handover" due 30 September, never achieved, forecast 31 December; "Retire old system" due
    # 15 December, after the end; the initiative ended on 15 October
    milestones = [
        f.MilestoneDates(D(2026, 9, 30), D(2026, 12, 31), None),
        f.MilestoneDates(D(2026, 12, 15), None, None),
    ]

    # when
    finished = f.slip_days(milestones, D(2026, 12, 27), TODAY, finished_on=D(2026, 10, 15))
    running = f.slip_days(milestones, D(2026, 12, 27), TODAY)

    # then: overdue for the 15 days up to the end, not the 92 days of a forecast that will never come
    assert finished == 15
    assert running == 92


def test_slip_is_never_negative():
    early = [
        f.MilestoneDates(D(2026, 12, 15), D(2026, 12, 1), None),
        f.MilestoneDates(D(2026, 6, 1), None, D(2026, 5, 1)),
    ]

    assert f.slip_days(early, D(2026, 12, 27), TODAY) == 0
    assert f.slip_days(early, D(2026, 12, 27), TODAY, finished_on=D(2026, 11, 1)) == 0


def test_slip_is_measured_against_at_least_30_days():
    result = delivery(planned_start=D(2026, 1, 1), planned_end=D(2026, 1, 11), slip=3)

    assert result.duration_days == 30
    assert result.slip_ratio == 0.1
    assert result.schedule == 80.0


def test_a_slip_of_half_the_duration_takes_the_schedule_part_to_0():
    assert delivery(slip=180).schedule == 0.0
    assert delivery(slip=400).schedule == 0.0


def test_an_overrun_of_half_the_budget_takes_the_cost_part_to_0():
    assert delivery(forecast_cost=1_500_000.0).cost == 0.0
    assert delivery(forecast_cost=900_000.0).cost == 100.0


def test_delivery_uses_the_actual_cost_when_there_is_no_forecast():
    result = delivery(forecast_cost=None, actual_cost=1_200_000.0)

    assert result.overrun == pytest.approx(0.2, abs=1e-12)
    assert result.cost == pytest.approx(60.0, abs=1e-9)


def test_delivery_without_budget_has_no_cost_part():
    result = delivery(budget=0.0)

    assert (result.cost, result.overrun) == (None, None)
    assert result.value == pytest.approx((80.0 + 87.5) / 2, abs=1e-12)


def test_delivery_without_planned_dates_has_no_schedule_part():
    result = delivery(planned_start=None, planned_end=None, has_schedule=False)

    assert (result.schedule, result.slip_ratio, result.duration_days) == (None, None, None)
    assert result.value == pytest.approx((80.0 + 87.5) / 2, abs=1e-12)


def test_delivery_without_checkpoint_has_no_checkpoint_part():
    result = delivery(latest_rags=None)

    assert result.checkpoint is None
    assert result.value == 80.0


def test_delivery_with_no_part_is_missing_with_its_reason():
    result = delivery(planned_start=None, planned_end=None, has_schedule=False, budget=0.0, latest_rags=None)

    assert result.value is None
    assert result.reason == "no plan dates, no budget and no checkpoint review"
