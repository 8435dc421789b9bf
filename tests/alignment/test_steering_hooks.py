"""What the alignment app adds to steering, through the hooks it registers on the portfolio's registry: the
snapshot a review freezes (scores, tier, signals, KPIs) in one or in bulk, the checkpoints due under each tier's
cadence and the red signals that put an initiative on the agenda, the RAG suggested per dimension at and around
its thresholds, the tier-1 stage gate through the real initiative service, a frozen snapshot that later
recomputes leave alone, and attendance at reviews feeding the sponsor-absence signal."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alignment import services as alignment_services
from alignment import steering
from alignment.models import InitiativeScore, KPIScore, Signal
from portfolio import roles, services
from portfolio.errors import ApplicationError
from portfolio.extensions import registry
from portfolio.forms import InitiativeForm
from portfolio.models import (
    AgendaItem,
    CheckpointReview,
    Committee,
    Decision,
    Initiative,
    ScopeChangeStatus,
    Stage,
    SteeringMeeting,
)
from portfolio.services import steering as portfolio_steering
from risk.models import TierPolicy
from tests.factories import (
    CheckpointReviewFactory,
    CommitteeFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ReadingFactory,
    ScopeChangeFactory,
    UserFactory,
)
from tests.portfolio.utils import field_error, form_data
from tests.portfolio.utils import snapshot as database_snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
COMPUTED_AT = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=datetime.UTC)
RAGS = {"schedule": "amber", "cost": "green", "scope": "green", "benefits": "amber"}


@pytest.fixture(autouse=True)
def tier_policies(db) -> None:
    """The shipped cadences (a flushed database after a browser test has none)."""
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier, defaults={"name": f"Tier {tier}", "checkpoint_cadence_days": cadence}
        )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def committee(steering_member, pmo) -> Committee:
    committee = CommitteeFactory(name="Portfolio board", chair=pmo)
    committee.members.set([steering_member, pmo])
    return committee


def scored(initiative: Initiative, **values: Any) -> InitiativeScore:
    """A computed score row, as the engine would have stored it."""
    fields: dict[str, Any] = {
        "policy_version": 1,
        "fit": 50.0,
        "alignment": 50.0,
        "tier": 2,
        "computed_at": COMPUTED_AT,
        "stale": False,
        **values,
    }
    return InitiativeScore.objects.create(initiative=initiative, **fields)


def red_signal(initiative: Initiative, rule: str, severity: str = "red", key: str = "") -> Signal:
    now = timezone.now()
    return Signal.objects.create(
        key=key or f"{rule}:initiative:{initiative.pk}",
        rule=rule,
        severity=severity,
        initiative=initiative,
        message=f"{initiative.code}: {rule.replace('_', ' ')}",
        first_seen=now,
        last_seen=now,
    )


def decide(
    user: Any,
    committee: Committee,
    initiative: Initiative,
    held_on: datetime.date,
    decision: str = Decision.PROCEED,
    attendees: list[Any] | None = None,
) -> CheckpointReview:
    """A meeting on `held_on` with the initiative on its agenda, and the committee's decision recorded on it
    through the real service."""
    meeting = SteeringMeeting.objects.create(
        committee=committee, title=f"Board of {held_on.isoformat()}", held_on=held_on
    )
    item = AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=0)
    return portfolio_steering.checkpoint_decide(
        user=user,
        item=item,
        rags=RAGS,
        decision=decision,
        rationale="The committee weighed the figures.",
        attendees=attendees if attendees is not None else [user],
        conditions=[{"title": "Present the revised plan"}]
        if decision == Decision.PROCEED_WITH_CONDITIONS
        else [],
    )


# ------------------------------------------------------------------------------------------------ registration


def test_the_alignment_hooks_are_registered_on_the_portfolio_registry():
    assert steering.initiative_snapshot in registry.snapshot_providers
    assert getattr(steering.initiative_snapshot, "many", None) is steering.initiative_snapshots
    assert steering.agenda_checkpoints_due in registry.agenda_sources
    assert steering.agenda_red_signals in registry.agenda_sources
    assert steering.suggest_rag in registry.rag_suggesters
    assert steering.tier_one_gate in registry.stage_gates


# ------------------------------------------------------------------------------------------------ snapshot


@pytest.fixture
def built(db) -> Initiative:
    """ECOM-1 scored, with an amber and a red signal, and three KPIs named by its contributions (one twice,
    one never computed); a contribution without a KPI and another initiative's signal are left out."""
    objective = ObjectiveFactory(code="OBJ-A", title="Raise online conversion")
    initiative = InitiativeFactory(code="ECOM-1", title="Checkout rebuild")
    scored(
        initiative,
        alignment=61.26,
        fit=66.66667,
        outcome=None,
        delivery=80.04,
        governance=55.57,
        tier=1,
    )
    red_signal(initiative, "sponsor_absent", severity="amber")
    red_signal(initiative, "cost_overrun")
    red_signal(InitiativeFactory(code="OTHER-1"), "orphan")
    conversion = KPIFactory(
        objective=objective,
        name="Conversion rate",
        unit="%",
        baseline_value=Decimal("2.1"),
        target_value=Decimal("3.5"),
        target_date=D(2027, 6, 30),
    )
    KPIScore.objects.create(
        kpi=conversion,
        status="on_track",
        latest_value=2.94,
        latest_date=D(2026, 9, 30),
        forecast_value=3.4567,
        computed_at=COMPUTED_AT,
    )
    basket = KPIFactory(
        objective=objective,
        name="Average basket",
        unit="EUR",
        baseline_value=Decimal("40"),
        target_value=Decimal("48"),
        target_date=D(2027, 12, 31),
    )
    KPIScore.objects.create(kpi=basket, status="off_track", latest_value=41.0, latest_date=D(2026, 10, 31))
    uncomputed = KPIFactory(
        objective=objective,
        name="Repeat rate",
        unit="%",
        target_value=Decimal("30"),
        target_date=D(2027, 3, 31),
    )
    ContributionFactory(initiative=initiative, objective=objective, kpi=conversion)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=conversion)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=basket)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=uncomputed)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), kpi=None)
    return initiative


