"""The scenarios API: create with limits and rules (PMO), solve and draw the frontier as jobs, read the answer
and every decision, approve as the plan (steering members and the PMO), with the API's one error shape."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from planning.models import Scenario, ScenarioStatus
from portfolio.models import Initiative
from tests.api.conftest import api_as
from tests.planning.scenario_world import build_world

BODY: dict[str, Any] = {
    "name": "Lean",
    "first_year": 2027,
    "years": 2,
    "maximise": "strategic",
    "limits": [{"year": 2027, "total": 700}],
    "rules": [{"kind": "excludes", "initiative": "A1", "other": "B1", "note": "one team"}],
}


@pytest.fixture
def world(db, pmo, today):
    found = build_world(pmo)
    found["C1"].sponsor = pmo
    found["C1"].save()
    return found


def test_a_scenario_is_created_solved_read_and_approved(world, pmo, steering_member):
    api = api_as(pmo)

    # when the PMO creates a scenario with a limit and a rule
    created = api.post("planning/scenarios", BODY)
    assert created.status_code == 201
    data = created.data
    assert (data["name"], data["years"], data["status"]) == ("Lean", 2, "draft")
    assert (data["respect_capacity"], data["max_shift_months"]) == (True, None)
    assert data["limits"] == [
        {"year": 2027, "capex": None, "opex": None, "total": "700.00"},
        {"year": 2028, "capex": None, "opex": None, "total": None},
    ]
    assert [(r["kind"], r["initiative"], r["other"], r["note"]) for r in data["rules"]] == [
        ("excludes", "A1", "B1", "one team")
    ]
    pk = data["id"]

    # and solves it
    job = api.post(f"planning/scenarios/{pk}/solve", {})
    assert job.status_code == 202
    assert job.data["status"] == "done"
    assert job.data["message"] == "2 of 4 initiatives in the plan"
    assert api.get(f"planning/scenarios/{pk}/jobs/{job.data['id']}").data["status"] == "done"

    # then the answer is A1 and C1 (fit 130 for 400 in 2027; A1 excludes B1; D1 costs 600 in 2027)
    result = api.get(f"planning/scenarios/{pk}/result").data
    assert (result["status"], result["current"], result["summary"]["value"]) == ("optimal", True, 130.0)
    codes = dict(Initiative.objects.values_list("pk", "code"))
    assert sorted(codes[i] for i in result["selected"]) == ["A1", "C1"]
    decisions = api.get(f"planning/scenarios/{pk}/result/decisions?show=out&limit=1")
    assert decisions.data["items"] == [
        {
            "id": world["B1"].pk,
            "code": "B1",
            "title": "Title of B1",
            "stage": "proposed",
            "in_plan": False,
            "reason": "excludes",
            "explanation": f"excludes A1 (#{world['A1'].pk}), which is in",
            "value": 60.0,
            "cost": 250.0,
            "start_shift": 0,
        }
    ]
    rest = api.get(
        f"planning/scenarios/{pk}/result/decisions?show=out&cursor={decisions.data['next_cursor']}"
    )
    assert [row["code"] for row in rest.data["items"]] == ["D1"]
    assert rest.data["next_cursor"] is None

    # and a steering member approves it as the plan, naming the version read
    approved = api_as(steering_member).post(
        f"planning/scenarios/{pk}/approve",
        {"rationale": "Board"},
        **{"If-Match": f'"{Scenario.objects.get(pk=pk).version}"'},
    )
    current = Scenario.objects.get(pk=pk)
    assert approved.status_code == 200, approved.data
    assert approved.data["status"] == ScenarioStatus.APPROVED
    assert approved["ETag"] == f'"{current.version}"'
    assert dict(Initiative.objects.values_list("code", "stage")) == {
        "A1": "approved",
        "B1": "proposed",
        "C1": "approved",
        "D1": "proposed",
        "L1": "live",
    }


def test_the_frontier_is_drawn_and_read(world, pmo, executive):
    pk = api_as(pmo).post("planning/scenarios", {**BODY, "limits": [], "rules": []}).data["id"]
    api = api_as(executive)
    assert api.get(f"planning/scenarios/{pk}/frontier").status_code == 404
    job = api.post(f"planning/scenarios/{pk}/frontier", {})
    assert (job.status_code, job.data["message"]) == (202, "25 budget levels solved")
    frontier = api.get(f"planning/scenarios/{pk}/frontier").data
    values = [p["value"] for p in frontier["points"]]
    assert (len(values), values[0], values[-1], frontier["demand"]) == (25, 0.0, 220.0, 1950.0)
    assert all(a <= b for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_only_the_pmo_creates_scenarios(world, persona):
    answer = api_as(persona).post("planning/scenarios", BODY)
    assert answer.status_code == 403
    assert answer.data["error"]["message"] == "Only the PMO creates and changes scenarios."
    assert not Scenario.objects.exists()


def test_a_bad_rule_creates_nothing_and_names_its_row(world, pmo):
    body = {**BODY, "rules": [*BODY["rules"], {"kind": "requires", "initiative": "A1", "other": "NOPE"}]}
    answer = api_as(pmo).post("planning/scenarios", body)
    assert answer.status_code == 422
    assert answer.data["error"]["fields"] == {"rules-1-other": ["No initiative has this code."]}
    assert not Scenario.objects.exists()


def test_a_bad_limit_is_refused(world, pmo):
    body = {**BODY, "limits": [{"year": 2027, "total": -1}], "rules": []}
    answer = api_as(pmo).post("planning/scenarios", body)
    assert answer.status_code == 422
    assert answer.data["error"]["fields"] == {
        "limit-2027-total": ["The 2027 total limit must be an amount from 0."]
    }
    assert not Scenario.objects.exists()


def test_an_unsolved_scenario_has_no_result(world, pmo):
    pk = api_as(pmo).post("planning/scenarios", {**BODY, "rules": []}).data["id"]
    answer = api_as(pmo).get(f"planning/scenarios/{pk}/result")
    assert answer.status_code == 404
    assert answer.data["error"]["message"] == "The scenario has no answer yet: solve it first."


def test_a_stale_approval_is_refused(world, pmo, steering_member):
    pk = api_as(pmo).post("planning/scenarios", {**BODY, "rules": []}).data["id"]
    api_as(pmo).post(f"planning/scenarios/{pk}/solve", {})
    answer = api_as(steering_member).post(
        f"planning/scenarios/{pk}/approve", {"rationale": "x", "version": 99}
    )
    assert answer.status_code == 409
    assert Scenario.objects.get(pk=pk).status == ScenarioStatus.DRAFT


def test_a_scenario_may_allow_starts_to_move_and_refuses_more_than_a_year(world, pmo):
    api = api_as(pmo)

    moved = api.post("planning/scenarios", {**BODY, "max_shift_months": 2})
    too_far = api.post("planning/scenarios", {**BODY, "name": "Far", "max_shift_months": 13})

    assert moved.status_code == 201
    assert Scenario.objects.get(pk=moved.data["id"]).max_shift_months == 2
    assert too_far.status_code == 422
    assert not Scenario.objects.filter(name="Far").exists()
