"""The events tests share steering's committee and meeting, and a clock set to Monday 23 November 2026."""

from __future__ import annotations

from typing import Any

import pytest

from tests.events.support import NOW
from tests.steering.conftest import chair, committee, meeting, tier_policies

__all__ = ["chair", "committee", "meeting", "tier_policies"]


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)
