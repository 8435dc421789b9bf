"""The formulas of docs/scoring.md, one test per worked example (named after its section), and their edges.

Pure functions and in-memory inputs only: no database.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any, cast

import pytest

from alignment.engine import formulas as f
from alignment.engine.compute import (
    compute_portfolio,
    contribution_links,
    parse_links,
    risk_cells,
    score_initiative,
)
from alignment.engine.inputs import (
    ContributionRow,
    InitiativeRow,
    MilestoneRow,
    ObjectiveRow,
    PortfolioInputs,
    RiskRow,
    largest_priority_weight,
    priority_units,
    relative,
)
from alignment.engine.policy import DEFAULT_POLICY
from core.extensions import ReviewFact
from portfolio.selectors import global_weights

D = datetime.date
TODAY = D(2026, 11, 21)
KPI_POLICY = DEFAULT_POLICY.kpi
TIER_POLICIES = {
    1: (30, ("business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan")),
    2: (60, ("business_case", "benefits_plan")),
    3: (90, ("business_case",)),
}

# The worked-example portfolio of docs/scoring.md.
T1, O1, O2, O3, T2 = 1, 2, 3, 4, 5
TREE = [
    ObjectiveRow(T1, "T1", "Grow digital sales", None, 3.0, "active", None),
    ObjectiveRow(O1, "O1", "Raise online conversion", T1, 2.0, "active", None),
    ObjectiveRow(O2, "O2", "Grow basket size", T1, 1.0, "active", None),
    ObjectiveRow(O3, "O3", "Launch a marketplace", T1, 1.0, "retired", None),
    ObjectiveRow(T2, "T2", "Cut operating cost", None, 1.0, "active", None),
]
ORDERS, COST = 11, 12
ORDERS_KPI = f.KPIDefinition(ORDERS, "increase", 20.0, D(2026, 1, 1), 30.0, D(2026, 12, 27))
COST_KPI = f.KPIDefinition(COST, "decrease", 5.0, D(2026, 1, 1), 4.0, D(2026, 12, 27))
ORDERS_READINGS = [
    (D(2026, 3, 2), 21.0),
    (D(2026, 5, 1), 22.0),
    (D(2026, 6, 30), 24.0),
    (D(2026, 8, 29), 25.0),
]
COST_READINGS = [(D(2026, 5, 1), 4.8), (D(2026, 8, 29), 4.6)]
CHK, SRCH, DC = 21, 22, 23


def initiative_row(pk: int = 1, **values: Any) -> InitiativeRow:
    defaults: dict[str, Any] = {
        "id": pk,
        "code": f"INI-{pk}",
        "title": f"Initiative {pk}",
        "stage": "in_delivery",
        "category": "grow",
        "budget": 100_000.0,
        "actual_cost": 0.0,
        "forecast_cost": None,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 27),
        "actual_start": D(2026, 1, 1),
        "actual_end": None,
        "go_live_date": None,
        "criticality": 3,
        "clarity": 4,
        "sponsor_id": None,
        "manager_id": None,
        "program_id": None,
        "sustainment_owner_id": None,
    }
    return InitiativeRow(**{**defaults, **values})


def example_initiatives() -> list[InitiativeRow]:
    chk = initiative_row(
        CHK,
        code="CHK-1",
        category="grow",
        budget=1_000_000.0,
        actual_cost=600_000.0,
        forecast_cost=1_100_000.0,
        actual_start=D(2026, 1, 15),
        criticality=4,
        contributions=[ContributionRow(1, O1, "strong", ORDERS), ContributionRow(2, T2, "moderate", COST)],
        milestones=[
            MilestoneRow(1, "Pilot live", D(2026, 6, 30), None, D(2026, 7, 30)),
            MilestoneRow(2, "Rollout", D(2026, 12, 15), D(2027, 1, 20), None),
        ],
        reviews=[
            ReviewFact(1, CHK, D(2026, 8, 23), ("green", "amber", "green", "green"), "proceed", frozenset())
        ],
        risks=[
            RiskRow(1, "Payment provider late", 3, 4, True),
            RiskRow(2, "Key developer leaves", 2, 3, True),
        ],
        artefacts={"business_case"},
    )
    srch = initiative_row(
        SRCH,
        code="SRCH-1",
        category="run",
        budget=500_000.0,
        actual_cost=300_000.0,
        forecast_cost=450_000.0,
        actual_start=D(2026, 1, 5),
        contributions=[ContributionRow(3, O2, "weak", None)],
        milestones=[
            MilestoneRow(3, "Design signed off", D(2026, 3, 31), None, D(2026, 3, 31)),
            MilestoneRow(4, "Build complete", D(2026, 9, 30), None, D(2026, 9, 20)),
        ],
        reviews=[ReviewFact(2, SRCH, D(2026, 10, 1), ("green",) * 4, "proceed", frozenset())],
        artefacts={"business_case"},
    )
    dc = initiative_row(
        DC,
        code="DC-1",
        category="transform",
        stage="approved",
        budget=500_000.0,
        planned_start=D(2026, 9, 1),
        planned_end=D(2027, 6, 30),
        actual_start=None,
        milestones=[MilestoneRow(5, "Go decision", D(2026, 10, 31), None, None)],
    )
    return [chk, srch, dc]


def portfolio_inputs(
    initiatives: list[InitiativeRow],
    *,
    objectives: list[ObjectiveRow] = TREE,
    kpis: tuple[f.KPIDefinition, ...] = (ORDERS_KPI, COST_KPI),
    readings: dict[int, list[tuple[datetime.date, float]]] | None = None,
    today: datetime.date = TODAY,
) -> PortfolioInputs:
    weights = global_weights(objectives)
    units, _ = priority_units({o.id: o for o in objectives}, weights)
    return PortfolioInputs(
        today=today,
        policy=DEFAULT_POLICY,
        objectives={o.id: o for o in objectives},
        global_weights=weights,
        relative_weights=relative(weights, units),
        largest_priority_weight=largest_priority_weight(units),
        lookback_relative_weights={},
        kpis={k.id: k for k in kpis},
        kpi_names={k.id: (f"KPI {k.id}", O1) for k in kpis},
        readings={ORDERS: ORDERS_READINGS, COST: COST_READINGS} if readings is None else readings,
        tier_policies=TIER_POLICIES,
        initiatives={row.id: row for row in initiatives},
    )


def score(row: InitiativeRow, inputs: PortfolioInputs | None = None) -> Any:
    inputs = inputs or portfolio_inputs([row])
    kpis = {
        pk: f.assess_kpi(kpi, inputs.readings.get(pk, []), inputs.today, KPI_POLICY)
        for pk, kpi in inputs.kpis.items()
    }
    return score_initiative(row, inputs, kpis)


# ------------------------------------------------------------------------------------ global weights


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


def units_of(tree: list[ObjectiveRow]) -> tuple[dict[int, float], dict[int, float]]:
    weights = global_weights(tree)
    return weights, priority_units({o.id: o for o in tree}, weights)[0]


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


# ------------------------------------------------------------------------------------ strategic fit

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


# ------------------------------------------------------------------------------------ forecast


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


# ------------------------------------------------------------------------------------ KPI status


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


# ------------------------------------------------------------------------------------ outcome evidence


def assessments() -> dict[int, f.KPIAssessment]:
    return {
        ORDERS: f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY),
        COST: f.assess_kpi(COST_KPI, COST_READINGS, TODAY, KPI_POLICY),
    }


def test_outcome_evidence_worked_example():
    # given: CHK-1 names orders (c 1, evidence 0.79) and cost per order (c 1/3, evidence 0.40)
    # when
    outcome = f.outcome_evidence([(ORDERS, 1.0), (COST, 1 / 3)], assessments())

    # then: 100 x (3 x 0.79 + 1 x 0.40) / 4
    assert outcome.value == pytest.approx(69.25, abs=1e-9)
    assert [(t.kpi_id, round(t.evidence, 2)) for t in outcome.terms] == [(ORDERS, 0.79), (COST, 0.4)]
    assert outcome.reason == ""


def test_outcome_counts_an_achieved_kpi_as_full_evidence():
    # given: cost per order read at 3.90, past its target of 4.00 (progress 1.10), on 1 November
    kpis = {
        **assessments(),
        COST: f.assess_kpi(COST_KPI, [*COST_READINGS, (D(2026, 11, 1), 3.9)], TODAY, KPI_POLICY),
    }

    # when
    outcome = f.outcome_evidence([(ORDERS, 1.0), (COST, 1 / 3)], kpis)

    # then: 100 x (3 x 0.79 + 1 x 1) / 4
    assert kpis[COST].status == f.ACHIEVED
    assert outcome.value == pytest.approx(84.25, abs=1e-9)


def test_outcome_is_missing_when_no_contribution_names_a_kpi():
    outcome = f.outcome_evidence([], assessments())

    assert outcome == f.Outcome(None, reason="no contribution names a KPI")


def test_outcome_is_missing_when_the_named_kpis_have_no_readings():
    outcome = f.outcome_evidence([(99, 1.0)], {99: f.KPIAssessment(99, f.NO_DATA)})

    assert outcome == f.Outcome(None, reason="the named KPIs have no readings")


def test_outcome_leaves_out_a_kpi_without_readings():
    kpis = {**assessments(), 99: f.KPIAssessment(99, f.NO_DATA)}

    outcome = f.outcome_evidence([(ORDERS, 2 / 3), (99, 1.0)], kpis)

    assert outcome.value == pytest.approx(79.0, abs=1e-9)


def test_outcome_says_so_when_only_weightless_contributions_name_kpis_with_readings():
    # given: the KPI has readings, but the contribution naming it has no strategic weight (strength none or
    # a retired objective)
    outcome = f.outcome_evidence([(ORDERS, 0.0)], assessments())

    # then: the reason does not claim the KPI has no readings
    assert outcome == f.Outcome(None, reason="the contributions that name KPIs carry no strategic weight")


# ------------------------------------------------------------------------------------ delivery confidence

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


# ------------------------------------------------------------------------------------ governance compliance


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


# ------------------------------------------------------------------------------------ risk tier


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


# ------------------------------------------------------------------------------------ alignment score


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


# ------------------------------------------------------------------------------------ stages


NOT_ASSESSED = "execution not assessed: counted at the floor until there is evidence"


def test_an_idea_counts_at_the_floor_and_is_flagged():
    # given: an idea with a strong contribution to the top priority objective, and plenty of data
    row = replace(
        example_initiatives()[0], stage="idea", contributions=[ContributionRow(1, O1, "strong", ORDERS)]
    )

    # when
    result = score(row)

    # then: A = 100 x 0.5
    assert (result.fit, result.outcome, result.delivery, result.governance) == (100.0, None, None, None)
    assert result.execution is None
    assert result.alignment == 50.0
    assert result.missing == ["outcome", "delivery", "governance"]
    reason = "not started: an idea has no execution to assess yet, so it counts at the floor"
    assert result.explanation["missing"] == {"outcome": reason, "delivery": reason, "governance": reason}
    assert result.explanation["composite"] == {
        "weights": {"outcome": 0.4, "delivery": 0.35, "governance": 0.25},
        "used": [],
        "execution": None,
        "factor": 0.5,
        "floor": 0.5,
        "note": NOT_ASSESSED,
    }


def test_a_proposal_counts_at_the_floor():
    row = replace(example_initiatives()[0], stage="proposed")

    result = score(row)

    assert result.missing == ["outcome", "delivery", "governance"]
    assert result.alignment == 50.0
    assert (
        result.explanation["missing"]["delivery"]
        == "not started: a proposal has no execution to assess yet, so it counts at the floor"
    )
    assert result.explanation["composite"]["note"] == NOT_ASSESSED


def test_a_live_initiative_with_no_data_counts_at_the_floor():
    # given: live, strong to O1, no KPI named, no plan dates, no budget, no checkpoint review
    row = initiative_row(
        stage="live",
        go_live_date=D(2026, 10, 1),
        planned_start=None,
        planned_end=None,
        budget=0.0,
        contributions=[ContributionRow(1, O1, "strong", None)],
    )

    # when
    result = score(row)

    # then: nothing to assess, A = 100 x 0.5, and each reason says why
    assert (result.fit, result.execution, result.alignment) == (100.0, None, 50.0)
    assert result.explanation["missing"] == {
        "outcome": "no contribution names a KPI",
        "delivery": "no plan dates, no budget and no checkpoint review",
        "governance": "live: steering checkpoints end at go-live; benefits are tracked through the KPIs",
    }
    assert result.explanation["composite"]["note"] == NOT_ASSESSED


def test_an_approved_initiative_has_no_outcome_yet():
    result = score(replace(example_initiatives()[0], stage="approved"))

    assert result.missing == ["outcome"]
    assert result.explanation["missing"] == {
        "outcome": "not delivering yet: outcomes are judged from the start of delivery"
    }


def test_a_live_initiative_is_not_judged_on_governance():
    result = score(replace(example_initiatives()[0], stage="live", go_live_date=D(2026, 10, 1)))

    assert result.outcome is not None
    assert result.delivery is not None
    assert result.missing == ["governance"]
    assert result.explanation["missing"] == {
        "governance": "live: steering checkpoints end at go-live; benefits are tracked through the KPIs"
    }


def test_a_live_initiative_stops_slipping_at_its_go_live_date():
    # given: CHK-1 live since 1 October, no actual end: "Rollout" (due 15 December, forecast 20 January) can
    # no longer be late; "Pilot live" stays 30 days late
    row = replace(example_initiatives()[0], stage="live", go_live_date=D(2026, 10, 1))

    # when
    result = score(row)

    # then: slip 30 of 360 days: schedule 100 x (1 - (30 / 360) / 0.5) = 83.33;
    # delivery (83.33 + 80 + 87.5) / 3 = 83.61
    assert result.explanation["delivery"]["slip_days"] == 30
    assert result.explanation["delivery"]["schedule"] == 83.33
    assert result.delivery == pytest.approx((250 / 3 + 80 + 87.5) / 3, abs=1e-9)
    assert round(result.delivery, 2) == 83.61


def test_a_closed_initiative_keeps_outcome_and_delivery_without_governance():
    # given: CHK-1 closed on 1 November, before "Rollout" was due
    row = replace(example_initiatives()[0], stage="closed", actual_end=D(2026, 11, 1))

    result = score(row)

    # then: slip 30 days ("Pilot live"), as for the live one
    assert result.outcome == pytest.approx(69.25, abs=1e-9)
    assert result.explanation["delivery"]["slip_days"] == 30
    assert round(result.delivery, 2) == 83.61
    assert result.governance is None
    assert result.explanation["missing"] == {"governance": "closed: no checkpoints are due"}


def test_a_closed_initiative_that_ended_after_its_planned_end_has_slipped_by_the_difference():
    # given: planned 1 January to 1 October 2026 (273 days), closed on 6 November, no milestone
    row = initiative_row(stage="closed", planned_end=D(2026, 10, 1), actual_end=D(2026, 11, 6))

    # when
    result = score(row)

    # then: 36 days late: schedule 100 x (1 - (36 / 273) / 0.5) = 73.63, and it stays so after today
    later = score(row, portfolio_inputs([row], today=D(2027, 3, 1)))
    assert result.explanation["delivery"]["slip_days"] == 36
    assert result.explanation["delivery"]["duration_days"] == 273
    assert result.explanation["delivery"]["schedule"] == 73.63
    assert later.explanation["delivery"]["slip_days"] == 36


def test_a_cancelled_initiative_counts_at_the_floor():
    result = score(replace(example_initiatives()[0], stage="cancelled"))

    assert result.missing == ["outcome", "delivery", "governance"]
    assert set(result.explanation["missing"].values()) == {
        "cancelled: there is no execution to assess, so it counts at the floor"
    }
    assert result.alignment == 50.0


def test_the_worked_example_initiative_scores_as_documented():
    # given: CHK-1 in the example portfolio
    chk = example_initiatives()[0]

    # when
    result = score(chk)

    # then
    assert result.stored() | {"explanation": None} == {
        "fit": 100.0,
        "outcome": 69.25,
        "delivery": 82.5,
        "governance": 50.0,
        "execution": 69.08,  # 69.075 on paper, rounded half up
        "alignment": 84.54,
        "impact": 72.5,
        "exposure": 18,
        "tier": 2,
        "missing": [],
        "explanation": None,
        # roll-ups for the dashboards: the pilot was due on 30 June and went live a month late; the rollout is
        # not due yet; one risk at P3 x I4 and one at P2 x I3; strong to O1 (id 2), moderate to T2 (id 5)
        "milestones_due": 1,
        "milestones_on_time": 0,
        "risk_cells": "23 34",
        "links": "2s 5m",
        "checkpoint_due": D(2026, 10, 22),
    }


def test_roll_ups_read_back_as_the_contributions_and_risk_cells_they_were_written_from():
    contributions = [
        ContributionRow(1, 140, "weak", None),
        ContributionRow(2, 7, "strong", None),
        ContributionRow(3, 21, "none", None),
        ContributionRow(4, 9, "moderate", None),
    ]
    risks = [RiskRow(1, "a", 3, 4, True), RiskRow(2, "b", 1, 5, False), RiskRow(3, "c", 3, 4, False)]

    assert contribution_links(contributions) == "7s 9m 21n 140w"
    assert parse_links("7s 9m 21n 140w") == [(7, "strong"), (9, "moderate"), (21, "none"), (140, "weak")]
    assert contribution_links([]) == ""
    assert parse_links("") == []
    assert risk_cells(risks) == "15 34 34"


# ------------------------------------------------------------------------------------ portfolio indices


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
