"""Planning's charts: pure functions from plain data (a ranking's sensitivity, a stored frontier or answer) to
Plotly figures and the tables that stand in for them (core.chart_parts), drawn like the dashboard's
(alignment.charts). No database access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alignment.charts import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILLION, axis, layout, money
from core.chart_parts import Chart, Table, plain

MARK_STYLE = [  # colour and marker shape of the plans marked on the frontier, in order
    (VERMILLION, "diamond"),
    (GREEN, "square"),
    (ORANGE, "triangle-up"),
    (PURPLE, "star"),
    (SKY, "cross"),
    (GREY, "x"),
    (BLUE, "triangle-down"),
    (ORANGE, "pentagon"),
    (PURPLE, "hexagon"),
    (GREEN, "star-diamond"),
]


def frontier_chart(frontier: dict[str, Any], symbol: str = "€") -> Chart:
    """The best value reachable at each budget level (a line of points), with plans marked on it."""
    measure = frontier.get("maximise", "value")
    solved = [p for p in frontier["points"] if p["value"] is not None]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Best reachable (efficient frontier)",
            "x": [p["budget"] for p in solved],
            "y": [p["value"] for p in solved],
            "customdata": [
                [money(p["budget"], symbol), p["count"], money(p["cost"], symbol)] for p in solved
            ],
            "hovertemplate": "Budget %{customdata[0]}: best "
            + plain(measure)
            + " %{y:,.2f} with %{customdata[1]} initiatives costing %{customdata[2]}<extra></extra>",
            "line": {"color": BLUE, "width": 2.5, "shape": "hv"},
            "marker": {"size": 6},
        }
    ]
    for n, mark in enumerate(frontier.get("marks", [])):
        colour, shape = MARK_STYLE[n % len(MARK_STYLE)]
        label = plain(mark["label"]) + ("" if mark["feasible"] else " (breaks a limit or rule)")
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "x": [mark["cost"]],
                "y": [mark["value"]],
                "marker": {
                    "size": 13,
                    "color": colour,
                    "symbol": shape,
                    "line": {"width": 1, "color": "#212529"},
                },
                "hovertemplate": label + ": %{y:,.2f} for " + money(mark["cost"], symbol) + "<extra></extra>",
            }
        )
    figure = {
        "data": data,
        "layout": layout(
            f"Efficient frontier: the best {measure} reachable at each budget level",
            xaxis=axis(f"Budget over the horizon ({symbol})", rangemode="tozero"),
            yaxis=axis(f"{measure} of the selection", rangemode="tozero"),
            showlegend=True,
            margin={"l": 70, "r": 20, "t": 50, "b": 110},
        ),
    }
    rows: list[list[Any]] = [
        ["Frontier", p["budget"], p["value"], p["cost"], p["count"], p["status"]] for p in frontier["points"]
    ]
    rows += [
        [
            f"Marked: {m['label']}",
            None,
            m["value"],
            m["cost"],
            None,
            "keeps the rules" if m["feasible"] else "breaks a limit or rule",
        ]
        for m in frontier.get("marks", [])
    ]
    table = Table(
        [
            "Series",
            f"Budget level ({symbol})",
            f"Best {measure}",
            f"Cost ({symbol})",
            "Initiatives",
            "Status",
        ],
        rows,
    )
    return Chart(
        "frontier",
        "Efficient frontier",
        f"Each point is the best {measure} any selection reaches within that budget over the horizon, keeping "
        "every other limit and rule of the scenario; the marks are plans placed by their own cost and value.",
        figure,
        table,
        440,
    )


def spend_chart(summary: dict[str, Any], symbol: str = "€") -> Chart:
    """The answer's capex and opex per year, stacked, with each year's limits as markers."""
    years = list(summary["spend"])
    capex = [summary["spend"][y][0] for y in years]
    opex = [summary["spend"][y][1] for y in years]
    limits = {
        (u["name"].split(" ", 1)[0], u["name"].split(" ", 1)[1]): u["limit"]
        for u in summary["limits"]
        if u["name"][:4].isdigit()
    }
    data: list[dict[str, Any]] = [
        {"type": "bar", "name": "Capex", "x": years, "y": capex, "marker": {"color": BLUE}},
        {
            "type": "bar",
            "name": "Opex",
            "x": years,
            "y": opex,
            "marker": {"color": SKY, "pattern": {"shape": "/"}},
        },
    ]
    for kind, colour, shape in (
        ("total cost", VERMILLION, "line-ew"),
        ("capex", BLUE, "triangle-down"),
        ("opex", GREEN, "triangle-up"),
    ):
        xs = [y for y in years if (y, kind) in limits]
        if xs:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{kind.capitalize()} limit",
                    "x": xs,
                    "y": [limits[(y, kind)] for y in xs],
                    "marker": {
                        "symbol": shape,
                        "size": 16,
                        "color": colour,
                        "line": {"width": 3, "color": colour},
                    },
                }
            )
    figure = {
        "data": data,
        "layout": layout(
            "The plan's spend per year against its limits",
            barmode="stack",
            xaxis=axis("Year", type="category"),
            yaxis=axis(f"Spend ({symbol})", rangemode="tozero"),
            showlegend=True,
            margin={"l": 70, "r": 20, "t": 50, "b": 90},
        ),
    }
    rows = [
        [y, capex[i], opex[i], round(capex[i] + opex[i], 2)]
        + [limits.get((y, k)) for k in ("capex", "opex", "total cost")]
        for i, y in enumerate(years)
    ]
    table = Table(
        [
            "Year",
            f"Capex ({symbol})",
            f"Opex ({symbol})",
            f"Total ({symbol})",
            "Capex limit",
            "Opex limit",
            "Total limit",
        ],
        rows,
    )
    return Chart(
        "spend",
        "Spend per year",
        "The capex and opex of the initiatives in the plan in each year of the horizon, with the year's limits.",
        figure,
        table,
        340,
    )


@dataclass(frozen=True)
class WeightRange:
    """One criterion's weight (0-1) and the range it can move within before a top changes (None = never):
    for the first place and for the top N, with who enters at each end."""

    label: str
    weight: float
    first_down: float | None
    first_up: float | None
    first_down_enters: str
    first_up_enters: str
    top_down: float | None
    top_up: float | None
    top_down_enters: str
    top_up_enters: str


def _percent(value: float | None) -> str:
    return "never" if value is None else f"{100 * value:.1f}%"


def sensitivity_chart(ranges: Sequence[WeightRange], top: int, first: str = "First place") -> Chart:
    """Each criterion's weight as a diamond, and the range of weights within which the first place (`first`
    names it: the first optional place when mandatory initiatives lead) and the top N stay as they are, as
    bars; an end that is never reached runs to 0% or 100%."""
    labels = [plain(item.label) for item in ranges]
    figure_data = []
    for name, colour, pattern, low_of, high_of in (
        (f"{first} unchanged", BLUE, "", lambda r: r.first_down, lambda r: r.first_up),
        (f"Top {top} unchanged", ORANGE, "/", lambda r: r.top_down, lambda r: r.top_up),
    ):
        lows = [100 * (low_of(r) if low_of(r) is not None else 0.0) for r in ranges]
        highs = [100 * (high_of(r) if high_of(r) is not None else 1.0) for r in ranges]
        figure_data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": labels,
                "x": [high - low for low, high in zip(lows, highs, strict=True)],
                "base": lows,
                "marker": {"color": colour, "pattern": {"shape": pattern}},
                "opacity": 0.75,
                "customdata": [
                    [round(low, 1), round(high, 1)] for low, high in zip(lows, highs, strict=True)
                ],
                "hovertemplate": "%{y}: from %{customdata[0]}% to %{customdata[1]}%<extra>"
                + name
                + "</extra>",
            }
        )
    figure_data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Current weight",
            "y": labels,
            "x": [round(100 * r.weight, 2) for r in ranges],
            "marker": {"symbol": "diamond", "size": 13, "color": "#212529"},
            "hovertemplate": "%{y}: weighs %{x}%<extra></extra>",
        }
    )
    figure = {
        "data": figure_data,
        "layout": layout(
            "How far each weight can move before the top of the ranking changes",
            barmode="group",
            xaxis=axis("Weight of the criterion (% of the total weight)", range=[0, 100], ticksuffix="%"),
            yaxis=axis("Criterion", autorange="reversed"),
        ),
    }
    table = Table(
        columns=[
            "Criterion",
            "Weight now",
            f"{first}: lowest weight",
            "Then leads",
            f"{first}: highest weight",
            "Then leads",
            f"Top {top}: lowest weight",
            "Then enters",
            f"Top {top}: highest weight",
            "Then enters",
        ],
        rows=[
            [
                r.label,
                _percent(r.weight),
                _percent(r.first_down),
                r.first_down_enters,
                _percent(r.first_up),
                r.first_up_enters,
                _percent(r.top_down),
                r.top_down_enters,
                _percent(r.top_up),
                r.top_up_enters,
            ]
            for r in ranges
        ],
    )
    return Chart(
        key="sensitivity",
        title="Sensitivity of the ranking to each weight",
        description=(
            f"For each criterion, the bars span the weights (in % of the total) within which the {first.lower()} and "
            f"the top {top} stay as they are; past either end another initiative enters. The diamond is the "
            "weight now. A bar reaching 0% or 100% means no change that way."
        ),
        figure=figure,
        table=table,
        height=120 + 70 * max(1, len(ranges)),
    )
