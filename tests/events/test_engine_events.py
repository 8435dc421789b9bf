"""The engine's events, recorded where it writes: a signal raised for the first time, a signal cleared, an
alignment score that moved by at least the threshold; on the full recompute and on one initiative's. And
the reminder sweep's events of actions due soon or overdue, each once."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment import services as engine
from core import outbox
from core.models import OutboxEvent
from portfolio.models import Strength
from steering import reminders
from steering.models import ActionItem
from tests.events.support import events
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_orphan_raises_a_signal_once_and_clears_it_with_a_score_move(settings, manager):
    settings.BEARING_EVENT_SCORE_THRESHOLD = 5
    theme = ObjectiveFactory(code="T1", title="Theme")
    initiative = InitiativeFactory(code="ENG-1", title="Orphan", manager=manager)

    engine.recompute()
    raised = [e for e in events(outbox.SIGNAL_RAISED) if e[3]["rule"] == "orphan"]
    assert len(raised) == 1
    (_, subject, _, payload) = raised[0]
    assert subject == "signal"
    assert payload["key"] == f"orphan:i{initiative.pk}"
    assert payload["title"].startswith("Raised: ENG-1")
    assert payload["about"]["initiative"] == [initiative.pk]
    assert payload["url"] == f"/initiatives/{initiative.pk}/"
    assert events(outbox.SCORE_MOVED) == []  # a first score is not a move

    count = OutboxEvent.objects.count()
    engine.recompute()
    assert OutboxEvent.objects.count() == count  # nothing new: nothing recorded

    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    engine.recompute(initiative_ids=[initiative.pk])
    cleared = [e for e in events(outbox.SIGNAL_CLEARED) if e[3]["rule"] == "orphan"]
    assert len(cleared) == 1
    assert cleared[0][3]["title"].startswith("Cleared: ENG-1")
    (moved,) = events(outbox.SCORE_MOVED)
    assert moved[1:3] == ("initiative", initiative.pk)
    assert moved[3]["before"] < moved[3]["after"]
    assert (
        moved[3]["title"]
        == f"ENG-1 Orphan: alignment score {moved[3]['before']:.0f} → {moved[3]['after']:.0f}"
    )


def stored_scores_read(queries: CaptureQueriesContext) -> int:
    """How many queries read the stored alignment scores (what a move is measured from)."""
    return sum(
        '"alignment_initiativescore"."alignment"' in query["sql"] for query in queries.captured_queries
    )


@pytest.mark.parametrize("full", [True, False])
def test_a_run_that_only_scores_anew_does_not_read_the_stored_scores_for_moves(settings, full):
    settings.BEARING_EVENT_SCORE_THRESHOLD = 5
    theme = ObjectiveFactory(code="T1")
    initiative = InitiativeFactory(code="NEW-1")
    scope = None if full else [initiative.pk]

    # a first score: no move to measure, so no stored score is read for one
    with CaptureQueriesContext(connection) as first:
        engine.recompute(initiative_ids=scope)
    assert stored_scores_read(first) == 0

    # a score that changes: read once, and its move recorded
    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    with CaptureQueriesContext(connection) as second:
        engine.recompute(initiative_ids=scope)
    assert stored_scores_read(second) == 1
    assert [event[1:3] for event in events(outbox.SCORE_MOVED)] == [("initiative", initiative.pk)]


def test_a_move_below_the_threshold_is_no_event(settings):
    settings.BEARING_EVENT_SCORE_THRESHOLD = 101  # no score can move this far
    theme = ObjectiveFactory(code="T1")
    initiative = InitiativeFactory()
    engine.recompute()
    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    engine.recompute()
    assert events(outbox.SCORE_MOVED) == []


def test_the_reminder_sweep_records_actions_due_soon_and_overdue_once(manager):
    initiative = InitiativeFactory(code="ACT-1")
    today = datetime.date(2026, 11, 23)
    owner = UserFactory(username="owner")
    overdue = ActionItem.objects.create(
        initiative=initiative, title="Late", owner=owner, due_date=today - datetime.timedelta(days=3)
    )
    soon = ActionItem.objects.create(
        initiative=initiative, title="Soon", owner=owner, due_date=today + datetime.timedelta(days=2)
    )
    ActionItem.objects.create(
        initiative=initiative, title="Later", owner=owner, due_date=today + datetime.timedelta(days=3)
    )
    ActionItem.objects.create(
        initiative=initiative, title="Done", owner=owner, due_date=today, status="done", completed_on=today
    )

    assert reminders.action_events(today) == 2
    assert reminders.action_events(today) == 0  # the job ran twice: nothing twice
    assert [(k, s, i, p["title"], p["recipients"]) for k, s, i, p in events()] == [
        (
            "action.overdue",
            "action",
            overdue.pk,
            "Action overdue on ACT-1: Late (due 2026-11-20)",
            [owner.pk],
        ),
        ("action.due", "action", soon.pk, "Action due on ACT-1: Soon (due 2026-11-25)", [owner.pk]),
    ]


def test_a_history_rebuild_records_no_event_for_its_past_days(manager):
    # given: an orphan, raised at every past month end and today alike
    theme = ObjectiveFactory(code="T1", title="Theme")
    initiative = InitiativeFactory(code="ENG-2", title="Orphan", manager=manager)

    # when: its history is rebuilt back two month ends, then as of today
    engine.backfill_history(today=datetime.date(2026, 11, 21), months=2)

    # then: no event at all: the signal raised at the first past month end is no news today
    assert events() == []

    # and later changes are told as usual
    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    engine.recompute(initiative_ids=[initiative.pk])
    cleared = [e[3] for e in events(outbox.SIGNAL_CLEARED) if e[3]["rule"] == "orphan"]
    assert [(c["key"], c["title"][:15]) for c in cleared] == [(f"orphan:i{initiative.pk}", "Cleared: ENG-2 ")]
