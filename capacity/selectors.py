"""Reads for capacity: each team's capacity per month, its demand by layer (run, committed change, proposed
change), the heat map of utilisation and what stands behind one of its cells (docs/capacity.md).

The heat map reads a fixed number of queries whatever the number of teams, months and initiatives: one for
the members, one for the overrides, one grouped query for run demand and one for change demand (both change
layers at once); the grid is read into arrays of team x month from those sums (docs/capacity.md, "Speed")."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast

from capacity.models import (
    COMMITTED_STAGES,
    PROPOSED_STAGES,
    CapacityOverride,
    CapacityPolicy,
    ChangeDemand,
    ChangeDemandMonth,
    ChangeLoad,
    RunDemand,
    Team,
    TeamMember,
)
from capacity.months import add_months, first_of, working_days

FloatArray = npt.NDArray[np.float64]

# The colour bands of the heat map: (upper bound of utilisation in %, css class, legend label)
BANDS: tuple[tuple[float, str, str], ...] = (
    (50.0, "cap-b0", "Below 50 %"),
    (85.0, "cap-b1", "50 to 85 %"),
    (100.0, "cap-b2", "85 to 100 %"),
    (120.0, "cap-b3", "Over 100 to 120 %"),
    (float("inf"), "cap-b4", "Over 120 %"),
)
NO_CAPACITY = ("cap-none", "No capacity entered")


def band(percent: float | None, demand: float) -> str:
    """The colour class of a utilisation in per cent (None: no capacity; over-allocated if it has demand)."""
    if percent is None:
        return BANDS[-1][1] if demand > 0 else NO_CAPACITY[0]
    for bound, css, _label in BANDS:
        if percent <= bound:
            return css
    return BANDS[-1][1]


def member_days(availability: int, month: datetime.date) -> float:
    """A member's person-days in a month: the month's working days x availability."""
    return working_days(month) * availability / 100


Bounded = list[tuple[int, int, datetime.date | None, datetime.date | None]]


def _members_and_overrides(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date]
) -> tuple[dict[int, int], Bounded, Any]:
    """What capacity is made of over some months (not empty): each team's summed availability of the members
    with no bounds (most of them), the bounded members one by one (team, availability, start, end), and the
    overrides' query. One query here; the overrides' when it is read."""
    first, last = months[0], months[-1]
    members = TeamMember.objects.filter(
        Q(start_month__isnull=True) | Q(start_month__lte=last),
        Q(end_month__isnull=True) | Q(end_month__gte=first),
    )
    overrides = CapacityOverride.objects.filter(month__gte=first, month__lte=last)
    if team_ids is not None:
        members = members.filter(team_id__in=team_ids)
        overrides = overrides.filter(team_id__in=team_ids)
    share: dict[int, int] = defaultdict(int)
    bounded: Bounded = []
    for team_id, availability, start, end in members.values_list(
        "team_id", "availability", "start_month", "end_month"
    ):
        if start is None and end is None:
            share[team_id] += availability
        else:
            bounded.append((team_id, availability, start, end))
    return share, bounded, overrides


def capacities(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date]
) -> dict[tuple[int, datetime.date], float]:
    """Each team's capacity in each month, in person-days: its override when one is entered, else the sum
    over the members in the team that month of working days x availability. Two queries."""
    if not months:
        return {}
    share, bounded, overrides = _members_and_overrides(team_ids, months)
    days = [(month, working_days(month)) for month in months]
    result: dict[tuple[int, datetime.date], float] = {}
    for team_id, total in share.items():
        for month, count in days:
            result[(team_id, month)] = count * total / 100
    for team_id, availability, start, end in bounded:
        for month, count in days:
            if (start is None or start <= month) and (end is None or month <= end):
                key = (team_id, month)
                result[key] = result.get(key, 0.0) + count * availability / 100
    for team_id, month, person_days in overrides.values_list("team_id", "month").annotate(
        days=Cast("person_days", FloatField())
    ):
        result[(team_id, month)] = person_days
    return result


def run_totals(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date]
) -> dict[tuple[int, datetime.date], float]:
    """Run demand per team and month (all categories), one grouped query."""
    if not months:
        return {}
    rows = RunDemand.objects.filter(month__gte=months[0], month__lte=months[-1])
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return {
        (team_id, month): total or 0.0
        for team_id, month, total in rows.values_list("team_id", "month")
        .annotate(total=Cast(Sum("person_days"), FloatField()))
        .order_by()
    }


def load_totals(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date]
) -> dict[tuple[int, datetime.date], tuple[float, float]]:
    """Change demand per team and month as (committed, proposed), from the stored change load (ChangeLoad):
    one query reading a row per team-month, whatever the number of initiatives."""
    if not months:
        return {}
    rows = ChangeLoad.objects.filter(month__gte=months[0], month__lte=months[-1])
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return {
        (team_id, month): (committed, proposed)
        for team_id, month, committed, proposed in rows.values_list(
            "team_id", "month", "committed", "proposed"
        )
    }


def change_totals(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date]
) -> dict[tuple[int, datetime.date], tuple[float, float]]:
    """Change demand per team and month as (committed, proposed), one grouped query: effort of approved and
    in-delivery initiatives is committed, of ideas and proposals proposed; the rest counts for nothing."""
    if not months:
        return {}
    rows = ChangeDemandMonth.objects.filter(
        month__gte=months[0], month__lte=months[-1], initiative__stage__in=COMMITTED_STAGES | PROPOSED_STAGES
    )
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    grouped = (
        rows.values_list("team_id", "month")
        .annotate(
            committed=Cast(
                Sum("person_days", filter=Q(initiative__stage__in=COMMITTED_STAGES)), FloatField()
            ),
            proposed=Cast(Sum("person_days", filter=Q(initiative__stage__in=PROPOSED_STAGES)), FloatField()),
        )
        .order_by()
    )
    return {(team_id, month): (c or 0.0, p or 0.0) for team_id, month, c, p in grouped}


class Cell:
    """One team-month: its capacity and demand in person-days, and its utilisation (computed once: the heat
    map holds thousands of cells)."""

    __slots__ = ("team_id", "month", "capacity", "run", "committed", "proposed", "_use", "_use_all")

    def __init__(
        self,
        team_id: int,
        month: datetime.date,
        capacity: float,
        run: float,
        committed: float,
        proposed: float,
    ) -> None:
        self.team_id = team_id
        self.month = month
        self.capacity = capacity
        self.run = run
        self.committed = committed
        self.proposed = proposed
        if capacity > 0:
            self._use: float | None = (run + committed) * 100 / capacity
            self._use_all: float | None = (run + committed + proposed) * 100 / capacity
        else:
            self._use = self._use_all = None

    def __repr__(self) -> str:
        return f"Cell({self.team_id}, {self.month}, {self.capacity}, {self.run}, {self.committed}, {self.proposed})"

    @property
    def demand(self) -> float:
        """Run + committed change."""
        return self.run + self.committed

    @property
    def demand_with_proposed(self) -> float:
        return self.run + self.committed + self.proposed

    def utilisation(self, *, proposals: bool = False) -> float | None:
        """(run + committed change [+ proposed change]) / capacity, in per cent; None without capacity."""
        return self._use_all if proposals else self._use

    def over(self, threshold: float, *, proposals: bool = False) -> bool:
        """Over-allocated: utilisation above the threshold, or demand where there is no capacity."""
        percent = self._use_all if proposals else self._use
        if percent is None:
            return (self.demand_with_proposed if proposals else self.demand) > 0
        return percent > threshold + 1e-9

    def css(self, *, proposals: bool = False) -> str:
        demand = self.demand_with_proposed if proposals else self.demand
        return band(self.utilisation(proposals=proposals), demand)


@dataclass(frozen=True)
class Share:
    """Run against change over a window: capacity, run demand and change demand, in person-days."""

    capacity: float
    run: float
    committed: float
    proposed: float
    target: float  # the share of capacity run should leave for change, in per cent

    @property
    def run_share(self) -> float | None:
        """Run demand / capacity, in per cent."""
        return None if self.capacity <= 0 else self.run * 100 / self.capacity

    @property
    def change_room(self) -> float | None:
        """What run leaves for change: (capacity - run) / capacity, in per cent (0 when run takes it all)."""
        if self.capacity <= 0:
            return None
        return max(0.0, (self.capacity - self.run) * 100 / self.capacity)

    @property
    def change_share(self) -> float | None:
        """Committed change / (run + committed change): how the demand splits, in per cent."""
        total = self.run + self.committed
        return None if total <= 0 else self.committed * 100 / total

    @property
    def meets_target(self) -> bool | None:
        room = self.change_room
        return None if room is None else room + 1e-9 >= self.target


class HeatRow:
    """A team's row of the heat map: its name, its run against change over the window and its cells (made
    when first read: the page itself reads the grid's arrays, not 7,200 cell objects)."""

    __slots__ = ("team_id", "name", "share", "_grid", "_index", "_cells")

    def __init__(self, team_id: int, name: str, share: Share, grid: HeatMap, index: int) -> None:
        self.team_id = team_id
        self.name = name
        self.share = share
        self._grid = grid
        self._index = index
        self._cells: list[Cell] | None = None

    @property
    def cells(self) -> list[Cell]:
        if self._cells is None:
            self._cells = [self._grid.cell(self._index, j) for j in range(len(self._grid.months))]
        return self._cells