def test_the_snapshot_provider_freezes_rounded_scores_tier_signals_and_named_kpis(built):
    # when the provider is asked for ECOM-1
    frozen = steering.initiative_snapshot(built)

    # then it gives exactly its scores to one decimal, its tier, its own signals and each named KPI once, by name
    conversion, basket, repeat = (
        KPIScore.objects.get(kpi__name="Conversion rate").kpi_id,
        KPIScore.objects.get(kpi__name="Average basket").kpi_id,
        Initiative.objects.get(pk=built.pk).contributions.get(kpi__name="Repeat rate").kpi_id,
    )
    assert frozen == {
        "scores": {"alignment": 61.3, "fit": 66.7, "outcome": None, "delivery": 80.0, "governance": 55.6},
        "tier": 1,
        "scores_as_of": "2026-11-01T06:30:00+00:00",
        "signals": [
            {"rule": "sponsor_absent", "severity": "amber", "message": "ECOM-1: sponsor absent"},
            {"rule": "cost_overrun", "severity": "red", "message": "ECOM-1: cost overrun"},
        ],
        "kpis": [
            {
                "id": basket,
                "name": "Average basket",
                "unit": "EUR",
                "target": 48.0,
                "target_date": "2027-12-31",
                "status": "Off track",
                "latest": 41.0,
                "latest_date": "2026-10-31",
                "forecast": None,
            },
            {
                "id": conversion,
                "name": "Conversion rate",
                "unit": "%",
                "target": 3.5,
                "target_date": "2027-06-30",
                "status": "On track",
                "latest": 2.94,
                "latest_date": "2026-09-30",
                "forecast": 3.5,
            },
            {
                "id": repeat,
                "name": "Repeat rate",
                "unit": "%",
                "target": 30.0,
                "target_date": "2027-03-31",
                "status": "No data",
                "latest": None,
                "latest_date": None,
                "forecast": None,
            },
        ],
    }


def test_an_initiative_never_scored_freezes_empty_scores():
    # given an initiative the engine has not computed yet (a row marked stale, never computed)
    initiative = InitiativeFactory()
    InitiativeScore.objects.create(initiative=initiative, computed_at=None, tier=2)

    # then its snapshot says so, and the one without any row says the same
    assert steering.initiative_snapshot(initiative) == {
        "scores": {},
        "tier": None,
        "scores_as_of": None,
        "signals": [],
        "kpis": [],
    }
    assert steering.initiative_snapshot(InitiativeFactory())["scores"] == {}


