"""Steering services: meetings and attendance, agenda proposals merged from the registered sources, ordering
and moves, checkpoint decisions with their frozen figures and action items, action updates, the stage gate and
stage_since, and the snapshot and its comparison. Every refusal changes nothing."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from portfolio import roles, services
from portfolio.changes import Change
from portfolio.errors import ApplicationError, NotAllowed, StaleEdit
from portfolio.extensions import registry
from portfolio.models import (
    ActionItem,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Committee,
    Initiative,
    MeetingStatus,
    SteeringMeeting,
)
from portfolio.services import steering
from portfolio.services.snapshots import SnapshotChange
from portfolio.services.steering import AlreadyDecided, FiguresChanged
from tests.factories import (
    CheckpointReviewFactory,
    CommitteeFactory,
    InitiativeFactory,
    MilestoneFactory,
    ScopeChangeFactory,
    UserFactory,
)
from tests.portfolio.utils import snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
HELD_ON = D(2026, 10, 1)
HOOKS = ("snapshot_providers", "agenda_sources", "rag_suggesters", "stage_gates")


@pytest.fixture(autouse=True)
def only_test_hooks() -> Iterator[None]:
    """The portfolio side is tested on its own: hooks other apps registered (the alignment app) are set aside
    while a test runs and put back afterwards; a test registers its own fakes."""
    saved = {name: list(getattr(registry, name)) for name in HOOKS}
    for name in HOOKS:
        getattr(registry, name).clear()
    yield
    for name, hooks in saved.items():
        getattr(registry, name)[:] = hooks


@dataclass
class Steering:
    chair: Any
    committee: Committee
    meeting: SteeringMeeting
    initiative: Initiative


@pytest.fixture
def chair(db):
    return UserFactory(username="chair", first_name="Cleo", last_name="Chair", roles=[roles.EXECUTIVE])


@pytest.fixture
def committee(chair, steering_member, pmo):
    committee = CommitteeFactory(name="Portfolio board", chair=chair)
    committee.members.set([chair, steering_member, pmo])
    return committee


@pytest.fixture
def meeting(committee):
    return SteeringMeeting.objects.create(committee=committee, title="October board", held_on=HELD_ON)


@pytest.fixture
def world(chair, committee, meeting, initiative) -> Steering:
    return Steering(chair, committee, meeting, initiative)


def item_on(meeting: SteeringMeeting, initiative: Initiative, position: int, **values: Any) -> AgendaItem:
    return AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=position, **values)


def agenda(meeting: SteeringMeeting) -> list[tuple[int, str, list[str]]]:
    """(position, code, reasons) of each item, in order."""
    return [
        (item.position, item.initiative.code, item.reasons)
        for item in AgendaItem.objects.filter(meeting=meeting)
        .select_related("initiative")
        .order_by("position")
    ]


def decide(user: Any, item: AgendaItem, **overrides: Any) -> CheckpointReview:
    values: dict[str, Any] = {
        "rags": {"schedule": "amber", "cost": "red", "scope": "green", "benefits": "amber"},
        "decision": "proceed_with_conditions",
        "rationale": "  Over budget; the business case must be refreshed.  ",
        "attendees": [],
        "conditions": [{"title": "Refresh the business case"}],
    }
    values.update(overrides)
    return steering.checkpoint_decide(user=user, item=item, **values)


def history_of(record: Any) -> list[tuple[str, Any]]:
    rows = type(record).history.filter(id=record.pk).order_by("history_date", "history_id")
    return [(row.history_type, row.history_user) for row in rows]


# ------------------------------------------------------------------------------------------------ meetings


def test_pmo_plans_a_meeting_with_exactly_the_given_values(committee, pmo):
    # given
    data = {
        "committee": committee,
        "title": "November board",
        "held_on": D(2026, 12, 3),
        "location": "Board room",
        "status": MeetingStatus.PLANNED,
        "notes": "Budget round.",
    }

    # when
    meeting = steering.meeting_create(user=pmo, data=data)

    # then
    stored = SteeringMeeting.objects.get(pk=meeting.pk)
    assert {field: getattr(stored, field) for field in data} == data
    assert list(stored.attendees.all()) == []
    assert (stored.version, history_of(stored)) == (1, [("+", pmo)])


def test_a_chair_plans_meetings_of_their_committee_only(committee, chair):
    # given
    other = CommitteeFactory(name="Security board")

    # when
    mine = steering.meeting_create(
        user=chair, data={"committee": committee, "title": "Mine", "held_on": HELD_ON}
    )
    with pytest.raises(NotAllowed):
        steering.meeting_create(user=chair, data={"committee": other, "title": "Theirs", "held_on": HELD_ON})

    # then
    assert list(SteeringMeeting.objects.filter(title__in=["Mine", "Theirs"])) == [mine]


@pytest.mark.parametrize("persona", ["steering_member", "manager", "executive", "outsider"], indirect=True)
def test_only_the_pmo_admins_and_the_chair_plan_meetings(committee, persona):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed):
        steering.meeting_create(user=persona, data={"committee": committee, "title": "X", "held_on": HELD_ON})

    # then
    assert snapshot() == before


def test_a_held_meeting_cannot_be_dated_in_the_future(committee, pmo):
    # given
    before = snapshot()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    # when
    with pytest.raises(ApplicationError) as refused:
        steering.meeting_create(
            user=pmo,
            data={"committee": committee, "title": "X", "held_on": tomorrow, "status": MeetingStatus.HELD},
        )

    # then
    assert refused.value.field_errors == {"held_on": ["A held meeting cannot be dated in the future."]}
    assert snapshot() == before


def test_the_chair_updates_a_meeting_and_a_stale_version_is_refused(meeting, chair, pmo):
    # given
    steering.meeting_update(user=pmo, meeting_id=meeting.pk, version=1, data={"location": "Room 4"})
    before = snapshot()

    # when
    with pytest.raises(StaleEdit):
        steering.meeting_update(user=chair, meeting_id=meeting.pk, version=1, data={"title": "Mine wins"})
    assert snapshot() == before
    updated = steering.meeting_update(
        user=chair, meeting_id=meeting.pk, version=2, data={"title": "Mine wins"}
    )

    # then
    stored = SteeringMeeting.objects.get(pk=meeting.pk)
    assert (stored.title, stored.location, stored.version) == ("Mine wins", "Room 4", 3)
    assert updated.version == 3


def test_a_chair_cannot_move_a_meeting_to_another_committee(meeting, chair):
    # given
    other = CommitteeFactory(name="Security board")
    before = snapshot()

    # when
    with pytest.raises(NotAllowed):
        steering.meeting_update(user=chair, meeting_id=meeting.pk, version=1, data={"committee": other})

    # then
    assert snapshot() == before


def test_moving_a_meeting_moves_the_date_of_its_reviews_and_marks_them_changed(world, pmo, recorded_changes):
    # given
    review = CheckpointReviewFactory(initiative=world.initiative, meeting=world.meeting, held_on=HELD_ON)

    # when
    steering.meeting_update(
        user=pmo, meeting_id=world.meeting.pk, version=1, data={"held_on": D(2026, 10, 2)}
    )

    # then
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert (stored.held_on, stored.version) == (D(2026, 10, 2), 2)
    assert history_of(stored)[-1] == ("~", pmo)
    assert recorded_changes == [Change(initiative_ids=frozenset({world.initiative.pk}))]


def test_a_meeting_with_decisions_cannot_be_cancelled(world, pmo):
    # given
    CheckpointReviewFactory(initiative=world.initiative, meeting=world.meeting, held_on=HELD_ON)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        steering.meeting_update(
            user=pmo, meeting_id=world.meeting.pk, version=1, data={"status": MeetingStatus.CANCELLED}
        )

    # then
    assert refused.value.field_errors == {"status": ["1 decision recorded here."]}
    assert snapshot() == before


def test_attendance_is_recorded_and_marks_the_initiatives_decided_there_changed(
    world, pmo, chair, steering_member, recorded_changes
):
    # given
    CheckpointReviewFactory(initiative=world.initiative, meeting=world.meeting, held_on=HELD_ON)

    # when
    steering.meeting_record_attendance(
        user=chair, meeting_id=world.meeting.pk, version=1, attendees=[pmo, steering_member]
    )

    # then
    stored = SteeringMeeting.objects.get(pk=world.meeting.pk)
    assert set(stored.attendees.all()) == {pmo, steering_member}
    assert stored.version == 2
    assert recorded_changes == [Change(initiative_ids=frozenset({world.initiative.pk}))]


def test_a_steering_member_cannot_record_attendance(world, steering_member):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed):
        steering.meeting_record_attendance(
            user=steering_member, meeting_id=world.meeting.pk, version=1, attendees=[steering_member]
        )

    # then
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ agenda


@pytest.fixture
def portfolio_of_five(executive) -> dict[str, Initiative]:
    return {
        code: InitiativeFactory(code=code, title=f"Initiative {code}", sponsor=executive, stage=stage)
        for code, stage in [
            ("ALPHA-1", "in_delivery"),
            ("BETA-1", "approved"),
            ("GAMMA-1", "proposed"),
            ("DONE-1", "closed"),
            ("ZETA-1", "live"),
        ]
    }


def test_propose_merges_the_reasons_of_every_source_and_appends_new_items_by_reasons_then_code(
    world, pmo, portfolio_of_five
):
    # given: two sources and two pending scope changes; ZETA-1 already on the agenda; DONE-1 is closed
    p = portfolio_of_five
    item_on(world.meeting, p["ZETA-1"], 0, reasons=["Added by Pat Office"])
    seen: list[SteeringMeeting] = []

    def checkpoints_due(meeting: SteeringMeeting) -> list[tuple[int, str]]:
        seen.append(meeting)
        return [
            (p["GAMMA-1"].pk, "Checkpoint due"),
            (p["BETA-1"].pk, "Checkpoint due"),
            (p["DONE-1"].pk, "Checkpoint due"),
            (p["ZETA-1"].pk, "Checkpoint due"),
        ]

    def red_signals(meeting: SteeringMeeting) -> list[tuple[int, str]]:
        return [(p["BETA-1"].pk, "Red signal: cost overrun"), (p["BETA-1"].pk, "Checkpoint due")]

    registry.add_hook(registry.agenda_sources, checkpoints_due)
    registry.add_hook(registry.agenda_sources, red_signals)
    ScopeChangeFactory(initiative=p["ALPHA-1"], status="pending")
    ScopeChangeFactory(initiative=p["ALPHA-1"], status="pending")
    ScopeChangeFactory(initiative=p["GAMMA-1"], status="approved", approved_by=pmo)
    ScopeChangeFactory(initiative=p["DONE-1"], status="pending")

    # when
    added = steering.agenda_propose(user=pmo, meeting=world.meeting)

    # then
    assert [seen_meeting.pk for seen_meeting in seen] == [world.meeting.pk]
    assert [item.initiative.code for item in added] == ["BETA-1", "ALPHA-1", "GAMMA-1"]
    assert agenda(world.meeting) == [
        (0, "ZETA-1", ["Added by Pat Office", "Checkpoint due"]),
        (1, "BETA-1", ["Checkpoint due", "Red signal: cost overrun"]),
        (2, "ALPHA-1", ["2 scope changes awaiting a decision"]),
        (3, "GAMMA-1", ["Checkpoint due"]),
    ]
    assert [history_of(item) for item in added] == [[("+", pmo)]] * 3


def test_propose_without_hooks_proposes_pending_scope_changes_and_twice_adds_nothing(world, pmo):
    # given
    ScopeChangeFactory(initiative=world.initiative, status="pending")

    # when
    first = steering.agenda_propose(user=pmo, meeting=world.meeting)
    second = steering.agenda_propose(user=pmo, meeting=world.meeting)

    # then
    assert [item.initiative for item in first] == [world.initiative]
    assert second == []
    assert agenda(world.meeting) == [(0, "ECOM-1", ["1 scope change awaiting a decision"])]


def test_propose_leaves_the_reasons_of_a_reviewed_item_alone(world, pmo):
    # given
    ScopeChangeFactory(initiative=world.initiative, status="pending")
    item_on(world.meeting, world.initiative, 0, reasons=["Checkpoint due"], status=AgendaStatus.REVIEWED)

    # when
    added = steering.agenda_propose(user=pmo, meeting=world.meeting)

    # then
    assert added == []
    assert agenda(world.meeting) == [(0, "ECOM-1", ["Checkpoint due"])]


@pytest.mark.parametrize("persona", ["steering_member", "manager", "executive", "outsider"], indirect=True)
def test_only_the_chair_pmo_and_admins_change_the_agenda(world, persona):
    # given
    ScopeChangeFactory(initiative=world.initiative, status="pending")
    other = InitiativeFactory(code="OTHER-1")
    item = item_on(world.meeting, other, 0)
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        steering.agenda_propose(user=persona, meeting=world.meeting)
    with pytest.raises(NotAllowed):
        steering.agenda_add(user=persona, meeting=world.meeting, initiative=world.initiative)
    with pytest.raises(NotAllowed):
        steering.agenda_move(user=persona, item_id=item.pk, position=0)
    with pytest.raises(NotAllowed):
        steering.agenda_remove(user=persona, item_id=item.pk, version=1)
    assert snapshot() == before


def test_a_cancelled_meetings_agenda_cannot_change(world, pmo):
    # given
    SteeringMeeting.objects.filter(pk=world.meeting.pk).update(status=MeetingStatus.CANCELLED)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        steering.agenda_add(user=pmo, meeting=world.meeting, initiative=world.initiative)

    # then
    assert refused.value.message == "This meeting was cancelled: its agenda can no longer change."
    assert snapshot() == before


def test_the_chair_adds_an_initiative_at_the_end_with_who_added_it(world, chair, portfolio_of_five):
    # given
    item_on(world.meeting, portfolio_of_five["ALPHA-1"], 0)

    # when
    item = steering.agenda_add(user=chair, meeting=world.meeting, initiative=world.initiative)

    # then
    assert agenda(world.meeting) == [(0, "ALPHA-1", []), (1, "ECOM-1", ["Added by Cleo Chair"])]
    assert history_of(item) == [("+", chair)]


def test_adding_an_initiative_twice_or_a_closed_one_is_refused(world, pmo, portfolio_of_five):
    # given
    item_on(world.meeting, world.initiative, 0)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as twice:
        steering.agenda_add(user=pmo, meeting=world.meeting, initiative=world.initiative)
    with pytest.raises(ApplicationError) as closed:
        steering.agenda_add(user=pmo, meeting=world.meeting, initiative=portfolio_of_five["DONE-1"])

    # then
    assert twice.value.field_errors == {"initiative": ["ECOM-1 is already on this agenda."]}
    assert closed.value.field_errors == {"initiative": ["Pick an open initiative."]}
    assert snapshot() == before


@pytest.fixture
def four_items(world, portfolio_of_five) -> dict[str, AgendaItem]:
    p = portfolio_of_five
    return {
        code: item_on(world.meeting, p[code], position)
        for position, code in enumerate(["ALPHA-1", "BETA-1", "GAMMA-1", "ZETA-1"])
    }


def codes(meeting: SteeringMeeting) -> list[str]:
    return [code for _, code, _ in agenda(meeting)]


@pytest.mark.parametrize(
    ("code", "where", "expected"),
    [
        ("GAMMA-1", {"direction": "up"}, ["ALPHA-1", "GAMMA-1", "BETA-1", "ZETA-1"]),
        ("GAMMA-1", {"direction": "down"}, ["ALPHA-1", "BETA-1", "ZETA-1", "GAMMA-1"]),
        ("ALPHA-1", {"direction": "up"}, ["ALPHA-1", "BETA-1", "GAMMA-1", "ZETA-1"]),
        ("ZETA-1", {"direction": "down"}, ["ALPHA-1", "BETA-1", "GAMMA-1", "ZETA-1"]),
        ("ZETA-1", {"position": 0}, ["ZETA-1", "ALPHA-1", "BETA-1", "GAMMA-1"]),
        ("ALPHA-1", {"position": 2}, ["BETA-1", "GAMMA-1", "ALPHA-1", "ZETA-1"]),
        ("ALPHA-1", {"position": 99}, ["BETA-1", "GAMMA-1", "ZETA-1", "ALPHA-1"]),
    ],
)
def test_moves_keep_positions_0_to_n_without_gaps(world, pmo, four_items, code, where, expected):
    # when
    order = steering.agenda_move(user=pmo, item_id=four_items[code].pk, **where)

    # then
    assert [item.initiative.code for item in order] == expected
    assert agenda(world.meeting) == [(n, c, []) for n, c in enumerate(expected)]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({}, "Say where to move the item: up, down, or to a position."),
        ({"direction": "up", "position": 1}, "Say where to move the item: up, down, or to a position."),
        ({"direction": "left"}, "An item moves up or down."),
        ({"position": -1}, "Positions start at 0."),
    ],
)
def test_a_move_without_a_clear_target_is_refused(world, pmo, four_items, where, message):
    # given
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        steering.agenda_move(user=pmo, item_id=four_items["BETA-1"].pk, **where)

    # then
    assert refused.value.message == message
    assert snapshot() == before


def test_a_reviewed_item_of_a_held_meeting_keeps_its_place(world, pmo, four_items):
    # given
    AgendaItem.objects.filter(pk=four_items["BETA-1"].pk).update(status=AgendaStatus.REVIEWED)
    SteeringMeeting.objects.filter(pk=world.meeting.pk).update(status=MeetingStatus.HELD)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        steering.agenda_move(user=pmo, item_id=four_items["BETA-1"].pk, direction="up")

    # then
    assert refused.value.message == "The meeting was held and BETA-1 was reviewed there: its place is final."
    assert snapshot() == before


def test_removing_an_item_closes_the_gap(world, pmo, four_items):
    # when
    steering.agenda_remove(user=pmo, item_id=four_items["BETA-1"].pk, version=1)

    # then
    assert agenda(world.meeting) == [(0, "ALPHA-1", []), (1, "GAMMA-1", []), (2, "ZETA-1", [])]
    assert not AgendaItem.objects.filter(pk=four_items["BETA-1"].pk).exists()


def test_an_item_with_a_decision_or_a_stale_version_is_not_removed(world, pmo, four_items):
    # given
    review = CheckpointReviewFactory(initiative=four_items["ALPHA-1"].initiative, meeting=world.meeting)
    AgendaItem.objects.filter(pk=four_items["ALPHA-1"].pk).update(status=AgendaStatus.REVIEWED, review=review)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as decided:
        steering.agenda_remove(user=pmo, item_id=four_items["ALPHA-1"].pk, version=1)
    with pytest.raises(StaleEdit):
        steering.agenda_remove(user=pmo, item_id=four_items["BETA-1"].pk, version=7)

    # then
    assert decided.value.message == "The committee's decision on ALPHA-1 is recorded: it stays on the agenda."
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ decisions


@pytest.fixture
def reviewing(world, manager, steering_member, chair):
    """ECOM-1 on the agenda, a provider that adds scores and a signal, and two suggesters that disagree."""
    MilestoneFactory(initiative=world.initiative, name="Pilot", baseline_date=D(2026, 6, 30))
    world.meeting.attendees.set([chair])

    def alignment(initiative: Initiative) -> dict[str, Any]:
        return {
            "scores": {"alignment": 61.5, "fit": Decimal("70.0")},
            "signals": [{"rule": "cost_overrun", "severity": "red", "message": "12% over budget."}],
        }

    def optimist(initiative: Initiative) -> dict[str, tuple[str, str]]:
        return {
            "cost": ("amber", "Forecast 8% over."),
            "scope": ("green", "No change."),
            "colour": ("red", "x"),
        }

    def pessimist(initiative: Initiative) -> dict[str, tuple[str, str]]:
        return {
            "cost": ("red", "Forecast 12% over."),
            "scope": ("green", "Stable."),
            "benefits": ("blue", "?"),
        }

    registry.add_hook(registry.snapshot_providers, alignment)
    registry.add_hook(registry.rag_suggesters, optimist)
    registry.add_hook(registry.rag_suggesters, pessimist)
    return item_on(world.meeting, world.initiative, 0, reasons=["Checkpoint due"])


def test_a_decision_creates_the_review_with_the_figures_shown_actions_and_attendance(
    world, reviewing, steering_member, manager, pmo, chair, recorded_changes
):
    # given
    shown = steering.initiative_snapshot(world.initiative)
    suggested = steering.rag_suggestions(world.initiative)

    # when
    review = decide(
        steering_member,
        reviewing,
        attendees=[steering_member, world.initiative.sponsor],
        conditions=[
            {"title": " Refresh the business case ", "owner": None, "due_date": None},
            {"title": "Re-plan the pilot", "owner": pmo, "due_date": D(2026, 10, 15)},
        ],
        version=1,
        seen=steering.snapshot_digest(shown, suggested),
    )

    # then: the review, dated the meeting's date, with what the committee saw
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert (stored.initiative, stored.meeting, stored.held_on, stored.recorded_by) == (
        world.initiative,
        world.meeting,
        HELD_ON,
        steering_member,
    )
    assert (stored.rag_schedule, stored.rag_cost, stored.rag_scope, stored.rag_benefits) == (
        "amber",
        "red",
        "green",
        "amber",
    )
    assert (stored.decision, stored.rationale) == (
        "proceed_with_conditions",
        "Over budget; the business case must be refreshed.",
    )
    assert set(stored.attendees.all()) == {steering_member, world.initiative.sponsor}
    assert stored.snapshot == shown
    assert stored.snapshot["scores"] == {"alignment": 61.5, "fit": 70}
    assert stored.suggested == {
        "cost": {"rag": "red", "reason": "Forecast 12% over."},
        "scope": {"rag": "green", "reason": "No change.; Stable."},
    }
    # and: one action per condition, with the manager and 30 days after the meeting as defaults
    actions = list(
        ActionItem.objects.filter(review=stored)
        .order_by("pk")
        .values_list("initiative", "title", "owner", "due_date", "status")
    )
    assert actions == [
        (world.initiative.pk, "Refresh the business case", manager.pk, D(2026, 10, 31), "open"),
        (world.initiative.pk, "Re-plan the pilot", pmo.pk, D(2026, 10, 15), "open"),
    ]
    # and: the item is reviewed and linked; the meeting took place, with the attendees added to its own
    item = AgendaItem.objects.get(pk=reviewing.pk)
    assert (item.status, item.review_id, item.version) == (AgendaStatus.REVIEWED, stored.pk, 2)
    meeting = SteeringMeeting.objects.get(pk=world.meeting.pk)
    assert meeting.status == MeetingStatus.HELD
    assert set(meeting.attendees.all()) == {chair, steering_member, world.initiative.sponsor}
    assert history_of(stored) == [("+", steering_member), ("~", steering_member)]  # the record, its attendees
    assert recorded_changes == [Change(initiative_ids=frozenset({world.initiative.pk}))]


def test_the_frozen_snapshot_does_not_follow_later_changes(world, reviewing, steering_member, pmo):
    # given
    review = decide(steering_member, reviewing, attendees=[steering_member])
    frozen = CheckpointReview.objects.get(pk=review.pk).snapshot

    # when
    services.initiative_update(
        user=pmo, initiative_id=world.initiative.pk, version=1, data={"actual_cost": Decimal("90000")}
    )
    MilestoneFactory(initiative=world.initiative, name="Roll-out", baseline_date=D(2026, 12, 1))

    # then
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert stored.snapshot == frozen
    assert stored.snapshot["spend"]["actual_cost"] == 50000
    assert [m["name"] for m in stored.snapshot["milestones"]] == ["Pilot"]
    assert [
        str(change)
        for change in steering.snapshot_changes(
            stored.snapshot, steering.initiative_snapshot(Initiative.objects.get(pk=world.initiative.pk))
        )
    ] == ["Actual cost: €50,000 → €90,000 (+€40,000)", "Milestone “Roll-out” added"]


@dataclass
class Refusal:
    id: str
    overrides: dict[str, Any]
    field_errors: dict[str, list[str]]

    def __str__(self) -> str:
        return self.id


REFUSALS = [
    Refusal(
        "conditions needed",
        {"conditions": []},
        {"conditions": ["Proceeding with conditions needs at least one condition."]},
    ),
    Refusal(
        "untitled condition",
        {"conditions": [{"title": "A"}, {"title": "  "}]},
        {"conditions": ["Condition 2 needs a title."]},
    ),
    Refusal("rationale", {"rationale": "   "}, {"rationale": ["Record why the committee decided this."]}),
    Refusal("attendees", {"attendees": []}, {"attendees": ["Tick who took part in the decision."]}),
    Refusal(
        "rags and decision",
        {"rags": {"schedule": "green", "cost": "purple"}, "decision": "maybe"},
        {
            "rag_cost": ["Rate cost: green, amber or red."],
            "rag_scope": ["Rate scope: green, amber or red."],
            "rag_benefits": ["Rate benefits: green, amber or red."],
            "decision": ["Pick the committee's decision."],
        },
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_an_incomplete_decision_is_refused_and_changes_nothing(
    world, reviewing, steering_member, recorded_changes, case
):
    # given
    before = snapshot()
    overrides = {"attendees": [steering_member], **case.overrides}

    # when
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, reviewing, **overrides)

    # then
    assert refused.value.field_errors == case.field_errors
    assert snapshot() == before
    assert recorded_changes == []


def test_a_second_decision_on_the_same_item_is_refused(world, reviewing, steering_member, pmo):
    # given
    first = decide(steering_member, reviewing, attendees=[steering_member])
    before = snapshot()

    # when
    with pytest.raises(AlreadyDecided) as refused:
        decide(pmo, reviewing, attendees=[pmo], decision="stop", conditions=[])

    # then
    assert refused.value.review_id == first.pk
    assert snapshot() == before


def test_a_decision_on_a_changed_item_or_on_changed_figures_is_refused(
    world, reviewing, steering_member, pmo
):
    # given
    shown = steering.snapshot_digest(
        steering.initiative_snapshot(world.initiative), steering.rag_suggestions(world.initiative)
    )
    services.initiative_update(
        user=pmo, initiative_id=world.initiative.pk, version=1, data={"forecast_cost": Decimal("150000")}
    )
    before = snapshot()

    # when
    with pytest.raises(StaleEdit):
        decide(steering_member, reviewing, attendees=[steering_member], version=3)
    with pytest.raises(FiguresChanged):
        decide(steering_member, reviewing, attendees=[steering_member], version=1, seen=shown)

    # then
    assert snapshot() == before


def test_a_recompute_that_changes_no_figure_does_not_make_the_figures_stale(
    world, reviewing, steering_member
):
    # given: a provider whose time stamp moves on every call
    calls = iter(range(100))
    registry.add_hook(
        registry.snapshot_providers, lambda i: {"scores_as_of": f"2026-10-01T10:00:{next(calls):02d}"}
    )
    shown = steering.snapshot_digest(
        steering.initiative_snapshot(world.initiative), steering.rag_suggestions(world.initiative)
    )

    # when
    review = decide(steering_member, reviewing, attendees=[steering_member], seen=shown)

    # then
    assert CheckpointReview.objects.filter(pk=review.pk).exists()


def test_decisions_wait_for_the_meetings_day_and_not_for_a_cancelled_meeting(
    world, reviewing, steering_member
):
    # given
    future = timezone.localdate() + datetime.timedelta(days=3)
    SteeringMeeting.objects.filter(pk=world.meeting.pk).update(held_on=future)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as early:
        decide(steering_member, reviewing, attendees=[steering_member])
    SteeringMeeting.objects.filter(pk=world.meeting.pk).update(
        held_on=HELD_ON, status=MeetingStatus.CANCELLED
    )
    with pytest.raises(ApplicationError) as cancelled:
        decide(steering_member, reviewing, attendees=[steering_member])

    # then
    assert early.value.message == (
        f"This meeting is on {future.isoformat()}: record its decisions on or after that day."
    )
    assert cancelled.value.message == "This meeting was cancelled: no decision can be recorded at it."
    assert CheckpointReview.objects.count() == 0
    assert snapshot()["portfolio.AgendaItem"] == before["portfolio.AgendaItem"]


@pytest.mark.parametrize("persona", ["executive", "manager", "outsider"], indirect=True)
def test_only_steering_members_pmo_and_admins_record_decisions(world, reviewing, persona):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed):
        decide(persona, reviewing, attendees=[persona])

    # then
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["steering_member", "pmo", "admin_user"], indirect=True)
def test_steering_members_pmo_and_admins_record_decisions(world, reviewing, persona):
    # when
    review = decide(persona, reviewing, attendees=[persona], decision="proceed", conditions=[])

    # then
    assert CheckpointReview.objects.get(pk=review.pk).recorded_by == persona
    assert ActionItem.objects.count() == 0


# ------------------------------------------------------------------------------------------------ actions


@pytest.fixture
def action(world, manager):
    review = CheckpointReviewFactory(initiative=world.initiative, meeting=world.meeting, held_on=HELD_ON)
    return ActionItem.objects.create(
        initiative=world.initiative,
        review=review,
        title="Refresh the case",
        owner=manager,
        due_date=D(2026, 11, 1),
    )


def test_the_owner_marks_their_action_done_and_reopens_it(action, manager):
    # when
    done = steering.action_update(user=manager, action_id=action.pk, version=1, data={"status": "done"})
    reopened = steering.action_update(user=manager, action_id=action.pk, version=2, data={"status": "open"})

    # then
    assert (done.status, done.completed_on) == ("done", timezone.localdate())
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.version) == ("open", None, 3)
    assert reopened.version == 3
    assert history_of(stored) == [("+", None), ("~", manager), ("~", manager)]


def test_the_owner_cannot_move_their_own_due_date_but_a_steering_member_can(
    action, manager, steering_member, pmo
):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed) as refused:
        steering.action_update(user=manager, action_id=action.pk, version=1, data={"due_date": D(2027, 1, 1)})
    assert snapshot() == before
    steering.action_update(
        user=steering_member,
        action_id=action.pk,
        version=1,
        data={"due_date": D(2027, 1, 1), "owner": pmo, "status": "done", "completed_on": D(2026, 10, 20)},
    )

    # then
    assert (
        refused.value.message
        == "Only steering members and the PMO change an action's title, owner or due date."
    )
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.due_date, stored.owner, stored.status, stored.completed_on) == (
        D(2027, 1, 1),
        pmo,
        "done",
        D(2026, 10, 20),
    )


@pytest.mark.parametrize("persona", ["executive", "other_manager", "outsider"], indirect=True)
def test_others_cannot_update_an_action(action, persona):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed):
        steering.action_update(user=persona, action_id=action.pk, version=1, data={"status": "done"})

    # then
    assert snapshot() == before


def test_an_action_cannot_be_completed_in_the_future_or_from_a_stale_version(action, pmo):
    # given
    before = snapshot()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    # when
    with pytest.raises(ApplicationError) as future:
        steering.action_update(
            user=pmo, action_id=action.pk, version=1, data={"status": "done", "completed_on": tomorrow}
        )
    with pytest.raises(StaleEdit):
        steering.action_update(user=pmo, action_id=action.pk, version=2, data={"status": "done"})

    # then
    assert future.value.field_errors == {"completed_on": ["An action cannot be completed in the future."]}
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ stage gate


@pytest.fixture
def gate_calls() -> list[tuple[str, str, Any, str]]:
    """A gate that holds every initiative back from "in delivery", recording what it was asked."""
    calls: list[tuple[str, str, Any, str]] = []

    def gate(initiative: Initiative, stage: str) -> str | None:
        calls.append((initiative.code, initiative.stage, initiative.stage_since, stage))
        return "Not before the committee says so." if stage == "in_delivery" else None

    registry.add_hook(registry.stage_gates, gate)
    return calls


def test_a_stage_gate_refuses_a_stage_on_the_stage_field_and_nothing_changes(pmo, executive, gate_calls):
    # given
    initiative = InitiativeFactory(
        code="GATE-1", stage="approved", sponsor=executive, stage_since=D(2026, 3, 1)
    )
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.initiative_update(
            user=pmo,
            initiative_id=initiative.pk,
            version=1,
            data={"stage": "in_delivery", "title": "Renamed"},
        )

    # then
    assert refused.value.field_errors == {"stage": ["Not before the committee says so."]}
    assert gate_calls == [("GATE-1", "approved", D(2026, 3, 1), "in_delivery")]
    assert snapshot() == before


def test_a_stage_gate_is_asked_only_when_the_stage_changes_and_stage_since_is_dated(
    pmo, executive, gate_calls
):
    # given
    initiative = InitiativeFactory(
        code="GATE-1", stage="approved", sponsor=executive, stage_since=D(2026, 3, 1)
    )

    # when
    services.initiative_update(user=pmo, initiative_id=initiative.pk, version=1, data={"title": "Renamed"})
    same = Initiative.objects.get(pk=initiative.pk).stage_since
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=2,
        data={"stage": "live", "go_live_date": D(2026, 9, 1)},
    )

    # then
    assert same == D(2026, 3, 1)
    assert Initiative.objects.get(pk=initiative.pk).stage_since == timezone.localdate()
    assert gate_calls == [("GATE-1", "approved", D(2026, 3, 1), "live")]


def test_a_new_initiative_is_dated_in_its_stage_and_the_gates_may_refuse_it(pmo, executive, gate_calls):
    # given
    data = {
        "code": "NEW-1",
        "title": "New",
        "stage": "approved",
        "sponsor": executive,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 31),
    }
    before = Initiative.objects.count()

    # when
    created = services.initiative_create(user=pmo, data=data)
    with pytest.raises(ApplicationError) as refused:
        services.initiative_create(user=pmo, data={**data, "code": "NEW-2", "stage": "in_delivery"})

    # then
    assert Initiative.objects.get(pk=created.pk).stage_since == timezone.localdate()
    assert refused.value.field_errors == {"stage": ["Not before the committee says so."]}
    assert Initiative.objects.count() == before + 1
    assert not Initiative.objects.filter(code="NEW-2").exists()
    assert [call[0] for call in gate_calls] == ["NEW-1", "NEW-2"]


# ------------------------------------------------------------------------------------------------ snapshot


def test_the_snapshot_holds_the_portfolios_facts_as_json(world, pmo, manager, executive):
    # given
    initiative = world.initiative
    Initiative.objects.filter(pk=initiative.pk).update(
        forecast_cost=Decimal("130000.50"),
        stage_since=D(2026, 1, 15),
        expected_annual_benefit=Decimal("40000"),
    )
    MilestoneFactory(
        initiative=initiative, name="Go-live", baseline_date=D(2026, 9, 30), forecast_date=D(2026, 10, 30)
    )
    MilestoneFactory(
        initiative=initiative, name="Design", baseline_date=D(2026, 3, 31), actual_date=D(2026, 4, 2)
    )
    ScopeChangeFactory(initiative=initiative, status="pending", rationale="", cost_impact=Decimal("5000"))
    ScopeChangeFactory(initiative=initiative, status="approved", approved_by=pmo)

    # when
    frozen = steering.initiative_snapshot(Initiative.objects.get(pk=initiative.pk))

    # then
    assert json.loads(json.dumps(frozen)) == frozen
    assert frozen == {
        "as_of": timezone.localdate().isoformat(),
        "initiative": {
            "code": "ECOM-1",
            "title": "Checkout rebuild",
            "stage": "in_delivery",
            "stage_label": "In delivery",
            "stage_since": "2026-01-15",
            "sponsor": "Erin Executive",
            "manager": "Mo Manager",
            "planned_start": "2026-01-01",
            "planned_end": "2026-12-31",
            "actual_start": "2026-01-15",
            "actual_end": None,
            "go_live_date": None,
        },
        "spend": {
            "budget": 120000,
            "actual_cost": 50000,
            "forecast_cost": 130000.5,
            "variance": 10000.5,
            "spent_pct": 41.7,
            "expected_annual_benefit": 40000,
        },
        "milestones": [
            {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": "2026-04-02"},
            {"name": "Go-live", "baseline": "2026-09-30", "forecast": "2026-10-30", "actual": None},
        ],
        "scope_changes": {
            "pending": 1,
            "pending_cost": 5000,
            "pending_days": 10,
            "items": [
                {
                    "date": "2026-03-01",
                    "description": "Add gift cards to checkout.",
                    "rationale": "",
                    "cost_impact": 5000,
                    "schedule_impact_days": 10,
                }
            ],
        },
    }


def test_providers_add_to_the_snapshot_and_a_batch_provider_is_called_once(world, executive):
    # given
    other = InitiativeFactory(code="OTHER-1", sponsor=executive)
    batch_calls: list[list[str]] = []

    def per_initiative(initiative: Initiative) -> dict[str, Any]:
        return {
            "scores": {"fit": Decimal("12.5")},
            "signals": [{"rule": "a", "severity": "amber"}],
            "tier": 2,
        }

    def batch(initiative: Initiative) -> dict[str, Any]:  # pragma: no cover - the batch path is used
        raise AssertionError("called one by one")

    def many(initiatives: list[Initiative]) -> dict[int, dict[str, Any]]:
        batch_calls.append([i.code for i in initiatives])
        return {
            world.initiative.pk: {"scores": {"alignment": 50}, "signals": [{"rule": "b", "severity": "red"}]}
        }

    batch.many = many  # type: ignore[attr-defined]
    registry.add_hook(registry.snapshot_providers, per_initiative)
    registry.add_hook(registry.snapshot_providers, batch)

    # when
    snapshots = steering.initiative_snapshots([world.initiative, other])

    # then
    assert batch_calls == [["ECOM-1", "OTHER-1"]]
    mine, theirs = snapshots[world.initiative.pk], snapshots[other.pk]
    assert (mine["scores"], mine["signals"], mine["tier"]) == (
        {"fit": 12.5, "alignment": 50},
        [{"rule": "a", "severity": "amber"}, {"rule": "b", "severity": "red"}],
        2,
    )
    assert (theirs["scores"], theirs["signals"]) == ({"fit": 12.5}, [{"rule": "a", "severity": "amber"}])


def test_without_suggesters_nothing_is_suggested(world):
    assert steering.rag_suggestions(world.initiative) == {}


BEFORE = {
    "as_of": "2026-09-01",
    "initiative": {
        "code": "ECOM-1",
        "stage": "approved",
        "stage_label": "Approved",
        "planned_end": "2026-12-31",
    },
    "spend": {
        "budget": 120000,
        "actual_cost": 10000,
        "forecast_cost": 120000,
        "variance": 0,
        "spent_pct": 8.3,
    },
    "milestones": [
        {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": None},
        {"name": "Pilot", "baseline": "2026-06-30", "forecast": "2026-07-15", "actual": None},
        {"name": "Dropped", "baseline": "2026-08-01", "forecast": None, "actual": None},
    ],
    "scope_changes": {"pending": 0, "pending_cost": 0, "pending_days": 0, "items": []},
    "scores": {"alignment": 62.0, "fit": 70},
    "tier": 2,
    "scores_as_of": "2026-09-01T02:00:00",
    "signals": [
        {"rule": "schedule_slip", "severity": "amber", "message": "Late by 15 days."},
        {"rule": "orphan", "severity": "red", "message": "No objective."},
    ],
    "kpis": [{"id": 4, "name": "Conversion", "status": "On track", "latest": 2.1, "unit": "%"}],
    "vendor": {"name": "Acme"},
}
AFTER = {
    "as_of": "2026-10-01",
    "initiative": {
        "code": "ECOM-1",
        "stage": "in_delivery",
        "stage_label": "In delivery",
        "planned_end": "2027-01-31",
    },
    "spend": {
        "budget": 120000,
        "actual_cost": 60000,
        "forecast_cost": 135000.5,
        "variance": 15000.5,
        "spent_pct": 50.0,
    },
    "milestones": [
        {"name": "Design", "baseline": "2026-03-31", "forecast": None, "actual": "2026-04-02"},
        {"name": "Pilot", "baseline": "2026-06-30", "forecast": "2026-07-05", "actual": None},
        {"name": "Roll-out", "baseline": "2026-11-30", "forecast": None, "actual": None},
    ],
    "scope_changes": {
        "pending": 2,
        "pending_cost": 5000,
        "pending_days": 10,
        "items": [{"date": "2026-09-20"}],
    },
    "scores": {"alignment": 55.5, "fit": 70},
    "tier": 1,
    "scores_as_of": "2026-10-01T02:00:00",
    "signals": [
        {"rule": "schedule_slip", "severity": "red", "message": "Late by 35 days."},
        {"rule": "cost_overrun", "severity": "amber", "message": "13% over budget."},
    ],
    "kpis": [{"id": 4, "name": "Conversion", "status": "Off track", "latest": 1.8, "unit": "%"}],
    "vendor": {"name": "Bolt"},
}


def test_snapshot_changes_say_what_moved_in_words():
    # when
    changes = steering.snapshot_changes(BEFORE, AFTER)

    # then
    assert changes == [
        SnapshotChange("initiative", "Stage: Approved → In delivery"),
        SnapshotChange("initiative", "Planned end: 2026-12-31 → 2027-01-31 (31 days later)", "bad"),
        SnapshotChange("spend", "Actual cost: €10,000 → €60,000 (+€50,000)"),
        SnapshotChange("spend", "Forecast cost: €120,000 → €135,000 (+€15,000)", "bad"),
        SnapshotChange("milestones", "Milestone “Design” done on 2026-04-02", "good"),
        SnapshotChange("milestones", "Milestone “Pilot” forecast: 2026-07-15 → 2026-07-05 (10 days earlier)"),
        SnapshotChange("milestones", "Milestone “Roll-out” added"),
        SnapshotChange("milestones", "Milestone “Dropped” removed"),
        SnapshotChange("scope_changes", "Pending scope changes: 0 → 2 (+2)", "bad"),
        SnapshotChange("scope_changes", "Cost of pending scope changes: €0 → €5,000 (+€5,000)", "bad"),
        SnapshotChange("scope_changes", "Days added by pending scope changes: 0 → 10 (+10)", "bad"),
        SnapshotChange("scores", "Alignment: 62 → 55.5 (−6.5)", "bad"),
        SnapshotChange("tier", "Tier: 2 → 1"),
        SnapshotChange("signals", "Signal now red (was amber): Late by 35 days.", "bad"),
        SnapshotChange("signals", "New signal (amber): 13% over budget.", "bad"),
        SnapshotChange("signals", "Signal cleared: No objective.", "good"),
        SnapshotChange("kpis", "KPI “Conversion”: On track → Off track", "bad"),
        SnapshotChange("kpis", "KPI “Conversion” latest: 2.1 % → 1.8 % (−0.3)"),
        SnapshotChange("vendor", "Vendor name: Acme → Bolt"),
    ]


def test_identical_snapshots_or_new_time_stamps_change_nothing():
    # given
    later = {**BEFORE, "as_of": "2026-09-30", "scores_as_of": "2026-09-30T02:00:00"}

    # then
    assert steering.snapshot_changes(BEFORE, BEFORE) == []
    assert steering.snapshot_changes(BEFORE, later) == []
    assert steering.snapshot_digest(BEFORE, {}) == steering.snapshot_digest(later, {})
    assert steering.snapshot_digest(BEFORE, {}) != steering.snapshot_digest(AFTER, {})


def test_snapshot_changes_read_keys_that_appear_or_disappear():
    # when
    changes = steering.snapshot_changes(
        {"signals": [], "flags": ["a"]}, {"signals": [{"rule": "x", "severity": "red"}]}
    )

    # then
    assert [str(change) for change in changes] == ["New signal (red): x", "Flags: removed a"]


# ------------------------------------------------------------------------------------------------ concurrency


def _decide_in_thread(item: AgendaItem, user: Any, start: threading.Barrier, outcome: dict[str, str]) -> None:
    try:
        start.wait(timeout=10)
        review = decide(user, item, attendees=[user], decision="proceed", conditions=[])
        outcome[user.username] = f"review {review.pk}"
    except AlreadyDecided as error:
        outcome[user.username] = f"already decided: {error.review_id}"
    except Exception as error:  # noqa: BLE001  reported by the assertion below
        outcome[user.username] = f"error: {error!r}"
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_recording_the_same_decision_at_once_make_one_review_on_postgresql(
    postgres, world, steering_member, pmo
):
    # given
    item = item_on(world.meeting, world.initiative, 0)
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}
    threads = [
        threading.Thread(target=_decide_in_thread, args=(item, user, start, outcome))
        for user in (steering_member, pmo)
    ]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then
    assert not any(thread.is_alive() for thread in threads)
    review = CheckpointReview.objects.get(initiative=world.initiative)
    assert sorted(outcome.values()) == sorted([f"review {review.pk}", f"already decided: {review.pk}"])
    assert AgendaItem.objects.get(pk=item.pk).review_id == review.pk
