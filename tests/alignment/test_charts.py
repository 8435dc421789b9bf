"""The chart builders: figures Plotly's own schema accepts, titled and labelled, tables holding exactly what the
figures plot, click-through links, cues that do not rely on colour, and empty data."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import pytest

from alignment import charts
from alignment.dashboard import KPISeries

D = datetime.date


def initiative_link(pk: int) -> str:
    return f"/initiatives/{pk}/"


def unit_link(pk: int) -> str:
    return f"/initiatives/?objective={pk}" if pk else "/signals/?rule=orphan"


def category_link(category: str) -> str:
    return f"/initiatives/?category={category}"


def kpi_link(pk: int) -> str:
    return f"/kpis/{pk}/"


def risk_link(p: int, i: int) -> str:
    return f"/risks/?probability={p}&impact={i}"


HISTORY_LINK = "/initiatives/?sort=-alignment"

# ------------------------------------------------------------------------------------------ data


def heatmap_data() -> dict[str, Any]:
    return {
        "objectives": [{"id": 1, "code": "O1", "title": "Grow"}, {"id": 2, "code": "O2", "title": "Save"}],
        "initiatives": [
            {"id": 10, "code": "A-1", "title": "Alpha", "budget": 500_000.0},
            {"id": 11, "code": "B-1", "title": "Beta", "budget": 200_000.0},
            {"id": 12, "code": "C-1", "title": "Gamma", "budget": 100_000.0},
        ],
        "cells": {(1, 10): (1.0, "strong"), (2, 10): (0.25, "weak"), (2, 11): (0.5, "moderate")},
    }


def bubble_data() -> dict[str, Any]:
    return {
        "points": [
            {
                "id": 10,
                "code": "A-1",
                "title": "Alpha",
                "fit": 91.234,
                "exposure": 12,
                "budget": 900_000.0,
                "tier": 1,
            },
            {
                "id": 11,
                "code": "B-1",
                "title": "Beta",
                "fit": 55.5,
                "exposure": 4,
                "budget": 100_000.0,
                "tier": 2,
            },
            {
                "id": 12,
                "code": "C-1",
                "title": "Gamma",
                "fit": 20.0,
                "exposure": 0,
                "budget": 50_000.0,
                "tier": 3,
            },
            {
                "id": 13,
                "code": "D-1",
                "title": "Delta",
                "fit": 70.04,
                "exposure": 20,
                "budget": 400_000.0,
                "tier": 2,
            },
        ]
    }


def investment_data() -> dict[str, Any]:
    return {
        "units": [
            {
                "id": 1,
                "code": "O1",
                "title": "Grow",
                "weight_share": 0.5,
                "spend_share": 0.3,
                "spend": 300_000.0,
            },
            {
                "id": 2,
                "code": "O2",
                "title": "Save",
                "weight_share": 0.3,
                "spend_share": 0.5,
                "spend": 500_000.0,
            },
            {"id": 3, "code": "O3", "title": "Comply", "weight_share": 0.2, "spend_share": 0.0, "spend": 0.0},
        ],
        "unaligned": 200_000.0,
        "unaligned_share": 0.2,
        "total": 1_000_000.0,
    }


def mix_data() -> dict[str, Any]:
    return {
        "budget": {"run": 300_000.0, "transform": 700_000.0},
        "target": {"run": 0.6, "grow": 0.25, "transform": 0.15},
        "total": 1_000_000.0,
    }


def kpi_series() -> list[KPISeries]:
    return [
        KPISeries(
            id=7,
            name="Online conversion",
            unit="%",
            objective="O1",
            status="on_track",
            baseline=(D(2026, 1, 1), 2.0),
            target=(D(2027, 1, 1), 4.0),
            interim=[(D(2026, 7, 1), 3.0)],
            readings=[(D(2026, 3, 1), 2.4), (D(2026, 6, 1), 2.9), (D(2026, 9, 1), 3.3)],
            forecast=(D(2027, 1, 1), 3.81234567),
            confidence="medium",
        ),
        KPISeries(
            id=8,
            name="Cost to serve",
            unit="€/order",
            objective="O2",
            status="no_data",
            baseline=(D(2026, 1, 1), 9.0),
            target=(D(2027, 6, 30), 6.0),
            interim=[],
            readings=[],
            forecast=None,
            confidence="none",
        ),
    ]


def history_data() -> dict[str, Any]:
    return {"points": [(D(2026, 9, 30), 61.234), (D(2026, 10, 31), None), (D(2026, 11, 21), 64.5)]}


def score_points() -> list[dict[str, Any]]:
    return [
        {"date": D(2026, 9, 30), "alignment": 61.26, "fit": 80.0, "delivery": 55.55, "outcome": None},
        {"date": D(2026, 10, 31), "alignment": 63.0, "fit": 80.0, "delivery": 58.0, "outcome": 40.04},
    ]


def risk_data() -> dict[str, Any]:
    return {"counts": {(5, 5): 2, (1, 1): 3, (3, 4): 1}}


BUILDERS: dict[str, Callable[[bool], charts.Chart]] = {
    "heatmap": lambda empty: charts.alignment_heatmap(
        {"objectives": [], "initiatives": [], "cells": {}} if empty else heatmap_data(), initiative_link
    ),
    "bubble": lambda empty: charts.value_risk_bubbles(
        {"points": []} if empty else bubble_data(), initiative_link, "€"
    ),
    "investment": lambda empty: charts.investment_vs_priority(
        {"units": [], "unaligned": 0.0, "unaligned_share": 0.0, "total": 0.0} if empty else investment_data(),
        unit_link,
        "€",
    ),
    "mix": lambda empty: charts.category_mix(
        {"budget": {}, "target": {"run": 0.6, "grow": 0.25, "transform": 0.15}, "total": 0.0}
        if empty
        else mix_data(),
        category_link,
        "€",
    ),
    "kpis": lambda empty: charts.kpi_small_multiples({"kpis": [] if empty else kpi_series()}, kpi_link),
    "history": lambda empty: charts.alignment_history(
        {"points": [] if empty else history_data()["points"]}, HISTORY_LINK
    ),
    "risks": lambda empty: charts.risk_heatmap({"counts": {}} if empty else risk_data(), risk_link),
    "scores": lambda empty: charts.score_history(
        {"points": [] if empty else score_points()}, "/initiatives/10/why/"
    ),
}

# Where the chart has units, its axis titles say them.
AXIS_UNITS = {
    "bubble": {"xaxis": "(0-100)", "yaxis": "P × I"},
    "investment": {"xaxis": "(%)"},
    "mix": {"yaxis": "(%)"},
    "history": {"yaxis": "(0-100)"},
    "scores": {"yaxis": "(0-100)"},
    "risks": {"xaxis": "1 minor … 5 severe", "yaxis": "1 rare … 5 almost certain"},
}


def axes(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in figure["layout"].items() if k.startswith(("xaxis", "yaxis"))}


def by_name(chart: charts.Chart, name: str) -> list[dict[str, Any]]:
    return [t for t in chart.figure["data"] if t.get("name") == name]


# ------------------------------------------------------------------------------------------ schema


@pytest.mark.parametrize("empty", [False, True], ids=["data", "empty"])
@pytest.mark.parametrize("key", list(BUILDERS))
def test_every_figure_is_valid_plotly_with_titles_and_a_legend_for_several_series(key, empty):
    # given / when
    chart = BUILDERS[key](empty)

    # then Plotly's schema accepts the figure (graph_objects raises on any unknown or invalid property)
    validated = go.Figure(chart.figure)
    assert chart.key == key
    assert chart.title
    assert chart.description
    assert validated.layout.title.text == chart.figure["layout"]["title"]["text"] != ""
    # every axis has a title, saying the unit where the chart has one
    chart_axes = axes(chart.figure)
    assert chart_axes, "a chart without axes"
    for name, axis in chart_axes.items():
        if axis.get("visible") is False:
            assert (key, empty) == ("kpis", True)  # nothing to plot: the figure says so instead
        elif key == "kpis" and name.startswith("xaxis"):
            assert axis["tickformat"] == "%b %y"  # the panels' time axes label themselves with months
        else:
            assert axis["title"]["text"], f"{key}.{name} has no title"
    for name, unit in AXIS_UNITS.get(key, {}).items():
        assert unit in chart_axes[name]["title"]["text"]
    # more than one series: each is named once in a legend that is shown
    series = {t.get("name") for t in chart.figure["data"]}
    if len(series) > 1:
        assert chart.figure["layout"].get("showlegend", True) is not False
        in_legend = [t["name"] for t in chart.figure["data"] if t.get("showlegend", True)]
        assert sorted(in_legend) == sorted(series)
    assert chart.height >= 300


def test_kpi_panels_label_each_y_axis_with_the_kpis_unit():
    chart = BUILDERS["kpis"](False)
    assert chart.figure["layout"]["yaxis"]["title"]["text"] == "%"
    assert chart.figure["layout"]["yaxis2"]["title"]["text"] == "€/order"
    # and each panel is titled with its objective, name and status
    texts = [a["text"] for a in chart.figure["layout"]["annotations"]]
    assert texts == [
        "<b>O1 · Online conversion</b><br>On track · medium confidence",
        "<b>O2 · Cost to serve</b><br>No data",
    ]


def test_heatmaps_say_what_their_colour_means():
    alignment = BUILDERS["heatmap"](False).figure["data"][0]
    assert alignment["colorbar"]["title"]["text"] == "Relative weight<br>× strength<br>(0 to 1)"
    # the risk heat map's colour is the exposure band, which each cell's hover text spells out
    risks = BUILDERS["risks"](False).figure["data"][0]
    assert risks["hovertext"][4][4] == "probability 5 × impact 5 = 25 (severe): 2 risks"


# ------------------------------------------------------------------------------------------ tables = figures


def test_investment_table_holds_the_bars_values():
    chart = BUILDERS["investment"](False)
    weight, spend = chart.figure["data"]
    assert chart.table.columns == ["Objective", "Title", "Weight share (%)", "Spend share (%)", "Spend (€)"]
    assert [r[2] for r in chart.table.rows] == weight["x"] == [50.0, 30.0, 20.0, 0.0]
    assert [r[3] for r in chart.table.rows] == spend["x"] == [30.0, 50.0, 0.0, 20.0]
    assert [r[0] for r in chart.table.rows[:-1]] == ["O1", "O2", "O3"]
    assert weight["y"] == spend["y"] == ["O1 Grow", "O2 Save", "O3 Comply", "No objective"]
    assert chart.table.rows[-1][1] == "No objective"
    assert [r[4] for r in chart.table.rows] == [300_000, 500_000, 0, 200_000]


def test_mix_table_holds_the_bars_values():
    chart = BUILDERS["mix"](False)
    target, actual = chart.figure["data"]
    assert [r[0] for r in chart.table.rows] == target["x"] == actual["x"] == ["Run", "Grow", "Transform"]
    assert [r[1] for r in chart.table.rows] == target["y"] == [60.0, 25.0, 15.0]
    assert [r[2] for r in chart.table.rows] == actual["y"] == [30.0, 0.0, 70.0]
    assert [r[3] for r in chart.table.rows] == [300_000, 0, 700_000]
    assert actual["text"] == ["30%", "0%", "70%"]


def test_bubble_table_holds_the_points_of_each_tier():
    chart = BUILDERS["bubble"](False)
    assert chart.table.columns == [
        "Initiative",
        "Title",
        "Strategic fit",
        "Risk exposure",
        "Budget (€)",
        "Tier",
    ]
    for tier, trace in zip((1, 2, 3), chart.figure["data"], strict=True):
        rows = [r for r in chart.table.rows if r[5] == tier]
        assert trace["name"] == charts.TIER_STYLE[tier][2]
        assert list(zip(trace["x"], trace["y"], strict=True)) == [(r[2], r[3]) for r in rows]
        assert [t.split(" ")[0] for t in trace["text"]] == [r[0] for r in rows]
    assert chart.table.rows[0] == ["A-1", "Alpha", 91.2, 12, 900_000, 1]
    # bubble area follows budget: the largest budget has the largest marker
    tier2 = chart.figure["data"][1]
    assert tier2["marker"]["size"][1] > tier2["marker"]["size"][0]  # D-1 (400k) over B-1 (100k)
    assert chart.figure["data"][0]["marker"]["size"] == [40.0]


def test_kpi_table_rows_are_the_points_of_each_trace():
    chart = BUILDERS["kpis"](False)
    table_points: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for name, _objective, _unit, _status, _confidence, series, day, value in chart.table.rows:
        table_points.setdefault((name, series), []).append((day, value))
    series_name = {
        "Expected progress": "Expected progress",
        "Readings": "Reading",
        "Forecast (trend)": "Forecast (trend)",
        "Target": "Target",
    }
    axis_kpi = {"y": "Online conversion", "y2": "Cost to serve"}
    figure_points: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for trace in chart.figure["data"]:
        points = list(zip(trace["x"], trace["y"], strict=True))
        if trace["name"] == "Forecast (trend)":
            # the forecast line starts at the last reading, which the readings already hold
            points = points[1:]
        if points:
            figure_points[(axis_kpi[trace["yaxis"]], series_name[trace["name"]])] = points
    assert figure_points == table_points
    assert table_points[("Online conversion", "Expected progress")] == [
        ("2026-01-01", 2.0),
        ("2026-07-01", 3.0),
        ("2027-01-01", 4.0),
    ]
    assert table_points[("Online conversion", "Forecast (trend)")] == [("2027-01-01", 3.8123)]
    assert ("Cost to serve", "Reading") not in table_points
    assert {r[3] for r in chart.table.rows if r[0] == "Cost to serve"} == {"No data"}
    # and each row says how sure its KPI's status is (no readings: nothing to say)
    assert {(r[0], r[4]) for r in chart.table.rows} == {
        ("Online conversion", "medium"),
        ("Cost to serve", ""),
    }


def test_history_table_holds_the_plotted_points_and_skips_days_without_an_index():
    chart = BUILDERS["history"](False)
    trace = chart.figure["data"][0]
    assert chart.table.rows == [["2026-09-30", 61.23], ["2026-11-21", 64.5]]
    assert [[x, y] for x, y in zip(trace["x"], trace["y"], strict=True)] == chart.table.rows


def test_score_history_table_holds_each_series_points_and_skips_missing_scores():
    chart = BUILDERS["scores"](False)
    assert chart.table.columns == [
        "Date",
        "Alignment",
        "Strategic fit",
        "Delivery confidence",
        "Outcome evidence",
    ]
    assert chart.table.rows == [
        ["2026-09-30", 61.3, 80.0, 55.5, None],
        ["2026-10-31", 63.0, 80.0, 58.0, 40.0],
    ]
    for column, trace in enumerate(chart.figure["data"], start=1):
        assert trace["name"] == chart.table.columns[column]
        table_points = [(r[0], r[column]) for r in chart.table.rows if r[column] is not None]
        assert list(zip(trace["x"], trace["y"], strict=True)) == table_points
        assert trace["customdata"] == ["/initiatives/10/why/"] * len(table_points)
    looks = {(t["line"]["dash"], t["marker"]["symbol"]) for t in chart.figure["data"]}
    assert len(looks) == 4  # the series differ by dash and marker, not only by colour


def test_risk_table_counts_equal_the_heat_map_text():
    chart = BUILDERS["risks"](False)
    trace = chart.figure["data"][0]
    assert len(chart.table.rows) == 25
    for p, i, exposure, band, count in chart.table.rows:
        assert exposure == p * i
        assert trace["text"][trace["y"].index(str(p))][trace["x"].index(str(i))] == (
            str(count) if count else ""
        )
        assert band == ["low", "medium", "high", "severe"][trace["z"][p - 1][i - 1]]
    assert sum(r[4] for r in chart.table.rows) == 6


def test_alignment_heatmap_table_holds_each_cell_with_names():
    chart = BUILDERS["heatmap"](False)
    trace = chart.figure["data"][0]
    assert chart.table.columns == [
        "Objective",
        "Objective name",
        "Initiative",
        "Initiative name",
        "Strength",
        "Relative weight × strength",
    ]
    assert chart.table.rows == [
        ["O1", "Grow", "A-1", "Alpha", "strong", 1.0],
        ["O2", "Save", "A-1", "Alpha", "weak", 0.25],
        ["O2", "Save", "B-1", "Beta", "moderate", 0.5],
    ]
    assert trace["x"] == ["A-1 Alpha", "B-1 Beta", "C-1 Gamma"]
    assert trace["y"] == ["O1 Grow", "O2 Save"]
    assert trace["z"] == [[1.0, None, None], [0.25, 0.5, None]]
    assert trace["text"] == [["S", "", ""], ["W", "M", ""]]
    # a contribution tells what it is on hover; an empty cell says nothing (and is not hovered)
    assert trace["hoverongaps"] is False
    assert [[bool(text) for text in row] for row in trace["hovertext"]] == [
        [True, False, False],
        [True, True, False],
    ]
    assert (
        trace["hovertext"][0][0]
        == "A-1 Alpha<br>→ O1 Grow<br>strong contribution; relative weight × strength = 1.00"
    )


# ------------------------------------------------------------------------------------------ click-through


def test_click_through_links_point_at_the_records_behind_each_element():
    heatmap = BUILDERS["heatmap"](False).figure["data"][0]
    assert heatmap["customdata"] == [["/initiatives/10/", "/initiatives/11/", "/initiatives/12/"]] * 2

    bubbles = BUILDERS["bubble"](False).figure["data"]
    assert [t["customdata"] for t in bubbles] == [
        ["/initiatives/10/"],
        ["/initiatives/11/", "/initiatives/13/"],
        ["/initiatives/12/"],
    ]

    investment = BUILDERS["investment"](False).figure["data"]
    expected = [
        "/initiatives/?objective=1",
        "/initiatives/?objective=2",
        "/initiatives/?objective=3",
        "/signals/?rule=orphan",
    ]
    assert [t["customdata"] for t in investment] == [expected, expected]

    mix = BUILDERS["mix"](False).figure["data"]
    categories = [
        "/initiatives/?category=run",
        "/initiatives/?category=grow",
        "/initiatives/?category=transform",
    ]
    assert [t["customdata"] for t in mix] == [categories, categories]

    for trace in BUILDERS["kpis"](False).figure["data"]:
        kpi = 7 if trace["yaxis"] == "y" else 8
        assert trace["customdata"] == [f"/kpis/{kpi}/"] * len(trace["x"])

    history = BUILDERS["history"](False).figure["data"][0]
    assert history["customdata"] == [HISTORY_LINK, HISTORY_LINK]

    risks = BUILDERS["risks"](False).figure["data"][0]
    for row, p in enumerate(risks["y"]):
        for col, i in enumerate(risks["x"]):
            assert risks["customdata"][row][col] == f"/risks/?probability={p}&impact={i}"


# ------------------------------------------------------------------------------------------ not colour alone


def test_tiers_differ_by_marker_symbol_not_only_colour():
    traces = BUILDERS["bubble"](False).figure["data"]
    symbols = [t["marker"]["symbol"] for t in traces]
    assert len(set(symbols)) == 3
    assert len({t["marker"]["color"] for t in traces}) == 3


@pytest.mark.parametrize("key", ["investment", "mix"])
def test_the_two_bar_series_differ_by_pattern(key):
    first, second = BUILDERS[key](False).figure["data"]
    assert first["marker"]["pattern"]["shape"] == "/"
    assert second["marker"].get("pattern", {}).get("shape", "") == ""


def test_every_heat_map_cell_with_something_in_it_carries_text():
    alignment = BUILDERS["heatmap"](False).figure["data"][0]
    for z_row, t_row in zip(alignment["z"], alignment["text"], strict=True):
        assert [bool(t) for t in t_row] == [z is not None for z in z_row]
    assert alignment["texttemplate"] == "%{text}"
    risks = BUILDERS["risks"](False).figure["data"][0]
    assert risks["texttemplate"] == "%{text}"
    assert [cell for row in risks["text"] for cell in row if cell] == ["3", "1", "2"]


def test_kpi_series_differ_by_line_dash_or_marker_shape():
    traces = BUILDERS["kpis"](False).figure["data"][:4]
    looks = {
        (t["mode"], t.get("line", {}).get("dash", "solid"), t.get("marker", {}).get("symbol", ""))
        for t in traces
    }
    assert len(looks) == 4


# ------------------------------------------------------------------------------------------ empty data


def test_empty_data_gives_empty_series_and_tables():
    bubbles = BUILDERS["bubble"](True)
    assert [t["x"] for t in bubbles.figure["data"]] == [[], [], []]
    assert bubbles.table.rows == []

    investment = BUILDERS["investment"](True)
    assert [t["x"] for t in investment.figure["data"]] == [[0.0], [0.0]]
    assert investment.table.rows == [["—", "No objective", 0.0, 0.0, 0]]

    mix = BUILDERS["mix"](True)
    assert mix.figure["data"][1]["y"] == [0.0, 0.0, 0.0]
    assert [r[2] for r in mix.table.rows] == [0.0, 0.0, 0.0]

    kpis = BUILDERS["kpis"](True)
    assert kpis.figure["data"] == []
    assert kpis.table.rows == []
    assert [a["text"] for a in kpis.figure["layout"]["annotations"]] == [
        "No KPI to show: no objective in view has one."
    ]

    assert BUILDERS["history"](True).table.rows == []
    risks = BUILDERS["risks"](True)
    assert {r[4] for r in risks.table.rows} == {0}
    assert risks.figure["data"][0]["text"] == [[""] * 5] * 5

    heatmap = BUILDERS["heatmap"](True)
    assert heatmap.figure["data"][0]["z"] == []
    assert heatmap.table.rows == []


def test_money_is_rounded_to_what_an_executive_reads():
    assert charts.money(1_234_567) == "€1.23M"
    assert charts.money(45_600, "$") == "$46k"
    assert charts.money(999) == "€999"


def test_legends_sit_under_the_x_axis_title_and_axes_make_room_for_their_labels():
    for key in ("investment", "mix", "bubble", "history"):
        figure = BUILDERS[key](False).figure
        assert figure["layout"]["legend"] == {
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
        }
        assert all(axis["automargin"] is True for axis in axes(figure).values()), key


def test_bubbles_at_the_edges_are_not_cut_and_no_negative_exposure_is_labelled():
    layout = BUILDERS["bubble"](False).figure["layout"]
    assert layout["xaxis"]["range"] == [-8, 108]
    # room under exposure 0 and over the largest (20), with headroom for the labels of the highest bubbles
    assert layout["yaxis"]["range"] == pytest.approx([-2.1, 23.7])
    assert layout["yaxis"]["tick0"] == 0
    assert layout["yaxis"]["dtick"] == 5  # the first tick under 0 (-5) is off the axis
    empty = BUILDERS["bubble"](True).figure["layout"]["yaxis"]
    assert empty["range"] == pytest.approx([-0.9, 6.3])
    assert empty["dtick"] == 1
