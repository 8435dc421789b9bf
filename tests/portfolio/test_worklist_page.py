"""The worklist page: every check with its count and rows, fix links for those who may edit, filters by check,
program and "mine", htmx answered with the results only, bad filters refused with 400, a flat query count."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.extensions import registry
from core.stages import Stage
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
)
from tests.portfolio.utils import days

pytestmark = pytest.mark.django_db

WORKLIST = "/worklist/"


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
    back = "next=%2Fworklist%2F"  # every fix returns to the worklist as it was
    assert fix_links(response) == [
        (f"/records/contributions/{c.pk}/edit/?{back}", "Edit the rationale"),
        (f"/kpis/new/?objective={o.pk}&amp;{back}", "Add a KPI"),
        (f"/kpis/{k.pk}/?{back}#readings", "Enter a reading"),
        (f"/initiatives/{theirs.pk}/sustainment-owner/?{back}", "Name the owner"),
        (f"/initiatives/{mine.pk}/sustainment-owner/?{back}", "Name the owner"),
        (f"/records/milestones/{m.pk}/edit/?{back}", "Update the forecast"),
        (f"/records/milestones/{tm.pk}/edit/?{back}", "Update the forecast"),
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
    for check in registry.ordered_worklist_checks():
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
    back = "next=%2Fworklist%2F%3Fmine%3D1"  # the worklist with its filter
    assert fix_links(response) == [
        (f"/initiatives/{one_of_each['mine'].pk}/sustainment-owner/?{back}", "Name the owner"),
        (f"/records/milestones/{one_of_each['milestone'].pk}/edit/?{back}", "Update the forecast"),
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
    # 5 for the session, the user and the form; per check, its count (up to a bound) and its page of rows (or
    # only its count when another check is on show); twice, the scoring policy's sustainment window (for the
    # rows and for the explanation)
    with django_assert_max_num_queries(17):
        client.get(WORKLIST, params)
