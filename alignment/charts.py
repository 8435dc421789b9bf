"""Charts: pure functions from dashboard data to Plotly figures (plain dicts in Plotly's JSON schema) and to
the table that stands in for each chart. No database access.

Figures are built as dicts rather than plotly.graph_objects: validation by graph_objects costs hundreds of
milliseconds per figure, and the tests validate every figure against Plotly's schema instead.
Colours come from the Okabe-Ito palette, which colour-blind readers can tell apart; every chart also
separates its series by marker shape, pattern or text, so colour is never the only cue.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any

from alignment.engine.formulas import KPI_STATUS_LABELS
from core.chart_parts import Chart, Table, plain

BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILLION, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#D55E00",
    "#CC79A7",
    "#7F7F7F",
)
TIER_STYLE = {
    1: (VERMILLION, "diamond", "Tier 1 (rigorous)"),
    2: (BLUE, "circle", "Tier 2 (standard)"),
    3: (GREY, "square", "Tier 3 (light)"),
}
CATEGORY_LABELS = {"run": "Run", "grow": "Grow", "transform": "Transform"}
STRENGTH_LETTER = {"weak": "W", "moderate": "M", "strong": "S", "none": ""}
HATCH = {"shape": "/", "fillmode": "overlay", "fgcolor": "#ffffff", "size": 7, "solidity": 0.35}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


def money(value: float, symbol: str = "€") -> str:
    if value >= 1_000_000:
        return f"{symbol}{value / 1_000_000:.2f}M"
    if value >= 1_000:
        return f"{symbol}{value / 1_000:.0f}k"
    return f"{symbol}{value:.0f}"


def short(text: Any, limit: int) -> str:
    """Text on one line, cut to `limit` characters with an ellipsis (the full text is in the hover and table)."""
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def named(code: Any, title: Any, limit: int) -> str:
    """A code and its short name, as a chart's axis shows a record (plain text for Plotly)."""
    return plain(f"{code} {short(title, limit)}")


