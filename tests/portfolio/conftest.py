"""A small portfolio shared by the portfolio tests: one theme with an objective and its KPI, one program, and
an initiative sponsored by the executive persona and managed by the manager persona."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from core import changes
from core.stages import Stage
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    UserFactory,
)
from tests.portfolio.utils import World, days, days_ago

D = datetime.date


@pytest.fixture
def theme(db):
    return ObjectiveFactory(code="T1", title="Grow digital sales")


@pytest.fixture
def objective(theme):
    return ObjectiveFactory(code="O1", title="Raise online conversion", parent=theme)


@pytest.fixture
def kpi(objective):
    return KPIFactory(objective=objective, name="Conversion rate")


@pytest.fixture
def program(db):
    return ProgramFactory(name="Digital commerce")


@pytest.fixture
def initiative(executive, manager, program):
    return InitiativeFactory(
        code="ECOM-1", title="Checkout rebuild", sponsor=executive, manager=manager, program=program
    )


@pytest.fixture(autouse=True)
def only_test_listeners() -> Iterator[None]:
    """The foundation is tested on its own: listeners other apps registered (the alignment engine) are set
    aside while a portfolio or risk test runs, and put back afterwards."""
    registered = list(changes._listeners)
    changes._listeners.clear()
    yield
    changes._listeners[:] = registered


@pytest.fixture
def recorded_changes() -> Iterator[list[changes.Change]]:
    """Every change notice the portfolio sends while the test runs."""
    received: list[changes.Change] = []
    changes.listen(received.append)
    yield received
    changes._listeners.remove(received.append)


@pytest.fixture
def register(db) -> dict[str, Any]:
    """Six initiatives that differ in every column the register searches, filters and sorts by."""
    adams = UserFactory(username="adams", first_name="Alice", last_name="Adams")
    baker = UserFactory(username="baker", first_name="Bob", last_name="Baker")
    cole = UserFactory(username="cole", first_name="Cara", last_name="Cole")
    commerce = ProgramFactory(name="Commerce")
    finance = ProgramFactory(name="Finance")
    common = {"actual_start": None, "actual_cost": Decimal("0")}
    rows = {
        "ECOM-1": InitiativeFactory(
            code="ECOM-1",
            title="Checkout rebuild",
            description="Pilot a new checkout with gift card support.",
            stage=Stage.IN_DELIVERY,
            category="grow",
            program=commerce,
            sponsor=baker,
            budget_capex=Decimal("100000"),
            budget_opex=Decimal("20000"),
            planned_end=D(2026, 12, 31),
            **common,
        ),
        "ECOM-2": InitiativeFactory(
            code="ECOM-2",
            title="Gift card pilot",
            description="Sell vouchers in two stores.",
            stage=Stage.PROPOSED,
            category="grow",
            program=commerce,
            sponsor=adams,
            budget_capex=Decimal("30000"),
            budget_opex=Decimal("0"),
            planned_end=D(2026, 6, 30),
            **common,
        ),
        "FIN-1": InitiativeFactory(
            code="FIN-1",
            title="Ledger migration",
            description="Move the general ledger to the cloud.",
            stage=Stage.APPROVED,
            category="transform",
            program=finance,
            sponsor=cole,
            budget_capex=Decimal("500000"),
            budget_opex=Decimal("50000"),
            planned_end=D(2027, 3, 31),
            **common,
        ),
        "HR-1": InitiativeFactory(
            code="HR-1",
            title="Payroll upkeep",
            description="Keep payroll running.",
            stage=Stage.LIVE,
            category="run",
            program=None,
            sponsor=adams,
            budget_capex=Decimal("0"),
            budget_opex=Decimal("80000"),
            planned_end=D(2026, 9, 30),
            go_live_date=D(2026, 1, 1),
            **common,
        ),
        "OPS-1": InitiativeFactory(
            code="OPS-1",
            title="Data centre exit",
            description="Leave the data centre.",
            stage=Stage.IDEA,
            category="transform",
            program=None,
            sponsor=None,
            budget_capex=Decimal("0"),
            budget_opex=Decimal("0"),
            planned_start=None,
            planned_end=None,
            **common,
        ),
        "SEC-1": InitiativeFactory(
            code="SEC-1",
            title="Identity upgrade",
            description="Single sign-on for staff.",
            stage=Stage.CLOSED,
            category="run",
            program=finance,
            sponsor=baker,
            budget_capex=Decimal("40000"),
            budget_opex=Decimal("10000"),
            planned_end=D(2026, 3, 31),
            **common,
        ),
    }
    conversion = ObjectiveFactory(code="O1", title="Raise conversion")
    cost = ObjectiveFactory(code="O2", title="Cut cost")
    ContributionFactory(initiative=rows["ECOM-1"], objective=conversion)
    ContributionFactory(initiative=rows["ECOM-2"], objective=conversion)
    ContributionFactory(initiative=rows["FIN-1"], objective=cost)
    return {
        "rows": rows,
        "adams": adams,
        "baker": baker,
        "commerce": commerce,
        "finance": finance,
        "conversion": conversion,
    }


# ------------------------------------------------------------------------------------------------ worklist


@pytest.fixture
def today(time_machine) -> datetime.date:
    """The worklist's day, fixed: checks count days from it."""
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC))
    return D(2026, 11, 21)


@pytest.fixture
def one_of_each(today, manager, other_manager, program) -> dict[str, Any]:
    """One record failing each check, managed or owned by the manager persona, plus one of another manager."""
    owner_objective = ObjectiveFactory(code="O9", title="Cut cost to serve", owner=manager)
    mine = InitiativeFactory(
        code="ECOM-1", manager=manager, program=program, stage=Stage.IN_DELIVERY, go_live_date=days(today, 12)
    )
    theirs = InitiativeFactory(
        code="FIN-1", manager=other_manager, stage=Stage.LIVE, go_live_date=days(today, -40)
    )
    kpi = KPIFactory(objective=owner_objective, name="Cost per order")
    ReadingFactory(kpi=kpi, date=days(today, -150))
    return {
        "contribution": ContributionFactory(initiative=mine, objective=owner_objective, rationale="tbd"),
        "objective": ObjectiveFactory(code="O8", title="Delight staff", owner=other_manager),
        "kpi": kpi,
        "mine": mine,
        "theirs": theirs,
        "milestone": MilestoneFactory(
            initiative=mine, name="Pilot", baseline_date=days(today, 5), forecast_updated_at=days_ago(75)
        ),
        "their_milestone": MilestoneFactory(
            initiative=InitiativeFactory(code="FIN-2", manager=other_manager, stage=Stage.APPROVED),
            name="Design",
            baseline_date=days(today, 20),
        ),
    }


@pytest.fixture
def world(executive, manager, theme, objective, kpi, program, initiative) -> World:
    """The shared records of a service case in one object."""
    return World(executive, manager, theme, objective, kpi, program, initiative)


@pytest.fixture
def logged_in(client, pmo):
    """The test client, logged in as the PMO."""
    client.force_login(pmo)
    return client
