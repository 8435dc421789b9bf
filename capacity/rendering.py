"""The heat map's table body, built in Python: 200 teams x 36 months is 7,200 cells, which the template
engine renders in several times the page's budget. Every value written here is escaped or a number."""

from __future__ import annotations

import html

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from capacity.months import label, short
from capacity.selectors import HeatMap


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
            css = cell.css(proposals=proposals)
            text = f"{percent:.0f}" if percent is not None else ("no cap." if over else "–")
            mark = '<span class="cap-over" aria-hidden="true">▲</span>' if over else ""
            title = f"{name}, {month_label}: " + (
                f"{percent:.0f} % of {cell.capacity:.1f} person-days"
                if percent is not None
                else "no capacity"
            )
            if over:
                title += " (over-allocated)"
            parts.append(
                f'<td class="{css}"><a href="{base.replace("0000-00", key)}" title="{title}">{mark}{text}'
                f"{'<span class=visually-hidden> over-allocated</span>' if over else ''}</a></td>"
            )
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a number