class HeatMap:
    """The utilisation grid: teams x months as arrays (capacity, run, committed, proposed, the utilisation
    in the page's layer and whether each cell is over-allocated), each team's row with its share, and the
    over-allocated team-months. Cells are made as read (row.cells, over, worst)."""

    def __init__(
        self,
        months: list[datetime.date],
        teams: list[tuple[int, str]],
        arrays: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
        *,
        threshold: float,
        target: float,
        proposals: bool,
    ) -> None:
        self.months = months
        self.threshold = threshold
        self.target = target
        self.proposals = proposals
        self.capacity, self.run, self.committed, self.proposed = arrays
        demand = self.run + self.committed
        if proposals:
            demand = demand + self.proposed
        self.demand: FloatArray = demand
        has = self.capacity > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            # the same operations in the same order as Cell's, so every figure agrees to the last bit
            percent = np.where(has, demand * 100 / np.where(has, self.capacity, 1.0), np.nan)
        self.percent: FloatArray = percent
        self.over_mask: npt.NDArray[np.bool_] = np.where(has, percent > threshold + 1e-9, demand > 0)
        self.over_count = int(self.over_mask.sum())
        self.rows: list[HeatRow] = []
        totals = [0, 0, 0, 0]  # summed in order, as the grid was summed cell by cell
        for index, (pk, name) in enumerate(teams):
            sums = [sum(self.capacity[index].tolist()), sum(self.run[index].tolist())]
            sums += [sum(self.committed[index].tolist()), sum(self.proposed[index].tolist())]
            for i in range(4):
                totals[i] += sums[i]
            share = Share(sums[0], sums[1], sums[2], sums[3], target=target)
            self.rows.append(HeatRow(pk, name, share, self, index))
        total = [float(t) for t in totals]
        self.overall = Share(total[0], total[1], total[2], total[3], target=target)

    def cell(self, i: int, j: int) -> Cell:
        return Cell(
            self.rows[i].team_id,
            self.months[j],
            float(self.capacity[i, j]),
            float(self.run[i, j]),
            float(self.committed[i, j]),
            float(self.proposed[i, j]),
        )

    def worst(self, limit: int | None = None) -> list[tuple[HeatRow, Cell]]:
        """The over-allocated team-months, worst first (no capacity, then the highest utilisation; by team
        name and month on a tie), the first `limit` of them (all without one)."""
        rows, cols = np.nonzero(self.over_mask)
        if not len(rows):
            return []
        key = -self.percent[rows, cols]
        key = np.where(np.isnan(key), -np.inf, key)
        names = [row.name for row in self.rows]
        rank = {name: r for r, name in enumerate(sorted(set(names)))}
        name_rank = np.array([rank[names[i]] for i in rows.tolist()])
        order = np.lexsort((cols, name_rank, key))
        if limit is not None:
            order = order[:limit]
        return [(self.rows[rows[k]], self.cell(int(rows[k]), int(cols[k]))) for k in order.tolist()]

    @cached_property
    def over(self) -> list[tuple[HeatRow, Cell]]:
        """Every over-allocated team-month, worst first."""
        return self.worst()

    @property
    def overall_utilisation(self) -> float | None:
        """All teams' demand over all their capacity in the window, in per cent."""
        share = self.overall
        demand = share.run + share.committed + (share.proposed if self.proposals else 0.0)
        return None if share.capacity <= 0 else demand * 100 / share.capacity


