"""A PMO analyst logs in, registers an initiative, links it to an objective and finds it in the register."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portfolio.models import Contribution, Initiative
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import InitiativeFactory, ObjectiveFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pmo_creates_an_initiative_with_a_contribution_and_finds_it_in_the_register(page):
    # given a PMO analyst, an executive who can sponsor, an objective and some other initiatives
    UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    UserFactory(username="cfo", first_name="Carla", last_name="Finance", roles=["Executive"])
    objective = ObjectiveFactory(code="O1.1", title="Cut cart abandonment by 20%")
    for n in range(3):
        InitiativeFactory(code=f"OLD-{n}", title=f"Existing initiative {n}")

    # when the analyst logs in and registers a new initiative
    login(page, "pat")
    expect(page.get_by_role("heading", name="Portfolio dashboard")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Initiatives").click()
    page.get_by_role("link", name="New initiative").click()
    page.get_by_label("Code").fill("ECOM-42")
    page.get_by_label("Title").fill("One-page checkout")
    page.get_by_label("Description").fill("Replace the four-step checkout with a single page.")
    page.get_by_label("Stage").select_option("approved")
    page.get_by_label("Sponsor").select_option(label="Carla Finance")
    page.get_by_label("Planned start").fill("2026-01-05")
    page.get_by_label("Planned end").fill("2026-09-30")
    page.get_by_label("Budget (capex)").fill("450000")
    page.get_by_label("Budget (opex)").fill("60000")
    page.get_by_role("button", name="Save initiative").click()

    # then the initiative page opens, and a contribution can be added from it
    expect(page.get_by_text("Initiative ECOM-42 registered.")).to_be_visible()
    expect(page.get_by_role("heading", name="One-page checkout")).to_be_visible()
    page.get_by_role("link", name="Add contribution").click()
    page.get_by_label("Objective").select_option(label=str(objective))
    page.get_by_label("Strength").select_option("strong")
    page.get_by_label("Rationale").fill(
        "A shorter checkout removes the steps where most carts are abandoned."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Contribution added.")).to_be_visible()
    expect(page.locator("#contributions")).to_contain_text("Cut cart abandonment by 20%")
    expect(page.locator("#contributions")).to_contain_text("Strong")

    # and the register finds it by a search term, swapping only the results
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Initiatives").click()
    page.wait_for_url(re.compile(r"/initiatives/$"))  # loaded, so htmx listens before we type
    page.get_by_label("Search").fill("checkout")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("ECOM-42")
    expect(page).to_have_url(re.compile(r"q=checkout"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "register-search.png"), full_page=True)
    page.watch.assert_clean()

    initiative = Initiative.objects.get(code="ECOM-42")
    assert initiative.budget_total == 510000
    assert list(
        Contribution.objects.filter(initiative=initiative).values_list("objective__code", "strength")
    ) == [("O1.1", "strong")]


def test_invalid_initiative_shows_the_error_next_to_the_field_and_saves_nothing(page):
    # given a PMO analyst
    UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    login(page, "pat")

    # when they save an initiative whose planned end is before its start
    page.goto("/initiatives/new/")
    page.get_by_label("Code").fill("BAD-1")
    page.get_by_label("Title").fill("Backwards plan")
    page.get_by_label("Planned start").fill("2026-09-01")
    page.get_by_label("Planned end").fill("2026-01-01")
    page.get_by_role("button", name="Save initiative").click()

    # then the message sits next to the planned end field and nothing was saved
    expect(page.locator("#id_planned_end_error")).to_have_text(
        "The planned end cannot be before the planned start."
    )
    expect(page.locator("#id_planned_end")).to_have_class(re.compile("is-invalid"))
    assert not Initiative.objects.filter(code="BAD-1").exists()
