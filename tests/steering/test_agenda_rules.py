"""The agenda's rules over what the engine computed: the checkpoint due date it stored with the tier's cadence
and the last review, checkpoints due by a meeting's day, red signals by their rules' titles (the overdue
checkpoint counted once, as the checkpoint), open initiatives only."""

from __future__ import annotations

import pytest

from core.stages import Stage
from portfolio.models import Initiative
from risk.models import TierPolicy
from steering.rules import CheckpointDue, agenda_facts, checkpoints_due
from tests.factories import CheckpointReviewFactory, InitiativeFactory
from tests.steering.utils import DAY, TODAY, scored, signal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.fixture
def governed() -> dict[str, Initiative]:
    """Initiatives in every situation the agenda and reminders read (tier 1's cadence shortened to 28 days),
    with the due date the engine stored (formulas.checkpoint_due computes it; see test_formula_governance).

    REVIEWED: tier 1, reviewed 50 and 20 days ago -> due in 8 days.
    SINCE: tier 2, approved 70 days ago, never reviewed -> due 10 days ago.
    CREATED: tier 3, created 100 days ago -> due 10 days ago.
    LIVE and PROPOSED: not governed by checkpoints (the engine stores no date).
    UNSCORED: in delivery, not scored yet: no date until the engine has run.
    """
    TierPolicy.objects.filter(tier=1).update(checkpoint_cadence_days=28)
    reviewed = InitiativeFactory(code="REVIEWED", stage=Stage.IN_DELIVERY, stage_since=TODAY - 100 * DAY)
    scored(reviewed, tier=1, checkpoint_due=TODAY + 8 * DAY)
    CheckpointReviewFactory(initiative=reviewed, held_on=TODAY - 50 * DAY)
    CheckpointReviewFactory(initiative=reviewed, held_on=TODAY - 20 * DAY)
    since = InitiativeFactory(code="SINCE", stage=Stage.APPROVED, stage_since=TODAY - 70 * DAY)
    scored(since, tier=2, checkpoint_due=TODAY - 10 * DAY)
    created = InitiativeFactory(code="CREATED", stage=Stage.IN_DELIVERY, stage_since=None)
    scored(created, tier=3, checkpoint_due=TODAY - 10 * DAY)
    live = InitiativeFactory(
        code="LIVE", stage=Stage.LIVE, go_live_date=TODAY - 30 * DAY, stage_since=TODAY - 400 * DAY
    )
    scored(live, tier=1)
    proposed = InitiativeFactory(code="PROPOSED", stage=Stage.PROPOSED, stage_since=TODAY - 400 * DAY)
    InitiativeFactory(code="UNSCORED", stage=Stage.IN_DELIVERY, stage_since=TODAY - 400 * DAY)
    return {"reviewed": reviewed, "since": since, "created": created, "live": live, "proposed": proposed}


def test_checkpoints_due_read_the_engines_date_with_the_tiers_cadence_and_the_last_review(
    governed, django_assert_num_queries
):
    # when the due checkpoints are read
    with django_assert_num_queries(3):
        due = checkpoints_due()

    # then each governed, scored initiative comes with its date, tier, cadence and last review
    assert due == {
        governed["reviewed"].pk: CheckpointDue(TODAY + 8 * DAY, 1, 28, TODAY - 20 * DAY),
        governed["since"].pk: CheckpointDue(TODAY - 10 * DAY, 2, 60, None),
        governed["created"].pk: CheckpointDue(TODAY - 10 * DAY, 3, 90, None),
    }
    # and a queryset narrows it
    assert checkpoints_due(Initiative.objects.filter(code="SINCE")) == {
        governed["since"].pk: CheckpointDue(TODAY - 10 * DAY, 2, 60, None)
    }


def test_a_meeting_is_proposed_the_checkpoints_due_by_its_day_with_the_reason(governed):
    # given meetings today, in 7 days and in 8 days
    def due_reasons(days: int) -> dict[str, list[str]]:
        facts = agenda_facts(TODAY + days * DAY)
        return {
            Initiative.objects.get(pk=pk).code: fact.reasons()
            for pk, fact in facts.items()
            if fact.checkpoint is not None
        }

    overdue = {
        "SINCE": ["Checkpoint due 2026-11-11 (tier 2, every 60 days; never reviewed)"],
        "CREATED": ["Checkpoint due 2026-11-11 (tier 3, every 90 days; never reviewed)"],
    }

    # then the checkpoints due on or before each meeting's day are proposed, with when and why
    assert due_reasons(0) == overdue
    assert due_reasons(7) == overdue
    assert due_reasons(8) == {
        **overdue,
        "REVIEWED": ["Checkpoint due 2026-11-29 (tier 1, every 28 days; last reviewed 2026-11-01)"],
    }


def test_red_signals_flag_open_initiatives_by_the_rules_titles():
    # given two red signals on one initiative, one red on another, amber only on a third, red on closed ones
    two = InitiativeFactory(code="TWO")
    signal(two, "sponsor_absent")
    signal(two, "cost_overrun")
    one = InitiativeFactory(code="ONE", stage=Stage.APPROVED)
    signal(one, "kpi_off_track")
    signal(InitiativeFactory(code="AMBER"), "orphan", severity="amber")
    signal(InitiativeFactory(code="CLOSED", stage=Stage.CLOSED), "cost_overrun")
    signal(InitiativeFactory(code="CANCELLED", stage=Stage.CANCELLED), "orphan")

    # when
    facts = agenda_facts(TODAY)

    # then
    assert {Initiative.objects.get(pk=pk).code: fact.reasons() for pk, fact in facts.items()} == {
        "TWO": ["2 red signals: Cost overrun · Sponsor absent from checkpoints"],
        "ONE": ["1 red signal: Linked KPI off track"],
    }


def test_an_overdue_checkpoint_is_said_once_with_its_dates_not_again_among_the_red_signals():
    # given an initiative whose checkpoint is overdue and that raises a red signal besides the overdue one
    initiative = InitiativeFactory(code="LATE-1", stage=Stage.IN_DELIVERY, stage_since=TODAY - 200 * DAY)
    scored(initiative, tier=3, checkpoint_due=TODAY - 110 * DAY)
    signal(initiative, "checkpoint_overdue")
    signal(initiative, "cost_overrun")

    # when
    fact = agenda_facts(TODAY)[initiative.pk]

    # then
    assert fact.reasons() == [
        "Checkpoint due 2026-08-03 (tier 3, every 90 days; never reviewed)",
        "1 red signal: Cost overrun",
    ]
    assert fact.importance().explanation() == (
        "tier 3: 10 + 1 red signal: 10 + checkpoint 110 days overdue: 25 = 45"
    )
