"""A scenario may move an initiative's start to fit team capacity (issue 13, part 5): the scenario's start
shift, else the capacity policy's; the answer says which initiatives moved, by how many months and which
team-months their planned start would pass; with no shift allowed the answer is the one it always was."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from capacity import services as capacity
from capacity.models import Team, TeamMember
from core.stages import Stage
from planning.models import RunKind, Scenario, ScenarioRun
from planning.scenarios import fingerprint, load_inputs
from planning.services import scenarios as services
from tests.conftest import PERSONAS
from tests.export_support import csv_rows
from tests.planning.scenario_world import candidate

D = datetime.date
NOT_EDITORS = [p for p in PERSONAS if p not in ("pmo", "admin_user")]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def plan(db, pmo):
    """The Data platform team: Ann and Ben at 100 %, so 46 person-days in March 2027 (23 working days) and 44
    in April (22). K1 is in delivery in March (fit 70, 30 person-days); X1 is proposed for March (fit 50,
    20 person-days, 120 of capex in 2027). Together they need 50 of March's 46."""
    march = {"planned_start": D(2027, 3, 1), "planned_end": D(2027, 3, 31)}
    found = {
        "K1": candidate("K1", Stage.IN_DELIVERY, 70, {2027: (200, 0)}, by=pmo, **march),
        "X1": candidate("X1", Stage.PROPOSED, 50, {2027: (120, 0)}, by=pmo, **march),
    }
    team = Team.objects.create(name="Data platform")
    TeamMember.objects.create(team=team, name="Ann", availability=100)
    TeamMember.objects.create(team=team, name="Ben", availability=100)
    for code, days in (("K1", 30), ("X1", 20)):
        capacity.change_demand_create(
            user=pmo, initiative=found[code], data={"team": team, "person_days": Decimal(days)}
        )
    return {"team": team, **found}


def make(pmo, **fields) -> Scenario:
    data = {"name": "Shift", "first_year": 2027, "years": 1, "maximise": "strategic", **fields}
    return services.scenario_create(user=pmo, data=data, limits=[])


def answer(scenario: Scenario) -> ScenarioRun:
    return ScenarioRun.objects.get(scenario=scenario, kind=RunKind.SOLVE)


def decisions(run: ScenarioRun) -> dict[str, tuple[bool, int, str]]:
    return {row["code"]: (row["in"], row["shift"], row["text"]) for row in run.decisions}


def test_without_a_shift_x1_is_out_because_march_is_full(plan, pmo):
    scenario = make(pmo, max_shift_months=0)

    summary = services.solve_scenario(scenario)

    assert summary["value"] == 70.0
    assert decisions(answer(scenario)) == {
        "K1": (True, 0, "in delivery: kept"),
        "X1": (False, 0, "would break capacity of Data platform, March 2027: 4 over the 46 limit"),
    }
    assert (summary["max_shift"], summary["moved"], summary["shifts"]) == (0, [], {})


def test_with_a_month_allowed_x1_starts_in_april_and_the_answer_says_why(plan, pmo):
    scenario = make(pmo, max_shift_months=1)

    summary = services.solve_scenario(scenario)

    run = answer(scenario)
    assert summary["value"] == 120.0
    assert sorted(run.selected) == sorted([plan["K1"].pk, plan["X1"].pk])
    assert decisions(run) == {
        "K1": (True, 0, "in delivery: kept"),
        "X1": (
            True,
            1,
            "chosen, its start moved 1 month later: at its planned start it would break capacity of Data "
            "platform, March 2027: 4 over the 46 limit",
        ),
    }
    assert summary["shifts"] == {str(plan["X1"].pk): 1}
    assert summary["moved"] == [
        {
            "id": plan["X1"].pk,
            "code": "X1",
            "title": "Title of X1",
            "months": 1,
            "why": [
                {
                    "name": "Data platform, March 2027",
                    "capacity": True,
                    "used": 50.0,
                    "limit": 46.0,
                    "over": 4.0,
                }
            ],
        }
    ]
    assert summary["limits"] == [
        {"name": "capacity of Data platform, March 2027", "used": 30.0, "limit": 46.0, "binding": True},
        {"name": "capacity of Data platform, April 2027", "used": 20.0, "limit": 44.0, "binding": False},
    ]
    assert summary["spend"] == {"2027": [320.0, 0.0]}


def test_the_capacity_policy_sets_the_shift_a_scenario_leaves_empty(plan, pmo):
    capacity.capacity_policy_publish(
        user=pmo, change_share_target="40", overload_threshold="100", max_shift_months=2, note="Board"
    )
    inherits = make(pmo)
    overrides = make(pmo, name="No move", max_shift_months=0)

    inherited = load_inputs(inherits)
    assert inherited.max_shift == 2
    x1 = next(c for c in inherited.problem.candidates if c.label == "X1")
    team = plan["team"].pk
    assert [(s.months, dict(s.costs), dict(s.effort)) for s in x1.shifts] == [
        (1, {2027: (120.0, 0.0)}, {f"team-{team}:2027-04": 20.0}),
        (2, {2027: (120.0, 0.0)}, {f"team-{team}:2027-05": 20.0}),
    ]
    k1 = next(c for c in inherited.problem.candidates if c.label == "K1")
    assert k1.shifts == ()  # work in delivery has started: its start does not move
    assert load_inputs(overrides).max_shift == 0


