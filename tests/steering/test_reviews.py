"""Recording a checkpoint review: the figures the committee saw and the RAG the data suggested frozen in it,
its conditions as action items, the item reviewed with the reasons that held then, attendance; every refusal
(incomplete, decided already, changed item or figures, before the meeting's day, for noting, not allowed)
changes nothing; the frozen figures stay put through later edits and recomputes; attendance feeds the
sponsor-absence signal."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from alignment import services as engine
from alignment.models import InitiativeScore, Signal
from core import roles
from core.changes import Change
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.stages import Stage
from portfolio import services as portfolio
from portfolio.models import Initiative
from steering import rules, services
from steering.figures import figure_changes
from steering.models import (
    ActionItem,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Decision,
    MeetingStatus,
    SteeringMeeting,
)
from steering.services import AlreadyDecided, FiguresChanged
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    UserFactory,
)
from tests.portfolio.utils import db_rows
from tests.steering.utils import DAY, HELD_ON, TODAY, D, decide, history_of, item_on, scored, signal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.fixture
def reviewing(meeting, initiative, chair) -> AgendaItem:
    """ECOM-1 on the October agenda: scored (12% over budget, 18 days behind plan) with a red signal, its
    checkpoint due in September, a pilot milestone never achieved; the chair present."""
    MilestoneFactory(initiative=initiative, name="Pilot", baseline_date=D(2026, 6, 30))
    scored(
        initiative,
        alignment=61.54,
        fit=70.0,
        tier=2,
        checkpoint_due=D(2026, 9, 20),
        slip_ratio=0.05,
        slip_days=18,
        overrun=0.12,
    )
    signal(initiative, "cost_overrun", message="ECOM-1 is forecast 12% over budget.")
    meeting.attendees.set([chair])
    return item_on(meeting, initiative, 0, minutes=15, reasons=["Proposed in September"])


SUGGESTED = {
    "schedule": {
        "rag": "red",
        "reason": "18 days behind plan: 5% of the planned duration (amber from 10%, red from 25%). "
        "Milestones late: “Pilot” 144 days (amber from 14 days, red from 45).",
    },
    "cost": {"rag": "amber", "reason": "Forecast 12% over budget (amber from 5%, red from 15%)."},
    "scope": {"rag": "green", "reason": "0 scope changes in 180 days."},
    "benefits": {"rag": "amber", "reason": "No KPI is named to show the benefits."},
}


@pytest.mark.usefixtures("only_test_listeners")
def test_a_review_freezes_the_figures_shown_the_suggestion_actions_reasons_and_attendance(
    meeting, initiative, reviewing, steering_member, manager, pmo, chair, recorded_changes
):
    # given
    shown = services.initiative_figures([initiative])[initiative.pk]
    suggested = rules.suggest_rag(initiative)

    # when
    review = decide(
        steering_member,
        reviewing,
        attendees=[steering_member, initiative.sponsor],
        conditions=[
            {"title": " Refresh the business case ", "owner": None, "due_date": None},
            {"title": "Re-plan the pilot", "owner": pmo, "due_date": D(2026, 10, 15)},
        ],
        version=1,
        seen=services.figures_digest(shown, suggested),
    )

    # then: the review, dated the meeting's date, with what the committee saw and what the data suggested
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert (stored.initiative, stored.meeting, stored.held_on, stored.recorded_by) == (
        initiative,
        meeting,
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
    assert set(stored.attendees.all()) == {steering_member, initiative.sponsor}
    assert stored.figures == shown
    assert stored.figures["scores"] == {
        "alignment": 61.5,
        "fit": 70.0,
        "outcome": None,
        "delivery": None,
        "governance": None,
    }
    assert stored.figures["signals"] == [
        {"rule": "cost_overrun", "severity": "red", "message": "ECOM-1 is forecast 12% over budget."}
    ]
    assert stored.suggested == SUGGESTED
    # and: one action per condition, with the manager and 30 days after the meeting as defaults
    actions = list(
        ActionItem.objects.filter(review=stored)
        .order_by("pk")
        .values_list("initiative", "title", "owner", "due_date", "status")
    )
    assert actions == [
        (initiative.pk, "Refresh the business case", manager.pk, D(2026, 10, 31), "open"),
        (initiative.pk, "Re-plan the pilot", pmo.pk, D(2026, 10, 15), "open"),
    ]
    # and: the item is reviewed, linked, with the reasons that held on the meeting's day
    item = AgendaItem.objects.get(pk=reviewing.pk)
    assert (item.status, item.review_id, item.version) == (AgendaStatus.REVIEWED, stored.pk, 2)
    assert item.reasons == [
        "Checkpoint due 2026-09-20 (tier 2, every 60 days; never reviewed)",
        "1 red signal: Cost overrun",
    ]
    # and: the meeting took place, with the attendees added to its own
    stored_meeting = SteeringMeeting.objects.get(pk=meeting.pk)
    assert stored_meeting.status == MeetingStatus.HELD
    assert set(stored_meeting.attendees.all()) == {chair, steering_member, initiative.sponsor}
    assert history_of(stored) == [("+", steering_member), ("~", steering_member)]  # the record, its attendees
    assert recorded_changes == [Change(initiative_ids=frozenset({initiative.pk}))]


@pytest.mark.usefixtures("only_test_listeners")
def test_the_frozen_figures_do_not_follow_later_changes(initiative, reviewing, steering_member, pmo):
    # given
    review = decide(steering_member, reviewing, attendees=[steering_member])
    frozen = CheckpointReview.objects.get(pk=review.pk).figures

    # when
    portfolio.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"actual_cost": Decimal("90000")}
    )
    MilestoneFactory(initiative=initiative, name="Roll-out", baseline_date=D(2026, 12, 1))

    # then
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert stored.figures == frozen
    assert stored.figures["spend"]["actual_cost"] == 50000
    assert [m["name"] for m in stored.figures["milestones"]] == ["Pilot"]
    now = services.initiative_figures([Initiative.objects.get(pk=initiative.pk)])[initiative.pk]
    assert [str(change) for change in figure_changes(stored.figures, now)] == [
        "Actual cost: €50,000 → €90,000 (+€40,000)",
        "Milestone “Roll-out” added",
    ]


def test_a_review_keeps_what_the_committee_saw_through_edits_and_real_recomputes(
    committee, steering_member, pmo
):
    # given an initiative with a KPI and readings, scored by the engine, and a review of it
    objective = ObjectiveFactory(code="OBJ-A")
    kpi = KPIFactory(objective=objective, name="Conversion rate")
    for months, value in [(9, "12"), (6, "13"), (3, "14")]:
        ReadingFactory(kpi=kpi, date=TODAY - months * 30 * DAY, value=Decimal(value))
    initiative = InitiativeFactory(
        code="ECOM-1", stage=Stage.IN_DELIVERY, stage_since=TODAY - 60 * DAY, forecast_cost=Decimal("120000")
    )
    ContributionFactory(initiative=initiative, objective=objective, kpi=kpi, strength="strong")
    engine.recompute(today=TODAY)
    meeting = SteeringMeeting.objects.create(committee=committee, title="Board", held_on=TODAY - 2 * DAY)
    review = decide(steering_member, item_on(meeting, initiative, 0), attendees=[steering_member])
    seen = copy.deepcopy(review.figures)
    assert seen["spend"]["forecast_cost"] == 120000
    assert [signal["rule"] for signal in seen["signals"]] == ["kpi_off_track"]

    # when the forecast goes 50% over budget, a new reading comes in, and the engine recomputes (twice)
    portfolio.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=Initiative.objects.get(pk=initiative.pk).version,
        data={"forecast_cost": Decimal("180000")},
    )
    ReadingFactory(kpi=kpi, date=TODAY - DAY, value=Decimal("11"))
    engine.recompute(today=TODAY)
    engine.recompute(today=TODAY)

    # then the review still holds exactly what the committee saw, while today's figures show the news
    review.refresh_from_db()
    assert review.figures == seen
    fresh = services.initiative_figures([Initiative.objects.get(pk=initiative.pk)])[initiative.pk]
    assert fresh["spend"]["forecast_cost"] == 180000
    assert [signal["rule"] for signal in fresh["signals"]] == ["cost_overrun", "kpi_off_track"]
    assert (fresh["kpis"][0]["latest"], seen["kpis"][0]["latest"]) == (11.0, 14.0)


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


@pytest.mark.usefixtures("only_test_listeners")
@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_an_incomplete_decision_is_refused_and_changes_nothing(
    reviewing, steering_member, recorded_changes, case
):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, reviewing, **{"attendees": [steering_member], **case.overrides})

    # then
    assert refused.value.field_errors == case.field_errors
    assert db_rows() == before
    assert recorded_changes == []


@pytest.mark.usefixtures("only_test_listeners")
def test_a_second_decision_on_the_same_item_is_refused(reviewing, steering_member, pmo):
    # given
    first = decide(steering_member, reviewing, attendees=[steering_member])
    before = db_rows()

    # when
    with pytest.raises(AlreadyDecided) as refused:
        decide(pmo, reviewing, attendees=[pmo], decision="stop", conditions=[])

    # then
    assert refused.value.review_id == first.pk
    assert db_rows() == before


@pytest.mark.usefixtures("only_test_listeners")
def test_a_decision_on_a_changed_item_or_on_changed_figures_is_refused(
    initiative, reviewing, steering_member, pmo
):
    # given
    shown = services.figures_digest(
        services.initiative_figures([initiative])[initiative.pk], rules.suggest_rag(initiative)
    )
    portfolio.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"forecast_cost": Decimal("150000")}
    )
    before = db_rows()

    # when
    with pytest.raises(StaleEdit):
        decide(steering_member, reviewing, attendees=[steering_member], version=3)
    with pytest.raises(FiguresChanged):
        decide(steering_member, reviewing, attendees=[steering_member], version=1, seen=shown)

    # then
    assert db_rows() == before


@pytest.mark.usefixtures("only_test_listeners")
def test_a_recompute_that_changes_no_figure_does_not_make_the_figures_stale(
    initiative, reviewing, steering_member
):
    # given the digest the page showed, then a recompute that only moved the engine's time stamp
    shown = services.figures_digest(
        services.initiative_figures([initiative])[initiative.pk], rules.suggest_rag(initiative)
    )
    InitiativeScore.objects.filter(initiative=initiative).update(computed_at=timezone.now())

    # when
    review = decide(steering_member, reviewing, attendees=[steering_member], seen=shown)

    # then
    assert CheckpointReview.objects.filter(pk=review.pk).exists()


@pytest.mark.usefixtures("only_test_listeners")
def test_decisions_wait_for_the_meetings_day_and_not_for_a_cancelled_meeting(
    meeting, reviewing, steering_member
):
    # given
    SteeringMeeting.objects.filter(pk=meeting.pk).update(held_on=D(2026, 11, 24))
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as early:
        decide(steering_member, reviewing, attendees=[steering_member])
    SteeringMeeting.objects.filter(pk=meeting.pk).update(held_on=HELD_ON, status=MeetingStatus.CANCELLED)
    with pytest.raises(ApplicationError) as cancelled:
        decide(steering_member, reviewing, attendees=[steering_member])

    # then
    assert early.value.message == "This meeting is on 2026-11-24: record its decisions on or after that day."
    assert cancelled.value.message == "This meeting was cancelled: no decision can be recorded at it."
    assert CheckpointReview.objects.count() == 0
    assert db_rows()["steering.AgendaItem"] == before["steering.AgendaItem"]


@pytest.mark.usefixtures("only_test_listeners")
def test_an_item_listed_for_noting_is_not_decided_one_by_one(reviewing, steering_member):
    # given
    AgendaItem.objects.filter(pk=reviewing.pk).update(for_noting=True, minutes=0)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, reviewing, attendees=[steering_member])

    # then
    assert refused.value.message == (
        "ECOM-1 is listed for noting: the chair moves it into review before the committee decides on it."
    )
    assert db_rows() == before


@pytest.mark.usefixtures("only_test_listeners")
@pytest.mark.parametrize("persona", ["executive", "manager", "outsider"], indirect=True)
def test_only_steering_members_pmo_and_admins_record_decisions(reviewing, persona):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        decide(persona, reviewing, attendees=[persona])

    # then
    assert db_rows() == before


@pytest.mark.usefixtures("only_test_listeners")
@pytest.mark.parametrize("persona", ["steering_member", "pmo", "admin_user"], indirect=True)
def test_steering_members_pmo_and_admins_record_decisions(reviewing, persona):
    # when
    review = decide(persona, reviewing, attendees=[persona], decision="proceed", conditions=[])

    # then
    assert CheckpointReview.objects.get(pk=review.pk).recorded_by == persona
    assert ActionItem.objects.count() == 0


# ------------------------------------------------------------------------------------------------ attendance


def review_on(
    user: Any, committee: Any, initiative: Initiative, held_on: Any, attendees: list[Any]
) -> CheckpointReview:
    meeting = SteeringMeeting.objects.create(committee=committee, title=f"Board {held_on}", held_on=held_on)
    return decide(
        user, item_on(meeting, initiative, 0), attendees=attendees, decision=Decision.PROCEED, conditions=[]
    )


@pytest.mark.parametrize("sponsor_present", [False, True])
def test_reviews_without_the_sponsor_raise_the_absence_signal_after_commit(
    committee, steering_member, django_capture_on_commit_callbacks, sponsor_present
):
    # given an initiative in delivery with a sponsor
    sponsor = UserFactory(
        username="sponsor", first_name="Sally", last_name="Sponsor", roles=[roles.EXECUTIVE]
    )
    initiative = InitiativeFactory(code="ABS-1", sponsor=sponsor, stage=Stage.IN_DELIVERY)

    def absence() -> list[tuple[str, str]]:
        return list(
            Signal.objects.filter(initiative=initiative, rule="sponsor_absent").values_list(
                "severity", "message"
            )
        )

    # when a first review is recorded without the sponsor, and its commit triggers the recompute
    with django_capture_on_commit_callbacks(execute=True):
        review_on(steering_member, committee, initiative, TODAY - 40 * DAY, [steering_member])

    # then one review is not yet a pattern
    assert InitiativeScore.objects.get(initiative=initiative).stale is False
    assert absence() == []

    # when a second review is recorded, with or without the sponsor taking part
    attendees = [steering_member, sponsor] if sponsor_present else [steering_member]
    with django_capture_on_commit_callbacks(execute=True):
        review_on(steering_member, committee, initiative, TODAY - 10 * DAY, attendees)

    # then the recompute after commit raises the signal only if the sponsor missed both
    expected = (
        []
        if sponsor_present
        else [("amber", "The sponsor of ABS-1 attended none of its last 2 checkpoint reviews.")]
    )
    assert absence() == expected


def test_attendance_recorded_on_the_meeting_afterwards_counts_for_the_sponsor(
    committee, steering_member, pmo, django_capture_on_commit_callbacks
):
    # given two reviews recorded without the sponsor, so the absence signal is raised
    sponsor = UserFactory(
        username="sponsor", first_name="Sally", last_name="Sponsor", roles=[roles.EXECUTIVE]
    )
    initiative = InitiativeFactory(code="ABS-2", sponsor=sponsor, stage=Stage.IN_DELIVERY)
    with django_capture_on_commit_callbacks(execute=True):
        review_on(steering_member, committee, initiative, TODAY - 40 * DAY, [steering_member])
    with django_capture_on_commit_callbacks(execute=True):
        last = review_on(steering_member, committee, initiative, TODAY - 10 * DAY, [steering_member])
    assert Signal.objects.filter(initiative=initiative, rule="sponsor_absent").count() == 1

    # when the chair records afterwards, on the meeting's attendance, that the sponsor was there
    meeting = SteeringMeeting.objects.get(reviews=last)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_record_attendance(
            user=pmo, meeting_id=meeting.pk, version=meeting.version, attendees=[steering_member, sponsor]
        )

    # then the recompute that follows no longer finds the sponsor absent from both reviews
    assert Signal.objects.filter(initiative=initiative, rule="sponsor_absent").count() == 0


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
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_members_recording_the_same_decision_at_once_make_one_review_on_postgresql(
    postgres, meeting, initiative, steering_member, pmo
):
    # given
    item = item_on(meeting, initiative, 0, minutes=10)
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
    review = CheckpointReview.objects.get(initiative=initiative)
    assert sorted(outcome.values()) == sorted([f"review {review.pk}", f"already decided: {review.pk}"])
    assert AgendaItem.objects.get(pk=item.pk).review_id == review.pk
