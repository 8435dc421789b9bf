"""The figures a review freezes: the portfolio's facts, spend, milestones and pending scope changes, the engine's
scores, tier, signals (the worst first) and named KPIs; as of a past day; in a fixed number of queries; the
milestones' state and slip; and what changed between two sets of figures, in words."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import InitiativeScore, KPIScore
from portfolio.models import BusinessCase, Contribution, Initiative
from portfolio.sections import MilestoneState
from steering.figures import FigureChange, figure_changes, milestone_rows
from steering.services import figures_digest, initiative_figures
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ScopeChangeFactory,
    UserFactory,
)
from tests.steering.utils import COMPUTED_AT, D, scored, signal

ENGINE_KEYS = ("scores", "tier", "scores_as_of", "signals", "kpis")


def engine_part(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: figures[key] for key in ENGINE_KEYS}


@pytest.fixture
def built(db) -> Initiative:
    """ECOM-1 scored, with an amber and a red signal, and three KPIs named by its contributions (one twice,
    one never computed); a contribution without a KPI and another initiative's signal are left out."""
    objective = ObjectiveFactory(code="OBJ-A", title="Raise online conversion")
    initiative = InitiativeFactory(code="ECOM-1", title="Checkout rebuild")
    scored(initiative, alignment=61.26, fit=66.66667, outcome=None, delivery=80.04, governance=55.57, tier=1)
    signal(initiative, "sponsor_absent", severity="amber")
    signal(initiative, "cost_overrun")
    signal(InitiativeFactory(code="OTHER-1"), "orphan")
    conversion = KPIFactory(
        objective=objective,
        name="Conversion rate",
        unit="%",
        baseline_value=Decimal("2.1"),
        target_value=Decimal("3.5"),
        target_date=D(2027, 6, 30),
    )
    KPIScore.objects.create(
        kpi=conversion,
        status="on_track",
        latest_value=2.94,
        latest_date=D(2026, 9, 30),
        forecast_value=3.4567,
        computed_at=COMPUTED_AT,
    )
    basket = KPIFactory(
        objective=objective,
        name="Average basket",
        unit="EUR",
        baseline_value=Decimal("40"),
        target_value=Decimal("48"),
        target_date=D(2027, 12, 31),
    )
    KPIScore.objects.create(kpi=basket, status="off_track", latest_value=41.0, latest_date=D(2026, 10, 31))
    uncomputed = KPIFactory(
        objective=objective,
        name="Repeat rate",
        unit="%",
        target_value=Decimal("30"),
        target_date=D(2027, 3, 31),
    )
    ContributionFactory(initiative=initiative, objective=objective, kpi=conversion)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=conversion)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=basket)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=uncomputed)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=None)
    return initiative


def test_the_engines_part_is_rounded_scores_tier_signals_worst_first_and_named_kpis(built):
    # when
    frozen = initiative_figures([built])[built.pk]

    # then: scores to one decimal, its tier, its own signals red before amber, each named KPI once, by name
    conversion, basket, repeat = (
        KPIScore.objects.get(kpi__name="Conversion rate").kpi_id,
        KPIScore.objects.get(kpi__name="Average basket").kpi_id,
        Initiative.objects.get(pk=built.pk).contributions.get(kpi__name="Repeat rate").kpi_id,
    )
    assert engine_part(frozen) == {
        "scores": {"alignment": 61.3, "fit": 66.7, "outcome": None, "delivery": 80.0, "governance": 55.6},
        "tier": 1,
        "scores_as_of": "2026-11-01T06:30:00+00:00",
        "signals": [
            {"rule": "cost_overrun", "severity": "red", "message": "ECOM-1: cost overrun"},
            {"rule": "sponsor_absent", "severity": "amber", "message": "ECOM-1: sponsor absent"},
        ],
        "kpis": [
            {
                "id": basket,
                "name": "Average basket",
                "unit": "EUR",
                "target": 48.0,
                "target_date": "2027-12-31",
                "status": "Off track",
                "latest": 41.0,
                "latest_date": "2026-10-31",
                "forecast": None,
            },
            {
                "id": conversion,
                "name": "Conversion rate",
                "unit": "%",
                "target": 3.5,
                "target_date": "2027-06-30",
                "status": "On track",
                "latest": 2.94,
                "latest_date": "2026-09-30",
                "forecast": 3.5,
            },
            {
                "id": repeat,
                "name": "Repeat rate",
                "unit": "%",
                "target": 30.0,
                "target_date": "2027-03-31",
                "status": "No data",
                "latest": None,
                "latest_date": None,
                "forecast": None,
            },
        ],
    }