def window(start: datetime.date, count: int) -> list[datetime.date]:
    return [add_months(first_of(start), i) for i in range(count)]


def _raw(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list query's rows as the database driver returns them: Django's converters, which parse
    each of 7,200 team-months' dates one by one, cost the heat map more than its queries do. Months come
    back as dates (PostgreSQL) or ISO text (SQLite); the grid looks both up."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def heat_map(
    teams: Iterable[tuple[int, str]],
    months: Sequence[datetime.date],
    *,
    policy: CapacityPolicy,
    proposals: bool = False,
    all_teams: bool = False,
) -> HeatMap:
    """The utilisation grid of these teams (id, name) over these months, with each team's run against change
    share and the over-allocated team-months, worst first. `all_teams` says the teams are every team (the
    queries then need no list of ids). Four queries, read into arrays of team x month."""
    teams = list(teams)
    months = list(months)
    ids = None if all_teams else [pk for pk, _ in teams]
    row_of = {pk: i for i, (pk, _) in enumerate(teams)}
    col_of: dict[Any, int] = {}
    for j, month in enumerate(months):
        col_of[month] = col_of[month.isoformat()] = j
    shape = (len(teams), len(months))
    capacity = _capacity_grid(ids, months, row_of)
    run = np.zeros(shape)
    committed = np.zeros(shape)
    proposed = np.zeros(shape)
    if months:
        runs = RunDemand.objects.filter(month__gte=months[0], month__lte=months[-1])
        loads = ChangeLoad.objects.filter(month__gte=months[0], month__lte=months[-1])
        if ids is not None:
            runs = runs.filter(team_id__in=ids)
            loads = loads.filter(team_id__in=ids)
        grouped = (
            runs.values_list("team_id", "month")
            .annotate(total=Cast(Sum("person_days"), FloatField()))
            .order_by()
        )
        for team_id, month, total in _raw(grouped):
            i, col = row_of.get(team_id), col_of.get(month)
            if i is not None and col is not None:  # a month not on its first day is no month of the grid
                run[i, col] = total or 0.0
        for team_id, month, done, asked in _raw(
            loads.values_list("team_id", "month", "committed", "proposed")
        ):
            i, col = row_of.get(team_id), col_of.get(month)
            if i is not None and col is not None:
                committed[i, col] = done
                proposed[i, col] = asked
    return HeatMap(
        months,
        teams,
        (capacity, run, committed, proposed),
        threshold=float(policy.overload_threshold),
        target=float(policy.change_share_target),
        proposals=proposals,
    )


