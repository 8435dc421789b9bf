"""The survey's charts: pure functions from a closed round's stored analysis to Plotly figures (plain dicts)
and the table that stands in for each; the word clouds as PNG images. No database access.

Every user-typed text placed in a figure (a leader's name, a question, a scale item) goes through plain(), as
in alignment.charts: Plotly reads a subset of HTML in labels, so `<`, `>` and `&` are written as entities.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass
from typing import Any

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
BLUE, ORANGE, SKY, GREY = "#0072B2", "#E69F00", "#56B4E9", "#7F7F7F"  # Okabe-Ito, as the other charts
CLOUD_COLOURS = {"shared": BLUE, "business_only": "#A65F00", "it_only": "#005A8C"}
CLOUD_TITLES = {
    "shared": "Shared vocabulary: terms both sides use",
    "business_only": "Terms only business leaders use",
    "it_only": "Terms only IT leaders use",
}


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    figure: dict[str, Any]
    table: Table
    height: int = 420


def plain(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json"> (< > & as \\u escapes)."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def table_html(table: Table, *, caption: str) -> str:
    """A chart's table as HTML, every cell escaped (the tables are bounded: at most 60 leaders)."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'—' if cell is None else html.escape(str(cell))}</td>" for cell in row)
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<table class="table table-sm table-striped small mb-1"><caption class="visually-hidden">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def chart_dict(chart: Chart, *, csv_url: str) -> dict[str, Any]:
    return {
        "key": chart.key,
        "title": chart.title,
        "description": chart.description,
        "height": chart.height,
        "figure": script_json(chart.figure),
        "table_html": table_html(chart.table, caption=chart.title),
        "csv_url": csv_url,
    }


def leader_heatmap(results: dict[str, Any]) -> Chart:
    """Leader × leader similarity over the round (0-1; blank where two leaders answered no question in
    common), business leaders first; the cell's number is written in it, so colour is not the only cue."""
    labels = [r["label"] for r in results.get("respondents", [])]
    matrix = results.get("matrix", [])
    shown = [plain(label) for label in labels]
    text = [["" if v is None else f"{v:.2f}" for v in row] for row in matrix]
    title = "Leader × leader similarity of answers (0 = no shared terms, 1 = same terms)"
    figure = {
        "data": [
            {
                "type": "heatmap",
                "z": matrix,
                "x": shown,
                "y": shown,
                "text": text,
                "texttemplate": "%{text}",
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, "#f7fbff"], [0.5, SKY], [1, BLUE]],
                "colorbar": {"title": {"text": "Similarity"}, "tickvals": [0, 0.5, 1]},
                "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
                "hoverongaps": False,
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 14}},
            "font": {"family": FONT, "size": 12},
            "xaxis": {"title": {"text": "Leader"}, "automargin": True, "tickangle": -30},
            "yaxis": {"title": {"text": "Leader"}, "automargin": True, "autorange": "reversed"},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        },
    }
    rows = [[labels[i], *[None if v is None else round(v, 4) for v in row]] for i, row in enumerate(matrix)]
    return Chart(
        key="leaders",
        title=title,
        description="Each cell: the mean TF-IDF cosine of two leaders' answers over the questions both answered.",
        figure=figure,
        table=Table(["Leader", *labels], rows),
        height=max(320, 80 + 36 * len(labels)),
    )


def cloud_png(terms: list[list[Any]], kind: str, *, width: int = 640, height: int = 320) -> bytes | None:
    """A word cloud of (word, stem, business, it) terms sized by their total count, as PNG; None when there is
    no term. Drawn the same way every time (a fixed seed), in one colour per kind."""
    frequencies: dict[str, float] = {}
    for word, _stem, business, it in terms:
        frequencies[str(word)] = frequencies.get(str(word), 0) + int(business) + int(it)
    if not frequencies:
        return None
    from wordcloud import WordCloud  # loads matplotlib's font machinery: only when a cloud is drawn

    colour = CLOUD_COLOURS.get(kind, GREY)
    cloud = WordCloud(
        width=width,
        height=height,
        background_color="white",
        prefer_horizontal=1.0,
        random_state=7,
        max_words=80,
        color_func=lambda *args, **kwargs: colour,
    ).generate_from_frequencies(frequencies)
    buffer = io.BytesIO()
    cloud.to_image().save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
