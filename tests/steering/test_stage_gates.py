"""Stage gates: the portfolio asks every registered gate when an initiative's stage changes (refusals on the
stage field, nothing changed); the tier-1 gate opens only when the latest review since the stage began decided
to proceed; an initiative moved to Live must have gone live already (on the go-live field)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.errors import ApplicationError
from core.extensions import registry
from core.stages import Stage
from portfolio import services
from portfolio.forms import InitiativeForm
from portfolio.models import Initiative
from steering.models import CheckpointReview, Committee, Decision, SteeringMeeting
from steering.rules import tier_one_gate
from tests.factories import InitiativeFactory
from tests.portfolio.utils import db_rows, field_error, form_data
from tests.steering.utils import DAY, TODAY, D, decide, item_on, scored

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]

RAGS = {"schedule": "amber", "cost": "green", "scope": "green", "benefits": "amber"}


def review(
    user: Any, committee: Committee, initiative: Initiative, held_on: datetime.date, decision: str
) -> CheckpointReview:
    """A meeting on `held_on` with the initiative on its agenda, and the committee's decision recorded through
    the real service."""
    meeting = SteeringMeeting.objects.create(
        committee=committee, title=f"Board of {held_on}", held_on=held_on
    )
    conditions = (
        [{"title": "Present the revised plan"}] if decision == Decision.PROCEED_WITH_CONDITIONS else []
    )
    return decide(
        user,
        item_on(meeting, initiative, 0, minutes=10),
        rags=RAGS,
        decision=decision,
        attendees=[user],
        conditions=conditions,
    )


def move(user: Any, initiative: Initiative, stage: str, **data: Any) -> Initiative:
    current = Initiative.objects.get(pk=initiative.pk)
    return services.initiative_update(
        user=user, initiative_id=current.pk, version=current.version, data={"stage": stage, **data}
    )


# ------------------------------------------------------------------------------------------------ any gate


@pytest.fixture
def gate_calls() -> Iterator[list[tuple[str, str, Any, str]]]:
    """Only a gate that holds every initiative back from "in delivery", recording what it was asked."""
    calls: list[tuple[str, str, Any, str]] = []

    def gate(initiative: Initiative, stage: str) -> str | None:
        calls.append((initiative.code, initiative.stage, initiative.stage_since, stage))
        return "Not before the committee says so." if stage == "in_delivery" else None

    registered = list(registry.stage_gates)
    registry.stage_gates[:] = [gate]
    yield calls
    registry.stage_gates[:] = registered


def test_a_stage_gate_refuses_a_stage_on_the_stage_field_and_nothing_changes(pmo, executive, gate_calls):
    # given
    initiative = InitiativeFactory(
        code="GATE-1", stage="approved", sponsor=executive, stage_since=D(2026, 3, 1)
    )
    before = db_rows()

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
    assert db_rows() == before


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
    assert Initiative.objects.get(pk=initiative.pk).stage_since == TODAY
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
    assert Initiative.objects.get(pk=created.pk).stage_since == TODAY
    assert refused.value.field_errors == {"stage": ["Not before the committee says so."]}
    assert Initiative.objects.count() == before + 1
    assert not Initiative.objects.filter(code="NEW-2").exists()
    assert [call[0] for call in gate_calls] == ["NEW-1", "NEW-2"]


# ------------------------------------------------------------------------------------------------ tier 1


@pytest.fixture
def approved(executive) -> Initiative:
    """A tier-1 initiative approved 30 days ago."""
    initiative = InitiativeFactory(
        code="BIG-1", stage=Stage.APPROVED, stage_since=TODAY - 30 * DAY, sponsor=executive
    )
    scored(initiative, tier=1)
    return initiative


NEVER = (
    "BIG-1 is a tier 1 initiative: it moves on from “Approved” only after a steering committee records a "
    "proceed decision at a checkpoint review held since 2026-10-22. Put it on a meeting's agenda first."
)


def test_a_tier_one_initiative_cannot_move_on_without_a_proceed_decision(approved, pmo):
    # given nothing decided since it was approved
    before = db_rows()

    # when the PMO moves it into delivery
    with pytest.raises(ApplicationError) as refused:
        move(pmo, approved, Stage.IN_DELIVERY)

    # then the gate refuses, on the stage field, and nothing changed
    assert refused.value.field_errors == {"stage": [NEVER]}
    assert refused.value.message == NEVER
    assert db_rows() == before


def test_the_edit_page_shows_the_gate_under_the_stage_field(client, approved, pmo):
    # given the PMO on the initiative's edit form
    client.force_login(pmo)
    data = form_data(InitiativeForm(instance=Initiative.objects.get(pk=approved.pk)), stage=Stage.IN_DELIVERY)
    before = db_rows()

    # when they move it into delivery without a decision
    response = client.post(reverse("portfolio:initiative-edit", args=[approved.pk]), data)

    # then the form comes back with the gate's reason under the stage field, and nothing changed
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_stage") == [escape(NEVER)]
    assert db_rows() == before


@pytest.mark.parametrize("decision", [Decision.PROCEED, Decision.PROCEED_WITH_CONDITIONS])
@pytest.mark.parametrize("days_ago", [30, 3])
def test_a_proceed_decision_since_it_entered_its_stage_opens_the_gate(
    approved, committee, steering_member, pmo, decision, days_ago
):
    # given the committee decided to proceed (on the day it was approved, or since)
    review(steering_member, committee, approved, TODAY - days_ago * DAY, decision)

    # when the PMO moves it into delivery
    moved = move(pmo, approved, Stage.IN_DELIVERY)

    # then it moves, dated today
    assert (moved.stage, moved.stage_since) == (Stage.IN_DELIVERY, TODAY)
    assert Initiative.objects.get(pk=approved.pk).stage == Stage.IN_DELIVERY


@pytest.mark.parametrize(
    ("decision", "days_ago"),
    [
        (Decision.REALIGN, 3),
        (Decision.PAUSE, 3),
        (Decision.STOP, 3),
        (Decision.PROCEED, 31),  # the day before it entered its stage: a decision about the stage before
    ],
)
def test_other_decisions_or_a_proceed_before_the_stage_keep_the_gate_shut(
    approved, committee, steering_member, pmo, decision, days_ago
):
    # given the committee decided something other than proceed since, or proceeded before this stage
    review(steering_member, committee, approved, TODAY - days_ago * DAY, decision)
    before = db_rows()

    # when the PMO moves it into delivery
    with pytest.raises(ApplicationError) as refused:
        move(pmo, approved, Stage.IN_DELIVERY)

    # then it is refused on the stage field and nothing changed
    assert list(refused.value.field_errors) == ["stage"]
    assert db_rows() == before


def test_a_realign_after_a_proceed_shuts_the_gate_again(executive, committee, steering_member, pmo):
    # given a tier-1 initiative in delivery for 60 days: proceed 50 days ago, then "Realign" 3 days ago
    initiative = InitiativeFactory(
        code="BIG-2", stage=Stage.IN_DELIVERY, stage_since=TODAY - 60 * DAY, sponsor=executive
    )
    scored(initiative, tier=1)
    review(steering_member, committee, initiative, TODAY - 50 * DAY, Decision.PROCEED)
    review(steering_member, committee, initiative, TODAY - 3 * DAY, Decision.REALIGN)
    before = db_rows()

    # when the PMO moves it to Live, having gone live yesterday
    with pytest.raises(ApplicationError) as refused:
        move(pmo, initiative, Stage.LIVE, go_live_date=TODAY - DAY)

    # then the latest review counts, and says so
    assert refused.value.field_errors == {
        "stage": [
            "BIG-2 is a tier 1 initiative: its latest review (2026-11-18) decided “Realign”, so it does not move "
            "on from “In delivery” until a steering committee records a proceed decision at a later review."
        ]
    }
    assert db_rows() == before


def test_a_proceed_after_a_realign_opens_it(executive, committee, steering_member, pmo):
    # given "Realign" 20 days ago, then "Proceed" 3 days ago
    initiative = InitiativeFactory(
        code="BIG-3", stage=Stage.IN_DELIVERY, stage_since=TODAY - 60 * DAY, sponsor=executive
    )
    scored(initiative, tier=1)
    review(steering_member, committee, initiative, TODAY - 20 * DAY, Decision.REALIGN)
    review(steering_member, committee, initiative, TODAY - 3 * DAY, Decision.PROCEED)

    # when / then
    assert move(pmo, initiative, Stage.LIVE, go_live_date=TODAY).stage == Stage.LIVE


@pytest.mark.parametrize("tier", [2, 3, None])
def test_initiatives_below_tier_one_move_on_without_a_decision(pmo, tier):
    initiative = InitiativeFactory(stage=Stage.APPROVED, stage_since=TODAY - 30 * DAY)
    if tier is not None:
        scored(initiative, tier=tier)

    assert move(pmo, initiative, Stage.IN_DELIVERY).stage == Stage.IN_DELIVERY


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Stage.IN_DELIVERY, Stage.APPROVED),
        (Stage.APPROVED, Stage.PROPOSED),
        (Stage.APPROVED, Stage.CANCELLED),
        (Stage.IN_DELIVERY, Stage.CANCELLED),
    ],
)
def test_moving_a_tier_one_initiative_back_or_cancelling_it_is_never_gated(pmo, start, target):
    initiative = InitiativeFactory(stage=start, stage_since=TODAY - 30 * DAY)
    scored(initiative, tier=1)

    assert move(pmo, initiative, target).stage == target


def test_without_a_stage_date_the_gate_counts_from_creation(pmo, committee, steering_member):
    # given a tier-1 initiative created 40 days ago with no stage date, proceeded on 39 days ago
    initiative = InitiativeFactory(code="OLD-1", stage=Stage.APPROVED, stage_since=None)
    Initiative.objects.filter(pk=initiative.pk).update(
        created_at=datetime.datetime.combine(TODAY - 40 * DAY, datetime.time(12), tzinfo=datetime.UTC)
    )
    scored(initiative, tier=1)
    assert "held since 2026-10-12" in (
        tier_one_gate(Initiative.objects.get(pk=initiative.pk), Stage.IN_DELIVERY) or ""
    )
    review(steering_member, committee, initiative, TODAY - 39 * DAY, Decision.PROCEED)

    assert move(pmo, initiative, Stage.IN_DELIVERY).stage == Stage.IN_DELIVERY


# ------------------------------------------------------------------------------------------------ go-live

FUTURE = (
    "It goes live on 2026-12-01, in the future: move it to Live on or after that day, or enter the day it "
    "actually went live."
)


def test_an_initiative_moved_to_live_with_a_go_live_date_ahead_is_refused_at_that_field(pmo):
    # given
    initiative = InitiativeFactory(code="SOON-1", stage=Stage.IN_DELIVERY)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        move(pmo, initiative, Stage.LIVE, go_live_date=D(2026, 12, 1))

    # then
    assert refused.value.field_errors == {"go_live_date": [FUTURE]}
    assert db_rows() == before
    assert move(pmo, initiative, Stage.LIVE, go_live_date=TODAY).stage == Stage.LIVE


def test_an_initiative_created_live_with_a_go_live_date_ahead_is_refused(pmo, executive):
    # given
    data = {
        "code": "SOON-2",
        "title": "Soon",
        "stage": "live",
        "sponsor": executive,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 31),
        "go_live_date": D(2026, 12, 1),
    }

    # when
    with pytest.raises(ApplicationError) as refused:
        services.initiative_create(user=pmo, data=data)

    # then
    assert refused.value.field_errors == {"go_live_date": [FUTURE]}
    assert not Initiative.objects.filter(code="SOON-2").exists()


def test_the_edit_page_says_why_at_the_go_live_field_with_the_gate_at_the_stage(
    client, executive, committee, steering_member, pmo
):
    # given the walkthrough: a tier-1 initiative in delivery, realigned 3 days ago, moved to Live on 1 December
    initiative = InitiativeFactory(
        code="BIG-4", stage=Stage.IN_DELIVERY, stage_since=TODAY - 60 * DAY, sponsor=executive
    )
    scored(initiative, tier=1)
    review(steering_member, committee, initiative, TODAY - 3 * DAY, Decision.REALIGN)
    client.force_login(pmo)
    data = form_data(
        InitiativeForm(instance=Initiative.objects.get(pk=initiative.pk)),
        stage=Stage.LIVE,
        go_live_date=D(2026, 12, 1),
    )
    before = db_rows()

    # when
    response = client.post(reverse("portfolio:initiative-edit", args=[initiative.pk]), data)

    # then both reasons stand at their fields, and nothing changed
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, "id_go_live_date") == [escape(FUTURE)]
    assert field_error(page, "id_stage") == [
        escape(
            "BIG-4 is a tier 1 initiative: its latest review (2026-11-18) decided “Realign”, so it does not move "
            "on from “In delivery” until a steering committee records a proceed decision at a later review."
        )
    ]
    assert db_rows() == before
