"""Scenarios take team capacity as constraints (planning/scenarios.py team_limits): the best answer changes
when a team's capacity shrinks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from capacity import services as capacity
from capacity.models import CapacityOverride, RunDemand, Team, TeamMember
from core.stages import Stage
from planning.models import RunKind, ScenarioRun
from planning.scenarios import load_inputs
from planning.services import scenarios as services
from planning.views.scenarios import _limit_groups
from portfolio.models import Initiative
from tests.planning.scenario_world import candidate

D = datetime.date
MARCH = D(2027, 3, 1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def plan(db, pmo):
    """Three proposals planned in March 2027 (fit 80, 60, 50) needing 30, 20 and 15 person-days of the Data
    platform team; an approved initiative without effort (fit 30). The team: two people at 100 %, 23 working
    days in March 2027, so 46 person-days."""
    march = {"planned_start": MARCH, "planned_end": D(2027, 3, 31)}
    found = {
        "A1": candidate("A1", Stage.PROPOSED, 80, {2027: (300, 0)}, by=pmo, **march),
        "B1": candidate("B1", Stage.PROPOSED, 60, {2027: (200, 0)}, by=pmo, **march),
        "C1": candidate("C1", Stage.IDEA, 50, {2027: (100, 0)}, by=pmo, **march),
        "D1": candidate("D1", Stage.APPROVED, 30, {2027: (50, 0)}, by=pmo, **march),
    }
    team = Team.objects.create(name="Data platform")
    TeamMember.objects.create(team=team, name="Ann", availability=100)
    TeamMember.objects.create(team=team, name="Ben", availability=100)
    for code, days in (("A1", 30), ("B1", 20), ("C1", 15)):
        capacity.change_demand_create(
            user=pmo, initiative=found[code], data={"team": team, "person_days": Decimal(days)}
        )
    return {"team": team, **found}


def make(pmo, **fields):
    data = {"name": "Capacity", "first_year": 2027, "years": 1, "maximise": "strategic", **fields}
    return services.scenario_create(user=pmo, data=data, limits=[])


def chosen(scenario) -> tuple[list[str], dict[str, tuple[bool, str]]]:
    run = ScenarioRun.objects.get(scenario=scenario, kind=RunKind.SOLVE)
    codes = sorted(Initiative.objects.filter(pk__in=run.selected).values_list("code", flat=True))
    return codes, {row["code"]: (row["in"], row["text"]) for row in run.decisions}


def test_each_candidates_effort_is_a_capacity_row_named_plainly(plan, pmo):
    inputs = load_inputs(make(pmo))
    row = f"team-{plan['team'].pk}:2027-03"
    effort = {c.label: dict(c.effort) for c in inputs.problem.candidates}
    assert effort == {"A1": {row: 30.0}, "B1": {row: 20.0}, "C1": {row: 15.0}, "D1": {}}
    assert inputs.problem.capacity == {row: 46.0}
    assert inputs.problem.capacity_labels == {row: "Data platform, March 2027"}


def test_the_best_answer_changes_when_the_teams_capacity_shrinks(plan, pmo):
    # 46 person-days: A1 + C1 (45) is worth 130, more than B1 + C1 (110) or A1 + B1 (50: too much)
    wide = make(pmo)
    summary = services.solve_scenario(wide)
    assert chosen(wide)[0] == ["A1", "C1", "D1"]
    assert summary["value"] == 160.0
    # holidays: 40 person-days in March 2027, less 5 of run demand: 35 left
    CapacityOverride.objects.create(team=plan["team"], month=MARCH, person_days=Decimal("40"))
    RunDemand.objects.create(team=plan["team"], month=MARCH, category="support", person_days=Decimal("5"))
    narrow = make(pmo, name="Narrow")
    summary = services.solve_scenario(narrow)
    codes, decisions = chosen(narrow)
    assert codes == ["B1", "C1", "D1"]
    assert summary["value"] == 140.0
    assert decisions["A1"] == (
        False,
        "would break capacity of Data platform, March 2027: 30 over the 35 limit",
    )
    assert {
        "name": "capacity of Data platform, March 2027",
        "used": 35.0,
        "limit": 35.0,
        "binding": True,
    } in (summary["limits"])


def test_a_scenario_may_ignore_team_capacity(plan, pmo):
    CapacityOverride.objects.create(team=plan["team"], month=MARCH, person_days=Decimal("10"))
    scenario = make(pmo, respect_capacity=False)
    services.solve_scenario(scenario)
    assert chosen(scenario)[0] == ["A1", "B1", "C1", "D1"]
    assert load_inputs(scenario).problem.capacity == {}


def test_what_is_kept_in_the_plan_keeps_its_effort_as_the_limit(plan, pmo):
    # A1 in delivery is kept; the team has 10 person-days: the row's limit is A1's 30, and nothing else fits
    Initiative.objects.filter(pk=plan["A1"].pk).update(stage=Stage.IN_DELIVERY)
    capacity.loads_refresh()
    CapacityOverride.objects.create(team=plan["team"], month=MARCH, person_days=Decimal("10"))
    scenario = make(pmo)
    inputs = load_inputs(scenario)
    assert inputs.problem.capacity == {f"team-{plan['team'].pk}:2027-03": 30.0}
    services.solve_scenario(scenario)
    assert chosen(scenario)[0] == ["A1", "D1"]


def test_the_page_lists_budget_limits_then_the_binding_and_fullest_team_months_and_folds_the_rest():
    budget = [{"name": "2027 capex", "used": 90.0, "limit": 100.0, "binding": False}]
    rows = [
        {
            "name": f"capacity of Data platform, month {m:02d}",
            "used": float(m),
            "limit": 20.0,
            "binding": m == 3,
        }
        for m in range(1, 13)
    ]

    groups = _limit_groups(budget + rows)

    assert groups["budget_limits"] == budget
    shown = [row["name"][-2:] for row in groups["capacity_limits"]]
    assert shown == ["03", "12", "11", "10", "09", "08", "07", "06"]  # binding first, then the fullest
    assert [row["name"][-2:] for row in groups["capacity_rest"]] == ["05", "04", "02", "01"]


def test_the_scenario_page_shows_the_binding_team_month_with_its_unit(plan, pmo, client):
    CapacityOverride.objects.create(team=plan["team"], month=MARCH, person_days=Decimal("40"))
    RunDemand.objects.create(team=plan["team"], month=MARCH, category="support", person_days=Decimal("5"))
    scenario = make(pmo, name="Narrow")
    services.solve_scenario(scenario)
    client.force_login(pmo)

    html = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()

    assert (
        '<tr><th scope="row" class="fw-normal">capacity of Data platform, March 2027</th>'
        '<td class="text-end text-nowrap">35 person-days</td><td class="text-end text-nowrap">35 person-days</td>'
        '<td><span class="badge text-bg-warning">binding</span></td></tr>'
    ) in html
    assert "team-month capacity limits, fullest first" not in html  # one row: nothing to fold
