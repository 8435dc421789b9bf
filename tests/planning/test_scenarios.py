"""Scenarios: the candidates read from the database with their values and costs, solved exactly (the same
answer as exhaustive search), explained, drawn as a frontier, and approved as the plan by a steering member
(the stages follow, the decision is logged). Permissions for every role; a refused write changes nothing."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import InitiativeScore
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.stages import Stage
from planning.models import RuleKind, RunKind, Scenario, ScenarioRule, ScenarioRun, ScenarioStatus
from planning.scenarios import budget_years, load_inputs
from planning.services import scenarios as services
from portfolio.models import Initiative
from tests.conftest import PERSONAS
from tests.planning.scenario_world import build_world, candidate

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(db, pmo):
    return build_world(pmo)


def make(pmo, **fields) -> Scenario:
    data = {"name": "Base", "first_year": 2027, "years": 2, "maximise": "strategic", **fields}
    limits = fields.pop("limits", ())
    data.pop("limits", None)
    return services.scenario_create(user=pmo, data=data, limits=limits)


def test_the_candidates_costs_come_from_business_cases_or_else_their_budgets(world, pmo):
    # when
    inputs = load_inputs(make(pmo))

    # then every unfinished initiative is a candidate, worth its fit, costing its lines (or its budget spread)
    assert sorted(c.code for c in inputs.candidates.values()) == ["A1", "B1", "C1", "D1"]
    by_code = {c.label: c for c in inputs.problem.candidates}
    assert {code: c.value for code, c in by_code.items()} == {"A1": 80.0, "B1": 60.0, "C1": 50.0, "D1": 30.0}
    assert by_code["A1"].costs == {2027: (300.0, 0.0), 2028: (0.0, 100.0)}
    assert by_code["C1"].costs == {2027: (100.0, 0.0)}
    assert by_code["D1"].costs == {2027: (400.0, 200.0), 2028: (400.0, 200.0)}
    assert inputs.missing == 0
    assert inputs.committed == frozenset()


def test_budget_years():
    assert budget_years(None, None, 2027) == [2027]
    assert budget_years(datetime.date(2026, 5, 1), None, 2027) == [2026]
    assert budget_years(datetime.date(2026, 5, 1), datetime.date(2028, 1, 1), 2027) == [2026, 2027, 2028]


def test_npv_is_read_from_the_business_case(world, pmo):
    inputs = load_inputs(make(pmo, maximise="npv"))
    # costs only, no benefit: a negative NPV; D has no business case and counts as 0 (missing)
    values = {c.label: c.value for c in inputs.problem.candidates}
    assert values["D1"] == 0.0
    assert inputs.missing == 1
    assert values["A1"] == -392.59  # -300 in year 0, -100 in year 1 at 8 %: -300 - 100 / 1.08
    assert values["C1"] == -100.0


def test_solving_stores_the_answer_explained(world, pmo):
    scenario = make(pmo, limits=[{"year": 2027, "total": "700"}])

    # when
    summary = services.solve_scenario(scenario)

    # then the best selection under 700 in 2027 is A + B + C (fit 190; D alone costs 600 in 2027)
    run = ScenarioRun.objects.get(scenario=scenario, kind=RunKind.SOLVE)
    codes = {row["code"]: (row["in"], row["reason"], row["text"]) for row in run.decisions}
    assert run.status == "optimal"
    assert summary["value"] == 190.0
    assert sorted(Initiative.objects.filter(pk__in=run.selected).values_list("code", flat=True)) == [
        "A1",
        "B1",
        "C1",
    ]
    assert codes["D1"] == (False, "limits", "would break 2027 total cost: 500 over the 700 limit")
    assert codes["A1"] == (True, "chosen", "chosen")
    assert summary["spend"] == {"2027": [600.0, 0.0], "2028": [0.0, 150.0]}
    assert summary["greedy"] == {"feasible": True, "value": 190.0}
    assert summary["limits"] == [{"name": "2027 total cost", "used": 600.0, "limit": 700.0, "binding": True}]
    assert summary["totals"]["plan"] == {
        "strategic_value": 190.0,
        "npv": pytest.approx(summary["totals"]["plan"]["npv"]),
    }
    # today's plan funds D only (approved); the answer's indices are the engine's over the plan's funding
    assert summary["totals"]["current"]["strategic_value"] == 30.0
    assert summary["figures"]["plan"]["funded_budget"] > 0


def test_the_answer_equals_exhaustive_search(world, pmo):
    scenario = make(pmo, limits=[{"year": 2027, "capex": "650"}, {"year": 2028, "opex": "300"}])
    ScenarioRule.objects.create(
        scenario=scenario, kind=RuleKind.REQUIRES, initiative=world["C1"], other=world["D1"]
    )
    ScenarioRule.objects.create(
        scenario=scenario, kind=RuleKind.EXCLUDES, initiative=world["A1"], other=world["B1"]
    )

    summary = services.solve_scenario(scenario)

    inputs = load_inputs(scenario)
    cands = inputs.problem.candidates
    best = 0.0
    for mask in itertools.product([0, 1], repeat=len(cands)):
        chosen = {c.id for c, m in zip(cands, mask, strict=True) if m}
        if world["C1"].pk in chosen and world["D1"].pk not in chosen:
            continue
        if world["A1"].pk in chosen and world["B1"].pk in chosen:
            continue
        capex27 = sum(c.costs.get(2027, (0, 0))[0] for c in cands if c.id in chosen)
        opex28 = sum(c.costs.get(2028, (0, 0))[1] for c in cands if c.id in chosen)
        if capex27 <= 650 and opex28 <= 300:
            best = max(best, sum(c.value for c in cands if c.id in chosen))
    assert summary["value"] == best == 90.0  # B and D


def test_an_infeasible_scenario_names_the_conflict(world, pmo):
    scenario = make(pmo, limits=[{"year": 2027, "capex": "350"}])
    for code in ("A1", "B1"):
        ScenarioRule.objects.create(scenario=scenario, kind=RuleKind.MANDATORY, initiative=world[code])

    summary = services.solve_scenario(scenario)

    assert summary["status"] == "infeasible"
    assert summary["value"] is None
    assert len(summary["conflicts"]) == 3
    assert any("2027 capex" in text for text in summary["conflicts"])


def test_in_delivery_is_kept_unless_forced_out(world, pmo):
    running = candidate("R1", Stage.IN_DELIVERY, 1, {2027: (5000, 0)}, by=pmo)
    scenario = make(pmo, limits=[{"year": 2027, "capex": "5000"}])
    summary = services.solve_scenario(scenario)
    run = ScenarioRun.objects.get(scenario=scenario, kind=RunKind.SOLVE)
    assert running.pk in run.selected
    assert summary["selected"] == 1
    assert next(r for r in run.decisions if r["code"] == "R1")["text"] == "in delivery: kept"

    services.scenario_rule_add(
        user=pmo, scenario_id=scenario.pk, version=scenario.version, kind="force_out", initiative="R1"
    )
    services.solve_scenario(Scenario.objects.get(pk=scenario.pk))
    run.refresh_from_db()
    assert running.pk not in run.selected


def test_rules_are_checked_at_their_field(world, pmo):
    scenario = make(pmo)
    with pytest.raises(ApplicationError) as error:
        services.scenario_rule_add(
            user=pmo, scenario_id=scenario.pk, version=1, kind="requires", initiative="A1", other="A1"
        )
    assert error.value.field_errors == {"other": ["Choose another initiative than the first."]}
    with pytest.raises(ApplicationError) as error:
        services.scenario_rule_add(
            user=pmo, scenario_id=scenario.pk, version=1, kind="force_in", initiative="NOPE"
        )
    assert error.value.field_errors == {"initiative": ["No initiative has this code."]}
    services.scenario_rule_add(user=pmo, scenario_id=scenario.pk, version=1, kind="force_in", initiative="a1")
    with pytest.raises(ApplicationError) as error:
        services.scenario_rule_add(
            user=pmo, scenario_id=scenario.pk, version=2, kind="force_out", initiative="A1"
        )
    assert error.value.message == "A1 is already force in: remove that rule first."
    with pytest.raises(StaleEdit):
        services.scenario_rule_add(
            user=pmo, scenario_id=scenario.pk, version=1, kind="mandatory", initiative="B1"
        )
    assert ScenarioRule.objects.filter(scenario=scenario).count() == 1


def test_limits_are_checked_at_their_field(world, pmo):
    with pytest.raises(ApplicationError) as error:
        make(pmo, limits=[{"year": 2027, "capex": "lots", "opex": "-5"}, {"year": 2031, "total": "1"}])
    assert error.value.field_errors == {
        "limit-2027-capex": ["The 2027 capex limit must be an amount."],
        "limit-2027-opex": ["The 2027 opex limit must be an amount from 0."],
        "limit-2031": ["2031 is outside the scenario's years."],
    }
    assert Scenario.objects.count() == 0


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_pmo_creates_and_changes_scenarios(world, pmo, persona):
    scenario = make(pmo)
    calls = [
        lambda: services.scenario_create(user=persona, data={"name": "X", "first_year": 2027}),
        lambda: services.scenario_update(
            user=persona, scenario_id=scenario.pk, version=1, data={"name": "Y"}
        ),
        lambda: services.scenario_rule_add(
            user=persona, scenario_id=scenario.pk, version=1, kind="force_in", initiative="A1"
        ),
        lambda: services.scenario_delete(user=persona, scenario_id=scenario.pk, version=1),
    ]
    allowed = persona.username in ("pmo", "admin")
    for call in calls[:3]:
        if allowed:
            continue
        with pytest.raises(NotAllowed):
            call()
    if not allowed:
        with pytest.raises(NotAllowed):
            calls[3]()
        assert Scenario.objects.get(pk=scenario.pk).version == 1
        assert Scenario.objects.count() == 1


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_those_who_record_decisions_approve_a_plan(world, pmo, persona):
    world["C1"].sponsor = pmo
    world["C1"].save()
    scenario = make(pmo)
    services.solve_scenario(scenario)
    allowed = persona.username in ("steer", "pmo", "admin")
    if allowed:
        services.scenario_approve(
            user=persona, scenario_id=scenario.pk, version=scenario.version, rationale="Board, 1 Dec"
        )
        assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.APPROVED
    else:
        with pytest.raises(NotAllowed):
            services.scenario_approve(
                user=persona, scenario_id=scenario.pk, version=scenario.version, rationale="x"
            )
        assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.DRAFT
        assert Initiative.objects.get(code="A1").stage == Stage.PROPOSED


def test_approving_moves_the_stages_and_supersedes_the_plan_before(world, pmo, steering_member):
    world["C1"].sponsor = pmo
    world["C1"].save()
    first = make(pmo, limits=[{"year": 2027, "total": "700"}])
    services.solve_scenario(first)

    # when the answer (A, B, C in; D out) is approved
    services.scenario_approve(
        user=steering_member, scenario_id=first.pk, version=first.version, rationale="Board, 1 Dec"
    )

    # then the ideas and proposals in it are approved and the approved one out of it goes back to proposed
    stages = dict(Initiative.objects.values_list("code", "stage"))
    assert stages == {"A1": "approved", "B1": "approved", "C1": "approved", "D1": "proposed", "L1": "live"}
    first.refresh_from_db()
    assert (first.status, first.approved_by, first.approval_rationale) == (
        ScenarioStatus.APPROVED,
        steering_member,
        "Board, 1 Dec",
    )
    assert sorted(first.approved_selection) == sorted([world[c].pk for c in ("A1", "B1", "C1")])
    assert Initiative.history.filter(code="A1", stage="approved", history_user=steering_member).count() == 1

    # and a later plan supersedes it, and compares with it
    second = make(pmo, name="Lean")
    summary = services.solve_scenario(second)
    assert summary["against_approved"]["scenario"] == first.pk
    services.scenario_approve(
        user=steering_member, scenario_id=second.pk, version=second.version, rationale="Re-plan"
    )
    assert Scenario.objects.get(pk=first.pk).status == ScenarioStatus.SUPERSEDED


def test_an_answer_older_than_the_data_is_not_approved(world, pmo, steering_member):
    scenario = make(pmo)
    services.solve_scenario(scenario)
    InitiativeScore.objects.filter(initiative=world["A1"]).update(fit=10)
    with pytest.raises(ApplicationError) as error:
        services.scenario_approve(
            user=steering_member, scenario_id=scenario.pk, version=scenario.version, rationale="x"
        )
    assert error.value.message == (
        "The portfolio's data changed since the answer (values, costs or candidates): solve it again."
    )
    assert Initiative.objects.get(code="A1").stage == Stage.PROPOSED


def test_a_plan_that_cannot_move_an_initiative_changes_nothing(world, pmo, steering_member):
    # C (an idea without a sponsor) cannot be approved
    scenario = make(pmo)
    services.solve_scenario(scenario)
    with pytest.raises(ApplicationError) as error:
        services.scenario_approve(
            user=steering_member, scenario_id=scenario.pk, version=scenario.version, rationale="x"
        )
    assert error.value.message.startswith(
        "The plan cannot be approved as it stands; nothing was changed. C1: "
    )
    assert dict(Initiative.objects.values_list("code", "stage")) == {
        "A1": "proposed",
        "B1": "proposed",
        "C1": "idea",
        "D1": "approved",
        "L1": "live",
    }
    assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.DRAFT


def test_the_frontier_rises_and_marks_the_plans(world, pmo):
    scenario = make(pmo)
    services.solve_scenario(scenario)

    summary = services.frontier_of(scenario)

    points = summary["points"]
    assert len(points) == 25
    assert points[0]["value"] == 0.0
    assert points[-1]["value"] == 220.0
    assert all(a["value"] <= b["value"] for a, b in itertools.pairwise(points))
    assert summary["demand"] == 1950.0
    marks = {m["label"]: (m["value"], m["cost"]) for m in summary["marks"]}
    assert marks == {"Today's plan": (30.0, 1200.0), "This scenario": (220.0, 1950.0)}


def test_a_copy_keeps_limits_and_rules(world, pmo):
    scenario = make(pmo, limits=[{"year": 2027, "capex": "650"}])
    services.scenario_rule_add(
        user=pmo, scenario_id=scenario.pk, version=1, kind="excludes", initiative="A1", other="B1"
    )
    copy = services.scenario_copy(user=pmo, scenario_id=scenario.pk, name="Variant")
    assert list(copy.limits.values_list("year", "capex")) == [(2027, Decimal("650.00")), (2028, None)]
    assert list(copy.rules.values_list("kind", "initiative__code", "other__code")) == [
        ("excludes", "A1", "B1")
    ]


def test_reading_the_candidates_takes_the_same_queries_whatever_their_number(
    world, pmo, django_assert_max_num_queries
):
    scenario = make(pmo, limits=[{"year": 2027, "capex": "650"}])
    services.scenario_rule_add(user=pmo, scenario_id=scenario.pk, version=1, kind="force_in", initiative="A1")
    scenario = Scenario.objects.get(pk=scenario.pk)

    with CaptureQueriesContext(connection) as few:
        load_inputs(scenario)
    for n in range(12):
        candidate(f"MORE-{n}", Stage.PROPOSED, n, {2027: (n, 1)}, by=pmo)
    with CaptureQueriesContext(connection) as many:
        inputs = load_inputs(scenario)
    assert len(inputs.candidates) == 16
    assert len(many) == len(few) == 9  # one reads the capacity teams (docs/capacity.md)


def test_priority_score_is_the_current_scoring_models(world, pmo):
    from planning.services.ranking import priority_scores

    inputs = load_inputs(make(pmo, maximise="priority"))
    expected = priority_scores(list(inputs.candidates))
    assert {c.id: c.value for c in inputs.problem.candidates} == {
        pk: round(v, 6) for pk, v in expected.items()
    }
    assert len(expected) == 4


def test_a_mandatory_initiative_is_in_every_plan(world, pmo):
    Initiative.objects.filter(pk=world["D1"].pk).update(mandatory=True, mandatory_reason="GDPR records")
    scenario = make(pmo, limits=[{"year": 2027, "total": "700"}])

    summary = services.solve_scenario(scenario)

    run = ScenarioRun.objects.get(scenario=scenario, kind=RunKind.SOLVE)
    reasons = {row["code"]: (row["in"], row["reason"]) for row in run.decisions}
    assert summary["value"] == 80.0  # D1 (30) and the one other that still fits 2027: C1 (50)
    assert reasons["D1"] == (True, "mandatory")
    assert reasons["C1"] == (True, "chosen")