def layout(title: str, **extra: Any) -> dict[str, Any]:
    """The common layout; `title` is plain text."""
    layout: dict[str, Any] = {
        "title": {"text": plain(title), "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#212529"},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "autosize": True,
        # at the foot of the figure, under the x axis title however tall the tick labels (automargin)
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
    }
    layout.update(extra)
    return layout


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis titled with plain text."""
    return {
        "title": {"text": plain(title)},
        "gridcolor": "#e9ecef",
        "zerolinecolor": "#adb5bd",
        "automargin": True,
        **extra,
    }


# ------------------------------------------------------------------------------------------ heat map


OBJECTIVE_CHARS = 30  # an objective's name on an axis, after its code
INITIATIVE_CHARS = 20  # an initiative's name on an axis, after its code


def alignment_heatmap(data: dict[str, Any], link: Callable[[int], str]) -> Chart:
    """Objectives (rows, most important first) against the largest open initiatives (columns).

    Each cell is the objective's relative weight times the contribution's strength (0-1), labelled W, M or S.
    """
    objectives, initiatives, cells = data["objectives"], data["initiatives"], data["cells"]
    z, text, custom, hover = [], [], [], []
    for o in objectives:
        z_row, t_row, c_row, h_row = [], [], [], []
        for i in initiatives:
            value, strength = cells.get((o["id"], i["id"]), (None, ""))
            z_row.append(None if value is None else round(value, 4))
            t_row.append(STRENGTH_LETTER.get(strength, ""))
            c_row.append(link(i["id"]))
            # only a contribution says something on hover: an empty cell (no contribution) shows nothing,
            # which keeps the stored page small (a hundred objectives by 25 initiatives is 2,500 cells)
            h_row.append(
                f"{plain(i['code'])} {plain(i['title'])}<br>→ {plain(o['code'])} {plain(o['title'])}"
                f"<br>{strength} contribution; relative weight × strength = {value:.2f}"
                if value is not None
                else ""
            )
        z.append(z_row)
        text.append(t_row)
        custom.append(c_row)
        hover.append(h_row)
    figure = {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": [named(i["code"], i["title"], INITIATIVE_CHARS) for i in initiatives],
                "y": [named(o["code"], o["title"], OBJECTIVE_CHARS) for o in objectives],
                "text": text,
                "texttemplate": "%{text}",
                "customdata": custom,
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "hoverongaps": False,
                "colorscale": "Cividis",
                "reversescale": True,
                "zmin": 0,
                "zmax": 1,
                "xgap": 2,
                "ygap": 2,
                "colorbar": {
                    "title": {"text": "Relative weight<br>× strength<br>(0 to 1)", "side": "top"},
                    "thickness": 12,
                },
            }
        ],
        "layout": layout(
            "Who serves which objective: contribution strength × objective weight",
            xaxis=axis("Initiatives, largest budget first", tickangle=-45),
            yaxis=axis("Objectives", autorange="reversed"),
            margin={"l": 80, "r": 20, "t": 50, "b": 110},
        ),
    }
    table = Table(
        [
            "Objective",
            "Objective name",
            "Initiative",
            "Initiative name",
            "Strength",
            "Relative weight × strength",
        ],
        [
            [o["code"], o["title"], i["code"], i["title"], strength, round(value, 2)]
            for o in objectives
            for i in initiatives
            for value, strength in [cells.get((o["id"], i["id"]), (None, ""))]
            if value is not None
        ],
    )
    return Chart(
        "heatmap",
        "Alignment heat map",
        "The largest open initiatives (columns, largest first) and the objectives they contribute to (rows, most "
        "important first): W weak, M moderate, "
        "S strong. The colour is the objective's relative weight × the contribution's strength, from 0 to 1 "
        "(1: a strong contribution to the most important objective).",
        figure,
        table,
        height=max(400, 240 + 28 * len(objectives)),
    )


# ------------------------------------------------------------------------------------------ bubbles


LABELLED_BUBBLES = 8


def value_risk_bubbles(data: dict[str, Any], link: Callable[[int], str], symbol: str = "€") -> Chart:
    """Strategic fit (x) against risk exposure (y); bubble area by budget; colour and shape by tier."""
    points = data["points"]
    largest = max((p["budget"] for p in points), default=0.0)
    # room around the data for the largest bubbles (rangemode "tozero" cut those at exposure 0 in half),
    # with ticks at multiples of a step larger than that room, so no negative exposure is labelled
    top = max([p["exposure"] for p in points] + [5])
    step = next(s for s in (1, 2, 5, 10, 20) if 6 * s >= top)
    pad = min(0.08 * top + 0.5, 0.9 * step)
    # the largest bubbles carry their code, so the ones that matter most are named without hovering
    labelled = {p["id"] for p in sorted(points, key=lambda p: (-p["budget"], p["code"]))[:LABELLED_BUBBLES]}
    traces = []
    for tier in (1, 2, 3):
        colour, shape, label = TIER_STYLE[tier]
        mine = [p for p in points if p["tier"] == tier]
        traces.append(
            {
                "type": "scattergl" if len(points) > 1500 else "scatter",
                "mode": "markers+text",
                "name": label,
                "x": [round(p["fit"], 1) for p in mine],
                "y": [p["exposure"] for p in mine],
                "customdata": [link(p["id"]) for p in mine],
                "text": [plain(p["code"]) if p["id"] in labelled else "" for p in mine],
                "textposition": "top center",
                "textfont": {"size": 10, "color": "#495057"},
                "cliponaxis": False,
                "hovertext": [
                    f"{plain(p['code'])} {plain(p['title'])}<br>budget {plain(money(p['budget'], symbol))}"
                    for p in mine
                ],
                "hovertemplate": "%{hovertext}<br>fit %{x:.0f}, exposure %{y}<extra>" + label + "</extra>",
                "marker": {
                    "color": colour,
                    "symbol": shape,
                    "size": [6 + 34 * math.sqrt(p["budget"] / largest) if largest else 8 for p in mine],
                    "opacity": 0.75,
                    "line": {"width": 1, "color": "#ffffff"},
                },
            }
        )
    figure = {
        "data": traces,
        "layout": layout(
            "Value against risk: strategic fit and risk exposure (bubble size = budget)",
            xaxis=axis("Strategic fit (0-100)", range=[-8, 108]),
            yaxis=axis(
                "Risk exposure (sum of the top three risks, P × I)",
                range=[-pad, top + pad + 0.08 * top],  # headroom for the labels of the highest bubbles
                tick0=0,
                dtick=step,
            ),
        ),
    }
    table = Table(
        ["Initiative", "Title", "Strategic fit", "Risk exposure", f"Budget ({symbol})", "Tier"],
        [
            [p["code"], p["title"], round(p["fit"], 1), p["exposure"], round(p["budget"]), p["tier"]]
            for p in points
        ],
    )
    total = data.get("total", len(points))
    description = (
        f"Funded initiatives by strategic fit and risk exposure; the {LABELLED_BUBBLES} largest are labelled."
    )
    if total > len(points):
        description = (
            f"The {len(points):,} largest of {total:,} funded initiatives by budget, by strategic fit and risk "
            f"exposure (the {LABELLED_BUBBLES} largest labelled); the register lists them all."
        )
    return Chart(
        "bubble",
        "Value against risk",
        description,
        figure,
        table,
        460,
    )


# ------------------------------------------------------------------------------------------ investment


def investment_vs_priority(data: dict[str, Any], link: Callable[[int], str], symbol: str = "€") -> Chart:
    """Per priority objective (rows, most important first), its share of the strategy's weight next to its
    share of funded spend. Under a theme filter (data["theme"]) only the theme's objectives, shares taken
    within the theme, and no "No objective" row."""
    units = data["units"]
    theme: dict[str, Any] = data.get("theme") or {}
    whole = not theme
    other: dict[str, Any] | None = data.get("other")
    # the rows after the objectives: the other objectives summed (a large strategy), the spend on none
    extra: list[dict[str, Any]] = []
    if other:
        name = f"Other {other['count']} priority objective" + ("s" if other["count"] != 1 else "")
        extra.append(
            {
                **other,
                "label": name,
                "hover": f"{name}, summed",
                "link": other["url"],
                "text": True,
                "code": "…",
            }
        )
    if whole:
        extra.append(
            {
                "label": "No objective",
                "hover": "Funded initiatives with no objective",
                "link": link(0),
                "weight_share": 0.0,
                "spend_share": data["unaligned_share"],
                "spend": data["unaligned"],
                "text": False,
                "code": "—",
            }
        )
    labels = [named(u["code"], u["title"], OBJECTIVE_CHARS) for u in units] + [e["label"] for e in extra]
    weight = [round(100 * u["weight_share"], 1) for u in [*units, *extra]]
    spend = [round(100 * u["spend_share"], 1) for u in [*units, *extra]]
    amounts = [u["spend"] for u in [*units, *extra]]
    links = [link(u["id"]) for u in units] + [e["link"] for e in extra]
    hover = [f"{plain(u['code'])} {plain(u['title'])}" for u in units] + [e["hover"] for e in extra]
    weight_text = [f"{v:.0f}%" for v in weight[: len(units)]] + [
        f"{weight[len(units) + n]:.0f}%" if e["text"] else "" for n, e in enumerate(extra)
    ]
    within = "" if whole else f" of {plain(theme['code'])}"
    figure = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Share of strategic weight" + within,
                "y": labels,
                "x": weight,
                "customdata": links,
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<br>weight %{x:.1f}%<extra></extra>",
                "marker": {"color": GREY, "pattern": HATCH},
                "text": weight_text,
                "textposition": "outside",
                "textfont": {"color": "#6c757d"},
                "cliponaxis": False,
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": "Share of funded spend" + within,
                "y": labels,
                "x": spend,
                "customdata": links,
                "hovertext": [
                    f"{h}<br>{plain(money(a, symbol))}" for h, a in zip(hover, amounts, strict=True)
                ],
                "hovertemplate": "%{hovertext}<br>spend %{x:.1f}%<extra></extra>",
                "marker": {"color": BLUE},
                "text": [f"{v:.0f}%" for v in spend],
                "textposition": "outside",
                "cliponaxis": False,
            },
        ],
        "layout": layout(
            "Investment against priority: where the money goes, where the strategy points"
            if whole
            else f"Investment against priority within {theme['code']} {short(theme['title'], 40)}",
            barmode="group",
            bargap=0.25,
            xaxis=axis(
                "Share (%)" if whole else f"Share within {theme['code']} (%)",
                rangemode="tozero",
                ticksuffix="%",
            ),
            yaxis=axis("Priority objectives", autorange="reversed"),
        ),
    }
    table = Table(
        ["Objective", "Title", "Weight share (%)", "Spend share (%)", f"Spend ({symbol})"],
        [
            [
                u["code"],
                u["title"] if "title" in u else u["label"],
                round(100 * u["weight_share"], 1),
                round(100 * u["spend_share"], 1),
                round(u["spend"]),
            ]
            for u in [*units, *extra]
        ],
    )
    if whole:
        description = (
            "Budget attributed to each priority objective (most important at the top) by contribution strength, "
            "against the objective's weight; click a bar for the initiatives and the spend behind it."
            + (
                f" The {other['count']} other priority objectives (less weight and less spend than those shown) "
                "share one bar; the objectives page lists them all."
                if other
                else ""
            )
        )
    else:
        description = (
            f"Within {theme['code']} only: each of its priority objectives (most important at the top), its share "
            f"of the spend attributed to the theme ({money(data['total'], symbol)}) against its share of the "
            f"theme's weight. The other {money(data.get('outside', 0.0), symbol)} of these initiatives' budgets "
            "goes to other themes or to no objective and is left out."
        )
    return Chart(
        "investment",
        "Investment against priority",
        description,
        figure,
        table,
        height=max(380, 150 + 34 * len(labels)),
    )


# ------------------------------------------------------------------------------------------ mix


def category_mix(data: dict[str, Any], link: Callable[[str], str], symbol: str = "€") -> Chart:
    """Run / Grow / Transform share of funded budget against the target mix.

    Under a category filter (data["highlight"]) the data is the mix of the other filters, with the chosen
    category highlighted: one category alone is always 100% of itself, which says nothing against a target.
    """
    total = data["total"] or 0.0
    highlight = data.get("highlight", "")
    categories = ["run", "grow", "transform"]
    actual = [round(100 * data["budget"].get(c, 0.0) / total, 1) if total else 0.0 for c in categories]
    target = [round(100 * data["target"].get(c, 0.0), 1) for c in categories]
    labels = [CATEGORY_LABELS[c] + (" (filtered)" if c == highlight else "") for c in categories]
    links = [link(c) for c in categories]
    # the chosen category stands out by opacity and by a dark outline, not by colour alone
    opacity = [1.0 if not highlight or c == highlight else 0.4 for c in categories]
    outline = [2.5 if c == highlight else 0 for c in categories]
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "Target mix",
                "x": labels,
                "y": target,
                "customdata": links,
                "hovertemplate": "%{x}: target %{y:.0f}%<extra></extra>",
                "marker": {
                    "color": GREY,
                    "pattern": HATCH,
                    "opacity": opacity,
                    "line": {"color": "#212529", "width": outline},
                },
                "text": [f"{v:.0f}%" for v in target],
                "textposition": "outside",
            },
            {
                "type": "bar",
                "name": "Actual share of funded budget",
                "x": labels,
                "y": actual,
                "customdata": links,
                "hovertemplate": "%{x}: actual %{y:.1f}%<extra></extra>",
                "marker": {"color": BLUE, "opacity": opacity, "line": {"color": "#212529", "width": outline}},
                "text": [f"{v:.0f}%" for v in actual],
                "textposition": "outside",
            },
        ],
        "layout": layout(
            "Run / Grow / Transform: budget mix against target",
            barmode="group",
            xaxis=axis("Category"),
            yaxis=axis("Share of funded budget (%)", rangemode="tozero", ticksuffix="%"),
        ),
    }
    table = Table(
        ["Category", "Target (%)", "Actual (%)", f"Budget ({symbol})"],
        [
            [labels[n], target[n], actual[n], round(data["budget"].get(c, 0.0))]
            for n, c in enumerate(categories)
        ],
    )
    description = "Share of funded budget per category, and the target."
    if highlight:
        name = CATEGORY_LABELS.get(highlight, highlight)
        description = (
            f"The category filter is not applied to this chart: {name} alone is always 100% of itself. It shows "
            f"the mix of {data.get('context', 'the whole portfolio')} against the target, {name} highlighted."
        )
    return Chart("mix", "Run / Grow / Transform mix", description, figure, table, 380)


# ------------------------------------------------------------------------------------------ KPIs


def _linear(d0: datetime.date, v0: float, d1: datetime.date, v1: float, on: datetime.date) -> float:
    span = (d1 - d0).days
    return v0 if span == 0 else v0 + (v1 - v0) * (on - d0).days / span


def _confidence(k: Any) -> str:
    """How sure a KPI's status is (docs/scoring.md, Confidence): high, medium or low; "" without readings."""
    return "" if k.confidence in ("", "none") else str(k.confidence)


