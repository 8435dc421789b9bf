"""A PMO analyst imports a spreadsheet: uploads it, keeps the matched columns, reads the dry run's problems
at their rows, and imports only the valid rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.models import ImportRun
from portfolio.models import Initiative
from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_accessibility import violations
from tests.factories import ProgramFactory, UserFactory
from tests.portfolio.import_support import csv_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pmo_imports_the_valid_rows_of_a_file_after_reading_the_dry_runs_problems(page, tmp_path):
    # given a PMO analyst, an executive, a program and a file with two good rows and three bad ones
    UserFactory(username="pat", first_name="Pat", last_name="Analyst", roles=["PMO"])
    UserFactory(username="cfo", first_name="Carla", last_name="Finance", roles=["Executive"])
    ProgramFactory(name="Digital commerce")
    path = tmp_path / "portfolio-2026.csv"
    path.write_bytes(
        csv_file(
            ["Code", "Name", "Programme", "Stage", "Sponsor", "Start", "End", "Budget CapEx"],
            [
                "ECOM-42",
                "One-page checkout",
                "Digital commerce",
                "approved",
                "cfo",
                "05/01/2026",
                "30.09.2026",
                "450000",
            ],
            ["DATA-7", "Customer data platform", "", "idea", "", "", "", ""],
            [
                "ECOM-43",
                "<b>Loyalty</b> app",
                "Digital commerse",
                "approved",
                "cfo",
                "2026-02-01",
                "2026-12-31",
                "-5",
            ],
            ["OPS-1", "Monitoring", "", "someday", "", "", "", ""],
            ["OPS-2", "Backups", "", "approved", "bob", "31st March", "", ""],
        )
    )

    # when the analyst uploads it and keeps the columns as matched
    login(page, "pat")
    page.goto("/initiatives/")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import from a spreadsheet")).to_be_visible()
    page.get_by_label("What the file holds").select_option("initiatives")
    page.get_by_label("File (.xlsx or .csv)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and match the columns").click()
    expect(page.get_by_role("heading", name="Match the columns")).to_be_visible()
    expect(page.get_by_label("Budget CapEx")).to_have_value("budget_capex")
    page.get_by_role("button", name="Check the file (dry run)").click()

    # then the dry run lists each problem at its row and column, and nothing is saved yet
    expect(page.get_by_text("Dry run: nothing has been saved yet")).to_be_visible()
    problems = page.locator("#import-problems tbody tr")
    expect(problems).to_have_count(7)
    expect(problems.first).to_contain_text("Digital commerse")
    expect(page.locator("#import-problems")).to_contain_text("No program is named “Digital commerse”.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-dry-run.png"), full_page=True)
    assert not Initiative.objects.exists()

    # and the three pages have no serious or critical accessibility violation
    run = ImportRun.objects.get()
    paths = ["/import/", f"/import/{run.pk}/mapping/", f"/import/{run.pk}/"]
    assert [problem for path in paths for problem in violations(page, path)] == []

    # and importing only the valid rows saves those two
    page.get_by_label("Only the valid rows; leave the rows with problems out").check()
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-summary")).to_contain_text("2 new initiatives added")
    assert sorted(Initiative.objects.values_list("code", flat=True)) == ["DATA-7", "ECOM-42"]
    page.watch.assert_clean()
