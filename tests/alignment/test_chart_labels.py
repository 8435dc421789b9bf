"""What a reader sees on the charts without hovering: scales that do not exaggerate, objectives and initiatives
named on the axes, legends in words with their units."""

from __future__ import annotations

import datetime

import plotly.graph_objects as go

from alignment import charts

D = datetime.date
HISTORY_LINK = "/initiatives/?sort=-alignment"


def test_the_alignment_history_is_drawn_on_its_whole_0_to_100_scale():
    # given an index that moved by four hundredths of a point
    data = {"points": [(D(2026, 10, 31), 93.25), (D(2026, 11, 30), 93.21)]}

    # when
    chart = charts.alignment_history(data, HISTORY_LINK)

    # then the axis is the whole scale, not zoomed to 93.21-93.25, and the description says so
    yaxis = chart.figure["layout"]["yaxis"]
    assert (yaxis["range"], yaxis["dtick"]) == ([0, 100], 20)
    assert go.Figure(chart.figure).layout.yaxis.range == (0, 100)
    assert chart.figure["data"][0]["y"] == [93.25, 93.21]
    assert (
        chart.description
        == "The budget-weighted alignment index at each month end, on its whole 0-100 scale."
    )


def test_short_names_are_cut_with_an_ellipsis_and_kept_whole_when_they_fit():
    assert charts.short("Grow online market share by 15%", 20) == "Grow online market…"
    assert charts.short("Grow  the\napp", 20) == "Grow the app"
    assert charts.named("O1.1", "Grow online market share by 15%", 12) == "O1.1 Grow online…"
    assert charts.named("O<1>", "R&D", 12) == "O&lt;1&gt; R&amp;D"  # Plotly reads markup: written as text


LONG = "Grow the loyalty programme to 3 million active members"


def heatmap_data() -> dict[str, object]:
    return {
        "objectives": [{"id": 1, "code": "O4.1", "title": LONG}, {"id": 2, "code": "O2", "title": "Save"}],
        "initiatives": [
            {"id": 10, "code": "CRM-04", "title": "Loyalty app relaunch for every store", "budget": 1.0},
            {"id": 11, "code": "B-1", "title": "Beta", "budget": 1.0},
        ],
        "cells": {(1, 10): (0.6, "strong"), (2, 11): (0.25, "weak")},
    }


def test_the_heat_map_names_objectives_and_initiatives_on_its_axes_and_says_its_colour_in_words():
    # when
    chart = charts.alignment_heatmap(heatmap_data(), lambda pk: f"/initiatives/{pk}/")

    # then code and short name on each axis, the whole names in the hover
    trace = chart.figure["data"][0]
    assert trace["y"] == ["O4.1 Grow the loyalty programme to…", "O2 Save"]
    assert trace["x"] == ["CRM-04 Loyalty app relaunc…", "B-1 Beta"]
    assert trace["hovertext"][0][0] == (
        "CRM-04 Loyalty app relaunch for every store<br>→ O4.1 " + LONG + "<br>strong contribution; "
        "relative weight × strength = 0.60"
    )
    assert trace["hovertext"][0][1] == ""  # no contribution: nothing to hover
    # and the colour scale is named in words, with its range
    assert trace["colorbar"]["title"]["text"] == "Relative weight<br>× strength<br>(0 to 1)"
    assert chart.description == (
        "The largest open initiatives (columns, largest first) and the objectives they contribute to (rows, "
        "most important first): W weak, M moderate, S strong. The colour is the objective's relative weight × "
        "the contribution's strength, from 0 to 1 (1: a strong contribution to the most important objective)."
    )


def investment_data(**extra: object) -> dict[str, object]:
    return {
        "units": [
            {
                "id": 1,
                "code": "O4.1",
                "title": LONG,
                "weight_share": 0.6,
                "spend_share": 0.75,
                "spend": 750.0,
            },
            {
                "id": 2,
                "code": "O4.2",
                "title": "Raise NPS",
                "weight_share": 0.4,
                "spend_share": 0.25,
                "spend": 250.0,
            },
        ],
        "unaligned": 0.0,
        "unaligned_share": 0.0,
        "total": 1000.0,
        **extra,
    }


