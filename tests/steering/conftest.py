"""Steering tests share the portfolio's fixtures (a theme, an objective with a KPI, a program, an initiative),
a committee chaired by Cleo Chair with its October meeting, the shipped tier cadences, and a clock set to the
morning of 21 November 2026."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core import changes, roles
from risk.models import TierPolicy
from steering.models import Committee, SteeringMeeting
from tests.factories import CommitteeFactory, UserFactory
from tests.portfolio.conftest import initiative, kpi, objective, program, recorded_changes, theme
from tests.steering.utils import HELD_ON, NOW

__all__ = ["initiative", "kpi", "objective", "program", "recorded_changes", "theme"]


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> None:
    """Every steering test runs on 21 November 2026 (the clock moves on from there)."""
    time_machine.move_to(NOW)


@pytest.fixture
def only_test_listeners() -> Iterator[None]:
    """Set aside the change listeners other apps registered (the engine) for the tests that ask for it."""
    registered = list(changes._listeners)
    changes._listeners.clear()
    yield
    changes._listeners[:] = registered


@pytest.fixture
def tier_policies(db: Any) -> None:
    """The shipped cadences (a flushed database after a browser test has none)."""
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier, defaults={"name": f"Tier {tier}", "checkpoint_cadence_days": cadence}
        )


@pytest.fixture
def chair(db: Any) -> Any:
    return UserFactory(username="chair", first_name="Cleo", last_name="Chair", roles=[roles.EXECUTIVE])


@pytest.fixture
def committee(chair: Any, steering_member: Any, pmo: Any) -> Committee:
    committee = CommitteeFactory(name="Portfolio board", chair=chair)
    committee.members.set([chair, steering_member, pmo])
    return committee


@pytest.fixture
def meeting(committee: Committee) -> SteeringMeeting:
    return SteeringMeeting.objects.create(committee=committee, title="October board", held_on=HELD_ON)