def test_no_shift_gives_the_answer_it_always_did(plan, pmo):
    off = make(pmo, max_shift_months=0)
    ignored = make(pmo, name="Policy's", max_shift_months=None)  # the default policy allows none

    inputs = load_inputs(off)

    assert all(c.shifts == () for c in inputs.problem.candidates)
    assert inputs.fingerprint == fingerprint(inputs.problem) == load_inputs(ignored).fingerprint
    assert inputs.problem.capacity == {f"team-{plan['team'].pk}:2027-03": 46.0}
    first, second = services.solve_scenario(off), services.solve_scenario(ignored)
    for summary in (first, second):
        del summary["seconds"], summary["solved_at"]
    assert first == second
    assert answer(off).decisions == answer(ignored).decisions


def test_costs_and_months_before_the_horizon_move_in_with_a_later_start(plan, pmo):
    # P1 runs December 2026 to January 2027 (10 person-days, 5 a month; 240 of capex in 2026, 120 in 2027)
    early = candidate(
        "P1",
        Stage.PROPOSED,
        40,
        {2026: (240, 0), 2027: (120, 0)},
        by=pmo,
        planned_start=D(2026, 12, 1),
        planned_end=D(2027, 1, 31),
    )
    capacity.change_demand_create(
        user=pmo, initiative=early, data={"team": plan["team"], "person_days": Decimal(10)}
    )
    scenario = make(pmo, years=2, max_shift_months=3)

    p1 = next(c for c in load_inputs(scenario).problem.candidates if c.label == "P1")

    team = plan["team"].pk
    assert dict(p1.costs) == {2027: (120.0, 0.0)}
    assert [(s.months, dict(s.costs), dict(s.effort)) for s in p1.shifts] == [
        (
            1,
            {2027: (130.0, 0.0), 2028: (10.0, 0.0)},
            {f"team-{team}:2027-01": 5.0, f"team-{team}:2027-02": 5.0},
        ),
        (
            2,
            {2027: (140.0, 0.0), 2028: (20.0, 0.0)},
            {f"team-{team}:2027-02": 5.0, f"team-{team}:2027-03": 5.0},
        ),
        (
            3,
            {2027: (150.0, 0.0), 2028: (30.0, 0.0)},
            {f"team-{team}:2027-03": 5.0, f"team-{team}:2027-04": 5.0},
        ),
    ]


def test_a_start_never_moves_past_the_horizon(plan, pmo):
    late = candidate(
        "Z1",
        Stage.PROPOSED,
        10,
        {2027: (10, 0)},
        by=pmo,
        planned_start=D(2027, 11, 1),
        planned_end=D(2027, 11, 30),
    )
    capacity.change_demand_create(
        user=pmo, initiative=late, data={"team": plan["team"], "person_days": Decimal(5)}
    )

    z1 = next(c for c in load_inputs(make(pmo, max_shift_months=3)).problem.candidates if c.label == "Z1")

    assert [s.months for s in z1.shifts] == [1]  # December 2027 is the horizon's last month


def test_the_page_and_the_downloads_say_which_start_moved_and_why(plan, pmo, executive):
    scenario = make(pmo, max_shift_months=1)
    services.solve_scenario(scenario)
    client = Client()
    client.force_login(executive)

    html = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    rows = csv_rows(client.get(f"/planning/scenarios/{scenario.pk}/answer.csv"))

    assert "Starts moved to fit team capacity" in html
    assert (
        f'<tr><th scope="row" class="fw-normal"><a href="/initiatives/{plan["X1"].pk}/">X1</a> '
        '<span class="small">Title of X1</span></th><td class="text-end text-nowrap">1 month later</td>'
        '<td class="small">Data platform, March 2027: 50 of 46 person-days (4 over)</td></tr>'
    ) in html
    assert rows[0][:5] == ["code", "title", "stage", "in_plan", "start_moved_months"]
    assert [row[:5] for row in rows[1:]] == [
        ["K1", "Title of K1", "in_delivery", "yes", "0"],
        ["X1", "Title of X1", "proposed", "yes", "1"],
    ]


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_only_the_pmo_sets_a_scenarios_start_shift(persona, plan, pmo):
    scenario = make(pmo)
    client = Client()
    client.force_login(persona)

    response = client.post(
        f"/planning/scenarios/{scenario.pk}/",
        {
            "version": scenario.version,
            "s-name": "Shift",
            "s-first_year": "2027",
            "s-years": "1",
            "s-maximise": "strategic",
            "s-max_shift_months": "3",
        },
    )

    assert response.status_code == 403
    assert Scenario.objects.get(pk=scenario.pk).max_shift_months is None


def test_the_pmo_sets_it_and_a_shift_over_a_year_is_refused_at_its_field(plan, pmo):
    scenario = make(pmo)
    client = Client()
    client.force_login(pmo)
    fields = {"s-name": "Shift", "s-first_year": "2027", "s-years": "1", "s-maximise": "strategic"}

    refused = client.post(
        f"/planning/scenarios/{scenario.pk}/",
        {"version": scenario.version, **fields, "s-max_shift_months": "13"},
    )
    saved = client.post(
        f"/planning/scenarios/{scenario.pk}/",
        {"version": scenario.version, **fields, "s-max_shift_months": "2"},
    )

    assert refused.status_code == 422
    assert "Ensure this value is less than or equal to 12." in refused.content.decode()
    assert saved.status_code == 302
    assert Scenario.objects.get(pk=scenario.pk).max_shift_months == 2