def test_investment_bars_name_each_objective_and_hover_gives_the_whole_name():
    chart = charts.investment_vs_priority(investment_data(), lambda pk: f"/spend/{pk}/", "€")

    weight, spend = chart.figure["data"]
    assert weight["orientation"] == spend["orientation"] == "h"
    assert (
        weight["y"] == spend["y"] == ["O4.1 Grow the loyalty programme to…", "O4.2 Raise NPS", "No objective"]
    )
    assert spend["hovertext"] == [
        f"O4.1 {LONG}<br>€750",
        "O4.2 Raise NPS<br>€250",
        "Funded initiatives with no objective<br>€0",
    ]
    assert (weight["text"], spend["text"]) == (["60%", "40%", ""], ["75%", "25%", "0%"])
    assert chart.figure["layout"]["yaxis"]["title"]["text"] == "Priority objectives"
    assert chart.figure["layout"]["yaxis"]["autorange"] == "reversed"  # the most important at the top


def test_investment_under_a_theme_compares_the_themes_objectives_only_and_says_so():
    data = investment_data(
        theme={"code": "T4", "title": "Know and keep our customers"}, outside=500_000.0, total=2_130_000.0
    )

    chart = charts.investment_vs_priority(data, lambda pk: f"/spend/{pk}/", "€")

    weight, spend = chart.figure["data"]
    assert weight["y"] == ["O4.1 Grow the loyalty programme to…", "O4.2 Raise NPS"]  # no "No objective"
    assert (weight["name"], spend["name"]) == (
        "Share of strategic weight of T4",
        "Share of funded spend of T4",
    )
    assert (
        chart.figure["layout"]["title"]["text"]
        == "Investment against priority within T4 Know and keep our customers"
    )
    assert chart.figure["layout"]["xaxis"]["title"]["text"] == "Share within T4 (%)"
    assert [row[0] for row in chart.table.rows] == ["O4.1", "O4.2"]
    assert chart.description == (
        "Within T4 only: each of its priority objectives (most important at the top), its share of the spend "
        "attributed to the theme (€2.13M) against its share of the theme's weight. The other €500k of these "
        "initiatives' budgets goes to other themes or to no objective and is left out."
    )


def test_the_mix_under_a_category_filter_highlights_it_and_says_the_filter_is_not_applied():
    data = {
        "budget": {"run": 450_000.0, "grow": 2_000_000.0, "transform": 630_000.0},
        "target": {"run": 0.5, "grow": 0.3, "transform": 0.2},
        "total": 3_080_000.0,
        "highlight": "grow",
        "context": "the whole portfolio",
    }

    chart = charts.category_mix(data, lambda c: f"/initiatives/?category={c}", "€")

    target, actual = chart.figure["data"]
    assert actual["x"] == ["Run", "Grow (filtered)", "Transform"]
    assert actual["y"] == [14.6, 64.9, 20.5]
    assert target["y"] == [50.0, 30.0, 20.0]
    # the chosen category stands out by opacity and an outline, not by colour alone
    assert actual["marker"]["opacity"] == target["marker"]["opacity"] == [0.4, 1.0, 0.4]
    assert actual["marker"]["line"]["width"] == [0, 2.5, 0]
    assert chart.table.rows == [
        ["Run", 50.0, 14.6, 450_000],
        ["Grow (filtered)", 30.0, 64.9, 2_000_000],
        ["Transform", 20.0, 20.5, 630_000],
    ]
    assert chart.description == (
        "The category filter is not applied to this chart: Grow alone is always 100% of itself. It shows the "
        "mix of the whole portfolio against the target, Grow highlighted."
    )


def test_the_largest_bubbles_carry_their_code():
    points = [
        {
            "id": n,
            "code": f"B-{n}",
            "title": f"Bubble {n}",
            "fit": 50.0,
            "exposure": 3,
            "budget": 1000.0 * n,
            "tier": 2,
        }
        for n in range(1, 11)
    ]

    chart = charts.value_risk_bubbles({"points": points}, lambda pk: f"/initiatives/{pk}/", "€")

    trace = chart.figure["data"][1]
    assert trace["mode"] == "markers+text"
    assert trace["text"] == ["", ""] + [f"B-{n}" for n in range(3, 11)]  # the eight largest budgets
    assert trace["hovertext"][9] == "B-10 Bubble 10<br>budget €10k"


def test_the_risk_heat_map_says_its_colour_bands_in_words():
    chart = charts.risk_heatmap({"counts": {(5, 5): 2}}, lambda p, i: f"/risks/?probability={p}&impact={i}")

    assert chart.description == (
        "Active risks counted on the 5 × 5 grid; the colour is the exposure band of probability × impact (low "
        "under 5, medium 5-9, high 10-19, severe 20-25). Click a cell to list its risks."
    )
    # the bands the description names are the ones the cells are coloured by
    assert [charts._band(e) for e in (4, 5, 9, 10, 19, 20, 25)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "severe",
        "severe",
    ]
