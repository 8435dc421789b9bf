"""The worklist's checks on entered data: each finds exactly the records built to trigger it and none of the
near misses, and each row says who answers for it, how many days and where to fix it (for those who may)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.paging import Tally
from core.stages import Stage
from portfolio import rationale
from portfolio.models import ObjectiveStatus
from portfolio.worklist import (
    WorklistFilters,
    contributions_without_rationale,
    kpis_without_recent_reading,
    milestones_without_forecast_update,
    objectives_without_kpi,
    run_checks,
)
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
)
from tests.portfolio.utils import days, days_ago

pytestmark = pytest.mark.django_db

EVERYTHING = WorklistFilters()


# ------------------------------------------------------------------------------------------------ rationale


def test_contributions_without_a_real_rationale_are_found_with_the_reason(initiative):
    # given: one contribution per objective, each with a different rationale
    rationales = {
        "BLANK": " \n\t  ",
        "TBD": "TBD",
        "SPACED-NA": "  n/a  ",
        "DOTS": "...",
        "SHORT": "Faster checkout",  # 15 characters, two words
        "FOURTEEN": "Fast checkouts",  # 14 characters
        "PADDED": "   " + "cuts cost" + "\n",  # 9 characters once trimmed
        "TWO-WORDS": "Checkout-rebuild accelerates-conversion",  # long, but two words
        "THREE-WORDS": "Faster checkout converts",  # near miss: 24 characters, three words
        "LONG-TBD": "TBD: the checkout KPI owner confirms in May.",  # near miss: starts with a placeholder
    }
    for code, text in rationales.items():
        ContributionFactory(initiative=initiative, objective=ObjectiveFactory(code=code), rationale=text)

    # when
    found = contributions_without_rationale(EVERYTHING)

    # then
    assert [(c.objective.code, c.reason, c.rationale_length) for c in found] == [
        ("BLANK", "blank", 0),
        ("DOTS", "placeholder", 3),
        ("FOURTEEN", "short", 14),
        ("PADDED", "short", 9),
        ("SHORT", "few words", 15),
        ("SPACED-NA", "placeholder", 3),
        ("TBD", "placeholder", 3),
        ("TWO-WORDS", "few words", 39),
    ]


@pytest.mark.parametrize(
    "placeholder",
    ["tbd", "TBA", "ToDo", "n/a", "NA", "-", "?", "...", "See above", "SAME AS ABOVE", "xxx"],
)
def test_every_placeholder_counts_as_no_rationale_whatever_its_case(initiative, placeholder):
    # given
    ContributionFactory(initiative=initiative, rationale=placeholder)

    # when
    found = contributions_without_rationale(EVERYTHING)

    # then
    assert [(c.initiative.code, c.reason) for c in found] == [("ECOM-1", "placeholder")]


AGREEMENT_CASES = [
    "   ",
    "tbd",
    " N/A ",
    "…",
    "todo",
    "Faster checkout",
    "Faster  checkout\tconverts",
    "a b c d e f g h i",
    "one-two three-four five",
    "x" * 40,
    "Shortens checkout, which the objective's KPI measures.",
    "\nLine one\nline two\n",
]


def test_the_worklist_and_the_form_share_one_definition_of_a_real_rationale(initiative):
    # given
    for n, text in enumerate(AGREEMENT_CASES):
        ContributionFactory(
            initiative=initiative, objective=ObjectiveFactory(code=f"R{n:02d}"), rationale=text
        )

    # when
    in_sql = {c.objective.code: c.reason for c in contributions_without_rationale(EVERYTHING)}
    in_python = {
        f"R{n:02d}": rationale.problem(text)
        for n, text in enumerate(AGREEMENT_CASES)
        if rationale.problem(text) is not None
    }

    # then
    assert in_sql == in_python
    assert in_python == {
        "R00": "blank",
        "R01": "placeholder",
        "R02": "placeholder",
        "R03": "placeholder",
        "R04": "placeholder",
        "R05": "few words",
        "R09": "few words",
    }


@pytest.mark.parametrize("stage", [Stage.CLOSED, Stage.CANCELLED])
def test_contributions_of_finished_initiatives_are_left_out(stage):
    # given
    ContributionFactory(initiative=InitiativeFactory(stage=stage), rationale="TBD")

    # when / then
    assert list(contributions_without_rationale(EVERYTHING)) == []


# ------------------------------------------------------------------------------------------------ objectives


def test_active_objectives_without_their_own_kpi_are_found():
    # given
    parent_theme = ObjectiveFactory(code="T1")  # exempt: its active child carries the KPIs
    ObjectiveFactory(code="O1", parent=parent_theme)  # a leaf with no KPI
    measured = ObjectiveFactory(code="O2", parent=parent_theme)
    KPIFactory(objective=measured)
    ObjectiveFactory(code="T2")  # a theme with no children and no KPI
    lonely_theme = ObjectiveFactory(code="T3")
    ObjectiveFactory(code="O3", parent=lonely_theme, status=ObjectiveStatus.RETIRED)  # retired: not checked
    ObjectiveFactory(code="T4", status=ObjectiveStatus.RETIRED)  # retired: not checked

    # when
    found = objectives_without_kpi(EVERYTHING)

    # then
    assert [o.code for o in found] == ["O1", "T2", "T3"]


def test_an_objective_with_active_sub_objectives_is_exempt_at_every_level():
    # given: theme -> objective -> sub-objective, only the sub-objective measured
    theme = ObjectiveFactory(code="T1")
    objective = ObjectiveFactory(code="O1", parent=theme)
    sub = ObjectiveFactory(code="O1.1", parent=objective)
    KPIFactory(objective=sub)

    # when / then
    assert list(objectives_without_kpi(EVERYTHING)) == []


# ------------------------------------------------------------------------------------------------ readings


def test_kpis_without_a_recent_reading_are_found_oldest_first(objective, today):
    # given
    KPIFactory(objective=objective, name="Never read")
    for name, age in [("Stale", 121), ("Very stale", 300), ("Boundary", 120), ("Almost stale", 119)]:
        ReadingFactory(kpi=KPIFactory(objective=objective, name=name), date=days(today, -age))
    refreshed = KPIFactory(objective=objective, name="Refreshed")
    ReadingFactory(kpi=refreshed, date=days(today, -400))
    ReadingFactory(kpi=refreshed, date=days(today, -10))
    KPIFactory(objective=ObjectiveFactory(code="OLD", status=ObjectiveStatus.RETIRED), name="Retired")

    # when
    found = kpis_without_recent_reading(EVERYTHING, today=today)

    # then
    assert [(k.name, k.latest_date) for k in found] == [
        ("Never read", None),
        ("Very stale", days(today, -300)),
        ("Stale", days(today, -121)),
    ]


# ------------------------------------------------------------------------------------------------ forecasts


def test_milestones_without_a_forecast_update_are_found(initiative, today):
    # given
    MilestoneFactory(initiative=initiative, name="Never forecast", baseline_date=days(today, 30))
    MilestoneFactory(
        initiative=initiative,
        name="Stale forecast",
        baseline_date=days(today, 40),
        forecast_date=days(today, 50),
        forecast_updated_at=days_ago(61),
    )
    MilestoneFactory(initiative=initiative, name="Overdue", baseline_date=days(today, -20))
    MilestoneFactory(initiative=initiative, name="Edge of horizon", baseline_date=days(today, 180))
    # near misses
    MilestoneFactory(
        initiative=initiative,
        name="Fresh forecast",
        baseline_date=days(today, 30),
        forecast_date=days(today, 45),
        forecast_updated_at=days_ago(59),
    )
    MilestoneFactory(
        initiative=initiative,
        name="Achieved",
        baseline_date=days(today, -10),
        actual_date=days(today, -12),
        forecast_updated_at=days_ago(200),
    )
    MilestoneFactory(initiative=initiative, name="Beyond horizon", baseline_date=days(today, 181))
    for stage in (Stage.PROPOSED, Stage.LIVE, Stage.CLOSED):
        MilestoneFactory(
            initiative=InitiativeFactory(stage=stage, go_live_date=days(today, -1)),
            name=f"Of a {stage} initiative",
            baseline_date=days(today, 30),
        )
    MilestoneFactory(
        initiative=InitiativeFactory(code="FIN-1", stage=Stage.APPROVED), name="Approved", baseline_date=today
    )

    # when
    found = milestones_without_forecast_update(EVERYTHING, today=today)

    # then
    assert [(m.initiative.code, m.name) for m in found] == [
        ("ECOM-1", "Overdue"),
        ("FIN-1", "Approved"),
        ("ECOM-1", "Never forecast"),
        ("ECOM-1", "Stale forecast"),
        ("ECOM-1", "Edge of horizon"),
    ]


# ------------------------------------------------------------------------------------------------ rows


def by_key(results: list[Any]) -> dict[str, Any]:
    return {result.check.key: result for result in results}


def test_rows_say_who_answers_for_them_how_many_days_and_where_to_fix(one_of_each, pmo, manager, today):
    # when
    results = by_key(run_checks(EVERYTHING, viewer=pmo, today=today))

    # then
    assert {key: result.total.count for key, result in results.items()} == {
        "rationale": 1,
        "objective-kpi": 1,
        "reading": 1,
        "sustainment": 2,
        "forecast": 2,
    }
    rows = {
        key: [(r.record.pk, r.responsible, r.days, r.fix_url) for r in res.rows]
        for key, res in results.items()
    }
    c, o, k = one_of_each["contribution"], one_of_each["objective"], one_of_each["kpi"]
    mine, theirs = one_of_each["mine"], one_of_each["theirs"]
    m, tm = one_of_each["milestone"], one_of_each["their_milestone"]
    assert rows == {
        "rationale": [(c.pk, manager, None, f"/records/contributions/{c.pk}/edit/")],
        "objective-kpi": [(o.pk, o.owner, None, f"/kpis/new/?objective={o.pk}")],
        "reading": [(k.pk, manager, 150, f"/kpis/{k.pk}/#readings")],
        "sustainment": [
            (theirs.pk, theirs.manager, -40, f"/initiatives/{theirs.pk}/sustainment-owner/"),
            (mine.pk, manager, 12, f"/initiatives/{mine.pk}/sustainment-owner/"),
        ],
        "forecast": [
            (m.pk, manager, 75, f"/records/milestones/{m.pk}/edit/"),
            (tm.pk, tm.initiative.manager, None, f"/records/milestones/{tm.pk}/edit/"),
        ],
    }
    assert rows["reading"][0][3] == reverse("portfolio:kpi-detail", args=[k.pk]) + "#readings"
    assert rows["objective-kpi"][0][3] == reverse("portfolio:kpi-create") + f"?objective={o.pk}"


def test_a_manager_gets_fix_links_only_for_the_initiatives_they_manage(one_of_each, manager, today):
    # when
    results = by_key(run_checks(EVERYTHING, viewer=manager, today=today))

    # then
    fixable = {key: [r.record.pk for r in res.rows if r.fix_url] for key, res in results.items()}
    assert fixable == {
        "rationale": [],
        "objective-kpi": [],
        "reading": [],
        "sustainment": [one_of_each["mine"].pk],
        "forecast": [one_of_each["milestone"].pk],
    }


def test_mine_keeps_the_initiatives_i_manage_and_the_objectives_i_own(one_of_each, manager, today):
    # when
    results = by_key(run_checks(WorklistFilters(responsible=manager.pk), viewer=manager, today=today))

    # then
    assert {key: [r.record.pk for r in res.rows] for key, res in results.items()} == {
        "rationale": [one_of_each["contribution"].pk],
        "objective-kpi": [],
        "reading": [one_of_each["kpi"].pk],
        "sustainment": [one_of_each["mine"].pk],
        "forecast": [one_of_each["milestone"].pk],
    }


def test_a_program_keeps_its_initiatives_records_and_the_objectives_they_serve(
    one_of_each, program, pmo, today
):
    # when
    results = by_key(run_checks(WorklistFilters(program=program.pk), viewer=pmo, today=today))

    # then: the KPI's objective is the one the program's contribution serves; O8 is served by nobody
    assert {key: [r.record.pk for r in res.rows] for key, res in results.items()} == {
        "rationale": [one_of_each["contribution"].pk],
        "objective-kpi": [],
        "reading": [one_of_each["kpi"].pk],
        "sustainment": [one_of_each["mine"].pk],
        "forecast": [one_of_each["milestone"].pk],
    }


def test_showing_one_check_still_counts_the_others(one_of_each, pmo, today):
    # when
    results = run_checks(EVERYTHING, viewer=pmo, today=today, only="forecast")

    # then
    assert [(r.check.key, r.total.count, r.shown, len(r.rows)) for r in results] == [
        ("rationale", 1, False, 0),
        ("objective-kpi", 1, False, 0),
        ("reading", 1, False, 0),
        ("sustainment", 2, False, 0),
        ("forecast", 2, True, 2),
    ]


def test_a_page_past_the_end_shows_the_last_page(initiative, pmo, today):
    # given
    for n in range(7):
        MilestoneFactory(initiative=initiative, name=f"M{n}", baseline_date=days(today, n))

    # when
    forecast = by_key(run_checks(EVERYTHING, viewer=pmo, today=today, only="forecast", limit=3, page=11))[
        "forecast"
    ]

    # then
    assert forecast.page is not None
    assert (forecast.total, forecast.page.number, [r.record.name for r in forecast.rows]) == (
        Tally(7),
        3,
        ["M6"],
    )


def test_a_check_counts_up_to_a_bound_and_says_more(initiative, pmo, today, monkeypatch):
    # given: a bound of 4 and seven milestones lacking a forecast
    monkeypatch.setattr("portfolio.worklist.COUNT_BOUND", 4)
    for n in range(7):
        MilestoneFactory(initiative=initiative, name=f"M{n}", baseline_date=days(today, n))

    # when
    overview = by_key(run_checks(EVERYTHING, viewer=pmo, today=today, limit=3))["forecast"]
    page2 = by_key(run_checks(EVERYTHING, viewer=pmo, today=today, only="forecast", limit=3, page=2))[
        "forecast"
    ]

    # then
    assert (overview.total, overview.total.short, str(overview.total), overview.more) == (
        Tally(4, capped=True),
        "4+",
        "more than 4",
        True,
    )
    assert page2.page is not None
    assert (page2.page.number, page2.page.num_pages, page2.page.has_next) == (2, None, True)
    assert [r.record.name for r in page2.rows] == ["M3", "M4", "M5"]
