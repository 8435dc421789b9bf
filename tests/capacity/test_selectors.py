"""The heat map's numbers, checked by hand against the demand (docs/capacity.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from capacity import selectors, services
from capacity.models import CapacityOverride, TeamMember
from capacity.months import working_days
from tests.capacity.conftest import MARCH

D = datetime.date


def test_working_days_are_the_weekdays_of_the_month():
    assert [working_days(D(2027, m, 1)) for m in (1, 2, 3, 4)] == [21, 20, 23, 22]


def test_capacity_is_members_working_days_times_availability(world):
    team = world["team"]
    # 23 x (100 % + 50 %) in March, 20 x 1.5 in February
    assert selectors.capacities([team.pk], [D(2027, 2, 1), MARCH]) == {
        (team.pk, D(2027, 2, 1)): Decimal("30"),
        (team.pk, MARCH): Decimal("34.5"),
    }


def test_a_member_counts_only_in_their_months_and_an_override_replaces_the_members(world):
    team = world["team"]
    TeamMember.objects.create(team=team, name="Cleo", availability=100, start_month=D(2027, 4, 1))
    CapacityOverride.objects.create(
        team=team, month=D(2027, 5, 1), person_days=Decimal("12"), reason="Holidays"
    )
    found = selectors.capacities([team.pk], [MARCH, D(2027, 4, 1), D(2027, 5, 1)])
    # April: 22 x 2.5 = 55; May: the override
    assert found == {
        (team.pk, MARCH): Decimal("34.5"),
        (team.pk, D(2027, 4, 1)): Decimal("55"),
        (team.pk, D(2027, 5, 1)): Decimal("12"),
    }


def test_effort_is_spread_evenly_over_the_planned_months(world):
    assert services.even_spread(Decimal("60"), D(2027, 1, 15), D(2027, 6, 10)) == {
        D(2027, m, 1): Decimal("10.000") for m in range(1, 7)
    }
    # the last month takes the rest, so the months add up exactly
    assert services.even_spread(Decimal("10"), D(2027, 1, 1), D(2027, 3, 31)) == {
        D(2027, 1, 1): Decimal("3.333"),
        D(2027, 2, 1): Decimal("3.333"),
        D(2027, 3, 1): Decimal("3.334"),
    }
    assert services.even_spread(Decimal("10"), None, None) == {}
    assert services.even_spread(Decimal("10"), D(2027, 2, 10), None) == {D(2027, 2, 1): Decimal("10")}


def test_the_heat_map_cell_of_march_by_hand(world):
    team, desk = world["team"], world["desk"]
    policy = services.current_policy()
    grid = selectors.heat_map([(team.pk, team.name), (desk.pk, desk.name)], [MARCH], policy=policy)
    cell = grid.rows[0].cells[0]
    assert (cell.capacity, cell.run, cell.committed, cell.proposed) == (
        Decimal("34.5"),
        Decimal("14.5"),
        Decimal("10.000"),
        Decimal("15.000"),
    )
    # (14.5 + 10) / 34.5 = 71.0 %; with the proposal (14.5 + 10 + 15) / 34.5 = 114.5 %
    assert round(cell.utilisation() or 0, 2) == 71.01
    assert round(cell.utilisation(proposals=True) or 0, 2) == 114.49
    assert (cell.over(100.0), cell.over(100.0, proposals=True)) == (False, True)
    assert (cell.css(), cell.css(proposals=True)) == ("cap-b1", "cap-b3")
    assert grid.over == []
    # the empty team: no capacity, no demand
    empty = grid.rows[1].cells[0]
    assert (empty.utilisation(), empty.over(100.0), empty.css()) == (None, False, "cap-none")


def test_proposals_layer_lists_the_over_allocated_team_month(world):
    team = world["team"]
    grid = selectors.heat_map(
        [(team.pk, team.name)], [MARCH], policy=services.current_policy(), proposals=True
    )
    assert [(row.name, cell.month) for row, cell in grid.over] == [("Data platform", MARCH)]


def test_run_share_and_change_room_against_the_target(world):
    team = world["team"]
    grid = selectors.heat_map([(team.pk, team.name)], [MARCH], policy=services.current_policy())
    share = grid.rows[0].share
    # run 14.5 of 34.5 = 42.0 %: leaves 58.0 % for change, above the default target of 40 %
    assert round(share.run_share or 0, 2) == 42.03
    assert round(share.change_room or 0, 2) == 57.97
    assert share.meets_target is True
    # committed change of the demand: 10 / 24.5
    assert round(share.change_share or 0, 2) == 40.82


def test_only_committed_and_proposed_initiatives_count(world, pmo):
    team = world["team"]
    from portfolio.services import initiative_update

    lake2 = world["lake2"]
    lake2.refresh_from_db()
    initiative_update(user=pmo, initiative_id=lake2.pk, version=lake2.version, data={"stage": "cancelled"})
    grid = selectors.heat_map(
        [(team.pk, team.name)], [MARCH], policy=services.current_policy(), proposals=True
    )
    assert grid.rows[0].cells[0].proposed == Decimal("0")


def test_the_demand_behind_a_cell(world):
    demand = selectors.cell_demand(world["team"], MARCH)
    assert [(line.category, line.person_days) for line in demand.run_lines] == [
        ("incidents", Decimal("4.5")),
        ("support", Decimal("10.0")),
    ]
    assert [(r["code"], r["committed"], r["person_days"]) for r in demand.initiatives] == [
        ("LAKE-1", True, Decimal("10.000")),
        ("LAKE-2", False, Decimal("15.000")),
    ]
    assert [(str(member), days) for member, days in demand.members] == [
        ("Alice", Decimal("23")),
        ("Bob", Decimal("11.5")),
    ]
    assert demand.cell.capacity == Decimal("34.5")


@pytest.mark.parametrize("teams", [3, 12])
def test_the_heat_map_reads_four_queries_whatever_the_data(db, django_assert_num_queries, teams, pmo):
    from capacity.models import RunDemand, Team
    from tests.factories import InitiativeFactory

    for n in range(teams):
        team = Team.objects.create(name=f"Team {n:02d}")
        TeamMember.objects.create(team=team, name="A", availability=80)
        TeamMember.objects.create(team=team, name="B", availability=100, start_month=MARCH)
        CapacityOverride.objects.create(team=team, month=D(2027, 4, 1), person_days=Decimal("5"))
        RunDemand.objects.create(team=team, month=MARCH, category="support", person_days=Decimal("3"))
        for i in range(n % 4 + 1):
            initiative = InitiativeFactory(planned_start=D(2027, 1, 1), planned_end=D(2027, 12, 31))
            services.change_demand_create(
                user=pmo, initiative=initiative, data={"team": team, "person_days": Decimal("24") + i}
            )
    policy = services.current_policy()
    rows = selectors.team_rows(Team.objects.all())
    months = selectors.window(D(2027, 1, 1), 12)
    with django_assert_num_queries(4):
        grid = selectors.heat_map(rows, months, policy=policy, all_teams=True)
    assert len(grid.rows) == teams
    with django_assert_num_queries(4):
        selectors.heat_map(rows, months, policy=policy)
