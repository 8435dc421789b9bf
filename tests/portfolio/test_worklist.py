"""The data-quality worklist: each check finds exactly the records built to trigger it and none of the near
misses; the page links each row to the form that fixes it (for those who may edit), filters by check, program
and "mine", answers htmx with the results only, refuses bad filters with 400, and keeps its query count flat."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import ObjectiveStatus, Stage
from portfolio.worklist import (
    CHECKS,
    WorklistFilters,
    contributions_without_rationale,
    initiatives_without_sustainment_owner,
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
    UserFactory,
)

pytestmark = pytest.mark.django_db

WORKLIST = "/worklist/"
EVERYTHING = WorklistFilters()


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def days(today: datetime.date, n: int) -> datetime.date:
    return today + datetime.timedelta(days=n)


def hours_ago(n_days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n_days)


# ------------------------------------------------------------------------------------------------ rationale


def test_contributions_without_a_real_rationale_are_found_with_the_reason(initiative):
    # given: one contribution per objective, each with a different rationale
    rationales = {
        "BLANK": " \n\t  ",
        "TBD": "TBD",
        "SPACED-NA": "  n/a  ",
        "SHORT": "Faster checkout.",  # 16 characters
        "NINETEEN": "x" * 19,
        "PADDED": "   " + "y" * 19 + "\n",  # 19 characters once trimmed
        "TWENTY": "z" * 20,  # near miss: exactly long enough
        "LONG-TBD": "TBD: the checkout KPI owner confirms in May.",  # near miss: starts with a placeholder
    }
    for code, rationale in rationales.items():
        ContributionFactory(initiative=initiative, objective=ObjectiveFactory(code=code), rationale=rationale)

    # when
    found = contributions_without_rationale(EVERYTHING)

    # then
    assert [(c.objective.code, c.reason, c.rationale_length) for c in found] == [
        ("BLANK", "blank", 0),
        ("NINETEEN", "short", 19),
        ("PADDED", "short", 19),
        ("SHORT", "short", 16),
        ("SPACED-NA", "placeholder", 3),
        ("TBD", "placeholder", 3),
    ]


@pytest.mark.parametrize(
    "placeholder",
    ["tbd", "TBA", "ToDo", "n/a", "NA", "-", "?", "See above", "SAME AS ABOVE", "xxx"],
)
def test_every_placeholder_counts_as_no_rationale_whatever_its_case(initiative, placeholder):
    # given
    ContributionFactory(initiative=initiative, rationale=placeholder)

    # when
    found = contributions_without_rationale(EVERYTHING)

    # then
    assert [(c.initiative.code, c.reason) for c in found] == [("ECOM-1", "placeholder")]


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


# ------------------------------------------------------------------------------------------------ sustainment


def test_initiatives_near_go_live_without_a_sustainment_owner_are_found(today, manager):
    # given
    owner = UserFactory()
    rows: dict[str, dict[str, Any]] = {
        "LIVE": {"stage": Stage.LIVE, "go_live_date": days(today, -100)},
        "SOON": {"stage": Stage.IN_DELIVERY, "go_live_date": days(today, 60)},
        "OVERDUE": {"stage": Stage.IN_DELIVERY, "go_live_date": days(today, -5)},
        "IDEA-SOON": {"stage": Stage.IDEA, "go_live_date": days(today, 3), "sponsor": None},
        "LATER": {"stage": Stage.IN_DELIVERY, "go_live_date": days(today, 61)},  # near miss
        "OWNED": {"stage": Stage.IN_DELIVERY, "go_live_date": days(today, 10), "sustainment_owner": owner},
        "CLOSED": {"stage": Stage.CLOSED, "go_live_date": days(today, -30)},
        "UNDATED": {"stage": Stage.APPROVED, "go_live_date": None},
    }
    for code, values in rows.items():
        InitiativeFactory(code=code, manager=manager, **values)

    # when
    found = initiatives_without_sustainment_owner(EVERYTHING, today=today)

    # then
    assert [(i.code, i.go_live_date) for i in found] == [
        ("LIVE", days(today, -100)),
        ("OVERDUE", days(today, -5)),
        ("IDEA-SOON", days(today, 3)),
        ("SOON", days(today, 60)),
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
        forecast_updated_at=hours_ago(61),
    )
    MilestoneFactory(initiative=initiative, name="Overdue", baseline_date=days(today, -20))
    MilestoneFactory(initiative=initiative, name="Edge of horizon", baseline_date=days(today, 180))
    # near misses
    MilestoneFactory(
        initiative=initiative,
        name="Fresh forecast",
        baseline_date=days(today, 30),
        forecast_date=days(today, 45),
        forecast_updated_at=hours_ago(59),
    )
    MilestoneFactory(
        initiative=initiative,
        name="Achieved",
        baseline_date=days(today, -10),
        actual_date=days(today, -12),
        forecast_updated_at=hours_ago(200),
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


@pytest.fixture
def one_of_each(today, manager, other_manager, program) -> dict[str, Any]:
    """One record failing each check, managed or owned by the manager persona, plus one of another manager."""
    owner_objective = ObjectiveFactory(code="O9", title="Cut cost to serve", owner=manager)
    mine = InitiativeFactory(
        code="ECOM-1", manager=manager, program=program, stage=Stage.IN_DELIVERY, go_live_date=days(today, 12)
    )
    theirs = InitiativeFactory(
        code="FIN-1", manager=other_manager, stage=Stage.LIVE, go_live_date=days(today, -40)
    )
    kpi = KPIFactory(objective=owner_objective, name="Cost per order")
    ReadingFactory(kpi=kpi, date=days(today, -150))
    return {
        "contribution": ContributionFactory(initiative=mine, objective=owner_objective, rationale="tbd"),
        "objective": ObjectiveFactory(code="O8", title="Delight staff", owner=other_manager),
        "kpi": kpi,
        "mine": mine,
        "theirs": theirs,
        "milestone": MilestoneFactory(
            initiative=mine, name="Pilot", baseline_date=days(today, 5), forecast_updated_at=hours_ago(75)
        ),
        "their_milestone": MilestoneFactory(
            initiative=InitiativeFactory(code="FIN-2", manager=other_manager, stage=Stage.APPROVED),
            name="Design",
            baseline_date=days(today, 20),
        ),
    }


def by_key(results: list[Any]) -> dict[str, Any]:
    return {result.check.key: result for result in results}


def test_rows_say_who_answers_for_them_how_many_days_and_where_to_fix(one_of_each, pmo, manager, today):
    # when
    results = by_key(run_checks(EVERYTHING, viewer=pmo, today=today))

    # then
    assert {key: result.total for key, result in results.items()} == {
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
            (theirs.pk, theirs.manager, -40, f"/initiatives/{theirs.pk}/edit/"),
            (mine.pk, manager, 12, f"/initiatives/{mine.pk}/edit/"),
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
    assert [(r.check.key, r.total, r.shown, len(r.rows)) for r in results] == [
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
    forecast = by_key(run_checks(EVERYTHING, viewer=pmo, today=today, only="forecast", limit=3, offset=30))[
        "forecast"
    ]

    # then
    assert (forecast.total, forecast.offset, [r.record.name for r in forecast.rows]) == (7, 6, ["M6"])


# ------------------------------------------------------------------------------------------------ the page


FIX_LINK = re.compile(r'<a class="btn btn-sm btn-outline-primary dq-fix" href="([^"]+)">([^<]+)</a>')
TILE = re.compile(
    r'<span class="dq-tile-label">([^<]+)</span>\s*<span class="dq-tile-value">(\d+)</span>\s*(?:<span class="([^"]+)")?'
)


def fix_links(response: Any) -> list[tuple[str, str]]:
    return FIX_LINK.findall(response.content.decode())


def tiles(response: Any) -> list[tuple[str, int, bool]]:
    """(check title, count, says "All clear") of each summary tile."""
    return [
        (title, int(count), "text-bg-success" in (after or ""))
        for title, count, after in TILE.findall(response.content.decode())
    ]


def sections(response: Any) -> list[str]:
    return re.findall(r'<section class="card dq-check mb-3" id="check-([a-z-]+)"', response.content.decode())


def alert(response: Any) -> str:
    match = re.search(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    assert match is not None, "no error alert on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def test_the_pmo_sees_every_check_with_a_link_to_the_form_that_fixes_each_row(client, pmo, one_of_each):
    # given
    client.force_login(pmo)
    c, o, k = one_of_each["contribution"], one_of_each["objective"], one_of_each["kpi"]
    mine, theirs = one_of_each["mine"], one_of_each["theirs"]
    m, tm = one_of_each["milestone"], one_of_each["their_milestone"]

    # when
    response = client.get(WORKLIST)

    # then
    assert response.status_code == 200
    assert sections(response) == ["rationale", "objective-kpi", "reading", "sustainment", "forecast"]
    assert fix_links(response) == [
        (reverse("portfolio:record-edit", args=["contributions", c.pk]), "Edit the rationale"),
        (reverse("portfolio:kpi-create") + f"?objective={o.pk}", "Add a KPI"),
        (reverse("portfolio:kpi-detail", args=[k.pk]) + "#readings", "Enter a reading"),
        (reverse("portfolio:initiative-edit", args=[theirs.pk]), "Name the owner"),
        (reverse("portfolio:initiative-edit", args=[mine.pk]), "Name the owner"),
        (reverse("portfolio:record-edit", args=["milestones", m.pk]), "Update the forecast"),
        (reverse("portfolio:record-edit", args=["milestones", tm.pk]), "Update the forecast"),
    ]
    assert "No reading at all, or none in the last 120 days." in response.content.decode()


def test_a_steering_member_sees_the_rows_but_no_fix_links(client, steering_member, one_of_each):
    # given
    client.force_login(steering_member)

    # when
    response = client.get(WORKLIST)

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert fix_links(response) == []
    assert "/edit/" not in html
    assert "#readings" not in html
    assert "/kpis/new/" not in html
    assert [count for _title, count, _clear in tiles(response)] == [1, 1, 1, 2, 2]
    for record in (one_of_each["mine"], one_of_each["theirs"]):
        assert f'href="/initiatives/{record.pk}/"' in html
    assert f'href="/kpis/{one_of_each["kpi"].pk}/"' in html


def test_the_summary_counts_each_check_and_says_all_clear_for_zero(client, pmo, initiative, today):
    # given: only a stale milestone
    client.force_login(pmo)
    MilestoneFactory(initiative=initiative, name="Pilot", baseline_date=days(today, 5))

    # when
    response = client.get(WORKLIST, {"mine": "", "check": ""})

    # then
    assert tiles(response) == [
        ("Contributions without a real rationale", 0, True),
        ("Active objectives without a KPI", 0, True),
        ("KPIs without a recent reading", 0, True),
        ("Missing sustainment owner before go-live", 0, True),
        ("Milestones without a forecast update", 1, False),
    ]
    html = response.content.decode()
    for check in CHECKS:
        assert f'href="?check={check.key}" hx-get="?check={check.key}"' in html


def test_a_summary_link_keeps_the_program_and_mine_filters(client, pmo, program):
    # given
    client.force_login(pmo)

    # when
    response = client.get(WORKLIST, {"program": program.pk, "mine": "1"})

    # then
    assert f'href="?check=reading&amp;program={program.pk}&amp;mine=1"' in response.content.decode()


def test_filtering_by_check_shows_that_check_alone(client, pmo, one_of_each):
    # given
    client.force_login(pmo)

    # when
    response = client.get(WORKLIST, {"check": "sustainment"})

    # then
    assert response.status_code == 200
    assert sections(response) == ["sustainment"]
    assert [label for _href, label in fix_links(response)] == ["Name the owner", "Name the owner"]
    assert [count for _title, count, _clear in tiles(response)] == [1, 1, 1, 2, 2]
    assert '<option value="sustainment" selected>' in response.content.decode()


def test_mine_on_the_page_keeps_only_my_rows(client, manager, one_of_each):
    # given
    client.force_login(manager)

    # when
    response = client.get(WORKLIST, {"mine": "1"})

    # then
    assert [count for _title, count, _clear in tiles(response)] == [1, 0, 1, 1, 1]
    assert fix_links(response) == [
        (reverse("portfolio:initiative-edit", args=[one_of_each["mine"].pk]), "Name the owner"),
        (
            reverse("portfolio:record-edit", args=["milestones", one_of_each["milestone"].pk]),
            "Update the forecast",
        ),
    ]
    assert "FIN-1" not in response.content.decode()


def test_the_page_answers_htmx_with_the_results_and_the_check_filter_only(client, pmo, one_of_each):
    # when
    client.force_login(pmo)
    fragment = client.get(WORKLIST, {"check": "forecast"}, HTTP_HX_REQUEST="true")
    page = client.get(WORKLIST, {"check": "forecast"})

    # then
    assert fragment.status_code == page.status_code == 200
    assert fix_links(fragment) == fix_links(page)
    assert len(fix_links(page)) == 2
    assert tiles(fragment) == tiles(page)
    fragment_html, page_html = fragment.content.decode(), page.content.decode()
    assert "<html" not in fragment_html
    assert 'id="worklist-filters"' not in fragment_html
    assert 'id="check-filter" hx-swap-oob="true"' in fragment_html
    assert "<html" in page_html
    assert 'id="worklist-filters"' in page_html
    assert "hx-swap-oob" not in page_html
    assert "HX-Request" in vary(fragment)
    assert "HX-Request" in vary(page)


def test_the_back_button_gets_the_whole_page_when_htmx_restores_it_from_history(client, pmo, one_of_each):
    # when: htmx keeps no history cache, so going back asks the server for the page again
    client.force_login(pmo)
    response = client.get(
        WORKLIST, {"check": "forecast"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'id="worklist-filters"' in html
    assert "hx-swap-oob" not in html
    assert html.count('id="check-filter"') == 1
    assert len(fix_links(response)) == 2


def test_a_single_check_pages_through_all_its_rows(client, pmo, initiative, today):
    # given
    client.force_login(pmo)
    for n in range(55):
        MilestoneFactory(initiative=initiative, name=f"M{n:02d}", baseline_date=days(today, n))

    # when
    first = client.get(WORKLIST, {"check": "forecast"})
    second = client.get(WORKLIST, {"check": "forecast", "page": "2"})
    overview = client.get(WORKLIST)

    # then
    assert len(fix_links(first)) == 50
    assert len(fix_links(second)) == 5
    assert '<span class="page-link">2 / 2</span>' in second.content.decode()
    assert len(fix_links(overview)) == 20
    assert "Showing the first 20 of 55." in overview.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"check": "bogus"}, "Check: Select a valid choice. bogus is not one of the available choices."),
        (
            {"program": "-1"},
            "Program: Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"program": "abc"},
            "Program: Select a valid choice. That choice is not one of the available choices.",
        ),
        ({"mine": "yes"}, "Responsible: Select a valid choice. yes is not one of the available choices."),
        ({"page": "0"}, "Page: Ensure this value is greater than or equal to 1."),
        ({"page": "x"}, "Page: Enter a whole number."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_filters_get_400_and_say_why(client, pmo, one_of_each, params, message, htmx):
    # given
    client.force_login(pmo)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    # when
    response = client.get(WORKLIST, params, **headers)

    # then
    assert response.status_code == 400
    assert alert(response) == f"These filters could not be applied. {message}"
    assert fix_links(response) == []
    assert ("<html" in response.content.decode()) is not htmx
    assert "HX-Request" in vary(response)


def test_everyone_with_a_role_may_view_the_worklist(client, executive, manager, steering_member, admin_user):
    for user in (executive, manager, steering_member, admin_user):
        client.force_login(user)
        assert client.get(WORKLIST).status_code == 200


def test_the_worklist_is_closed_to_outsiders_and_anonymous_visitors(client, outsider):
    # when
    anonymous = client.get(WORKLIST)
    client.force_login(outsider)
    roleless = client.get(WORKLIST)

    # then
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert roleless.status_code == 403


def test_the_navigation_links_to_the_worklist(client, pmo):
    # when
    client.force_login(pmo)
    html = client.get(WORKLIST).content.decode()

    # then
    assert '<a class="nav-link active" href="/worklist/">Data quality</a>' in html


# ------------------------------------------------------------------------------------------------ queries


def _grow(start: int, stop: int, today: datetime.date, manager: Any, program: Any) -> None:
    """Records that fail every check, `stop - start` of each, all managed by the manager persona."""
    for n in range(start, stop):
        initiative = InitiativeFactory(
            code=f"Q-{n:03d}",
            manager=manager,
            program=program,
            stage=Stage.IN_DELIVERY,
            go_live_date=days(today, 9),
        )
        objective = ObjectiveFactory(code=f"QO-{n:03d}", owner=manager)
        kpi = KPIFactory(objective=ObjectiveFactory(code=f"QK-{n:03d}", owner=manager))
        ReadingFactory(kpi=kpi, date=days(today, -200))
        ContributionFactory(initiative=initiative, objective=objective, rationale="n/a")
        MilestoneFactory(initiative=initiative, name="Go-live", baseline_date=days(today, 9))


def _count(client: Any, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(WORKLIST, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"check": "forecast"}, {"mine": "1", "program": "PROGRAM"}],
    ids=["all", "one-check", "mine-program"],
)
def test_query_count_does_not_grow_with_the_data(
    client, manager, program, today, params, django_assert_max_num_queries
):
    # given
    params = {key: str(program.pk) if value == "PROGRAM" else value for key, value in params.items()}
    client.force_login(manager)
    _grow(0, 3, today, manager, program)
    small = _count(client, params)

    # when
    _grow(3, 60, today, manager, program)
    large = _count(client, params)

    # then
    assert small == large
    with django_assert_max_num_queries(10):
        client.get(WORKLIST, params)
