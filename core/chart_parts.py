"""What every chart of Bearing is made of, whichever app draws it: the figure (a Plotly dict) and the table
that stands in for it, text made plain for Plotly, and the figure's JSON and table's HTML as a page embeds
them. Pure functions, no database access."""

from __future__ import annotations

import datetime
import html
import json
from dataclasses import dataclass
from typing import Any

TABLE_PREVIEW = 100  # rows of a chart's table shown on the page; the CSV has them all


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
    """Text shown by Plotly as it was typed. Plotly reads a subset of HTML in every label, hover text and title
    (<a href=...>, <b>, <br>, style, entities): the characters that start a tag or an entity are written as
    entities, which Plotly turns back into those characters as text. Every user-entered value placed in a
    figure goes through this; tables and CSV downloads keep the raw value."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def script_json(value: Any) -> str:
    """JSON safe to place inside <script type="application/json"> (as Django's json_script escapes it)."""
    text = json.dumps(value, separators=(",", ":"), default=_date_default)
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def _date_default(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def table_html(table: Table, *, caption: str, limit: int | None = None) -> str:
    """A chart's table as an HTML table, every cell escaped (built here: the template engine is slow for
    thousands of cells); only its first `limit` rows when given, saying so."""
    rows = table.rows if limit is None else table.rows[:limit]
    head = "".join(f'<th scope="col">{html.escape(str(column))}</th>' for column in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'—' if cell is None else html.escape(str(cell))}</td>" for cell in row)
        + "</tr>"
        for row in rows
    )
    more = (
        f'<p class="small text-body-secondary">First {limit} of {len(table.rows)} rows; the CSV has them all.</p>'
        if limit is not None and len(table.rows) > limit
        else ""
    )
    return (
        f'<table class="table table-sm table-striped small mb-1"><caption class="visually-hidden">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
    )


def chart_dict(chart: Chart, *, preview: int | None = TABLE_PREVIEW, csv_url: str = "") -> dict[str, Any]:
    """A chart as the page and the CSV download use it: embeddable figure JSON, the table, its HTML preview
    (`preview` rows; None: every row)."""
    return {
        "key": chart.key,
        "title": chart.title,
        "description": chart.description,
        "height": chart.height,
        "figure": script_json(chart.figure),
        "table": {"columns": chart.table.columns, "rows": chart.table.rows},
        "table_html": table_html(chart.table, caption=chart.title, limit=preview),
        "csv_url": csv_url,
    }