def _status_and_confidence(k: Any) -> str:
    """A KPI panel's status with how sure it is: "At risk · medium confidence"."""
    status = KPI_STATUS_LABELS.get(k.status, k.status)
    return f"{status} · {_confidence(k)} confidence" if _confidence(k) else status


def kpi_small_multiples(
    data: dict[str, Any],
    link: Callable[[int], str],
    columns: int = 3,
    title: str = "KPIs of the most important objectives: readings, expected progress, target and forecast",
) -> Chart:
    """One panel per KPI: readings, the expected-progress line, the target and the forecast trend."""
    kpis = data["kpis"]
    rows = max(1, math.ceil(len(kpis) / columns))
    traces: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout_axes: dict[str, Any] = {}
    # Fixed pixel sizes, so each panel's two-line title clears the tick labels of the panel above it.
    panel_px, gap_px, top_px, bottom_px = 200, 80, 100, 70
    plot_px = rows * panel_px + (rows - 1) * gap_px
    gap_x = 0.06
    width = (1 - gap_x * (columns - 1)) / columns
    height = panel_px / plot_px
    gap_y = gap_px / plot_px
    for n, k in enumerate(kpis):
        axis = "" if n == 0 else str(n + 1)
        row, col = divmod(n, columns)
        x0 = col * (width + gap_x)
        y1 = 1 - row * (height + gap_y)
        layout_axes[f"xaxis{axis}"] = {
            "domain": [x0, x0 + width],
            "anchor": f"y{axis}",
            "gridcolor": "#e9ecef",
            "tickformat": "%b %y",
            "nticks": 4,
        }
        layout_axes[f"yaxis{axis}"] = {
            "domain": [y1 - height, y1],
            "anchor": f"x{axis}",
            "gridcolor": "#e9ecef",
            "title": {"text": plain(k.unit), "standoff": 2},
        }
        show = n == 0
        url = link(k.id)
        expected = [k.baseline, *k.interim, k.target]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Expected progress",
                "legendgroup": "expected",
                "showlegend": show,
                "x": [d.isoformat() for d, _ in expected],
                "y": [v for _, v in expected],
                "line": {"color": GREY, "dash": "dash", "width": 1.5},
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "hovertemplate": "expected %{y} on %{x}<extra></extra>",
                "customdata": [url] * len(expected),
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Readings",
                "legendgroup": "readings",
                "showlegend": show,
                "x": [d.isoformat() for d, _ in k.readings],
                "y": [v for _, v in k.readings],
                "line": {"color": BLUE, "width": 2},
                "marker": {"size": 5, "symbol": "circle"},
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                # the unit is a value filled in, never part of the template (where "%{...}" would be read)
                "hovertext": [plain(k.unit)] * len(k.readings),
                "hovertemplate": "%{y} %{hovertext} on %{x}<extra></extra>",
                "customdata": [url] * len(k.readings),
            }
        )
        if k.forecast and k.readings:
            last_date, last_value = k.readings[-1]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "Forecast (trend)",
                    "legendgroup": "forecast",
                    "showlegend": show,
                    "x": [last_date.isoformat(), k.forecast[0].isoformat()],
                    "y": [last_value, round(k.forecast[1], 4)],
                    "line": {"color": ORANGE, "dash": "dot", "width": 2},
                    "marker": {"size": [0, 7], "symbol": "triangle-up"},
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "hovertemplate": "forecast %{y:.4~g} on %{x}<extra></extra>",
                    "customdata": [url, url],
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Target",
                "legendgroup": "target",
                "showlegend": show,
                "x": [k.target[0].isoformat()],
                "y": [k.target[1]],
                "marker": {"color": VERMILLION, "size": 11, "symbol": "star"},
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "hovertemplate": "target %{y} by %{x}<extra></extra>",
                "customdata": [url],
            }
        )
        status = _status_and_confidence(k)
        annotations.append(
            {
                "text": f"<b>{plain(k.objective)} · {plain(k.name[:38])}</b><br>{plain(status)}",
                "x": x0,
                "y": y1 + 0.005,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": 11},
            }
        )
    if not kpis:  # say so, rather than draw an empty grid of meaningless default axes
        layout_axes = {"xaxis": {"visible": False}, "yaxis": {"visible": False}}
        annotations.append(
            {
                "text": "No KPI to show: no objective in view has one.",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 13, "color": "#6c757d"},
            }
        )
    figure = {
        "data": traces,
        "layout": layout(
            title,
            annotations=annotations,
            margin={"l": 50, "r": 20, "t": top_px, "b": bottom_px},
            legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
            **layout_axes,
        ),
    }
    rows_out: list[list[Any]] = []
    for k in kpis:
        status = KPI_STATUS_LABELS.get(k.status, k.status)
        sure = _confidence(k)
        points = [("Expected progress", d, v) for d, v in [k.baseline, *k.interim, k.target]]
        points += [("Reading", d, v) for d, v in k.readings]
        if k.forecast and k.readings:
            points.append(("Forecast (trend)", k.forecast[0], round(k.forecast[1], 4)))
        points.append(("Target", k.target[0], k.target[1]))
        rows_out += [
            [k.name, k.objective, k.unit, status, sure, series, d.isoformat(), v] for series, d, v in points
        ]
    table = Table(["KPI", "Objective", "Unit", "Status", "Confidence", "Series", "Date", "Value"], rows_out)
    return Chart(
        "kpis",
        "KPI trends",
        "Each KPI's readings against the expected-progress line (dashed), the target (star) and the trend forecast (dotted).",
        figure,
        table,
        height=plot_px + top_px + bottom_px,
    )


