"""The RAG the data suggests per dimension, at and around the policy's thresholds: schedule from the slip
ratio and from each milestone's own slip, cost from the forecast overrun, scope from the changes in the window
and those pending, benefits from the named KPIs' status and, after go-live, the benefit plans."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from alignment import services as engine
from alignment.models import KPIScore
from core.stages import Stage
from portfolio.models import Initiative, ScopeChangeStatus
from steering.rules import suggest_rag
from tests.alignment.benefit_signal_support import plan
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ScopeChangeFactory,
    UserFactory,
)
from tests.steering.utils import DAY, TODAY, D, scored

pytestmark = pytest.mark.django_db

THRESHOLDS = "(amber from 10%, red from 25%)"
MILESTONE_THRESHOLDS = "(amber from 14 days, red from 45)"


def with_delivery(**delivery: Any) -> Initiative:
    initiative = InitiativeFactory()
    scored(initiative, **delivery)
    return initiative


def schedule(initiative: Initiative) -> tuple[str, str]:
    suggestion = suggest_rag(initiative)["schedule"]
    return suggestion["rag"], suggestion["reason"]


def test_the_policy_thresholds_are_the_ones_these_tests_cross():
    signals = engine.current_policy().signals
    assert (signals.slip_amber, signals.slip_red) == (0.10, 0.25)
    assert (signals.overrun_amber, signals.overrun_red) == (0.05, 0.15)
    assert (signals.scope_changes_amber, signals.scope_changes_red, signals.scope_window_days) == (3, 5, 180)


def test_every_dimension_is_suggested_in_order():
    initiative = with_delivery(slip_ratio=0.0, slip_days=0, overrun=0.0)

    assert list(suggest_rag(initiative)) == ["schedule", "cost", "scope", "benefits"]


@pytest.mark.parametrize(
    ("ratio", "days", "rag"),
    [(0.0, 0, "green"), (0.09, 31, "green"), (0.10, 35, "amber"), (0.24, 84, "amber"), (0.25, 88, "red")],
)
def test_schedule_is_suggested_from_the_slip_ratio(ratio, days, rag):
    initiative = with_delivery(slip_ratio=ratio, slip_days=days, overrun=0.0)

    assert schedule(initiative) == (
        rag,
        f"{days} days behind plan: {ratio:.0%} of the planned duration {THRESHOLDS}.",
    )


@pytest.mark.parametrize(
    ("slips", "rag", "late"),
    [
        ([13], "green", ""),
        ([14], "amber", " Milestones late: “M1” 14 days " + MILESTONE_THRESHOLDS + "."),
        ([22, 40], "amber", " Milestones late: “M2” 40 days, “M1” 22 days " + MILESTONE_THRESHOLDS + "."),
        ([45], "red", " Milestones late: “M1” 45 days " + MILESTONE_THRESHOLDS + "."),
        (
            [15, 16, 17, 18],
            "amber",
            " Milestones late: “M4” 18 days, “M3” 17 days, “M2” 16 days and 1 more "
            + MILESTONE_THRESHOLDS
            + ".",
        ),
    ],
)
def test_milestones_slipping_make_the_schedule_amber_or_red_whatever_the_overall_slip(slips, rag, late):
    # given a long initiative only 6% behind plan overall, whose milestones are forecast late by `slips` days
    initiative = with_delivery(slip_ratio=0.06, slip_days=max(slips), overrun=0.0)
    for n, slip in enumerate(slips, start=1):
        MilestoneFactory(
            initiative=initiative,
            name=f"M{n}",
            baseline_date=D(2027, 3, 1),
            forecast_date=D(2027, 3, 1) + slip * DAY,
        )
    MilestoneFactory(
        initiative=initiative, name="Done late", baseline_date=D(2026, 3, 1), actual_date=D(2026, 6, 1)
    )

    # then
    assert schedule(initiative) == (
        rag,
        f"{max(slips)} days behind plan: 6% of the planned duration {THRESHOLDS}.{late}",
    )


def test_a_milestone_whose_forecast_has_passed_is_late_by_today(db):
    # given a milestone due 1 November, forecast 5 November, not achieved on 21 November
    initiative = with_delivery(slip_ratio=0.02, slip_days=20, overrun=0.0)
    MilestoneFactory(
        initiative=initiative, name="Pilot", baseline_date=D(2026, 11, 1), forecast_date=D(2026, 11, 5)
    )

    # then it is 20 days late today
    assert schedule(initiative) == (
        "amber",
        f"20 days behind plan: 2% of the planned duration {THRESHOLDS}. Milestones late: “Pilot” 20 days "
        f"{MILESTONE_THRESHOLDS}.",
    )


def test_the_suggested_schedule_of_a_real_recompute_reads_the_slipping_milestones(db):
    # given a three-year initiative whose two milestones slip 22 and 40 days, recomputed by the engine
    initiative = InitiativeFactory(
        code="LONG-1", stage=Stage.IN_DELIVERY, planned_start=D(2025, 1, 1), planned_end=D(2027, 12, 31)
    )
    MilestoneFactory(
        initiative=initiative, name="Build", baseline_date=D(2026, 12, 1), forecast_date=D(2027, 1, 10)
    )
    MilestoneFactory(
        initiative=initiative, name="Pilot", baseline_date=D(2027, 2, 1), forecast_date=D(2027, 2, 23)
    )
    engine.recompute(today=TODAY)

    # then the schedule is not green, though 40 days are 4% of the planned duration
    assert schedule(initiative) == (
        "amber",
        f"40 days behind plan: 4% of the planned duration {THRESHOLDS}. Milestones late: “Build” 40 days, "
        f"“Pilot” 22 days {MILESTONE_THRESHOLDS}.",
    )


@pytest.mark.parametrize(
    ("overrun", "rag", "reason"),
    [
        (0.0, "green", "Forecast within budget (amber from 5%, red from 15%)."),
        (0.04, "green", "Forecast 4% over budget (amber from 5%, red from 15%)."),
        (0.05, "amber", "Forecast 5% over budget (amber from 5%, red from 15%)."),
        (0.14, "amber", "Forecast 14% over budget (amber from 5%, red from 15%)."),
        (0.15, "red", "Forecast 15% over budget (amber from 5%, red from 15%)."),
    ],
)
def test_cost_is_suggested_from_the_forecast_overrun(overrun, rag, reason):
    initiative = with_delivery(slip_ratio=0.0, slip_days=0, overrun=overrun)

    assert suggest_rag(initiative)["cost"] == {"rag": rag, "reason": reason}


@pytest.mark.parametrize("score", ["none", "uncomputed", "no plan and no budget"])
def test_schedule_and_cost_without_data_are_amber_and_say_why(score):
    # given an initiative never scored, one whose score was never computed, and one without dates or budget
    initiative = InitiativeFactory()
    if score == "uncomputed":
        scored(initiative, computed_at=None, slip_ratio=0.5, overrun=0.5)
    elif score == "no plan and no budget":
        scored(initiative, slip_ratio=None, slip_days=0, overrun=None)

    suggested = suggest_rag(initiative)

    assert suggested["schedule"] == {
        "rag": "amber",
        "reason": "No plan dates to measure the schedule against.",
    }
    assert suggested["cost"] == {"rag": "amber", "reason": "No budget to measure cost against."}


@pytest.mark.parametrize(
    ("changes", "rag", "reason"),
    [
        ([], "green", "0 scope changes in 180 days."),
        (["approved"] * 2, "green", "2 scope changes in 180 days."),
        (["approved"] * 3, "amber", "3 scope changes in 180 days."),
        (["pending"], "amber", "1 scope change in 180 days, 1 awaiting a decision."),
        (["approved"] * 4, "amber", "4 scope changes in 180 days."),
        (["approved"] * 4 + ["pending"], "red", "5 scope changes in 180 days, 1 awaiting a decision."),
        (["rejected"] * 5 + ["approved"], "green", "1 scope change in 180 days."),
    ],
)
def test_scope_is_suggested_from_the_changes_in_the_window_and_those_pending(changes, rag, reason):
    # given scope changes in the last 180 days (rejected ones do not count), and one just before the window
    initiative = InitiativeFactory()
    decider = UserFactory()
    for n, status in enumerate(changes):
        ScopeChangeFactory(
            initiative=initiative,
            date=TODAY - (180 if n == 0 else n) * DAY,
            status=status,
            approved_by=None if status == ScopeChangeStatus.PENDING else decider,
        )
    ScopeChangeFactory(
        initiative=initiative, date=TODAY - 181 * DAY, status=ScopeChangeStatus.APPROVED, approved_by=decider
    )

    assert suggest_rag(initiative)["scope"] == {"rag": rag, "reason": reason}


@pytest.mark.parametrize(
    ("statuses", "rag", "reason"),
    [
        ({}, "amber", "No KPI is named to show the benefits."),
        ({"Conversion": "no_data", "Basket": "no_data"}, "amber", "The named KPIs have no readings yet."),
        (
            {"Conversion": "on_track", "Basket": "achieved"},
            "green",
            "The named KPIs are on track or achieved.",
        ),
        (
            {"Conversion": "on_track", "Basket": "no_data"},
            "green",
            "The named KPIs are on track or achieved.",
        ),
        ({"Conversion": "on_track", "Basket": "at_risk"}, "amber", "At risk: Basket."),
        (
            {"Conversion": "off_track", "Basket": "at_risk", "NPS": "off_track"},
            "red",
            "Off track: Conversion, NPS.",
        ),
    ],
)
def test_benefits_are_suggested_from_the_status_of_the_named_kpis(statuses, rag, reason):
    # given an initiative whose contributions name KPIs with these statuses (and another initiative's off track)
    initiative = InitiativeFactory()
    for name, status in statuses.items():
        kpi = KPIFactory(name=name)
        KPIScore.objects.create(kpi=kpi, status=status)
        ContributionFactory(initiative=initiative, objective=kpi.objective, kpi=kpi)
    elsewhere = KPIFactory(name="Elsewhere")
    KPIScore.objects.create(kpi=elsewhere, status="off_track")
    ContributionFactory(kpi=elsewhere, objective=elsewhere.objective)

    assert suggest_rag(initiative)["benefits"] == {"rag": rag, "reason": reason}


def test_the_suggested_cost_comes_from_a_real_recompute():
    # given an initiative whose forecast is 20% over its 120,000 budget, recomputed by the engine
    initiative = InitiativeFactory(code="OVER-1", forecast_cost=Decimal("144000"))
    engine.recompute(today=TODAY)

    # then
    assert suggest_rag(initiative)["cost"] == {
        "rag": "red",
        "reason": "Forecast 20% over budget (amber from 5%, red from 15%).",
    }


def test_a_live_initiatives_benefits_are_suggested_from_its_plans_too():
    # given: a live initiative whose KPI is on track and whose money plan realised 7,000 of 20,000 to date
    # (2026 Q2 and Q3 ended by 21 November), and a quarter still under way
    initiative = InitiativeFactory(stage=Stage.LIVE, go_live_date=D(2026, 2, 15))
    kpi = KPIFactory(name="Conversion")
    KPIScore.objects.create(kpi=kpi, status="on_track")
    ContributionFactory(initiative=initiative, objective=kpi.objective, kpi=kpi)
    plan(
        initiative,
        "Saving",
        [((2026, 2), "10000", "3000"), ((2026, 3), "10000", "4000"), ((2026, 4), "10000", None)],
    )

    # then: 35% is below the red threshold (50%), whatever the KPI says
    assert suggest_rag(initiative)["benefits"] == {
        "rag": "red",
        "reason": "The named KPIs are on track or achieved. Benefits realised 35% of those expected to date.",
    }
