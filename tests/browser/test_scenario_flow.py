"""A planning round through the pages: the PMO creates a scenario with a budget limit, solves it, reads why an
initiative is out, draws the efficient frontier; a steering member approves the answer as the plan, and the
stages follow and the decision is in the log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from planning.models import Scenario, ScenarioStatus
from portfolio.models import Initiative
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import UserFactory
from tests.planning.scenario_world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_scenario_is_solved_explained_and_approved_as_the_plan(page):
    # given four candidates (A1, B1, C1 proposed or ideas, D1 approved without a business case)
    pmo = UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    UserFactory(username="sam", first_name="Sam", last_name="Steering", roles=["Steering member"])
    world = build_world(pmo)
    world["C1"].sponsor = pmo
    world["C1"].save()

    # when the PMO creates a scenario for 2027-2028 with a total limit of 700 in 2027
    login(page, "pat")
    page.get_by_role("link", name="Planning").click()
    page.get_by_role("link", name="Scenarios").click()
    page.get_by_label("Name").fill("Lean 2027")
    page.get_by_label("First year").fill("2027")
    page.get_by_label("Years").fill("2")
    page.get_by_role("button", name="Create the scenario").click()
    expect(page.get_by_role("heading", name="Lean 2027")).to_be_visible()
    page.get_by_label("2027 total limit").fill("700")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("Scenario saved")).to_be_visible()

    # and solves it
    page.get_by_role("button", name="Solve").click()

    # then the answer funds A1, B1 and C1 and says why D1 is out
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Proven optimal")
    expect(answer).to_contain_text("190")
    decisions = page.locator("#decisions")
    expect(decisions).to_contain_text("Would break 2027 total cost: 500 over the 700 limit")

    # and the frontier draws as a chart with its table
    page.get_by_role("button", name="Draw the frontier").click()
    expect(page.locator("#frontier .js-plotly-plot")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenario.png"), full_page=True)

    # when a steering member approves it as the plan, with a rationale
    page.context.clear_cookies()
    login(page, "sam")
    scenario = Scenario.objects.get(name="Lean 2027")
    page.goto(f"/planning/scenarios/{scenario.pk}/")
    page.get_by_text("Approve this plan…").click()
    page.get_by_label("Why this plan (recorded)").fill("Portfolio board, 1 December")
    page.get_by_role("button", name="Yes, make it the plan").click()

    # then it is the plan, the stages followed, and the decision log has it
    expect(page.get_by_text("is now the approved plan")).to_be_visible()
    assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.APPROVED
    assert dict(Initiative.objects.values_list("code", "stage")) == {
        "A1": "approved",
        "B1": "approved",
        "C1": "approved",
        "D1": "proposed",
        "L1": "live",
    }
    page.goto("/steering/decisions/portfolio/")
    expect(page.get_by_text("Plan approved: Lean 2027")).to_be_visible()
    page.watch.assert_clean()
