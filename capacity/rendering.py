"""The heat map's table body, built in Python: 200 teams x 36 months is 7,200 cells, which the template
engine renders in several times the page's budget. Every value written here is escaped or a number."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from capacity.months import label, short
from capacity.selectors import BANDS, NO_CAPACITY, HeatMap

OVER_MARK = '<span class="cap-over" aria-hidden="true">▲</span>'
OVER_TEXT = '<span class="visually-hidden"> over-allocated</span>'
BOUNDS = np.array([bound for bound, _css, _label in BANDS])


def grid_body(grid: HeatMap) -> SafeString:
    """The <tbody> rows: a row header per team (a link to the team) and a cell per month showing its
    utilisation in per cent, coloured by band, marked when over-allocated, linking to the demand behind it.
    Read from the grid's arrays: the bands are found for all cells at once, the texts made once per row."""
    team_url = reverse("capacity:team-detail", args=[987654321])
    cell_url = reverse("capacity:cell-detail", args=[987654321, "0000-00"])
    names = [(short(m), label(m)) for m in grid.months]
    percent = grid.percent
    missing = np.isnan(percent)
    # the band of every cell: the first bound at or above its utilisation; no capacity: over or none
    css_of = [css for _bound, css, _label in BANDS]
    bands = np.searchsorted(BOUNDS, np.where(missing, 0.0, percent), side="left")
    parts: list[str] = []
    for i, row in enumerate(grid.rows):
        name = html.escape(row.name)
        parts.append(
            f'<tr><th scope="row" class="cap-team"><a href="{team_url.replace("987654321", str(row.team_id))}">'
            f"{name}</a></th>"
        )
        base = cell_url.replace("987654321", str(row.team_id))
        overs = grid.over_mask[i].tolist()
        gaps = missing[i].tolist()
        values = percent[i].tolist()
        capacity = grid.capacity[i].tolist()
        demand = grid.demand[i].tolist()
        classes = bands[i].tolist()
        for j, (key, month_label) in enumerate(names):
            over = overs[j]
            href = base.replace("0000-00", key)
            if gaps[j]:
                css = BANDS[-1][1] if demand[j] > 0 else NO_CAPACITY[0]
                text = "no cap." if over else "–"
                title = f"{name}, {month_label}: no capacity"
            else:
                css = css_of[classes[j]]
                text = f"{values[j]:.0f}"
                title = f"{name}, {month_label}: {text} % of {capacity[j]:.1f} person-days"
            if over:
                parts.append(
                    f'<td class="{css}"><a href="{href}" title="{title} (over-allocated)">{OVER_MARK}{text}'
                    f"{OVER_TEXT}</a></td>"
                )
            else:
                parts.append(f'<td class="{css}"><a href="{href}" title="{title}">{text}</a></td>')
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a number


def number(value: float | None, places: int = 0, suffix: str = "") -> str:
    """A figure as the page shows it ("–" for none): the template filter floatformat costs a millisecond per
    call at this size."""
    return "–" if value is None else f"{value:,.{places}f}{suffix}"


def share_rows(grid: HeatMap) -> list[dict[str, Any]]:
    """The run-against-change table's rows, formatted: each team's and then all teams'."""
    rows = [(row.team_id, row.name, row.share) for row in grid.rows]
    return [
        {
            "team_id": team_id,
            "name": name,
            "capacity": number(share.capacity),
            "run": number(share.run),
            "committed": number(share.committed),
            "run_share": number(share.run_share, suffix=" %"),
            "change_room": number(share.change_room, suffix=" %"),
            "meets_target": share.meets_target,
        }
        for team_id, name, share in [*rows, (None, "", grid.overall)]
    ]


def over_rows(grid: HeatMap, limit: int) -> list[dict[str, Any]]:
    """The first `limit` over-allocated team-months, worst first, formatted, with their links (reverse()
    per row would cost more than the rows)."""
    proposals = grid.proposals
    team_url = reverse("capacity:team-detail", args=[987654321])
    cell_url = reverse("capacity:cell-detail", args=[987654321, "0000-00"])
    return [
        {
            "team_id": row.team_id,
            "name": row.name,
            "team_href": team_url.replace("987654321", str(row.team_id)),
            "cell_href": cell_url.replace("987654321", str(row.team_id)).replace(
                "0000-00", short(cell.month)
            ),
            "month": cell.month,
            "key": short(cell.month),
            "label": label(cell.month),
            "capacity": number(cell.capacity, 1),
            "demand": number(cell.demand_with_proposed if proposals else cell.demand, 1),
            "utilisation": number(cell.utilisation(proposals=proposals), suffix=" %")
            if cell.capacity > 0
            else "no capacity",
        }
        for row, cell in grid.worst(limit)
    ]