def test_an_initiative_never_scored_freezes_empty_scores(db):
    # given an initiative the engine has not computed yet (a row marked stale, never computed), and one without
    never = InitiativeFactory()
    InitiativeScore.objects.create(initiative=never, computed_at=None, tier=2)
    without = InitiativeFactory()

    # when
    frozen = initiative_figures([never, without])

    # then
    empty: dict[str, Any] = {"scores": {}, "tier": None, "scores_as_of": None, "signals": [], "kpis": []}
    assert (engine_part(frozen[never.pk]), engine_part(frozen[without.pk])) == (empty, empty)


@pytest.mark.django_db
def test_the_figures_hold_the_portfolios_facts_as_json(initiative, pmo):
    # given
    Initiative.objects.filter(pk=initiative.pk).update(
        forecast_cost=Decimal("130000.50"),
        stage_since=D(2026, 1, 15),
    )
    BusinessCase.objects.create(
        initiative=initiative, first_year=2026, npv=Decimal("40000.25"), roi=Decimal("0.512195")
    )
    MilestoneFactory(
        initiative=initiative, name="Go-live", baseline_date=D(2026, 9, 30), forecast_date=D(2026, 10, 30)
    )
    MilestoneFactory(
        initiative=initiative, name="Design", baseline_date=D(2026, 3, 31), actual_date=D(2026, 4, 2)
    )
    pending = ScopeChangeFactory(
        initiative=initiative, status="pending", rationale="", cost_impact=Decimal("5000")
    )
    ScopeChangeFactory(initiative=initiative, status="approved", approved_by=pmo)

    # when
    frozen = initiative_figures([Initiative.objects.get(pk=initiative.pk)])[initiative.pk]

    # then
    assert json.loads(json.dumps(frozen)) == frozen
    assert frozen == {
        "as_of": "2026-11-21",
        "initiative": {
            "code": "ECOM-1",
            "title": "Checkout rebuild",
            "stage": "in_delivery",
            "stage_label": "In delivery",
            "stage_since": "2026-01-15",
            "sponsor": "Erin Executive",
            "manager": "Mo Manager",
            "planned_start": "2026-01-01",
            "planned_end": "2026-12-31",
            "actual_start": "2026-01-15",
            "actual_end": None,
            "go_live_date": None,
        },
        "spend": {
            "budget": 120000,
            "actual_cost": 50000,
            "forecast_cost": 130000.5,
            "variance": 10000.5,
            "spent_pct": 41.7,
            "npv": 40000.25,
            "roi_pct": 51.2,
        },
        "milestones": [
            {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": "2026-04-02"},
            {"name": "Go-live", "baseline": "2026-09-30", "forecast": "2026-10-30", "actual": None},
        ],
        "scope_changes": {
            "pending": 1,
            "pending_cost": 5000,
            "pending_days": 10,
            "items": [
                {
                    "id": pending.pk,
                    "date": "2026-03-01",
                    "description": "Add gift cards to checkout.",
                    "rationale": "",
                    "cost_impact": 5000,
                    "schedule_impact_days": 10,
                }
            ],
        },
        "scores": {},
        "tier": None,
        "scores_as_of": None,
        "signals": [],
        "kpis": [],
    }


@pytest.mark.django_db
def test_figures_of_a_past_day_read_the_entered_data_as_its_dates_tell_it_then(initiative):
    # given: a milestone achieved after 1 August, a scope change logged after it, one before; engine computed
    scored(initiative, tier=2)
    MilestoneFactory(
        initiative=initiative, name="Pilot", baseline_date=D(2026, 7, 1), actual_date=D(2026, 8, 15)
    )
    MilestoneFactory(
        initiative=initiative, name="Design", baseline_date=D(2026, 3, 1), actual_date=D(2026, 3, 3)
    )
    ScopeChangeFactory(initiative=initiative, status="pending", date=D(2026, 9, 1), description="Later")
    ScopeChangeFactory(initiative=initiative, status="pending", date=D(2026, 7, 20), description="Earlier")

    # when
    frozen = initiative_figures([initiative], as_of=D(2026, 8, 1))[initiative.pk]

    # then
    assert frozen["as_of"] == "2026-08-01"
    assert frozen["scores_as_of"] == "2026-08-01"
    assert frozen["milestones"] == [
        {"name": "Design", "baseline": "2026-03-01", "forecast": None, "actual": "2026-03-03"},
        {"name": "Pilot", "baseline": "2026-07-01", "forecast": None, "actual": None},
    ]
    assert [item["description"] for item in frozen["scope_changes"]["items"]] == ["Earlier"]


def portfolio_of(size: int) -> list[Initiative]:
    """`size` scored initiatives, each with two signals, two named KPIs, a milestone and a pending change."""
    ids = []
    for n in range(size):
        initiative = InitiativeFactory(manager=UserFactory())
        scored(initiative, alignment=40.0 + n, tier=1 + n % 3)
        signal(initiative, "cost_overrun")
        signal(initiative, "orphan", severity="amber")
        MilestoneFactory(initiative=initiative, name="Pilot")
        ScopeChangeFactory(initiative=initiative, status="pending")
        for name in ("Conversion", "Basket"):
            kpi = KPIFactory(name=f"{name} {n}")
            KPIScore.objects.create(kpi=kpi, status="at_risk", latest_value=12.0, latest_date=D(2026, 9, 30))
            ContributionFactory(initiative=initiative, objective=kpi.objective, kpi=kpi)
        ids.append(initiative.pk)
    return list(Initiative.objects.filter(pk__in=ids).select_related("sponsor", "manager").order_by("pk"))


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 10])
def test_the_figures_of_many_initiatives_take_six_queries_and_equal_them_one_by_one(size):
    # given a portfolio of 2 or 10 scored initiatives
    initiatives = portfolio_of(size)

    # when
    with CaptureQueriesContext(connection) as queries:
        frozen = initiative_figures(initiatives)

    # then: milestones, scope changes, business cases, scores, signals, and the named KPIs with their
    # statuses: six queries
    assert len(queries) == 6
    assert list(frozen) == [initiative.pk for initiative in initiatives]
    assert {pk: frozen[pk]["tier"] for pk in frozen} == {i.pk: 1 + n % 3 for n, i in enumerate(initiatives)}
    for initiative in initiatives:
        assert frozen[initiative.pk] == initiative_figures([initiative])[initiative.pk]


