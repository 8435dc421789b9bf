"""The demo's surveys: a closed round for Digital Commerce whose leaders half agree, one open for Supply Chain;
loading them twice adds nothing."""

from __future__ import annotations

from demo.surveys import build_surveys
from surveys.models import RoundStatus, SurveyRound
from tests.factories import ProgramFactory


def test_the_demo_has_a_closed_and_an_open_round_and_loads_once(pmo):
    # given the demo's programs and PMO
    ProgramFactory(name="Digital Commerce")
    ProgramFactory(name="Supply Chain")

    # when the demo surveys are loaded twice
    first, second = build_surveys(), build_surveys()

    # then two rounds were added once: the closed one's leaders half agree
    assert (first, second) == (2, 0)
    rounds = {r.scope_label: r for r in SurveyRound.objects.select_related("program")}
    closed, open_ = rounds["Digital Commerce"], rounds["Supply Chain"]
    assert (closed.status, open_.status) == (RoundStatus.CLOSED, RoundStatus.OPEN)
    assert closed.agreement == 16.6921
    assert [r.answered_at is not None for r in open_.respondents.order_by("side", "name")] == [
        True,
        False,
        False,
    ]
