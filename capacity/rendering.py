"""The heat map's table body, built in Python: 200 teams x 36 months is 7,200 cells, which the template
engine renders in several times the page's budget. Every value written here is escaped or a number."""

from __future__ import annotations

import html
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from capacity.months import label, short
from capacity.selectors import HeatMap, band

OVER_MARK = '<span class="cap-over" aria-hidden="true">▲</span>'
OVER_TEXT = '<span class="visually-hidden"> over-allocated</span>'


def grid_body(grid: HeatMap) -> SafeString:
    """The <tbody> rows: a row header per team (a link to the team) and a cell per month showing its
    utilisation in per cent, coloured by band, marked when over-allocated, linking to the demand behind it."""
    team_url = reverse("capacity:team-detail", args=[987654321])
    cell_url = reverse("capacity:cell-detail", args=[987654321, "0000-00"])
    proposals = grid.proposals
    threshold = grid.threshold
    names = [(m, short(m), label(m)) for m in grid.months]
    parts: list[str] = []
    for row in grid.rows:
        name = html.escape(row.name)
        parts.append(
            f'<tr><th scope="row" class="cap-team"><a href="{team_url.replace("987654321", str(row.team_id))}">'
            f"{name}</a></th>"
        )
        base = cell_url.replace("987654321", str(row.team_id))
        for cell, (_month, key, month_label) in zip(row.cells, names, strict=True):
            percent = cell.utilisation(proposals=proposals)
            over = cell.over(threshold, proposals=proposals)
            css = band(percent, cell.demand_with_proposed if proposals else cell.demand)
            href = base.replace("0000-00", key)
            if percent is None:
                text = "no cap." if over else "–"
                title = f"{name}, {month_label}: no capacity"
            else:
                text = f"{percent:.0f}"
                title = f"{name}, {month_label}: {text} % of {cell.capacity:.1f} person-days"
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
    """The over-allocated team-months, worst first, formatted."""
    proposals = grid.proposals
    return [
        {
            "team_id": row.team_id,
            "name": row.name,
            "month": cell.month,
            "key": short(cell.month),
            "label": label(cell.month),
            "capacity": number(cell.capacity, 1),
            "demand": number(cell.demand_with_proposed if proposals else cell.demand, 1),
            "utilisation": number(cell.utilisation(proposals=proposals), suffix=" %")
            if cell.capacity > 0
            else "no capacity",
        }
        for row, cell in grid.over[:limit]
    ]
