"""A meeting's agenda: proposed from the data the most important first, each with the time box its importance
gives, up to the meeting's length and the rest for noting; reasons brought up to date until the committee
decides; items added by hand, time boxes set by the chair, moves within their kind, removal. Every refusal
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.stages import Stage
from portfolio.models import Initiative
from steering import rules, services
from steering.models import AgendaItem, AgendaStatus, MeetingStatus, SteeringMeeting
from steering.services import agenda as agenda_service
from tests.factories import CheckpointReviewFactory, InitiativeFactory, ScopeChangeFactory
from tests.portfolio.utils import db_rows
from tests.steering.utils import HELD_ON, D, agenda, history_of, item_on, scored, signal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners", "tier_policies")]


def flagged(
    code: str, tier: int | None, *, due: Any = None, red: tuple[str, ...] = (), pending: int = 0
) -> Initiative:
    """An initiative in delivery the engine scored in `tier`, with its checkpoint due on `due`, these red
    signals and `pending` scope changes awaiting a decision."""
    initiative = InitiativeFactory(code=code, title=f"Initiative {code}", stage=Stage.IN_DELIVERY)
    if tier is not None:
        scored(initiative, tier=tier, checkpoint_due=due)
    for rule in red:
        signal(initiative, rule)
    for _ in range(pending):
        ScopeChangeFactory(initiative=initiative, status="pending")
    return initiative


@pytest.fixture
def portfolio(executive) -> dict[str, Initiative]:
    """Five flagged initiatives of importance 60, 50, 35, 30 and 15 for a meeting on 1 October 2026, a closed
    one with a red signal, and one the data does not flag."""
    return {
        "DELTA": flagged("DELTA", 1, due=HELD_ON, red=("cost_overrun",), pending=3),  # 30 + 10 + 5 + 15 = 60
        "ALPHA": flagged("ALPHA", 1, red=("cost_overrun", "kpi_off_track")),  # 30 + 20 = 50
        "BRAVO": flagged("BRAVO", 2, due=D(2026, 9, 1)),  # 20 + 5 + 30 days overdue / 3 = 35
        "ECHO": flagged("ECHO", 2, red=("orphan",)),  # 20 + 10 = 30
        "CHARLIE": flagged("CHARLIE", 3, pending=1),  # 10 + 5 = 15
        "CLOSED": InitiativeFactory(code="CLOSED", stage=Stage.CLOSED),
        "QUIET": flagged("QUIET", 2),
    }


def test_propose_ranks_by_importance_with_time_boxes_up_to_the_meetings_length_the_rest_for_noting(
    meeting, pmo, chair, portfolio
):
    # given: a 55-minute meeting with a 10-minute item the chair added by hand
    SteeringMeeting.objects.filter(pk=meeting.pk).update(duration_minutes=55)
    signal(portfolio["CLOSED"], "cost_overrun")
    services.agenda_add(user=chair, meeting=meeting, initiative=portfolio["QUIET"])

    # when
    added = services.agenda_propose(user=pmo, meeting=meeting).added

    # then: 20, 15 and 10 minutes fill the 45 left; from the first that does not fit, the rest are for noting
    assert [item.initiative.code for item in added] == ["DELTA", "ALPHA", "BRAVO", "ECHO", "CHARLIE"]
    assert agenda(meeting) == [
        (0, "QUIET", 10, False, []),
        (
            1,
            "DELTA",
            20,
            False,
            [
                "Checkpoint due 2026-10-01 (tier 1, every 30 days; never reviewed)",
                "1 red signal: Cost overrun",
                "3 scope changes awaiting a decision",
            ],
        ),
        (2, "ALPHA", 15, False, ["2 red signals: Cost overrun · Linked KPI off track"]),
        (3, "BRAVO", 10, False, ["Checkpoint due 2026-09-01 (tier 2, every 60 days; never reviewed)"]),
        (4, "ECHO", 0, True, ["1 red signal: No objective"]),
        (5, "CHARLIE", 0, True, ["1 scope change awaiting a decision"]),
    ]
    assert [history_of(item) for item in added] == [[("+", pmo)]] * 5


def test_propose_lists_a_bounded_number_for_noting_and_counts_the_rest(meeting, pmo, portfolio, monkeypatch):
    # given: a 45-minute meeting, and room for one item for noting
    SteeringMeeting.objects.filter(pk=meeting.pk).update(duration_minutes=45)
    monkeypatch.setattr(agenda_service, "NOTING_ITEMS", 1)

    # when
    proposal = services.agenda_propose(user=pmo, meeting=meeting)
    again = services.agenda_propose(user=pmo, meeting=meeting)

    # then: three to review, the next for noting, the last left off (and again, as the agenda's noting is full)
    assert [(item.initiative.code, item.for_noting) for item in proposal.added] == [
        ("DELTA", False),
        ("ALPHA", False),
        ("BRAVO", False),
        ("ECHO", True),
    ]
    assert proposal.left_off == 1
    assert (again.added, again.left_off) == ([], 1)
    assert [code for _position, code, *_rest in agenda(meeting)] == ["DELTA", "ALPHA", "BRAVO", "ECHO"]


def test_the_importance_of_each_proposal_is_explained_in_points(meeting, portfolio):
    # when
    facts = rules.agenda_facts(HELD_ON)

    # then
    explained = {
        code: facts[portfolio[code].pk].importance().explanation()
        for code in ("DELTA", "ALPHA", "BRAVO", "ECHO", "CHARLIE")
    }
    assert explained == {
        "DELTA": "tier 1: 30 + 1 red signal: 10 + checkpoint due: 5 + 3 scope changes pending: 15 = 60",
        "ALPHA": "tier 1: 30 + 2 red signals: 20 = 50",
        "BRAVO": "tier 2: 20 + checkpoint 30 days overdue: 15 = 35",
        "ECHO": "tier 2: 20 + 1 red signal: 10 = 30",
        "CHARLIE": "tier 3: 10 + 1 scope change pending: 5 = 15",
    }
    assert portfolio["QUIET"].pk not in facts


def test_propose_again_brings_the_reasons_up_to_date_until_the_item_is_reviewed(meeting, pmo, portfolio):
    # given: the agenda proposed, then one red signal cleared, a scope change approved and a new red signal
    services.agenda_propose(user=pmo, meeting=meeting)
    alpha = AgendaItem.objects.get(initiative=portfolio["ALPHA"])
    AgendaItem.objects.filter(initiative=portfolio["CHARLIE"]).update(
        status=AgendaStatus.REVIEWED, review=CheckpointReviewFactory(initiative=portfolio["CHARLIE"])
    )
    portfolio["ALPHA"].signals.filter(rule="kpi_off_track").delete()
    portfolio["CHARLIE"].scope_changes.update(status="approved", approved_by=pmo)
    portfolio["CHARLIE"].scope_changes.create(date=D(2026, 9, 2), description="Another", status="pending")
    portfolio["ECHO"].signals.all().delete()

    # when
    added = services.agenda_propose(user=pmo, meeting=meeting).added

    # then: nothing new; ALPHA says what still holds, ECHO nothing, the reviewed CHARLIE what held at the time
    assert added == []
    reasons = {code: reasons for _position, code, _minutes, _noting, reasons in agenda(meeting)}
    assert reasons == {
        "DELTA": [
            "Checkpoint due 2026-10-01 (tier 1, every 30 days; never reviewed)",
            "1 red signal: Cost overrun",
            "3 scope changes awaiting a decision",
        ],
        "ALPHA": ["1 red signal: Cost overrun"],
        "BRAVO": ["Checkpoint due 2026-09-01 (tier 2, every 60 days; never reviewed)"],
        "ECHO": [],
        "CHARLIE": ["1 scope change awaiting a decision"],
    }
    assert AgendaItem.objects.get(pk=alpha.pk).version == alpha.version  # an open review form stays valid


def test_propose_twice_adds_nothing_the_second_time(meeting, pmo, initiative):
    # given
    ScopeChangeFactory(initiative=initiative, status="pending")

    # when
    first = services.agenda_propose(user=pmo, meeting=meeting).added
    second = services.agenda_propose(user=pmo, meeting=meeting).added

    # then
    assert [item.initiative for item in first] == [initiative]
    assert second == []
    assert agenda(meeting) == [(0, "ECOM-1", 10, False, ["1 scope change awaiting a decision"])]


@pytest.mark.parametrize("persona", ["steering_member", "manager", "executive", "outsider"], indirect=True)
def test_only_the_chair_pmo_and_admins_change_the_agenda(meeting, initiative, persona):
    # given
    ScopeChangeFactory(initiative=initiative, status="pending")
    item = item_on(meeting, InitiativeFactory(code="OTHER-1"), 0, minutes=10)
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        services.agenda_propose(user=persona, meeting=meeting)
    with pytest.raises(NotAllowed):
        services.agenda_add(user=persona, meeting=meeting, initiative=initiative)
    with pytest.raises(NotAllowed):
        services.agenda_move(user=persona, item_id=item.pk, position=0)
    with pytest.raises(NotAllowed):
        services.agenda_plan(user=persona, item_id=item.pk, minutes=30)
    with pytest.raises(NotAllowed):
        services.agenda_remove(user=persona, item_id=item.pk, version=1)
    assert db_rows() == before


def test_a_cancelled_meetings_agenda_cannot_change(meeting, initiative, pmo):
    # given
    SteeringMeeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.CANCELLED)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.agenda_add(user=pmo, meeting=meeting, initiative=initiative)

    # then
    assert refused.value.message == "This meeting was cancelled: its agenda can no longer change."
    assert db_rows() == before


def test_the_chair_adds_an_initiative_after_the_reviews_with_who_added_it(meeting, chair, portfolio):
    # given: one item to review and one for noting
    item_on(meeting, portfolio["ALPHA"], 0, minutes=15)
    item_on(meeting, portfolio["ECHO"], 1, for_noting=True)

    # when: a flagged initiative and a quiet one are added by hand
    bravo = services.agenda_add(user=chair, meeting=meeting, initiative=portfolio["BRAVO"])
    quiet = services.agenda_add(user=chair, meeting=meeting, initiative=portfolio["QUIET"])

    # then: both before the item for noting, BRAVO with its importance's time box and reasons, QUIET with 10
    assert agenda(meeting) == [
        (0, "ALPHA", 15, False, []),
        (1, "BRAVO", 10, False, ["Checkpoint due 2026-09-01 (tier 2, every 60 days; never reviewed)"]),
        (2, "QUIET", 10, False, []),
        (3, "ECHO", 0, True, []),
    ]
    assert (bravo.added_by, quiet.added_by) == (chair, chair)


def test_adding_an_initiative_twice_or_a_closed_one_is_refused(meeting, pmo, portfolio):
    # given
    item_on(meeting, portfolio["ALPHA"], 0)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as twice:
        services.agenda_add(user=pmo, meeting=meeting, initiative=portfolio["ALPHA"])
    with pytest.raises(ApplicationError) as closed:
        services.agenda_add(user=pmo, meeting=meeting, initiative=portfolio["CLOSED"])

    # then
    assert twice.value.field_errors == {"initiative": ["ALPHA is already on this agenda."]}
    assert closed.value.field_errors == {"initiative": ["Pick an open initiative."]}
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ time boxes


@pytest.fixture
def planned(meeting, portfolio) -> dict[str, AgendaItem]:
    """ALPHA (15 min), BRAVO (10) and DELTA (20) to review; ECHO for noting."""
    return {
        "ALPHA": item_on(meeting, portfolio["ALPHA"], 0, minutes=15),
        "BRAVO": item_on(meeting, portfolio["BRAVO"], 1, minutes=10),
        "DELTA": item_on(meeting, portfolio["DELTA"], 2, minutes=20),
        "ECHO": item_on(meeting, portfolio["ECHO"], 3, for_noting=True),
    }


def test_the_chair_sets_a_time_box_lists_an_item_for_noting_and_brings_one_back(meeting, chair, planned):
    # when
    services.agenda_plan(user=chair, item_id=planned["ALPHA"].pk, minutes=25)
    services.agenda_plan(user=chair, item_id=planned["BRAVO"].pk, for_noting=True)
    services.agenda_plan(user=chair, item_id=planned["ECHO"].pk, for_noting=False)

    # then: BRAVO goes to the end of the list for noting, ECHO to the end of the reviews with its default box
    assert agenda(meeting) == [
        (0, "ALPHA", 25, False, []),
        (1, "DELTA", 20, False, []),
        (2, "ECHO", 10, False, []),
        (3, "BRAVO", 0, True, []),
    ]
    assert [AgendaItem.objects.get(pk=item.pk).version for item in planned.values()] == [1, 1, 1, 1]


@pytest.mark.parametrize("minutes", [0, 4, 241])
def test_a_time_box_outside_5_to_240_minutes_is_refused(meeting, chair, planned, minutes):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.agenda_plan(user=chair, item_id=planned["ALPHA"].pk, minutes=minutes)

    # then
    message = "A time box is 5 to 240 minutes; list the item for noting instead."
    assert refused.value.field_errors == {"minutes": [message]}
    assert db_rows() == before


def test_the_time_box_of_a_decided_item_is_final(meeting, chair, planned):
    # given
    AgendaItem.objects.filter(pk=planned["ALPHA"].pk).update(
        review=CheckpointReviewFactory(initiative=planned["ALPHA"].initiative), status=AgendaStatus.REVIEWED
    )
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.agenda_plan(user=chair, item_id=planned["ALPHA"].pk, minutes=30)

    # then
    assert refused.value.message == "The committee's decision on ALPHA is recorded: its time box is final."
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ moves


@pytest.mark.parametrize(
    ("code", "where", "expected"),
    [
        ("BRAVO", {"direction": "up"}, ["BRAVO", "ALPHA", "DELTA", "ECHO"]),
        ("ALPHA", {"direction": "up"}, ["ALPHA", "BRAVO", "DELTA", "ECHO"]),
        ("DELTA", {"direction": "down"}, ["ALPHA", "BRAVO", "DELTA", "ECHO"]),
        ("ALPHA", {"direction": "down"}, ["BRAVO", "ALPHA", "DELTA", "ECHO"]),
        ("DELTA", {"position": 0}, ["DELTA", "ALPHA", "BRAVO", "ECHO"]),
        ("ALPHA", {"position": 99}, ["BRAVO", "DELTA", "ALPHA", "ECHO"]),
        ("ECHO", {"direction": "up"}, ["ALPHA", "BRAVO", "DELTA", "ECHO"]),
    ],
)
def test_moves_stay_among_the_items_of_their_kind_with_positions_0_to_n(
    meeting, pmo, planned, code, where, expected
):
    # when
    services.agenda_move(user=pmo, item_id=planned[code].pk, **where)

    # then
    assert [(position, code) for position, code, *_ in agenda(meeting)] == list(enumerate(expected))


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({}, "Say where to move the item: up, down, or to a position."),
        ({"direction": "up", "position": 1}, "Say where to move the item: up, down, or to a position."),
        ({"direction": "sideways"}, "An item moves up or down."),
        ({"position": -1}, "Positions start at 0."),
    ],
)
def test_a_move_without_a_clear_target_is_refused(meeting, pmo, planned, where, message):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.agenda_move(user=pmo, item_id=planned["ALPHA"].pk, **where)

    # then
    assert refused.value.message == message
    assert db_rows() == before


def test_a_reviewed_item_of_a_held_meeting_keeps_its_place(meeting, pmo, planned):
    # given
    SteeringMeeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD)
    AgendaItem.objects.filter(pk=planned["BRAVO"].pk).update(status=AgendaStatus.REVIEWED)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.agenda_move(user=pmo, item_id=planned["BRAVO"].pk, direction="up")

    # then
    assert refused.value.message == "The meeting was held and BRAVO was reviewed there: its place is final."
    assert db_rows() == before


def test_removing_an_item_closes_the_gap(meeting, pmo, planned):
    # when
    services.agenda_remove(user=pmo, item_id=planned["BRAVO"].pk, version=1)

    # then
    assert [(position, code) for position, code, *_ in agenda(meeting)] == [
        (0, "ALPHA"),
        (1, "DELTA"),
        (2, "ECHO"),
    ]


def test_an_item_with_a_decision_or_a_stale_version_is_not_removed(meeting, pmo, planned):
    # given
    AgendaItem.objects.filter(pk=planned["ALPHA"].pk).update(
        review=CheckpointReviewFactory(initiative=planned["ALPHA"].initiative), status=AgendaStatus.REVIEWED
    )
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as decided:
        services.agenda_remove(user=pmo, item_id=planned["ALPHA"].pk, version=1)
    with pytest.raises(StaleEdit):
        services.agenda_remove(user=pmo, item_id=planned["BRAVO"].pk, version=7)

    # then
    assert decided.value.message == "The committee's decision on ALPHA is recorded: it stays on the agenda."
    assert db_rows() == before