def test_the_review_snapshot_carries_the_alignment_part_next_to_the_portfolio_facts(built):
    # when the portfolio builds the snapshot a review freezes, with every registered provider
    frozen = portfolio_steering.initiative_snapshot(built)

    # then the alignment part is in it as the provider gives it, next to the portfolio's own facts
    part = steering.initiative_snapshot(built)
    assert {key: frozen[key] for key in part} == part
    assert frozen["initiative"]["code"] == "ECOM-1"
    assert frozen["spend"]["budget"] == 120000


def portfolio_of(size: int) -> list[Initiative]:
    """`size` scored initiatives, each with two signals and two named KPIs, sponsor and manager loaded."""
    ids = []
    for n in range(size):
        initiative = InitiativeFactory(manager=UserFactory())
        scored(initiative, alignment=40.0 + n, tier=1 + n % 3)
        red_signal(initiative, "cost_overrun")
        red_signal(initiative, "orphan", severity="amber")
        for name in ("Conversion", "Basket"):
            kpi = KPIFactory(name=f"{name} {n}")
            KPIScore.objects.create(kpi=kpi, status="at_risk", latest_value=12.0, latest_date=D(2026, 9, 30))
            ContributionFactory(initiative=initiative, objective=kpi.objective, kpi=kpi)
        ids.append(initiative.pk)
    return list(Initiative.objects.filter(pk__in=ids).select_related("sponsor", "manager").order_by("pk"))


@pytest.mark.parametrize("size", [2, 10])
def test_the_bulk_snapshot_equals_one_by_one_in_four_queries_whatever_the_size(size):
    # given a portfolio of 2 or 10 scored initiatives
    initiatives = portfolio_of(size)

    # when the bulk form freezes them all
    with CaptureQueriesContext(connection) as queries:
        frozen = steering.initiative_snapshots(initiatives)

    # then it takes four queries (scores, signals, named KPIs, KPIs with their status) however many there are
    assert len(queries) == 4
    # and each initiative's part is what the provider gives for it alone
    assert list(frozen) == [initiative.pk for initiative in initiatives]
    for initiative in initiatives:
        assert frozen[initiative.pk] == steering.initiative_snapshot(initiative)
        assert len(frozen[initiative.pk]["kpis"]) == 2


@pytest.mark.parametrize("size", [2, 10])
def test_the_portfolio_freezes_an_agenda_with_the_bulk_form_in_a_fixed_number_of_queries(size):
    # given a portfolio of 2 or 10 initiatives
    initiatives = portfolio_of(size)

    # when the portfolio freezes them all (as the agenda and the board pack do)
    with CaptureQueriesContext(connection) as queries:
        frozen = portfolio_steering.initiative_snapshots(initiatives)

    # then milestones, scope changes and the alignment part cost six queries, not six per initiative
    assert len(queries) == 6
    assert {pk: frozen[pk]["tier"] for pk in frozen} == {i.pk: 1 + n % 3 for n, i in enumerate(initiatives)}


# ------------------------------------------------------------------------------------------------ checkpoints due


@pytest.fixture
def governed(today) -> dict[str, Initiative]:
    """Initiatives in every situation the due date depends on (tier 1's cadence shortened to 28 days).

    REVIEWED: tier 1, reviewed 50 and 20 days ago -> due in 8 days.
    SINCE: tier 2, approved 70 days ago, never reviewed -> due 10 days ago.
    CREATED: never scored (tier 3), no stage date, created 100 days ago -> due 10 days ago.
    LIVE and PROPOSED: not governed by checkpoints.
    """
    TierPolicy.objects.filter(tier=1).update(checkpoint_cadence_days=28)
    reviewed = InitiativeFactory(code="REVIEWED", stage=Stage.IN_DELIVERY, stage_since=today - 100 * DAY)
    scored(reviewed, tier=1)
    CheckpointReviewFactory(initiative=reviewed, held_on=today - 50 * DAY)
    CheckpointReviewFactory(initiative=reviewed, held_on=today - 20 * DAY)
    since = InitiativeFactory(code="SINCE", stage=Stage.APPROVED, stage_since=today - 70 * DAY)
    scored(since, tier=2)
    created = InitiativeFactory(code="CREATED", stage=Stage.IN_DELIVERY, stage_since=None)
    Initiative.objects.filter(pk=created.pk).update(
        created_at=datetime.datetime.combine(today - 100 * DAY, datetime.time(12), tzinfo=datetime.UTC)
    )
    live = InitiativeFactory(
        code="LIVE", stage=Stage.LIVE, go_live_date=today - 30 * DAY, stage_since=today - 400 * DAY
    )
    scored(live, tier=1)
    proposed = InitiativeFactory(code="PROPOSED", stage=Stage.PROPOSED, stage_since=today - 400 * DAY)
    return {"reviewed": reviewed, "since": since, "created": created, "live": live, "proposed": proposed}


