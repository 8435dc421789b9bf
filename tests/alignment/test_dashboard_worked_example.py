"""The worked examples of docs/scoring.md, "Dashboards and their filters", on the example portfolio."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import dashboard, services
from tests.alignment.engine_support import TODAY, build_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(tier_policies):
    built = build_example()
    services.recompute(today=TODAY)
    return built


def data_for(**filters):
    return dashboard.dashboard_data(
        dashboard.DashboardFilters(**filters), today=TODAY, policy=services.current_policy()
    )


def test_under_a_theme_filter_the_example_is_measured_within_the_theme(example):
    data = data_for(theme=example["t1"].pk)

    investment = data.charts["investment"]
    # (amounts to the cent: 1,000,000 × 1 / (1 + 2/3) is 600,000.0000000001 in floating point)
    assert [(u["code"], round(u["weight_share"], 2), round(u["spend"], 2)) for u in investment["units"]] == [
        ("O1", 0.67, 600_000.0),
        ("O2", 0.33, 500_000.0),
    ]
    assert [round(u["spend_share"], 2) for u in investment["units"]] == [0.55, 0.45]
    assert (investment["total"], investment["outside"]) == (1_100_000.0, 400_000.0)
    shown = {t.key: t for t in data.tiles}
    assert shown["top_share"].label == "Spend on T1's top objective"
    assert round(shown["top_share"].value, 4) == 0.5455
    assert round(shown["misallocation"].value, 4) == 0.1212
    assert shown["budget"].value == 1_500_000.0  # CHK-1 and SRCH-1, whole budgets
    # against the whole strategy, as on the unfiltered dashboard
    whole = {t.key: t for t in data_for().tiles}
    assert (round(whole["top_share"].value, 4), round(whole["misallocation"].value, 4)) == (0.75, 0.25)


def test_under_a_category_filter_the_example_mix_is_the_whole_portfolios(example):
    data = data_for(category="grow")

    assert {t.key: t for t in data.tiles}["budget"].value == 1_000_000.0
    mix = data.charts["mix"]
    assert {c: b / mix["total"] for c, b in mix["budget"].items()} == {
        "grow": 0.5,
        "run": 0.25,
        "transform": 0.25,
    }
    assert mix["highlight"] == "grow"
    assert mix["target"] == {"run": 0.5, "grow": 0.3, "transform": 0.2}


def test_the_example_bar_of_o1_opens_chk_1s_attributed_spend(example, client, executive):
    client.force_login(executive)

    behind = client.get(reverse("alignment:dashboard-spend", args=[example["o1"].pk])).context["behind"]

    assert [
        (line.code, line.budget, round(line.amount, 2), round(line.share, 4)) for line in behind.lines
    ] == [("CHK-1", 1_000_000.0, 600_000.0, 0.6)]
    assert (round(behind.total, 2), behind.compared, round(behind.share, 4)) == (600_000.0, 2_000_000.0, 0.3)