def test_the_milestones_of_figures_carry_their_state_and_slip_as_of_the_figures_day():
    # given figures of 1 October 2026
    figures = {
        "as_of": "2026-10-01",
        "milestones": [
            {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": "2026-04-02"},
            {"name": "Pilot", "baseline": "2026-06-30", "forecast": "2026-07-15", "actual": None},
            {"name": "Roll-out", "baseline": "2026-11-30", "forecast": "2026-12-30", "actual": None},
            {"name": "Launch", "baseline": "2026-12-15", "forecast": None, "actual": None},
            {"name": "Undated", "baseline": None},
        ],
    }

    # then
    assert [(row["name"], row["state"]) for row in milestone_rows(figures)] == [
        ("Design", MilestoneState("Done 2 days late", "warning", 2)),
        ("Pilot", MilestoneState("Overdue since 2026-07-15", "danger", 93)),
        ("Roll-out", MilestoneState("Slipping 30 days", "warning", 30)),
        ("Launch", MilestoneState("On plan", "secondary", 0)),
        ("Undated", None),
    ]


# ------------------------------------------------------------------------------------------------ changes

BEFORE = {
    "as_of": "2026-09-01",
    "initiative": {
        "code": "ECOM-1",
        "stage": "approved",
        "stage_label": "Approved",
        "planned_end": "2026-12-31",
    },
    "spend": {
        "budget": 120000,
        "actual_cost": 10000,
        "forecast_cost": 120000,
        "variance": 0,
        "spent_pct": 8.3,
    },
    "milestones": [
        {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": None},
        {"name": "Pilot", "baseline": "2026-06-30", "forecast": "2026-07-15", "actual": None},
        {"name": "Dropped", "baseline": "2026-08-01", "forecast": None, "actual": None},
    ],
    "scope_changes": {"pending": 0, "pending_cost": 0, "pending_days": 0, "items": []},
    "scores": {"alignment": 62.0, "fit": 70},
    "tier": 2,
    "scores_as_of": "2026-09-01T02:00:00",
    "signals": [
        {"rule": "schedule_slip", "severity": "amber", "message": "Late by 15 days."},
        {"rule": "orphan", "severity": "red", "message": "No objective."},
    ],
    "kpis": [{"id": 4, "name": "Conversion", "status": "On track", "latest": 2.1, "unit": "%"}],
    "vendor": {"name": "Acme"},
}
AFTER = {
    "as_of": "2026-10-01",
    "initiative": {
        "code": "ECOM-1",
        "stage": "in_delivery",
        "stage_label": "In delivery",
        "planned_end": "2027-01-31",
    },
    "spend": {
        "budget": 120000,
        "actual_cost": 60000,
        "forecast_cost": 135000.5,
        "variance": 15000.5,
        "spent_pct": 50.0,
    },
    "milestones": [
        {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": "2026-04-02"},
        {"name": "Pilot", "baseline": "2026-06-30", "forecast": "2026-07-05", "actual": None},
        {"name": "Roll-out", "baseline": "2026-11-30", "forecast": None, "actual": None},
    ],
    "scope_changes": {
        "pending": 2,
        "pending_cost": 5000,
        "pending_days": 10,
        "items": [{"date": "2026-09-20"}],
    },
    "scores": {"alignment": 55.5, "fit": 70},
    "tier": 1,
    "scores_as_of": "2026-10-01T02:00:00",
    "signals": [
        {"rule": "schedule_slip", "severity": "red", "message": "Late by 35 days."},
        {"rule": "cost_overrun", "severity": "amber", "message": "13% over budget."},
    ],
    "kpis": [{"id": 4, "name": "Conversion", "status": "Off track", "latest": 1.8, "unit": "%"}],
    "vendor": {"name": "Bolt"},
}


def test_figure_changes_say_what_moved_in_words():
    # when
    changes = figure_changes(BEFORE, AFTER)

    # then
    assert changes == [
        FigureChange("initiative", "Stage: Approved → In delivery"),
        FigureChange("initiative", "Planned end: 2026-12-31 → 2027-01-31 (31 days later)", "bad"),
        FigureChange("spend", "Actual cost: €10,000 → €60,000 (+€50,000)"),
        FigureChange("spend", "Forecast cost: €120,000 → €135,000 (+€15,000)", "bad"),
        FigureChange("milestones", "Milestone “Design” done on 2026-04-02", "good"),
        FigureChange("milestones", "Milestone “Pilot” forecast: 2026-07-15 → 2026-07-05 (10 days earlier)"),
        FigureChange("milestones", "Milestone “Roll-out” added"),
        FigureChange("milestones", "Milestone “Dropped” removed"),
        FigureChange("scope_changes", "Pending scope changes: 0 → 2 (+2)", "bad"),
        FigureChange("scope_changes", "Cost of pending scope changes: €0 → €5,000 (+€5,000)", "bad"),
        FigureChange("scope_changes", "Days added by pending scope changes: 0 → 10 (+10)", "bad"),
        FigureChange("scores", "Alignment: 62 → 55.5 (−6.5)", "bad"),
        FigureChange("tier", "Tier: 2 → 1"),
        FigureChange("signals", "Signal now red (was amber): Late by 35 days.", "bad"),
        FigureChange("signals", "New signal (amber): 13% over budget.", "bad"),
        FigureChange("signals", "Signal cleared: No objective.", "good"),
        FigureChange("kpis", "KPI “Conversion”: On track → Off track", "bad"),
        FigureChange("kpis", "KPI “Conversion” latest: 2.1 % → 1.8 % (−0.3)"),
        FigureChange("vendor", "Vendor name: Acme → Bolt"),
    ]


def _reversed(value: Any) -> Any:
    """The same JSON with every object's keys in reverse order, as a database may hand them back."""
    if isinstance(value, dict):
        return {key: _reversed(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    return value


def test_figure_changes_keep_their_order_whatever_order_the_keys_are_stored_in():
    # given figures read back with their keys in another order (PostgreSQL's jsonb orders keys by length)
    before, after = _reversed(BEFORE), _reversed(AFTER)

    # then the changes are told in the same order
    assert figure_changes(before, after) == figure_changes(BEFORE, AFTER)
    assert [str(change) for change in figure_changes(before, after)][:3] == [
        "Stage: Approved → In delivery",
        "Planned end: 2026-12-31 → 2027-01-31 (31 days later)",
        "Actual cost: €10,000 → €60,000 (+€50,000)",
    ]


def test_a_signal_easing_from_red_to_amber_is_better():
    # when
    changes = figure_changes(
        {"signals": [{"rule": "slip", "severity": "red", "message": "Late."}]},
        {"signals": [{"rule": "slip", "severity": "amber", "message": "Late."}]},
    )

    # then
    assert changes == [FigureChange("signals", "Signal now amber (was red): Late.", "good")]


def test_identical_figures_or_new_time_stamps_change_nothing():
    # given
    later = {**BEFORE, "as_of": "2026-09-30", "scores_as_of": "2026-09-30T02:00:00"}

    # then
    assert figure_changes(BEFORE, BEFORE) == []
    assert figure_changes(BEFORE, later) == []
    assert figures_digest(BEFORE, {}) == figures_digest(later, {})
    assert figures_digest(BEFORE, {}) != figures_digest(AFTER, {})


def test_figure_changes_read_keys_that_appear_or_disappear():
    # when
    changes = figure_changes({"signals": [], "flags": ["a"]}, {"signals": [{"rule": "x", "severity": "red"}]})

    # then
    assert [str(change) for change in changes] == ["New signal (red): x", "Flags: removed a"]


@pytest.mark.django_db
def test_the_figures_take_the_same_queries_whether_or_not_a_kpi_is_named():
    # given: two initiatives whose contributions name no KPI, and two whose do
    plain = portfolio_of(2)
    Contribution.objects.filter(initiative__in=plain).update(kpi=None, expected_change=None)
    named = portfolio_of(2)

    # when
    with CaptureQueriesContext(connection) as without_kpis:
        initiative_figures(plain)
    with CaptureQueriesContext(connection) as with_kpis:
        figures = initiative_figures(named)

    # then
    assert len(without_kpis) == len(with_kpis) == 6
    assert all(figures[i.pk]["kpis"] for i in named)