# ------------------------------------------------------------------------------------------ history


def alignment_history(data: dict[str, Any], link: str) -> Chart:
    points = [(d, v) for d, v in data["points"] if v is not None]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Alignment index",
                "x": [d.isoformat() for d, _ in points],
                "y": [round(v, 2) for _, v in points],
                "line": {"color": BLUE, "width": 2.5},
                "marker": {"size": 7},
                "customdata": [link] * len(points),
                "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
                "cliponaxis": False,  # a point at 0 or 100 is drawn whole on the edge of the scale
            }
        ],
        "layout": layout(
            "Alignment index over time (budget-weighted, 0-100)",
            xaxis=axis("Date", tickformat="%d %b %Y"),
            # the whole scale: an axis zoomed to the data drew a move from 93.21 to 93.25 as a cliff
            yaxis=axis("Alignment index (0-100)", range=[0, 100], dtick=20),
            showlegend=True,
        ),
    }
    table = Table(["Date", "Alignment index"], [[d.isoformat(), round(v, 2)] for d, v in points])
    return Chart(
        "history",
        "Alignment index over time",
        "The budget-weighted alignment index at each month end, on its whole 0-100 scale.",
        figure,
        table,
        340,
    )


# ------------------------------------------------------------------------------------------ risks

BAND = {"low": "#d9f0d3", "medium": "#fff1b8", "high": "#ffcf99", "severe": "#f4a3a3"}


