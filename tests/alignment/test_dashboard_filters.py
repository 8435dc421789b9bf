"""Dashboard filters restrict exactly, reach the page from the query string, and bad values are refused."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import charts, dashboard, services
from alignment.models import PortfolioIndex
from portfolio.models import Initiative
from tests.alignment.dashboard_support import (
    DASHBOARD,
    FILTER_CASES,
    bubble_codes,
    budget_of,
    chart,
    data_for,
    live_payload,
    register_codes,
    resolve,
    tiles,
    today,
)
from tests.factories import ContributionFactory

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ filters


@pytest.mark.parametrize(("filters", "funded", "open_rows"), FILTER_CASES, ids=lambda v: str(v))
def test_each_filter_restricts_the_dashboard_exactly_and_its_tiles_open_the_same_initiatives(
    small, exec_client, filters, funded, open_rows
):
    # when
    data = data_for(**resolve(small, filters))

    # then the bubbles are the funded initiatives in the filter, the heat map its open ones, largest first
    assert bubble_codes(data) == funded
    assert [i["code"] for i in data.charts["heatmap"]["initiatives"]] == open_rows
    assert tiles(data)["budget"].value == sum(map(budget_of, funded))
    if "category" not in filters:  # under a category filter the mix shows the other filters (see below)
        assert data.charts["mix"]["total"] == sum(map(budget_of, funded))

    # and the budget and alignment tiles open the register on exactly those initiatives
    listed = funded
    if filters.get("stage") in ("proposed", "closed"):
        # nothing funded is chosen: the tile shows zero and opens the initiatives the filter chose
        assert tiles(data)["budget"].value == 0
        listed = sorted(Initiative.objects.filter(stage=filters["stage"]).values_list("code", flat=True))
    for key in ("budget", "alignment"):
        assert register_codes(exec_client, tiles(data)[key].href) == listed, key
    if listed == funded:
        response = exec_client.get(tiles(data)["budget"].href)
        assert float(response.context["budget"]) == tiles(data)["budget"].value


def test_bubble_chart_keeps_the_largest_initiatives_by_budget_and_says_how_many_it_left_out(
    small, monkeypatch
):
    # given a cap of two bubbles and four funded initiatives
    monkeypatch.setattr(dashboard, "BUBBLE_INITIATIVES", 2)
    funded = ["A-1", "B-1", "C-1", "E-1"]
    largest = sorted(funded, key=lambda code: -budget_of(code))[:2]

    # when the dashboard is computed
    data = data_for()

    # then the two largest are drawn, largest first, and the chart says it shows 2 of 4
    assert [p["code"] for p in data.charts["bubble"]["points"]] == largest
    assert data.charts["bubble"]["total"] == 4
    built = charts.value_risk_bubbles(data.charts["bubble"], str)
    assert built.description == (
        "The 2 largest of 4 funded initiatives by budget, by strategic fit and risk exposure (the 8 largest "
        "labelled); the register lists them all."
    )
    assert [row[0] for row in built.table.rows] == largest
    # the tiles still count every funded initiative
    assert tiles(data)["budget"].value == sum(map(budget_of, funded))


@pytest.mark.django_db
def test_a_filtered_history_shows_the_last_scored_day_of_each_month_and_the_day_a_month_back():
    # given the portfolio scored every day from 1 September 2025 to 20 November 2026
    first, last = datetime.date(2025, 9, 1), datetime.date(2026, 11, 20)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    now = timezone.now()
    PortfolioIndex.objects.bulk_create(PortfolioIndex(date=d, computed_at=now) for d in days)

    # when the days of a filtered view's history are chosen on 20 November 2026
    chosen = dashboard.history_days(datetime.date(2026, 11, 20))

    # then: the month ends from November 2025 (the last twelve months), 21 October (30 days back, for the
    # tiles' change) and today
    month_ends = [
        datetime.date(2025, 11, 30),
        datetime.date(2025, 12, 31),
        *[datetime.date(2026, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, 10)],  # Jan-Sep
    ]
    assert chosen == [
        *month_ends,
        datetime.date(2026, 10, 21),
        datetime.date(2026, 10, 31),
        datetime.date(2026, 11, 20),
    ]
    # and weeks after the last scored day, no day is invented: the latest is still 20 November
    later = dashboard.history_days(datetime.date(2027, 1, 5))
    assert later[0] == datetime.date(2026, 1, 31)
    assert later[-2:] == [datetime.date(2026, 10, 31), datetime.date(2026, 11, 20)]
    assert len(later) == 11


def test_filters_in_the_query_string_reach_the_dashboard(small, exec_client):
    commerce = small["programs"]["Commerce"].pk
    response = exec_client.get(DASHBOARD, {"program": commerce, "category": "grow", "stage": "funded"})
    assert response.status_code == 200
    assert response.context["view"].stored is False
    points = chart(response.context["payload"], "bubble")["figure"]["data"]
    assert sorted(text.split(" ")[0] for trace in points for text in trace["text"]) == ["A-1"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tier": "9"}, "Tier: Select a valid choice. 9 is not one of the available choices."),
        ({"program": "999999"}, "Program: Select a valid choice."),
        ({"stage": "someday"}, "Stage: Select a valid choice. someday is not one of the available choices."),
        ({"theme": "abc"}, "Strategic theme: Select a valid choice."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_bad_filter_values_give_400_with_the_message(exec_client, query, message, htmx):
    response = exec_client.get(DASHBOARD, query, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters could not be applied." in html
    assert message in html.replace("&#x27;", "'")
    assert "data-chart=" not in html
    assert ('id="dashboard-filters"' in html) is not htmx


def test_theme_filter_accepts_only_themes(small, exec_client):
    response = exec_client.get(DASHBOARD, {"theme": small["objectives"]["O1"].pk})
    assert response.status_code == 400


# ------------------------------------------------------------------------------------------ within a theme


def test_under_a_theme_the_top_share_and_misallocation_are_measured_within_the_theme(small, exec_client):
    # given A-1 also serves T2 weakly: a quarter of its 2,000,000 goes outside T1
    ContributionFactory(initiative=small["A-1"], objective=small["objectives"]["T2"], strength="weak")
    services.recompute(today=today())
    t1 = small["objectives"]["T1"]

    # when the dashboard is filtered on T1 (A-1 and C-1 serve it)
    data = data_for(theme=t1.pk)

    # then spend and weight are compared over T1's priority objectives only, O1 and O2 (weights 2/3 and
    # 1/3 of the theme): O1 gets 1,500,000 from A-1 and 157,500 from C-1, O2 472,500 from C-1
    investment = data.charts["investment"]
    assert [(u["code"], u["weight_share"], u["spend"]) for u in investment["units"]] == [
        ("O1", pytest.approx(2 / 3, abs=1e-12), 1_657_500.0),
        ("O2", pytest.approx(1 / 3, abs=1e-12), 472_500.0),
    ]
    assert (investment["total"], investment["outside"], investment["unaligned"]) == (
        2_130_000.0,
        500_000.0,
        0.0,
    )
    assert investment["theme"] == {"code": "T1", "title": "Win online"}
    # the top share is that of the theme's most important objective (the top 3 would be all of it: 100%)
    shown = tiles(data)
    assert shown["top_share"].label == "Spend on T1's top objective"
    assert shown["top_share"].value == pytest.approx(1_657_500 / 2_130_000, abs=1e-12)
    assert shown["misallocation"].label == "Misallocation within T1"
    assert shown["misallocation"].value == pytest.approx(712_500 / 6_390_000, abs=1e-12)
    assert shown["top_share"].help == (
        "Share of the spend attributed to T1's priority objectives that goes to its most important objective: "
        "measured within the theme only."
    )
    # the funded budget is still the whole budgets of the initiatives serving the theme
    assert shown["budget"].value == 2_630_000.0

    # and a bar opens the spend behind it within the same filter, adding up to the bar
    figure = chart(live_payload(theme=t1.pk), "investment")["figure"]
    assert figure["data"][1]["y"] == ["O1 Grow conversion", "O2 Cut returns"]
    assert figure["data"][1]["x"] == [77.8, 22.2]
    behind = exec_client.get(figure["data"][1]["customdata"][0]).context["behind"]
    assert [(line.code, line.amount) for line in behind.lines] == [("A-1", 1_500_000.0), ("C-1", 157_500.0)]
    assert behind.total == 1_657_500.0
    assert behind.theme.code == "T1"
    # objectives outside the theme, and spend on no objective, have no bar in the theme's view
    query = {"theme": t1.pk}
    assert (
        exec_client.get(
            reverse("alignment:dashboard-spend", args=[small["objectives"]["T2"].pk]), query
        ).status_code
        == 404
    )
    assert exec_client.get(reverse("alignment:dashboard-spend-unaligned"), query).status_code == 404


def test_a_theme_of_a_single_priority_objective_has_no_top_share_or_misallocation(small):
    shown = tiles(data_for(theme=small["objectives"]["T2"].pk))

    assert (shown["top_share"].label, shown["top_share"].value) == ("Spend on T2's top objective", None)
    assert (shown["misallocation"].label, shown["misallocation"].value) == ("Misallocation within T2", None)
    assert shown["budget"].value == 300_000.0


# ------------------------------------------------------------------------------------------ mix by category


def test_under_a_category_filter_the_mix_shows_the_other_filters_with_the_category_highlighted(small):
    target = services.current_policy().target_mix

    # the whole portfolio's mix, Grow highlighted (Grow alone would be 100% of itself)
    grow = data_for(category="grow")
    assert grow.charts["mix"] == {
        "budget": {"run": 450_000.0, "grow": 2_000_000.0, "transform": 630_000.0},
        "target": target,
        "total": 3_080_000.0,
        "highlight": "grow",
        "context": "the whole portfolio",
    }
    assert tiles(grow)["budget"].value == 2_000_000.0  # the tiles keep the filter
    actual = chart(live_payload(category="grow"), "mix")["figure"]["data"][1]
    assert (actual["x"], actual["y"]) == (["Run", "Grow (filtered)", "Transform"], [14.6, 64.9, 20.5])

    # with another filter, the mix of that filter
    commerce = data_for(category="grow", program=small["programs"]["Commerce"].pk)
    assert commerce.charts["mix"] == {
        "budget": {"run": 300_000.0, "grow": 2_000_000.0},
        "target": target,
        "total": 2_300_000.0,
        "highlight": "grow",
        "context": "the other filters",
    }
