"""The list behind a bar of the investment chart: the funded initiatives and the part of each budget the bar
counts, adding up to the bar, for the dashboard's filters; bad filters, unknown bars, pages and access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import views
from alignment.models import ALL_SCOPE, ObjectiveScore, program_scope
from tests.alignment.dashboard_support import chart, stored_payload

pytestmark = pytest.mark.django_db


def spend_url(small, code: str) -> str:
    return reverse("alignment:dashboard-spend", args=[small["objectives"][code].pk])


def test_a_programs_bar_opens_the_programs_spend_adding_up_to_its_stored_bar(small, exec_client):
    # given the stored dashboard of the Stores program (C-1 is its only funded initiative)
    stores = small["programs"]["Stores"]
    figure = chart(stored_payload(program_scope(stores.pk)), "investment")
    rows = {row[0]: row for row in figure["table"]["rows"]}
    bars = figure["figure"]["data"][1]

    # when its O2 bar is followed
    link = dict(zip(bars["y"], bars["customdata"], strict=True))["O2 Cut returns"]
    response = exec_client.get(link)

    # then the list is the program's, and its total is the bar's spend and share
    assert link == f"{spend_url(small, 'O2')}?program={stores.pk}"
    behind = response.context["behind"]
    assert [(line.code, line.amount) for line in behind.lines] == [("C-1", 472_500.0)]
    assert round(behind.total) == rows["O2"][4] == 472_500
    assert round(100 * behind.share, 1) == rows["O2"][3] == 75.0
    assert response.context["in_view"] == [("Program", "Stores")]
    assert "Program: Stores" in response.content.decode()


def test_the_whole_portfolios_bar_equals_the_stored_dashboards_table(small, exec_client):
    table = {row[0]: row for row in chart(stored_payload(ALL_SCOPE), "investment")["table"]["rows"]}

    o1 = exec_client.get(spend_url(small, "O1")).context["behind"]
    none = exec_client.get(reverse("alignment:dashboard-spend-unaligned")).context["behind"]

    assert (
        (round(o1.total), round(100 * o1.share, 1)) == (table["O1"][4], table["O1"][3]) == (2_157_500, 70.0)
    )
    assert (round(none.total), round(100 * none.share, 1)) == (table["—"][4], table["—"][3]) == (150_000, 4.9)
    assert [(line.code, line.through) for line in none.lines] == [
        ("E-1", [])
    ]  # its one contribution says "none"


def test_lines_are_paged_and_the_total_stays_the_whole_bars(small, exec_client, monkeypatch):
    monkeypatch.setattr(views, "SPEND_PER_PAGE", 1)

    first = exec_client.get(spend_url(small, "O1"))
    second = exec_client.get(spend_url(small, "O1"), {"page": 2})

    assert [line.code for line in first.context["page"].object_list] == ["A-1"]
    assert [line.code for line in second.context["page"].object_list] == ["C-1"]
    assert first.context["behind"].total == second.context["behind"].total == 2_157_500.0
    assert "page 2 of 2" in second.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tier": "9"}, "Tier: Select a valid choice. 9 is not one of the available choices."),
        ({"theme": "abc"}, "Strategic theme: Select a valid choice."),
    ],
)
def test_bad_filters_give_400_with_the_message(small, exec_client, query, message):
    response = exec_client.get(spend_url(small, "O1"), query)

    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert "These filters could not be applied." in html
    assert message in html
    assert "spend-lines" not in html


def test_an_objective_without_a_bar_is_404(small, exec_client):
    # O1.1 rolls up to O1, T1 is a theme with objectives under it: neither has a bar of its own
    assert exec_client.get(spend_url(small, "O1.1")).status_code == 404
    assert exec_client.get(spend_url(small, "T1")).status_code == 404
    assert exec_client.get(reverse("alignment:dashboard-spend", args=[999_999])).status_code == 404


def test_the_list_asks_a_visitor_to_log_in(small, client):
    response = client.get(spend_url(small, "O1"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_objective_page_leads_from_its_spend_share_to_the_list(small, exec_client):
    o1 = small["objectives"]["O1"]

    page = exec_client.get(reverse("portfolio:objective-detail", args=[o1.pk])).content.decode()

    assert f'<a href="{spend_url(small, "O1")}">initiative by initiative</a>' in page
    # the page's "here and below" (the engine's) is the list's total: A-1 and C-1 through O1.1
    behind = exec_client.get(spend_url(small, "O1")).context["behind"]
    assert ObjectiveScore.objects.get(objective=o1).spend == behind.total == 2_157_500.0
