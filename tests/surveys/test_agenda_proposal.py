"""From a closed survey round to the steering agenda: closing a round whose leaders agree 15.59/100 raises the
program's leadership signal after commit, and the next meeting's proposal puts the program's lead initiative on
the agenda with the leaders' disagreement as its reason."""

from __future__ import annotations

import datetime

import pytest

from steering import services as steering_services
from steering.models import AgendaItem, SteeringMeeting
from tests.factories import CommitteeFactory
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, closed_with

pytestmark = pytest.mark.django_db


def test_a_closed_round_of_disagreeing_leaders_puts_the_program_on_the_next_agenda(
    pmo, program, django_capture_on_commit_callbacks
):
    # given a meeting next week (the program's only initiative, CHK-1, is in delivery)
    committee = CommitteeFactory(name="Board", chair=pmo)
    meeting = SteeringMeeting.objects.create(
        committee=committee, title="December board", held_on=datetime.date(2026, 11, 28)
    )

    # when the round closes and its transaction commits (the engine recomputes), then the chair proposes
    with django_capture_on_commit_callbacks(execute=True):
        closed_with(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 1")
    steering_services.agenda_propose(user=pmo, meeting=meeting)

    # then CHK-1 is on the agenda because its program's leaders disagree
    item = AgendaItem.objects.select_related("initiative").get(meeting=meeting)
    assert item.initiative.code == "CHK-1"
    assert "Leadership of Checkout disagree on its goals (agreement 16/100)" in item.reasons
