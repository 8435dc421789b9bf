"""Intake as its people do it: an initiative manager submits a proposal for approval, a steering member returns it with a
reason, the manager reads the reason on the initiative page, answers it and resubmits, the steering member
approves it, and the decision log shows every decision."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.stages import Stage
from portfolio.models import Initiative
from steering.models import PortfolioDecision
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import UserFactory
from tests.planning.intake_support import an_idea, make_ready_for_approval

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def switch_to(page, username: str) -> None:
    page.wait_for_load_state("networkidle")  # the page's late requests (the bell) must not land after this
    page.context.clear_cookies()
    login(page, username)


def test_manager_submits_reviewer_returns_manager_resubmits_reviewer_approves(page):
    # given a proposal of Mo's whose business case holds what Approved requires, and Sam who sits on the
    # portfolio board
    mo = UserFactory(username="mo", first_name="Mo", last_name="Manager", roles=["Initiative manager"])
    UserFactory(username="sam", first_name="Sam", last_name="Steering", roles=["Steering member"])
    pmo = UserFactory(username="pat", roles=["PMO"])
    idea = make_ready_for_approval(an_idea(mo, code="ECOM-7", title="Gift finder", stage=Stage.PROPOSED), pmo)

    # when Mo submits it from its page
    login(page, "mo")
    page.goto(f"/initiatives/{idea.pk}/")
    page.wait_for_load_state("load")
    section = page.locator("#intake-section")
    expect(section).to_contain_text("Stage: Proposed")
    section.get_by_label("Note for the reviewers").fill("A three-month pilot")
    section.get_by_role("button", name="Submit for Approved").click()
    expect(page.get_by_text("ECOM-7 submitted for Approved: it awaits review.")).to_be_visible()

    # and Sam finds it awaiting review and returns it with a reason
    switch_to(page, "sam")
    page.goto("/planning/proposals/")
    page.get_by_role("link", name="ECOM-7").click()
    page.wait_for_load_state("load")
    page.get_by_label("Return for more").check()
    page.get_by_label("Rationale").fill("Name the vendor and the pilot stores")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("ECOM-7: returned for more.")).to_be_visible()

    # then Mo reads the reason on the initiative page, answers it and resubmits
    switch_to(page, "mo")
    page.goto(f"/initiatives/{idea.pk}/")
    page.wait_for_load_state("load")
    expect(section).to_contain_text("Reason: Name the vendor and the pilot stores")
    section.get_by_label("Note for the reviewers (what changed)").fill("Vendor: Acme; stores 4 and 9")
    section.get_by_role("button", name="Resubmit for Approved").click()
    expect(page.get_by_text("ECOM-7 submitted for Approved: it awaits review.")).to_be_visible()

    # and Sam approves it
    switch_to(page, "sam")
    page.goto("/planning/proposals/")
    page.get_by_role("link", name="ECOM-7").click()
    page.wait_for_load_state("load")
    history = page.locator(".intake-history")
    expect(history).to_contain_text("Returned for more")
    expect(history).to_contain_text("Vendor: Acme; stores 4 and 9")
    page.get_by_label("Approve: the stage moves on").check()
    page.get_by_label("Rationale").fill("Clear and small: go")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("ECOM-7: approved.")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "intake-proposal.png"), full_page=True)

    # then the stage moved, and the decision log shows both decisions, newest first
    assert Initiative.objects.get(pk=idea.pk).stage == Stage.APPROVED
    page.goto("/steering/decisions/portfolio/")
    rows = page.locator("table.decision-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Approved")
    expect(rows.nth(0)).to_contain_text("Clear and small: go")
    expect(rows.nth(1)).to_contain_text("Returned for more")
    assert list(PortfolioDecision.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "returned",
        "approved",
    ]
    page.watch.assert_clean()
