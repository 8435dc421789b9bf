"""The demo's surveys: Digital Commerce's kick-off round a quarter ago and a closed round whose leaders half
agree, one open for Supply Chain; loading them twice adds nothing, and no recompute is started meanwhile."""

from __future__ import annotations

import datetime
from unittest import mock

from demo.surveys import build_surveys
from surveys.models import RoundStatus, SurveyRound
from tests.factories import ProgramFactory

KICK_OFF_AGREEMENT = 26.0556


def test_the_demo_has_two_closed_rounds_and_an_open_one_and_loads_once(pmo, time_machine):
    # given the demo's programs and PMO, on 21 November 2026
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC), tick=False)
    ProgramFactory(name="Digital Commerce")
    ProgramFactory(name="Supply Chain")

    # when the demo surveys are loaded twice
    with mock.patch("alignment.jobs.on_portfolio_change") as listener:
        first, second = build_surveys(), build_surveys()

    # then three rounds were added once, and no listener heard of them (seed_demo computes afterwards)
    assert (first, second) == (3, 0)
    listener.assert_not_called()
    rounds = list(SurveyRound.objects.select_related("program").order_by("pk"))
    assert [(r.title, r.status, r.agreement) for r in rounds] == [
        ("Digital Commerce: kick-off", RoundStatus.CLOSED, KICK_OFF_AGREEMENT),
        ("Digital Commerce: leadership alignment", RoundStatus.CLOSED, 16.6921),
        ("Supply Chain: leadership alignment", RoundStatus.OPEN, None),
    ]
    assert [r.closed_at.date() if r.closed_at else None for r in rounds] == [
        datetime.date(2026, 8, 22),
        datetime.date(2026, 11, 21),
        None,
    ]
    assert [r.answered_at is not None for r in rounds[2].respondents.order_by("side", "name")] == [
        True,
        False,
        False,
    ]
