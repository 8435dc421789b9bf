"""Planning's charts: pure functions from plain data to Plotly figures (dicts) and the tables that stand in for
them, drawn like the dashboard's (alignment.charts). No database access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.chart_parts import Chart, Table, plain

BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#7F7F7F"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


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
        "layout": {
            "title": {
                "text": "How far each weight can move before the top of the ranking changes",
                "x": 0.01,
                "xanchor": "left",
                "font": {"size": 15},
            },
            "font": {"family": FONT, "size": 12, "color": "#212529"},
            "barmode": "group",
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
            "autosize": True,
            "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
            "xaxis": {
                "title": {"text": "Weight of the criterion (% of the total weight)"},
                "range": [0, 100],
                "ticksuffix": "%",
                "gridcolor": "#e9ecef",
                "automargin": True,
            },
            "yaxis": {"title": {"text": "Criterion"}, "autorange": "reversed", "automargin": True},
        },
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