def test_a_checkpoint_is_due_a_cadence_after_the_last_review_else_the_stage_else_creation(
    governed, today, django_assert_num_queries
):
    # when the due dates are computed
    with django_assert_num_queries(3):
        due = steering.checkpoint_due()

    # then each governed initiative's date counts its tier's cadence from the best date it has
    assert due == {
        governed["reviewed"].pk: (today + 8 * DAY, 1, today - 20 * DAY),
        governed["since"].pk: (today - 10 * DAY, 2, None),
        governed["created"].pk: (today - 10 * DAY, 3, None),
    }
    # and a queryset narrows it
    assert steering.checkpoint_due(Initiative.objects.filter(code="SINCE")) == {
        governed["since"].pk: (today - 10 * DAY, 2, None)
    }


def test_the_agenda_source_proposes_checkpoints_due_by_the_meeting_with_the_reason(
    governed, committee, today
):
    # given a meeting today, one in 7 days and one in 8 days
    def meeting(days: int) -> SteeringMeeting:
        return SteeringMeeting.objects.create(
            committee=committee, title=f"In {days}", held_on=today + days * DAY
        )

    overdue = {
        governed[
            "since"
        ].pk: f"Checkpoint due {(today - 10 * DAY).isoformat()} (tier 2, every 60 days; never reviewed)",
        governed["created"].pk: (
            f"Checkpoint due {(today - 10 * DAY).isoformat()} (tier 3, every 90 days; never reviewed)"
        ),
    }

    # then the checkpoints due on or before each meeting's day are proposed, with when and why
    assert dict(steering.agenda_checkpoints_due(meeting(0))) == overdue
    assert dict(steering.agenda_checkpoints_due(meeting(7))) == overdue
    assert dict(steering.agenda_checkpoints_due(meeting(8))) == {
        **overdue,
        governed["reviewed"].pk: (
            f"Checkpoint due {(today + 8 * DAY).isoformat()} (tier 1, every 28 days; "
            f"last reviewed {(today - 20 * DAY).isoformat()})"
        ),
    }


def test_red_signals_put_open_initiatives_on_the_agenda_with_their_rules(committee, today):
    # given two red signals on one initiative, one red on another, amber only on a third, and red on a closed one
    two = InitiativeFactory(code="TWO")
    red_signal(two, "sponsor_absent")
    red_signal(two, "cost_overrun")
    one = InitiativeFactory(code="ONE", stage=Stage.APPROVED)
    red_signal(one, "kpi_off_track")
    red_signal(InitiativeFactory(code="AMBER"), "orphan", severity="amber")
    red_signal(InitiativeFactory(code="CLOSED", stage=Stage.CLOSED), "cost_overrun")
    red_signal(InitiativeFactory(code="CANCELLED", stage=Stage.CANCELLED), "orphan")
    meeting = SteeringMeeting.objects.create(committee=committee, title="Board", held_on=today)

    # when the agenda source looks at them
    proposed = dict(steering.agenda_red_signals(meeting))

    # then the open initiatives with red signals come with how many and which rules, by the rules' titles
    assert proposed == {
        two.pk: "2 red signals: Cost overrun · Sponsor absent from checkpoints",
        one.pk: "1 red signal: Linked KPI off track",
    }