def _band(exposure: int) -> str:
    return "severe" if exposure >= 20 else "high" if exposure >= 10 else "medium" if exposure >= 5 else "low"


def risk_heatmap(data: dict[str, Any], link: Callable[[int, int], str]) -> Chart:
    """Active risks counted on the 5 x 5 grid of probability (rows) and impact (columns)."""
    counts = data["counts"]
    probabilities, impacts = [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]
    bands = ["low", "medium", "high", "severe"]
    z = [[bands.index(_band(p * i)) for i in impacts] for p in probabilities]
    text = [[str(counts.get((p, i), 0) or "") for i in impacts] for p in probabilities]
    custom = [[link(p, i) for i in impacts] for p in probabilities]
    hover = [
        [
            f"probability {p} × impact {i} = {p * i} ({_band(p * i)}): {counts.get((p, i), 0)} risks"
            for i in impacts
        ]
        for p in probabilities
    ]
    scale = [[n / 3, BAND[b]] for n, b in enumerate(bands)]
    figure = {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": [str(i) for i in impacts],
                "y": [str(p) for p in probabilities],
                "text": text,
                "texttemplate": "%{text}",
                "textfont": {"size": 15},
                "customdata": custom,
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "colorscale": scale,
                "zmin": 0,
                "zmax": 3,
                "xgap": 3,
                "ygap": 3,
                "showscale": False,
            },
        ],
        "layout": layout(
            "Risk heat map: active risks by probability and impact",
            xaxis=axis("Impact (1 minor … 5 severe)"),
            yaxis=axis("Probability (1 rare … 5 almost certain)"),
        ),
    }
    table = Table(
        ["Probability", "Impact", "Exposure", "Band", "Active risks"],
        [
            [p, i, p * i, _band(p * i), counts.get((p, i), 0)]
            for p in reversed(probabilities)
            for i in impacts
        ],
    )
    return Chart(
        "risks",
        "Risk heat map",
        "Active risks counted on the 5 × 5 grid; the colour is the exposure band of probability × impact (low "
        "under 5, medium 5-9, high 10-19, severe 20-25). Click a cell to list its risks.",
        figure,
        table,
        380,
    )