def _capacity_grid(
    team_ids: Sequence[int] | None, months: Sequence[datetime.date], row_of: dict[int, int]
) -> FloatArray:
    """capacities() as an array of team x month, for the heat map: the same rule, in the same order of
    additions (two queries)."""
    grid = np.zeros((len(row_of), len(months)))
    if not months:
        return grid
    share, bounded, overrides = _members_and_overrides(team_ids, months)
    days = np.array([working_days(month) for month in months], dtype=np.float64)
    for team_id, total in share.items():
        i = row_of.get(team_id)
        if i is not None:
            grid[i] = days * total / 100
    for team_id, availability, start, end in bounded:
        i = row_of.get(team_id)
        if i is None:
            continue
        for j, month in enumerate(months):
            if (start is None or start <= month) and (end is None or month <= end):
                grid[i, j] += days[j] * availability / 100
    for team_id, month, person_days in overrides.values_list("team_id", "month").annotate(
        days=Cast("person_days", FloatField())
    ):
        i = row_of.get(team_id)
        if i is not None:
            grid[i, months.index(month)] = person_days
    return grid


def team_rows(teams: QuerySet[Team]) -> list[tuple[int, str]]:
    return list(teams.values_list("pk", "name"))


@dataclass(frozen=True)
class CellDemand:
    """What stands behind one team-month: its capacity (and where it comes from), run lines and initiatives."""

    cell: Cell
    override: CapacityOverride | None
    members: list[tuple[TeamMember, float]]
    run_lines: list[RunDemand]
    initiatives: list[dict[str, Any]]
    initiatives_more: bool


CELL_INITIATIVES = 100


def cell_demand(team: Team, month: datetime.date) -> CellDemand:
    """The demand behind a heat-map cell, bounded: the run lines and the first hundred initiatives by effort
    that month (committed ones first). A fixed number of queries."""
    override = CapacityOverride.objects.filter(team=team, month=month).first()
    members = [
        (member, member_days(member.availability, month))
        for member in TeamMember.objects.filter(team=team)
        .filter(Q(start_month__isnull=True) | Q(start_month__lte=month))
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .select_related("user")
        .order_by("name", "pk")[:200]
    ]
    capacity = capacities([team.pk], [month]).get((team.pk, month), 0.0)
    run_lines = list(RunDemand.objects.filter(team=team, month=month).order_by("category"))
    found = list(
        ChangeDemandMonth.objects.filter(
            team=team, month=month, initiative__stage__in=COMMITTED_STAGES | PROPOSED_STAGES
        )
        .values("initiative_id", "initiative__code", "initiative__title", "initiative__stage", "person_days")
        .order_by("-person_days", "initiative__code")[: CELL_INITIATIVES + 1]
    )
    initiatives: list[dict[str, Any]] = [
        {
            "id": row["initiative_id"],
            "code": row["initiative__code"],
            "title": row["initiative__title"],
            "stage": row["initiative__stage"],
            "committed": row["initiative__stage"] in COMMITTED_STAGES,
            "person_days": row["person_days"],
        }
        for row in found[:CELL_INITIATIVES]
    ]
    initiatives.sort(key=lambda r: (not r["committed"], -r["person_days"], r["code"]))
    run = float(sum(line.person_days for line in run_lines))
    totals = change_totals([team.pk], [month]).get((team.pk, month), (0.0, 0.0))
    cell = Cell(team.pk, month, capacity, run, totals[0], totals[1])
    return CellDemand(cell, override, members, run_lines, initiatives, len(found) > CELL_INITIATIVES)


