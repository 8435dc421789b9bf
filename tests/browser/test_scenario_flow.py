"""A planning round through the pages: the PMO creates a scenario that maximises NPV under a budget limit, solves
it, reads why an initiative is out, draws the efficient frontier; a steering member approves the answer as the plan, and the
stages follow and the decision is in the log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from planning.models import Scenario, ScenarioStatus
from portfolio.models import Initiative
from portfolio.services.business_cases import LineInput, business_case_save
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


CASES = {  # capex and revenue, all in 2027 (year 0 of the case): the NPV is their difference
    "P1": (300, 500),  # NPV 200
    "P2": (200, 350),  # NPV 150
    "P3": (100, 180),  # NPV 80
    "P4": (600, 700),  # NPV 100
}


def test_a_scenario_is_solved_explained_and_approved_as_the_plan(page):
    # given four proposals with business cases for 2027 (their NPVs are not recomputed by the engine)
    pmo = UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    UserFactory(username="sam", first_name="Sam", last_name="Steering", roles=["Steering member"])
    for code, (capex, revenue) in CASES.items():
        initiative = InitiativeFactory(code=code, stage="proposed", actual_start=None)
        business_case_save(
            user=pmo,
            initiative_id=initiative.pk,
            version=None,
            first_year=2027,
            lines=[
                LineInput("capex", "Build", {2027: Decimal(capex)}),
                LineInput("revenue", "Sales", {2027: Decimal(revenue)}),
            ],
        )

    # when the PMO creates a scenario for 2027-2028 with a total limit of 700 in 2027
    login(page, "pat")
    page.get_by_role("link", name="Planning").click()
    page.get_by_role("link", name="Scenarios").click()
    page.get_by_label("Name").fill("Lean 2027")
    page.get_by_label("First year").fill("2027")
    page.get_by_label("Years").fill("2")
    page.get_by_label("Maximise").select_option("npv")
    page.get_by_role("button", name="Create the scenario").click()
    expect(page.get_by_role("heading", name="Lean 2027")).to_be_visible()
    page.get_by_label("2027 total limit").fill("700")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("Scenario saved")).to_be_visible()

    # and solves it
    page.get_by_role("button", name="Solve").click()

    # then the answer funds P1, P2 and P3 (NPV 430) and says why P4 is out
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Proven optimal")
    expect(answer).to_contain_text("430")
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
        "P1": "approved",
        "P2": "approved",
        "P3": "approved",
        "P4": "proposed",
    }
    page.goto("/steering/decisions/portfolio/")
    expect(page.get_by_text("Plan approved: Lean 2027")).to_be_visible()
    page.watch.assert_clean()