def test_the_portfolio_agenda_merges_both_alignment_sources(committee, pmo, today):
    # given an initiative whose checkpoint is overdue and that raises a red signal
    initiative = InitiativeFactory(code="LATE-1", stage=Stage.IN_DELIVERY, stage_since=today - 200 * DAY)
    scored(initiative, tier=3)
    red_signal(initiative, "checkpoint_overdue")
    red_signal(initiative, "cost_overrun")
    meeting = SteeringMeeting.objects.create(committee=committee, title="Board", held_on=today)

    # when the PMO proposes the agenda from the data
    added = portfolio_steering.agenda_propose(user=pmo, meeting=meeting)

    # then it is on the agenda with both reasons, the alignment sources' in their registered order; the
    # overdue checkpoint is not repeated among the red signals, since the first reason says it with its dates
    assert [(item.initiative_id, item.reasons) for item in added] == [
        (
            initiative.pk,
            [
                f"Checkpoint due {(today - 110 * DAY).isoformat()} (tier 3, every 90 days; never reviewed)",
                "1 red signal: Cost overrun",
            ],
        )
    ]


# ------------------------------------------------------------------------------------------------ suggested RAG


def with_delivery(**delivery: Any) -> Initiative:
    initiative = InitiativeFactory()
    scored(initiative, explanation={"delivery": delivery})
    return initiative


def test_the_policy_thresholds_are_the_ones_these_tests_cross():
    signals = alignment_services.current_policy().signals
    assert (signals.slip_amber, signals.slip_red) == (0.10, 0.25)
    assert (signals.overrun_amber, signals.overrun_red) == (0.05, 0.15)
    assert (signals.scope_changes_amber, signals.scope_changes_red, signals.scope_window_days) == (3, 5, 180)


@pytest.mark.parametrize(
    ("ratio", "days", "rag", "reason"),
    [
        (0.0, 0, "green", "0 days behind plan: 0% of the planned duration (amber from 10%, red from 25%)."),
        (
            0.09,
            31,
            "green",
            "31 days behind plan: 9% of the planned duration (amber from 10%, red from 25%).",
        ),
        (
            0.10,
            35,
            "amber",
            "35 days behind plan: 10% of the planned duration (amber from 10%, red from 25%).",
        ),
        (
            0.24,
            84,
            "amber",
            "84 days behind plan: 24% of the planned duration (amber from 10%, red from 25%).",
        ),
        (0.25, 88, "red", "88 days behind plan: 25% of the planned duration (amber from 10%, red from 25%)."),
    ],
)
def test_schedule_is_suggested_from_the_slip_ratio(ratio, days, rag, reason):
    initiative = with_delivery(slip_ratio=ratio, slip_days=days, overrun=0.0)

    assert steering.suggest_rag(initiative)["schedule"] == (rag, reason)


@pytest.mark.parametrize(
    ("overrun", "rag", "reason"),
    [
        (0.0, "green", "Forecast within budget (amber from 5%, red from 15%)."),
        (0.04, "green", "Forecast 4% over budget (amber from 5%, red from 15%)."),
        (0.05, "amber", "Forecast 5% over budget (amber from 5%, red from 15%)."),
        (0.14, "amber", "Forecast 14% over budget (amber from 5%, red from 15%)."),
        (0.15, "red", "Forecast 15% over budget (amber from 5%, red from 15%)."),
    ],
)
def test_cost_is_suggested_from_the_forecast_overrun(overrun, rag, reason):
    initiative = with_delivery(slip_ratio=0.0, slip_days=0, overrun=overrun)

    assert steering.suggest_rag(initiative)["cost"] == (rag, reason)


@pytest.mark.parametrize("score", ["none", "uncomputed", "no plan and no budget"])
def test_schedule_and_cost_without_data_are_amber_and_say_why(score):
    # given an initiative never scored, one whose score was never computed, and one without dates or budget
    initiative = InitiativeFactory()
    if score == "uncomputed":
        scored(initiative, computed_at=None, explanation={"delivery": {"slip_ratio": 0.5, "overrun": 0.5}})
    elif score == "no plan and no budget":
        scored(initiative, explanation={"delivery": {"slip_ratio": None, "slip_days": 0, "overrun": None}})

    suggested = steering.suggest_rag(initiative)

    assert suggested["schedule"] == ("amber", "No plan dates to measure the schedule against.")
    assert suggested["cost"] == ("amber", "No budget to measure cost against.")