def score_history(data: dict[str, Any], link: str) -> Chart:
    """One initiative's alignment and component scores day by day."""
    points = data["points"]
    series = [
        ("alignment", "Alignment", BLUE, "solid", "circle"),
        ("fit", "Strategic fit", ORANGE, "dash", "square"),
        ("delivery", "Delivery confidence", GREEN, "dot", "diamond"),
        ("outcome", "Outcome evidence", PURPLE, "dashdot", "triangle-up"),
    ]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label,
            "x": [p["date"].isoformat() for p in points if p.get(key) is not None],
            "y": [round(p[key], 1) for p in points if p.get(key) is not None],
            "line": {"color": colour, "dash": dash, "width": 2.5 if key == "alignment" else 1.5},
            "marker": {"symbol": symbol, "size": 6},
            "customdata": [link] * sum(1 for p in points if p.get(key) is not None),
            "hovertemplate": label + " %{y:.1f} on %{x}<extra></extra>",
        }
        for key, label, colour, dash, symbol in series
    ]
    figure = {
        "data": traces,
        "layout": layout(
            "Scores over time (0-100)",
            xaxis=axis("Date", tickformat="%b %Y"),
            yaxis=axis("Score (0-100)", range=[0, 100]),
        ),
    }
    table = Table(
        ["Date", *[label for _, label, *_ in series]],
        [
            [p["date"].isoformat(), *[None if p.get(key) is None else round(p[key], 1) for key, *_ in series]]
            for p in points
        ],
    )
    return Chart("scores", "Scores over time", "The initiative's scores day by day.", figure, table, 300)


