"""A PMO analyst reads the ranked candidates, opens a rank's explanation, raises urgency's weight as a new
version of the scoring model, sees the ranking reorder, and finds on the sensitivity view the threshold the
change crossed (the worked example of docs/planning-priorities.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from planning.models import ScoringModelVersion
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import UserFactory
from tests.planning.ranking_world import candidate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pmo_changes_a_weight_and_the_ranking_reorders_past_the_sensitivity_threshold(page):
    # given a PMO analyst and the four optional candidates of the worked example
    UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    for code in ("CRM", "ERP", "MOB", "DAT"):
        candidate(code)

    # when the analyst opens the priorities
    login(page, "pat")
    page.get_by_role("link", name="Planning").click()
    page.get_by_role("link", name="Priorities").first.click()

    # then ERP leads with 77.13, and DAT's explanation names its missing NPV
    rows = page.locator("table.priorities-table > tbody > tr")
    expect(rows.nth(0)).to_contain_text("ERP")
    expect(rows.nth(0)).to_contain_text("77.13")
    page.locator("#rank-DAT summary").click()
    expect(page.locator("#rank-DAT")).to_contain_text("missing: no business case NPV")

    # and the sensitivity shows urgency's first place changing at 0.557, MOB then leading
    page.get_by_role("link", name="Sensitivity").click()
    table = page.locator("#sensitivity-table")
    expect(table.locator("tr", has_text="Urgency")).to_contain_text("0.557 → MOB Mobile field app leads")
    expect(page.locator("#chart-sensitivity .main-svg").first).to_be_visible()

    # when the analyst saves version 2 with urgency weighing 1.2 (its share 0.585, past 0.557)
    page.get_by_role("link", name="Scoring model").click()
    page.locator("#id_weight_urgency").fill("1.2")
    page.get_by_label("Why the weights change").fill("Board: urgency counts more")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_text("Version 2 of the scoring model is now current.")).to_be_visible()
    assert ScoringModelVersion.objects.filter(number=2, created_by__username="pat").exists()

    # then the ranking reorders: MOB 77.62 before ERP 76.04
    page.get_by_role("link", name="Ranked list").click()
    expect(page.locator(".subtitle")).to_contain_text("version 2")
    expect(rows.nth(0)).to_contain_text("MOB")
    expect(rows.nth(0)).to_contain_text("77.62")
    expect(page.locator("#rank-ERP")).to_contain_text("76.04")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "priorities-reordered.png"), full_page=True)
    page.watch.assert_clean()
