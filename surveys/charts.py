"""The survey's charts: pure functions from a closed round's stored analysis to Plotly figures (plain dicts)
and the table that stands in for each; the word clouds as PNG images. No database access.

Every user-typed text placed in a figure (a leader's name, a question, a scale item) goes through plain() (core.chart_parts), as
in alignment.charts: Plotly reads a subset of HTML in labels, so `<`, `>` and `&` are written as entities.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.utils import timezone

from core.chart_parts import Chart, Table, plain

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
BLUE, ORANGE, SKY, GREY = "#0072B2", "#E69F00", "#56B4E9", "#7F7F7F"  # Okabe-Ito, as the other charts
CLOUD_COLOURS = {"shared": BLUE, "business_only": "#A65F00", "it_only": "#005A8C"}
CLOUD_TITLES = {
    "shared": "Shared vocabulary: terms both sides use",
    "business_only": "Terms only business leaders use",
    "it_only": "Terms only IT leaders use",
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


def day(value: Any) -> str:
    """A round's closing moment as its day (ISO 8601)."""
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).date().isoformat()
            if timezone.is_aware(value)
            else value.date().isoformat()
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value or "")[:10]


def agreement_trend(
    rounds: list[tuple[int, str, float, Any]],
    *,
    current: int | None = None,
    thresholds: tuple[float, float] | None = None,
) -> Chart:
    """The leadership-agreement index (0-100) of a program's closed rounds, oldest first ((id, title,
    agreement, closed at) each), as a line with a marker per round; `current` is drawn larger (the round the
    page is about); `thresholds` (amber, red) are the engine's signal lines, when the caller knows them.
    Each round is labelled on the axis by its closing day and number, so two rounds closed the same day stay
    apart; the table has every round with its title."""
    labels = [f"{day(closed)} (#{n})" for n, (_pk, _title, _agreement, closed) in enumerate(rounds, start=1)]
    values = [round(agreement, 1) for _pk, _title, agreement, _closed in rounds]
    titles = [plain(title) for _pk, title, _agreement, _closed in rounds]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": "Agreement (0-100)",
            "x": labels,
            "y": values,
            "text": [f"{v:.0f}" for v in values],
            "textposition": "top center",
            "customdata": titles,
            "marker": {
                "color": BLUE,
                "size": [14 if pk == current else 8 for pk, *_rest in rounds],
                "symbol": ["diamond" if pk == current else "circle" for pk, *_rest in rounds],
            },
            "line": {"color": BLUE, "width": 2},
            "hovertemplate": "%{customdata}<br>%{x}: %{y:.1f}/100<extra></extra>",
        }
    ]
    if thresholds is not None and labels:
        amber, red = thresholds
        for value, name, colour, dash in (
            (amber, f"Signal (amber) below {amber:.0f}", ORANGE, "dash"),
            (red, f"Signal (red) below {red:.0f}", "#D55E00", "dot"),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": name,
                    "x": [labels[0], labels[-1]] if len(labels) > 1 else [labels[0], labels[0]],
                    "y": [value, value],
                    "line": {"color": colour, "width": 1.5, "dash": dash},
                    "hoverinfo": "skip",
                }
            )
    title = "Leadership agreement across survey rounds (0-100)"
    figure = {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 14}},
            "font": {"family": FONT, "size": 12},
            # half a category either side, so the first and last days' labels are not cut
            "xaxis": {
                "title": {"text": "Round closed on"},
                "type": "category",
                "automargin": True,
                "range": [-0.5, max(len(labels), 1) - 0.5],
            },
            "yaxis": {"title": {"text": "Agreement (0-100)"}, "range": [0, 105], "dtick": 20},
            "legend": {"orientation": "h", "y": -0.3},
            "showlegend": True,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        },
    }
    rows = [[title_, day(closed), round(agreement, 1)] for _pk, title_, agreement, closed in rounds]
    return Chart(
        key="agreement-trend",
        title=title,
        description="Each point: a closed round's agreement index, 100 × the mean similarity of the business "
        "and IT leaders' answers (docs/surveys.md); the latest round on the right.",
        figure=figure,
        table=Table(["Round", "Closed on", "Agreement (0-100)"], rows),
        height=320,
    )