@pytest.mark.parametrize(
    ("changes", "rag", "reason"),
    [
        ([], "green", "0 scope changes in 180 days."),
        (["approved"] * 2, "green", "2 scope changes in 180 days."),
        (["approved"] * 3, "amber", "3 scope changes in 180 days."),
        (["pending"], "amber", "1 scope change in 180 days, 1 awaiting a decision."),
        (["approved"] * 4, "amber", "4 scope changes in 180 days."),
        (["approved"] * 4 + ["pending"], "red", "5 scope changes in 180 days, 1 awaiting a decision."),
        (["rejected"] * 5 + ["approved"], "green", "1 scope change in 180 days."),
    ],
)
def test_scope_is_suggested_from_the_changes_in_the_window_and_those_pending(changes, rag, reason, today):
    # given scope changes in the last 180 days (rejected ones do not count), and one just before the window
    initiative = InitiativeFactory()
    decider = UserFactory()
    for n, status in enumerate(changes):
        ScopeChangeFactory(
            initiative=initiative,
            date=today - (180 if n == 0 else n) * DAY,
            status=status,
            approved_by=None if status == ScopeChangeStatus.PENDING else decider,
        )
    ScopeChangeFactory(
        initiative=initiative, date=today - 181 * DAY, status=ScopeChangeStatus.APPROVED, approved_by=decider
    )

    assert steering.suggest_rag(initiative)["scope"] == (rag, reason)


@pytest.mark.parametrize(
    ("statuses", "rag", "reason"),
    [
        ({}, "amber", "No KPI is named to show the benefits."),
        ({"Conversion": "no_data", "Basket": "no_data"}, "amber", "The named KPIs have no readings yet."),
        (
            {"Conversion": "on_track", "Basket": "achieved"},
            "green",
            "The named KPIs are on track or achieved.",
        ),
        (
            {"Conversion": "on_track", "Basket": "no_data"},
            "green",
            "The named KPIs are on track or achieved.",
        ),
        ({"Conversion": "on_track", "Basket": "at_risk"}, "amber", "At risk: Basket."),
        (
            {"Conversion": "off_track", "Basket": "at_risk", "NPS": "off_track"},
            "red",
            "Off track: Conversion, NPS.",
        ),
    ],
)
def test_benefits_are_suggested_from_the_status_of_the_named_kpis(statuses, rag, reason):
    # given an initiative whose contributions name KPIs with these statuses (and another initiative's off track)
    initiative = InitiativeFactory()
    for name, status in statuses.items():
        kpi = KPIFactory(name=name)
        KPIScore.objects.create(kpi=kpi, status=status)
        ContributionFactory(initiative=initiative, objective=kpi.objective, kpi=kpi)
    elsewhere = KPIFactory(name="Elsewhere")
    KPIScore.objects.create(kpi=elsewhere, status="off_track")
    ContributionFactory(kpi=elsewhere, objective=elsewhere.objective)

    assert steering.suggest_rag(initiative)["benefits"] == (rag, reason)


def test_the_review_page_suggestion_comes_from_a_real_recompute(today):
    # given an initiative whose forecast is 20% over its 120,000 budget, recomputed by the engine
    initiative = InitiativeFactory(code="OVER-1", forecast_cost=Decimal("144000"))
    alignment_services.recompute(today=today)

    # then the portfolio's suggestion for cost, from the registered suggester, is red with the figure
    assert portfolio_steering.rag_suggestions(initiative)["cost"] == {
        "rag": "red",
        "reason": "Forecast 20% over budget (amber from 5%, red from 15%).",
    }


# ------------------------------------------------------------------------------------------------ stage gate


@pytest.fixture
def approved(today, executive) -> Initiative:
    """A tier-1 initiative approved 30 days ago."""
    initiative = InitiativeFactory(
        code="BIG-1", stage=Stage.APPROVED, stage_since=today - 30 * DAY, sponsor=executive
    )
    scored(initiative, tier=1)
    return initiative


def move(user: Any, initiative: Initiative, stage: str) -> Initiative:
    current = Initiative.objects.get(pk=initiative.pk)
    return services.initiative_update(
        user=user, initiative_id=current.pk, version=current.version, data={"stage": stage}
    )


def test_a_tier_one_initiative_cannot_move_on_without_a_proceed_decision(approved, pmo, today):
    # given nothing decided since it was approved
    before = database_snapshot()

    # when the PMO moves it into delivery
    with pytest.raises(ApplicationError) as refused:
        move(pmo, approved, Stage.IN_DELIVERY)

    # then the gate refuses, on the stage field, and nothing changed
    reason = (
        "BIG-1 is a tier 1 initiative: it moves on from “Approved” only after a steering committee records a "
        f"proceed decision at a checkpoint review held since {(today - 30 * DAY).isoformat()}. Put it on a "
        "meeting's agenda first."
    )
    assert refused.value.field_errors == {"stage": [reason]}
    assert refused.value.message == reason
    assert database_snapshot() == before


