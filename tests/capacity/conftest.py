"""A small capacity world checked by hand (docs/capacity.md's worked example): the Data platform team in
March 2027 with two members, run demand and two initiatives' effort."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from capacity import services
from capacity.models import ChangeDemand, RunDemand, Team, TeamMember
from core import changes
from core.stages import Stage
from tests.factories import InitiativeFactory

D = datetime.date
MARCH = D(2027, 3, 1)


@pytest.fixture(autouse=True)
def only_capacity_listener() -> Iterator[None]:
    """Capacity is tested on its own: the engine's listener is set aside (it would recompute scores), the
    capacity app's own (even spreads follow planned dates) is kept."""
    registered = list(changes._listeners)
    changes._listeners[:] = [services.on_portfolio_change]
    yield
    changes._listeners[:] = registered


@pytest.fixture
def world(db, pmo, manager) -> dict[str, Any]:
    """Data platform: Alice at 100 %, Bob at 50 % (23 working days in March 2027: 34.5 person-days);
    run demand in March: support 10 + incidents 4.5; LAKE-1 (approved, Jan to Jun 2027) 60 person-days, 10 a
    month; LAKE-2 (proposed, Mar to Apr 2027) 30 person-days, 15 a month. An empty Service desk team."""
    team = Team.objects.create(name="Data platform", description="Warehouse and pipelines")
    desk = Team.objects.create(name="Service desk")
    TeamMember.objects.create(team=team, name="Alice", availability=100)
    TeamMember.objects.create(team=team, name="Bob", availability=50)
    RunDemand.objects.create(team=team, month=MARCH, category="support", person_days=Decimal("10"))
    RunDemand.objects.create(team=team, month=MARCH, category="incidents", person_days=Decimal("4.5"))
    lake1 = InitiativeFactory(
        code="LAKE-1",
        title="Data lake",
        stage=Stage.APPROVED,
        manager=manager,
        planned_start=D(2027, 1, 15),
        planned_end=D(2027, 6, 10),
    )
    lake2 = InitiativeFactory(
        code="LAKE-2",
        title="Streaming ingest",
        stage=Stage.PROPOSED,
        planned_start=D(2027, 3, 1),
        planned_end=D(2027, 4, 30),
    )
    effort1 = services.change_demand_create(
        user=pmo, initiative=lake1, data={"team": team, "person_days": Decimal("60")}
    )
    effort2 = services.change_demand_create(
        user=pmo, initiative=lake2, data={"team": team, "person_days": Decimal("30")}
    )
    return {
        "team": team,
        "desk": desk,
        "lake1": lake1,
        "lake2": lake2,
        "effort1": effort1,
        "effort2": effort2,
    }


def effort_rows(demand: ChangeDemand) -> list[tuple[str, Decimal]]:
    return [(f"{m.month:%Y-%m}", m.person_days) for m in demand.months.order_by("month")]