# ---------------------------------------------------------------------------- facts for the engine's signals

SIGNAL_MONTHS = 12  # the signals look at the current month and the eleven after it


@dataclass(frozen=True)
class OverloadFact:
    """A committed initiative's effort in an over-allocated team-month."""

    initiative_id: int
    team_id: int
    team: str
    month: datetime.date
    effort: Decimal
    utilisation: float | None  # None: demand where there is no capacity


@dataclass(frozen=True)
class SqueezeFact:
    """A team whose run demand leaves less than the target share of its capacity for change."""

    team_id: int
    team: str
    capacity: float
    run: float
    change_room: float
    target: float


def signal_facts(
    today: datetime.date, initiative_ids: Sequence[int] | None = None
) -> tuple[CapacityPolicy | None, dict[int, list[OverloadFact]], list[SqueezeFact]]:
    """What the engine's capacity signals read, from today's month for a year (SIGNAL_MONTHS):

    - for each committed initiative (approved, in delivery; of `initiative_ids`, or all), its effort in
      team-months that are over-allocated (run + committed change above the policy's threshold);
    - the teams whose run demand leaves less of their capacity for change than the policy's target.

    A fixed number of queries: the teams, the policy, the grid's four and one for the efforts of the teams
    over somewhere; only the first without teams (the policy is then None)."""
    from capacity.services import current_policy

    teams = list(Team.objects.values_list("pk", "name"))
    found: dict[int, list[OverloadFact]] = defaultdict(list)
    if not teams:  # no capacity plan: one query, no signal
        return None, found, []
    policy = current_policy()
    months = window(today, SIGNAL_MONTHS)
    grid = heat_map(teams, months, policy=policy, all_teams=True)
    squeezes = [
        SqueezeFact(
            row.team_id, row.name, row.share.capacity, row.share.run, row.share.change_room, grid.target
        )
        for row in grid.rows
        if row.share.change_room is not None and row.share.meets_target is False
    ]
    over = {(cell.team_id, cell.month): (row.name, cell.utilisation()) for row, cell in grid.over}
    if not over:
        return policy, found, squeezes
    rows = ChangeDemandMonth.objects.filter(
        month__gte=months[0],
        month__lte=months[-1],
        team_id__in={team_id for team_id, _ in over},
        initiative__stage__in=COMMITTED_STAGES,
    )
    if initiative_ids is not None:
        rows = rows.filter(initiative_id__in=list(initiative_ids))
    for initiative_id, team_id, month, days in rows.values_list(
        "initiative_id", "team_id", "month", "person_days"
    ).order_by("initiative_id", "month", "team_id"):
        if (team_id, month) in over and days > 0:
            name, percent = over[(team_id, month)]
            found[initiative_id].append(OverloadFact(initiative_id, team_id, name, month, days, percent))
    return policy, found, squeezes


def overload_facts(
    today: datetime.date, initiative_ids: Sequence[int] | None = None
) -> tuple[CapacityPolicy | None, dict[int, list[OverloadFact]]]:
    """signal_facts' over-allocated team-months of committed initiatives."""
    policy, found, _squeezes = signal_facts(today, initiative_ids)
    return policy, found


def squeeze_facts(today: datetime.date) -> list[SqueezeFact]:
    """signal_facts' teams whose run demand squeezes change below the policy's target."""
    return signal_facts(today)[2]


def data_stamp() -> dict[str, Any]:
    """How many teams, members, overrides, run demand lines and effort estimates there are and when each kind
    last changed, in one query: a cheap mark that moves whenever the entered capacity data does (the scenario
    pages use it to know whether an answer may have changed)."""
    from django.db import connection

    tables = [model._meta.db_table for model in (Team, TeamMember, CapacityOverride, RunDemand, ChangeDemand)]
    columns = ", ".join(
        f"(SELECT COUNT(*) FROM {table}), (SELECT MAX(updated_at) FROM {table})" for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")  # noqa: S608 - table names from the models, no input
        row = cursor.fetchone()
    return {
        f"{table}:{n}": str(value)
        for table, n, value in zip(
            [t for t in tables for _ in (0, 1)], [0, 1] * len(tables), row, strict=True
        )
    }
