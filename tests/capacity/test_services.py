"""Writes: who may change teams, capacity, run demand and effort, and what a refused write leaves."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from capacity import services
from capacity.models import CapacityOverride, CapacityPolicy, ChangeDemand, RunDemand, Team, TeamMember
from core.errors import ApplicationError, NotAllowed, StaleEdit
from tests.capacity.conftest import MARCH, effort_rows
from tests.portfolio.utils import db_rows

D = datetime.date
PMO_ROLES = ["pmo", "admin_user"]
READERS = ["executive", "steering_member", "manager", "outsider"]


def capacity_rows() -> dict[str, list[dict[str, Any]]]:
    tables: tuple[type[Model], ...] = (
        Team,
        TeamMember,
        CapacityOverride,
        RunDemand,
        ChangeDemand,
        CapacityPolicy,
    )
    return {
        model.__name__: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in tables
    }


@pytest.mark.parametrize("persona", PMO_ROLES, indirect=True)
def test_pmo_and_admins_edit_teams_members_overrides_and_run_demand(persona, world):
    team = services.team_create(user=persona, data={"name": "Networks"})
    member = services.member_create(user=persona, team=team, data={"name": "Nia", "availability": 60})
    services.member_update(
        user=persona, member_id=member.pk, version=member.version, data={"name": "Nia", "availability": 70}
    )
    services.override_create(user=persona, team=team, data={"month": MARCH, "person_days": Decimal("5")})
    count = services.run_demand_fill(
        user=persona,
        team=team,
        category="incidents",
        first_month=MARCH,
        last_month=D(2027, 5, 1),
        person_days=Decimal("2.5"),
    )
    assert count == 3
    assert list(RunDemand.objects.filter(team=team).values_list("month", "person_days")) == [
        (MARCH, Decimal("2.5")),
        (D(2027, 4, 1), Decimal("2.5")),
        (D(2027, 5, 1), Decimal("2.5")),
    ]
    assert TeamMember.objects.get(pk=member.pk).availability == 70
    assert TeamMember.objects.get(pk=member.pk).version == 2


@pytest.mark.parametrize("persona", READERS, indirect=True)
def test_everyone_else_is_refused_and_nothing_changes(persona, world):
    before = capacity_rows()
    team = world["team"]
    member = team.members.first()
    calls = [
        lambda: services.team_create(user=persona, data={"name": "Networks"}),
        lambda: services.team_update(user=persona, team_id=team.pk, version=1, data={"name": "X"}),
        lambda: services.team_delete(user=persona, team_id=team.pk, version=1),
        lambda: services.member_create(user=persona, team=team, data={"name": "Nia"}),
        lambda: services.member_update(user=persona, member_id=member.pk, version=1, data={"name": "X"}),
        lambda: services.member_delete(user=persona, member_id=member.pk, version=1),
        lambda: services.override_create(user=persona, team=team, data={"month": MARCH, "person_days": 1}),
        lambda: services.run_demand_fill(
            user=persona,
            team=team,
            category="support",
            first_month=MARCH,
            last_month=MARCH,
            person_days=Decimal(1),
        ),
        lambda: services.capacity_policy_publish(user=persona, change_share_target=30, overload_threshold=90),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()
    assert capacity_rows() == before


def test_an_initiatives_manager_estimates_its_effort_but_not_someone_elses(world, manager, other_manager):
    lake1 = world["lake1"]  # managed by `manager`
    effort = world["effort1"]
    services.change_demand_update(
        user=manager, demand_id=effort.pk, version=effort.version, data={"person_days": Decimal("120")}
    )
    assert effort_rows(effort)[:2] == [("2027-01", Decimal("20.000")), ("2027-02", Decimal("20.000"))]
    with pytest.raises(NotAllowed):
        services.change_demand_create(
            user=other_manager, initiative=lake1, data={"team": world["desk"], "person_days": Decimal("1")}
        )
    assert ChangeDemand.objects.filter(team=world["desk"]).count() == 0


def test_months_edited_one_by_one_set_the_total_and_survive_a_date_change(world, pmo):
    effort = world["effort2"]
    services.change_demand_set_months(
        user=pmo,
        demand_id=effort.pk,
        version=effort.version,
        months={MARCH: Decimal("5"), D(2027, 4, 1): Decimal("20.5")},
    )
    stored = ChangeDemand.objects.get(pk=effort.pk)
    assert (stored.person_days, stored.custom, stored.version) == (Decimal("25.5"), True, 2)
    # the plan moves: edited months stay, the even spread of LAKE-1 follows its new dates
    from portfolio.services import initiative_update

    for initiative in (world["lake1"], world["lake2"]):
        initiative.refresh_from_db()
        initiative_update(
            user=pmo,
            initiative_id=initiative.pk,
            version=initiative.version,
            data={"planned_start": D(2027, 7, 1), "planned_end": D(2027, 8, 31)},
        )
    assert effort_rows(effort) == [("2027-03", Decimal("5.000")), ("2027-04", Decimal("20.500"))]
    assert effort_rows(world["effort1"]) == [("2027-07", Decimal("30.000")), ("2027-08", Decimal("30.000"))]
    # spread evenly again on request
    stored = ChangeDemand.objects.get(pk=effort.pk)
    services.change_demand_reset(user=pmo, demand_id=effort.pk, version=stored.version)
    assert effort_rows(effort) == [("2027-07", Decimal("12.750")), ("2027-08", Decimal("12.750"))]


def test_a_stale_edit_is_refused_and_changes_nothing(world, pmo):
    team = world["team"]
    services.team_update(user=pmo, team_id=team.pk, version=1, data={"name": "Data and AI"})
    before = capacity_rows()
    with pytest.raises(StaleEdit):
        services.team_update(user=pmo, team_id=team.pk, version=1, data={"name": "Other"})
    assert capacity_rows() == before


def test_bad_input_is_refused_at_its_field(world, pmo):
    team = world["team"]
    with pytest.raises(ApplicationError) as error:
        services.member_create(user=pmo, team=team, data={"name": " ", "availability": 150})
    assert set(error.value.field_errors) == {"name", "availability"}
    with pytest.raises(ApplicationError) as error:
        services.member_create(
            user=pmo,
            team=team,
            data={"name": "Zed", "start_month": D(2027, 5, 1), "end_month": D(2027, 4, 1)},
        )
    assert error.value.field_errors == {"end_month": ["The last month cannot come before the first."]}
    with pytest.raises(ApplicationError) as error:
        services.run_demand_fill(
            user=pmo,
            team=team,
            category="support",
            first_month=MARCH,
            last_month=D(2027, 1, 1),
            person_days=Decimal(1),
        )
    assert error.value.field_errors == {"last_month": ["The last month cannot come before the first."]}
    with pytest.raises(ApplicationError) as error:
        services.change_demand_create(
            user=pmo, initiative=world["lake1"], data={"team": team, "person_days": Decimal("5")}
        )
    assert "team" in error.value.field_errors
    with pytest.raises(ApplicationError) as error:
        services.capacity_policy_publish(user=pmo, change_share_target="101", overload_threshold="abc")
    assert set(error.value.field_errors) == {"change_share_target", "overload_threshold"}
    assert TeamMember.objects.filter(team=team).count() == 2


def test_the_policy_is_versioned_and_the_latest_is_current(db, pmo):
    assert services.current_policy().version == 1
    published = services.capacity_policy_publish(
        user=pmo, change_share_target="35.5", overload_threshold="110", max_shift_months=2, note="Board"
    )
    assert (published.version, published.change_share_target, published.overload_threshold) == (
        2,
        Decimal("35.5"),
        Decimal("110"),
    )
    assert services.current_policy().pk == published.pk
    assert list(CapacityPolicy.objects.values_list("version", flat=True)) == [2, 1]


def test_deleting_a_team_takes_its_demand_with_it(world, pmo):
    team = world["team"]
    services.team_delete(user=pmo, team_id=team.pk, version=team.version)
    assert (ChangeDemand.objects.count(), RunDemand.objects.count(), TeamMember.objects.count()) == (0, 0, 0)


def test_nothing_outside_capacity_changes_on_a_refused_write(world, executive):
    before = db_rows()
    with pytest.raises(NotAllowed):
        services.change_demand_delete(user=executive, demand_id=world["effort1"].pk, version=1)
    assert db_rows() == before
