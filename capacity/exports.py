"""What capacity exports: the heat map as a table (one row per team and month), the teams, their members,
capacity overrides, run demand and effort estimates. Every cell goes through core.tabular's inert rule. Each
list's headers are the fields of its import (capacity.imports), so an export imports back unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase

from capacity.models import CapacityOverride, ChangeDemand, ChangeDemandMonth, RunDemand, Team, TeamMember
from capacity.months import short
from capacity.selectors import HeatMap
from core.tabular import Column, Export, csv_response, xlsx_response

HEAT_HEADER = [
    "team",
    "month",
    "capacity_person_days",
    "run_person_days",
    "committed_change_person_days",
    "proposed_change_person_days",
    "utilisation_percent",
    "utilisation_with_proposals_percent",
    "over_allocated",
]


def _percent(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def heat_rows(grid: HeatMap) -> Iterator[list[Any]]:
    for row in grid.rows:
        for cell in row.cells:
            yield [
                row.name,
                short(cell.month),
                round(cell.capacity, 1),
                round(cell.run, 1),
                round(cell.committed, 1),
                round(cell.proposed, 1),
                _percent(cell.utilisation()),
                _percent(cell.utilisation(proposals=True)),
                "yes" if cell.over(grid.threshold, proposals=grid.proposals) else "no",
            ]


def heat_map_response(grid: HeatMap, fmt: str) -> HttpResponseBase:
    if fmt == "csv":
        return csv_response("bearing-capacity-heat-map", HEAT_HEADER, heat_rows(grid))
    if fmt == "xlsx":
        return xlsx_response("bearing-capacity-heat-map", HEAT_HEADER, heat_rows(grid), sheet="Heat map")
    raise Http404("Exports are offered as csv or xlsx.")


def team_list_export() -> Export:
    """Every team: its name, description and manager."""
    columns = (
        Column("name", "name"),
        Column("description", "description"),
        Column("manager", "manager__username"),
    )
    return Export("bearing-team-list", columns, Team.objects.order_by("name"), "Teams")


def team_export() -> Export:
    """Every team's members, team by team (a team without members is not listed)."""
    rows = TeamMember.objects.order_by("team__name", "name", "pk")
    columns = (
        Column("team", "team__name"),
        Column("member", "name"),
        Column("user", "user__username"),
        Column("availability_percent", "availability"),
        Column("start_month", "start_month", lambda d: short(d) if d else ""),
        Column("end_month", "end_month", lambda d: short(d) if d else ""),
    )
    return Export("bearing-teams", columns, rows, "Teams")


def override_export() -> Export:
    rows = CapacityOverride.objects.order_by("team__name", "month")
    columns = (
        Column("team", "team__name"),
        Column("month", "month", short),
        Column("person_days", "person_days"),
        Column("reason", "reason"),
    )
    return Export("bearing-capacity-overrides", columns, rows, "Capacity")


def run_export() -> Export:
    rows = RunDemand.objects.order_by("team__name", "month", "category")
    columns = (
        Column("team", "team__name"),
        Column("month", "month", short),
        Column("category", "category"),
        Column("person_days", "person_days"),
        Column("note", "note"),
    )
    return Export("bearing-run-demand", columns, rows, "Run demand")


def effort_export() -> Export:
    rows = ChangeDemand.objects.order_by("initiative__code", "team__name")
    columns = (
        Column("initiative", "initiative__code"),
        Column("team", "team__name"),
        Column("person_days", "person_days"),
        Column("months_edited", "custom", lambda v: "yes" if v else "no"),
        Column("note", "note"),
    )
    return Export("bearing-effort", columns, rows, "Effort")


def effort_month_export() -> Export:
    """Every estimate's months as stored (an even spread's to a thousandth of a person-day)."""
    rows = ChangeDemandMonth.objects.order_by("initiative__code", "team__name", "month")
    columns = (
        Column("initiative", "initiative__code"),
        Column("team", "team__name"),
        Column("month", "month", short),
        Column("person_days", "person_days"),
    )
    return Export("bearing-effort-by-month", columns, rows, "Effort by month")
