"""A PMO analyst drafts a change of strategy: re-weights the themes by pairwise comparison (the weights and the
consistency ratio shown as the judgement is chosen), reads the what-if, and publishes the draft."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from planning.models import StrategyVersion, VersionStatus
from portfolio.models import Objective, Strength
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pmo_reweights_the_themes_pairwise_reads_the_what_if_and_publishes(page):
    # given a PMO analyst and two themes of equal weight, each served strongly by one initiative
    UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    grow = ObjectiveFactory(code="T1", title="Grow online")
    run = ObjectiveFactory(code="T2", title="Run stores")
    ContributionFactory(initiative=InitiativeFactory(code="ECOM-1"), objective=grow, strength=Strength.STRONG)
    ContributionFactory(initiative=InitiativeFactory(code="STORE-1"), objective=run, strength=Strength.STRONG)

    # when the analyst starts a draft
    login(page, "pat")
    page.get_by_role("link", name="Planning").click()
    page.get_by_label("Name of the draft").fill("Digital first")
    page.get_by_role("button", name="Start the draft").click()
    expect(page.get_by_role("heading", name="Version 1: Digital first")).to_be_visible()

    # and compares the themes: growing online strongly more important than running stores
    page.get_by_role("link", name="Strategic themes").click()
    page.wait_for_url("**/pairwise/themes/")
    page.wait_for_load_state("load")  # htmx has taken the form over (its script ends the page)
    page.get_by_label("T1 Grow online compared with T2 Run stores").select_option("5")

    # then the weights and the consistency ratio show as the judgement is chosen (htmx), before any save
    result = page.locator("#result")
    expect(result).to_contain_text("0.8333")
    expect(result).to_contain_text("consistency ratio 0.000")
    assert Objective.objects.get(code="T1").local_weight == Decimal("1.00")

    # when the weights are used in the draft, and the what-if run
    page.get_by_role("button", name="Use these weights in the draft").click()
    expect(page.get_by_text("Weights from the pairwise comparison saved")).to_be_visible()
    page.get_by_role("button", name="Run the what-if").click()

    # then STORE-1 loses fit (T2 is a fifth of T1), ECOM-1 keeps it
    whatif = page.locator("#whatif")
    expect(whatif).to_contain_text("0 gain")
    expect(whatif).to_contain_text("1 lose")
    expect(whatif).to_contain_text("STORE-1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "strategy-what-if.png"), full_page=True)

    # when it is published, confirmed under its button
    page.get_by_text("Publish version 1…").click()
    page.get_by_role("button", name="Yes, make version 1 the strategy").click()

    # then the objectives hold the draft's weights and the version is current
    expect(page.get_by_text("Version 1 is now the strategy")).to_be_visible()
    assert list(Objective.objects.order_by("code").values_list("local_weight", flat=True)) == [
        Decimal("83.33"),
        Decimal("16.67"),
    ]
    assert StrategyVersion.objects.get().status == VersionStatus.PUBLISHED
    page.watch.assert_clean()