# ------------------------------------------------------------------------------------------ capacity


def capacity_load(data: dict[str, Any]) -> Chart:
    """Every team's capacity and demand month by month (issue 13): run, committed change and proposed change
    as stacked bars (person-days), capacity as a line. `data["months"]` holds (label, capacity, run,
    committed, proposed) per month; `data["over"]` the over-allocated team-months per month."""
    months = data["months"]
    labels = [m[0] for m in months]
    layers = [
        ("Run demand", 2, GREY, {"shape": "", "solidity": 0.3}),
        ("Committed change", 3, BLUE, {}),
        ("Proposed change", 4, SKY, HATCH),
    ]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": [round(float(m[index]), 1) for m in months],
            "marker": {"color": colour, **({"pattern": pattern} if pattern else {})},
            "hovertemplate": f"%{{x}}: {name.lower()} %{{y:,.1f}} person-days<extra></extra>",
        }
        for name, index, colour, pattern in layers
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Capacity",
            "x": labels,
            "y": [round(float(m[1]), 1) for m in months],
            "line": {"color": VERMILLION, "width": 2.5, "dash": "dash"},
            "marker": {"symbol": "diamond", "size": 7, "color": VERMILLION},
            "hovertemplate": "%{x}: capacity %{y:,.1f} person-days<extra></extra>",
        }
    )
    figure = {
        "data": traces,
        "layout": layout(
            "Capacity and demand of all teams, next 12 months",
            barmode="stack",
            xaxis=axis("Month"),
            yaxis=axis("Person-days", rangemode="tozero"),
        ),
    }
    table = Table(
        [
            "Month",
            "Capacity (person-days)",
            "Run (person-days)",
            "Committed change (person-days)",
            "Proposed change (person-days)",
            "Utilisation (%)",
            "Over-allocated team-months",
        ],
        [
            [
                m[0],
                round(float(m[1]), 1),
                round(float(m[2]), 1),
                round(float(m[3]), 1),
                round(float(m[4]), 1),
                round(100 * (float(m[2]) + float(m[3])) / float(m[1]), 1) if m[1] else None,
                data["over"].get(m[0], 0),
            ]
            for m in months
        ],
    )
    description = (
        "Run demand, committed change and proposed change (hatched) of every team, stacked in person-days, "
        "against the teams' capacity (dashed line)."
    )
    return Chart("capacity", "Capacity and demand", description, figure, table, 400)
