"""The investment chart of a large strategy: a bounded number of bars, the rest summed into one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import charts
from alignment.dashboard import INVESTMENT_OBJECTIVES, Comparison, investment_data
from alignment.engine import formulas as f
from alignment.engine.inputs import ObjectiveRow


def _strategy(count: int) -> dict[int, ObjectiveRow]:
    return {
        pk: ObjectiveRow(pk, f"O{pk:03d}", f"Objective {pk}", None, 1.0, "active", None)
        for pk in range(1, count + 1)
    }


def _comparison(count: int, spend: dict[int, float], unaligned: float = 0.0) -> Comparison:
    # weights fall with the id: objective 1 is the most important
    units = {pk: float(count + 1 - pk) for pk in range(1, count + 1)}
    total = sum(spend.values()) + unaligned
    weighted = f.WeightedSpend(spend, unaligned, total, 0.0, 0.0, ())
    return Comparison(units, weighted, 3)


def test_a_strategy_within_the_bound_shows_every_objective_and_no_other_bar():
    # when
    data = investment_data(_comparison(INVESTMENT_OBJECTIVES, {1: 100.0}), _strategy(INVESTMENT_OBJECTIVES))

    # then
    assert [u["code"] for u in data["units"]] == [f"O{pk:03d}" for pk in range(1, INVESTMENT_OBJECTIVES + 1)]
    assert data["other"] is None


def test_a_large_strategy_keeps_the_most_important_and_the_largest_spenders_and_sums_the_rest():
    # given 100 priority objectives; spend on 1 (important) and on 90, 80, ..., 20 (unimportant)
    spend = {1: 1000.0} | {pk: float(pk) for pk in range(20, 100, 10)}

    # when
    data = investment_data(_comparison(100, spend, unaligned=500.0), _strategy(100))

    # then the 15 most important, then the spenders among the rest (largest first), then by weight
    assert INVESTMENT_OBJECTIVES == 30
    kept = [int(u["code"][1:]) for u in data["units"]]
    assert kept == [*range(1, 24), 30, 40, 50, 60, 70, 80, 90]
    # the other 70 share one row: their weights (100 - pk + 1 for each) and no spend
    weights = sum(101 - pk for pk in range(1, 101))
    rest = [pk for pk in range(1, 101) if pk not in kept]
    assert len(rest) == 70
    assert data["other"] == {
        "count": 70,
        "url": reverse("portfolio:objective-list"),
        "weight_share": pytest.approx(sum(101 - pk for pk in rest) / weights),
        "spend_share": 0.0,
        "spend": 0.0,
    }


def test_the_chart_draws_the_kept_bars_the_other_bar_and_no_objective_with_a_matching_table():
    # given 40 priority objectives, spend on the most important one and on the 35th
    spend = {1: 600.0, 35: 300.0}
    data = investment_data(_comparison(40, spend, unaligned=100.0), _strategy(40))

    # when
    chart = charts.investment_vs_priority(data, lambda pk: f"/spend/{pk}/")

    # then 30 bars, "Other 10 priority objectives", "No objective"
    labels = chart.figure["data"][1]["y"]
    assert len(labels) == 32
    assert labels[-2:] == ["Other 10 priority objectives", "No objective"]
    assert chart.figure["data"][1]["customdata"][-2:] == [reverse("portfolio:objective-list"), "/spend/0/"]
    assert [row[:2] for row in chart.table.rows[-2:]] == [
        ["…", "Other 10 priority objectives"],
        ["—", "No objective"],
    ]
    # spend shares of every row add up to the whole
    assert sum(row[3] for row in chart.table.rows) == pytest.approx(100.0)
    assert "The 10 other priority objectives" in chart.description
