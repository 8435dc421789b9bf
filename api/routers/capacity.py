"""Capacity: the teams, and the team x month heat map (capacity, run demand, committed and proposed change,
utilisation), as the Capacity page shows them; everyone with a role reads."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from api import schemas as s
from api.common import DEFAULT_LIMIT, page_of
from api.errors import Refused
from api.routers.portfolio import READ, Cursor, Limit
from capacity import selectors
from capacity.models import Team
from capacity.services import current_policy

router = Router(tags=["capacity"])
MONTH = re.compile(r"\A(\d{4})-(\d{2})\Z")
MAX_TEAMS = 200  # teams in one answer of the heat map, as on the page


def _team(team: Any) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "manager": team.manager_id,
        "members": team.member_count,
        "version": team.version,
    }


@router.get(
    "/capacity/teams",
    response={200: s.Page[s.TeamOut], **READ},
    summary="List the teams",
    description="The teams by id, with how many members each has; a page of `limit` after `cursor`.",
)
def team_list(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    rows = Team.objects.annotate(member_count=Count("members"))
    return page_of(rows, _team, s.Page[s.TeamOut], cursor=cursor, limit=limit)


def _month(value: str | None) -> datetime.date:
    if not value:
        return timezone.localdate().replace(day=1)
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise Refused(400, "Unknown month.", fields={"start": ["Give the first month as YYYY-MM."]})
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def _share(share: selectors.Share) -> dict[str, Any]:
    return {
        "capacity": round(share.capacity, 1),
        "run": round(share.run, 1),
        "committed": round(share.committed, 1),
        "proposed": round(share.proposed, 1),
        "run_share": None if share.run_share is None else round(share.run_share, 1),
        "change_room": None if share.change_room is None else round(share.change_room, 1),
        "meets_target": share.meets_target,
    }


@router.get(
    "/capacity/heat-map",
    response={200: s.HeatMapOut, **READ},
    summary="The team x month utilisation heat map",
    description="Each team's capacity, run demand and change demand per month, in person-days, and its "
    "utilisation: (run + committed change [+ proposed change with `proposals`]) / capacity, in per cent "
    "(null where there is no capacity). `months` months from `start` (YYYY-MM, default this month); "
    f"teams by name, at most {MAX_TEAMS} from `offset`. Formulas: docs/capacity.md.",
)
def heat_map(
    request: HttpRequest,
    start: Annotated[str | None, Query(max_length=7, description="First month, YYYY-MM.")] = None,
    months: Annotated[int, Query(ge=1, le=36, description="How many months (1-36).")] = 12,
    proposals: bool = False,
    offset: Annotated[int, Query(ge=0, le=10**6, description="Teams to skip, by name.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_TEAMS, description=f"Teams (at most {MAX_TEAMS}).")] = MAX_TEAMS,
) -> Any:
    window = selectors.window(_month(start), months)
    policy = current_policy()
    total = Team.objects.count()
    teams = list(Team.objects.order_by("name", "pk").values_list("pk", "name")[offset : offset + limit])
    grid = selectors.heat_map(
        teams, window, policy=policy, proposals=proposals, all_teams=offset == 0 and len(teams) == total
    )
    return {
        "months": [f"{m:%Y-%m}" for m in window],
        "proposals": proposals,
        "overload_threshold": grid.threshold,
        "change_share_target": grid.target,
        "total_teams": total,
        "offset": offset,
        "teams": [
            {
                "team_id": row.team_id,
                "name": row.name,
                "cells": [
                    {
                        "month": f"{cell.month:%Y-%m}",
                        "capacity": round(cell.capacity, 1),
                        "run": round(cell.run, 1),
                        "committed": round(cell.committed, 1),
                        "proposed": round(cell.proposed, 1),
                        "utilisation": None
                        if cell.utilisation(proposals=proposals) is None
                        else round(cell.utilisation(proposals=proposals) or 0.0, 1),
                        "over": cell.over(grid.threshold, proposals=proposals),
                    }
                    for cell in row.cells
                ],
                "share": _share(row.share),
            }
            for row in grid.rows
        ],
        "overall": _share(grid.overall),
    }
