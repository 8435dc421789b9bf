"""Scenarios in the outbox: a solve that stored its answer records scenario.solved (optimal, best within the
time limit, or no plan), an approval records scenario.approved beside the decision log's decision.recorded;
the scenario's creator hears of each once, never the person who asked for it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db.models import F

from core import jobs, outbox
from core.errors import ApplicationError
from core.models import OutboxEvent
from events.models import Notification
from planning import tasks
from planning.events import solved_title
from planning.models import RuleKind, Scenario, ScenarioRule
from planning.services import scenarios as services
from tests.planning.scenario_world import build_world

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(db, pmo):
    built = build_world(pmo)
    built["C1"].sponsor = pmo  # an idea needs a sponsor to be approved
    built["C1"].save()
    return built


@pytest.fixture
def scenario(world, pmo) -> Scenario:
    """Base <b>: 700 in 2027, whose answer is A1, B1 and C1 (value 190), created by the PMO."""
    made = services.scenario_create(
        user=pmo,
        data={"name": "Base <b>", "first_year": 2027, "years": 2, "maximise": "strategic"},
        limits=[{"year": 2027, "total": "700"}],
    )
    OutboxEvent.objects.all().delete()
    return made


def solved(scenario: Scenario) -> list[tuple[str, int | None, dict]]:
    return [
        (e.subject_type, e.subject_id, e.payload) for e in OutboxEvent.objects.filter(kind="scenario.solved")
    ]


def test_a_solve_asked_for_by_someone_else_records_its_answer_and_tells_the_creator(
    scenario, pmo, steering_member
):
    # when a steering member's solve job runs
    job = jobs.job_start(tasks.SOLVE, user=steering_member, target=f"scenario:{scenario.pk}")
    services.run_solve(job_id=job.pk, scenario_id=scenario.pk)

    # then the answer is in the outbox, by the steering member, for the creator
    assert solved(scenario) == [
        (
            "scenario",
            scenario.pk,
            {
                "scenario_id": scenario.pk,
                "status": "optimal",
                "value": 190.0,
                "selected": 3,
                "candidates": 4,
                "title": "Scenario Base <b> solved: 3 of 4 initiatives in the plan, value 190",
                "url": f"/planning/scenarios/{scenario.pk}/",
                "about": {},
                "recipients": [pmo.pk],
            },
        )
    ]
    assert OutboxEvent.objects.get(kind="scenario.solved").actor == steering_member
    outbox.dispatch_pending()
    assert list(Notification.objects.values_list("user__username", "kind")) == [("pmo", "scenario.solved")]


def test_the_creator_solving_their_own_scenario_is_not_told(scenario, pmo):
    services.solve_scenario(scenario, actor=pmo)
    outbox.dispatch_pending()
    assert len(solved(scenario)) == 1
    assert not Notification.objects.exists()


def test_an_infeasible_solve_says_so(scenario, world, pmo):
    ScenarioRule.objects.create(scenario=scenario, kind=RuleKind.FORCE_IN, initiative=world["D1"])
    ScenarioRule.objects.create(scenario=scenario, kind=RuleKind.FORCE_IN, initiative=world["A1"])

    services.solve_scenario(scenario)

    ((_, _, payload),) = solved(scenario)
    assert (payload["status"], payload["value"], payload["selected"]) == ("infeasible", None, 0)
    assert payload["title"] == "Scenario Base <b>: no plan keeps every rule"


def test_the_title_of_each_outcome():
    found = {"selected": 1234, "candidates": 5678}
    assert solved_title("S", {**found, "status": "optimal", "value": 1234.5}) == (
        "Scenario S solved: 1,234 of 5,678 initiatives in the plan, value 1,234.5"
    )
    assert solved_title("S", {**found, "status": "time_limit", "value": 12.0}) == (
        "Scenario S best plan found within the time limit: 1,234 of 5,678 initiatives in the plan, value 12"
    )
    assert solved_title("S", {**found, "status": "time_limit", "value": None}) == (
        "Scenario S: no answer within the time limit"
    )
    assert solved_title("S", {**found, "status": "infeasible", "value": None}) == (
        "Scenario S: no plan keeps every rule"
    )


def test_a_solve_the_scenario_outran_records_nothing(scenario):
    Scenario.objects.filter(pk=scenario.pk).update(version=F("version") + 1)  # changed while it ran

    assert services.solve_scenario(scenario)["stale"] is True
    assert solved(scenario) == []


def test_an_approval_records_the_decision_and_the_approval_and_tells_the_creator_once(
    scenario, pmo, steering_member
):
    services.solve_scenario(scenario)
    OutboxEvent.objects.all().delete()

    services.scenario_approve(
        user=steering_member, scenario_id=scenario.pk, version=scenario.version, rationale="Board, 1 Dec"
    )

    decision = OutboxEvent.objects.get(kind="decision.recorded")
    assert (decision.payload["source"], decision.payload["kind"], decision.actor) == (
        "portfolio_decision",
        "plan_approval",
        steering_member,
    )
    approved = OutboxEvent.objects.get(kind="scenario.approved")
    assert (approved.subject_type, approved.subject_id, approved.actor) == (
        "scenario",
        scenario.pk,
        steering_member,
    )
    assert approved.payload == {
        "scenario_id": scenario.pk,
        "decision_id": decision.subject_id,
        "funded": 3,
        "moved": 4,
        "title": "Scenario Base <b> approved as the plan: 3 initiatives funded, 4 stages changed",
        "url": f"/planning/scenarios/{scenario.pk}/",
        "about": {},
        "recipients": [pmo.pk],
    }
    outbox.dispatch_pending()
    # the creator hears of the approval once (the decision names no one); the approver not at all
    assert list(
        Notification.objects.filter(kind__in=["decision.recorded", "scenario.approved"]).values_list(
            "user__username", "kind"
        )
    ) == [("pmo", "scenario.approved")]
    assert not Notification.objects.filter(user=steering_member).exists()


def test_a_refused_approval_records_nothing(scenario, world, steering_member):
    services.solve_scenario(scenario)
    world["C1"].sponsor = None  # C1 can no longer be approved
    world["C1"].save()
    OutboxEvent.objects.all().delete()

    with pytest.raises(ApplicationError):
        services.scenario_approve(
            user=steering_member, scenario_id=scenario.pk, version=scenario.version, rationale="x"
        )

    assert OutboxEvent.objects.count() == 0