def test_the_edit_page_shows_the_gate_under_the_stage_field(client, approved, pmo, today):
    # given the PMO on the initiative's edit form
    client.force_login(pmo)
    data = form_data(InitiativeForm(instance=Initiative.objects.get(pk=approved.pk)), stage=Stage.IN_DELIVERY)
    before = database_snapshot()

    # when they move it into delivery without a decision
    response = client.post(reverse("portfolio:initiative-edit", args=[approved.pk]), data)

    # then the form comes back with the gate's reason under the stage field, and nothing changed
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_stage") == [
        escape(
            "BIG-1 is a tier 1 initiative: it moves on from “Approved” only after a steering committee records a "
            f"proceed decision at a checkpoint review held since {(today - 30 * DAY).isoformat()}. Put it on a "
            "meeting's agenda first."
        )
    ]
    assert database_snapshot() == before


@pytest.mark.parametrize("decision", [Decision.PROCEED, Decision.PROCEED_WITH_CONDITIONS])
@pytest.mark.parametrize("days_ago", [30, 3])
def test_a_proceed_decision_since_it_entered_its_stage_opens_the_gate(
    approved, committee, steering_member, pmo, today, decision, days_ago
):
    # given the committee decided to proceed (on the day it was approved, or since)
    decide(steering_member, committee, approved, today - days_ago * DAY, decision)

    # when the PMO moves it into delivery
    moved = move(pmo, approved, Stage.IN_DELIVERY)

    # then it moves, dated today
    assert (moved.stage, moved.stage_since) == (Stage.IN_DELIVERY, today)
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
    approved, committee, steering_member, pmo, today, decision, days_ago
):
    # given the committee decided something other than proceed since, or proceeded before this stage
    decide(steering_member, committee, approved, today - days_ago * DAY, decision)
    before = database_snapshot()

    # when the PMO moves it into delivery
    with pytest.raises(ApplicationError) as refused:
        move(pmo, approved, Stage.IN_DELIVERY)

    # then it is refused on the stage field and nothing changed
    assert list(refused.value.field_errors) == ["stage"]
    assert database_snapshot() == before


@pytest.mark.parametrize("tier", [2, 3, None])
def test_initiatives_below_tier_one_move_on_without_a_decision(today, pmo, tier):
    initiative = InitiativeFactory(stage=Stage.APPROVED, stage_since=today - 30 * DAY)
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
def test_moving_a_tier_one_initiative_back_or_cancelling_it_is_never_gated(today, pmo, start, target):
    initiative = InitiativeFactory(stage=start, stage_since=today - 30 * DAY)
    scored(initiative, tier=1)

    assert move(pmo, initiative, target).stage == target


def test_without_a_stage_date_the_gate_counts_from_creation(pmo, committee, steering_member, today):
    # given a tier-1 initiative created 40 days ago with no stage date, proceeded on 39 days ago
    initiative = InitiativeFactory(code="OLD-1", stage=Stage.APPROVED, stage_since=None)
    Initiative.objects.filter(pk=initiative.pk).update(
        created_at=datetime.datetime.combine(today - 40 * DAY, datetime.time(12), tzinfo=datetime.UTC)
    )
    scored(initiative, tier=1)
    assert "held since " + (today - 40 * DAY).isoformat() in (
        steering.tier_one_gate(Initiative.objects.get(pk=initiative.pk), Stage.IN_DELIVERY) or ""
    )
    decide(steering_member, committee, initiative, today - 39 * DAY)

    assert move(pmo, initiative, Stage.IN_DELIVERY).stage == Stage.IN_DELIVERY


# ------------------------------------------------------------------------------------------------ frozen snapshot


def test_a_review_keeps_what_the_committee_saw_when_the_data_changes_and_is_recomputed(
    committee, steering_member, pmo, today
):
    # given an initiative with a KPI and readings, scored by the engine, and a review of it
    objective = ObjectiveFactory(code="OBJ-A")
    kpi = KPIFactory(objective=objective, name="Conversion rate")
    for months, value in [(9, "12"), (6, "13"), (3, "14")]:
        ReadingFactory(kpi=kpi, date=today - months * 30 * DAY, value=Decimal(value))
    initiative = InitiativeFactory(
        code="ECOM-1", stage=Stage.IN_DELIVERY, stage_since=today - 60 * DAY, forecast_cost=Decimal("120000")
    )
    ContributionFactory(initiative=initiative, objective=objective, kpi=kpi, strength="strong")
    alignment_services.recompute(today=today)
    review = decide(steering_member, committee, initiative, today - 2 * DAY, Decision.PROCEED)
    seen = copy.deepcopy(review.snapshot)
    assert seen["spend"]["forecast_cost"] == 120000
    assert "cost_overrun" not in [signal["rule"] for signal in seen["signals"]]

    # when the forecast goes 50% over budget, a new reading comes in, and the engine recomputes (twice)
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=Initiative.objects.get(pk=initiative.pk).version,
        data={"forecast_cost": Decimal("180000")},
    )
    ReadingFactory(kpi=kpi, date=today - DAY, value=Decimal("11"))
    alignment_services.recompute(today=today)
    alignment_services.recompute(today=today)

    # then the review still holds exactly what the committee saw
    review.refresh_from_db()
    assert review.snapshot == seen
    # while a snapshot taken now shows the new figures
    fresh = portfolio_steering.initiative_snapshot(Initiative.objects.get(pk=initiative.pk))
    assert fresh != seen
    assert fresh["spend"]["forecast_cost"] == 180000
    assert "cost_overrun" in [signal["rule"] for signal in fresh["signals"]]
    assert fresh["scores"]["delivery"] < seen["scores"]["delivery"]
    assert fresh["kpis"][0]["latest"] == 11.0
    assert seen["kpis"][0]["latest"] == 14.0


# ------------------------------------------------------------------------------------------------ attendance


@pytest.mark.parametrize("sponsor_present", [False, True])
def test_reviews_without_the_sponsor_raise_the_absence_signal_after_commit(
    committee, steering_member, today, django_capture_on_commit_callbacks, sponsor_present
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
        decide(steering_member, committee, initiative, today - 40 * DAY, attendees=[steering_member])

    # then one review is not yet a pattern
    assert InitiativeScore.objects.get(initiative=initiative).computed_at is not None
    assert absence() == []

    # when a second review is recorded, with or without the sponsor taking part
    attendees = [steering_member, sponsor] if sponsor_present else [steering_member]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decide(steering_member, committee, initiative, today - 10 * DAY, attendees=attendees)

    # then the recompute after commit raises the signal only if the sponsor missed both
    assert len(callbacks) >= 1
    if sponsor_present:
        assert absence() == []
    else:
        assert absence() == [
            ("amber", "The sponsor of ABS-1 attended none of its last 2 checkpoint reviews.")
        ]


def test_attendance_recorded_on_the_meeting_afterwards_counts_for_the_sponsor(
    committee, steering_member, pmo, today, django_capture_on_commit_callbacks
):
    # given two reviews recorded without the sponsor, so the absence signal is raised
    sponsor = UserFactory(
        username="sponsor", first_name="Sally", last_name="Sponsor", roles=[roles.EXECUTIVE]
    )
    initiative = InitiativeFactory(code="ABS-2", sponsor=sponsor, stage=Stage.IN_DELIVERY)
    with django_capture_on_commit_callbacks(execute=True):
        decide(steering_member, committee, initiative, today - 40 * DAY, attendees=[steering_member])
    with django_capture_on_commit_callbacks(execute=True):
        last = decide(steering_member, committee, initiative, today - 10 * DAY, attendees=[steering_member])
    assert Signal.objects.filter(initiative=initiative, rule="sponsor_absent").count() == 1

    # when the chair records afterwards, on the meeting's attendance, that the sponsor was there
    assert last.meeting_id is not None
    meeting = SteeringMeeting.objects.get(pk=last.meeting_id)
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_steering.meeting_record_attendance(
            user=pmo, meeting_id=meeting.pk, version=meeting.version, attendees=[steering_member, sponsor]
        )

    # then the recompute that follows no longer finds the sponsor absent from both reviews
    assert Signal.objects.filter(initiative=initiative, rule="sponsor_absent").count() == 0
