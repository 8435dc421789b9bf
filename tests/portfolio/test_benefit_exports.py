"""The benefit plan downloads (CSV and .xlsx): one row per plan and quarter with the actuals derived from KPI
readings as the pages derive them, and one row per plan with its realisation to date; the figures of the
worked example of docs/benefits.md, every typed cell inert, linked from the benefits view and the initiative's
benefit section, and a query count that does not grow with the plans."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.models import Initiative
from tests.benefit_support import EXAMPLE_NOW, plan, worked_example
from tests.export_support import csv_rows, xlsx_cells, xlsx_values
from tests.factories import InitiativeFactory, KPIFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
PLAN = ["initiative", "title", "line", "kind", "financial", "owner", "kpi", "source"]
KPI = "Support calls per 1,000 orders"


@pytest.fixture
def example(time_machine):
    time_machine.move_to(EXAMPLE_NOW, tick=False)
    ecom, crm = worked_example(ecom_label="Fewer support calls", crm_label="Upsell")
    Initiative.objects.filter(pk=ecom.pk).update(title="Checkout", sustainment_owner=ecom.sponsor)
    Initiative.objects.filter(pk=crm.pk).update(title="CRM")
    return ecom, crm


def _ecom(*rest: str) -> list[str]:
    return ["ECOM-1", "Checkout", "Fewer support calls", "cost_saving", "true", "erin", KPI, "derived", *rest]


CRM_REVENUE = ["CRM-2", "CRM", "Upsell", "revenue", "true", "", "", "entered"]
CRM_KPI = ["CRM-2", "CRM", "Saving", "non_financial", "false", "", KPI, "entered"]


def test_the_quarters_export_has_every_plan_quarter_with_derived_actuals_as_the_pages_have_them(
    client, executive, example
):
    # given the worked example on 10 January 2027
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(reverse("portfolio:benefit-plan-export", args=["csv"])))

    # then: by initiative code and line; ECOM-1's derived actuals are 12,345.67 x 0.3, 20,000 x 0.6, none
    # (no reading in 2026 Q3) and 20,000 x 1 (capped); the quarters to come have none
    assert rows == [
        [*PLAN, "year", "quarter", "expected", "actual", "actual_from"],
        [*CRM_REVENUE, "2026", "3", "10000.00", "5000.00", "entered"],
        [*CRM_REVENUE, "2026", "4", "10000.00", "7000.00", "entered"],
        [*CRM_REVENUE, "2027", "1", "10000.00", "", ""],
        [*CRM_KPI, "2026", "4", "3.0000", "2.0000", "entered"],
        _ecom("2026", "1", "12345.67", "3703.70", "derived"),
        _ecom("2026", "2", "20000.00", "12000.00", "derived"),
        _ecom("2026", "3", "20000.00", "", ""),
        _ecom("2026", "4", "20000.00", "20000.00", "derived"),
        _ecom("2027", "1", "20000.00", "", ""),
        _ecom("2027", "2", "20000.00", "", ""),
        _ecom("2027", "3", "20000.00", "", ""),
        _ecom("2027", "4", "20000.00", "", ""),
    ]


def test_the_realisation_export_has_the_worked_examples_figures(client, executive, example):
    # given
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(reverse("portfolio:benefit-summary-export", args=["csv"])))

    # then ECOM-1's figures are docs/benefits.md's; CRM-2 realised 12,000 of 20,000 (rate 0.6)
    assert rows[0] == [
        *PLAN,
        "as_of",
        "expected_to_date",
        "realised_to_date",
        "variance",
        "variance_pct",
        "realisation_rate_pct",
        "total_expected",
        "forecast",
        "forecast_variance",
        "quarters_lacking_actual",
        "forecast_confidence",
        "forecast_confidence_words",
    ]
    assert rows[1:] == [
        [*CRM_REVENUE, "2027-01-10", "20000.00", "12000.00", "-8000.00", "-40.0000", "60.0000", "30000.00",
         "18000.00", "-12000.00", "", "high",
         "High confidence: 2 quarters measured; 67% of the planned value to date."],
        [*CRM_KPI, "2027-01-10", "3.0000", "2.0000", "-1.0000", "-33.3333", "66.6667", "3.0000", "2.0000",
         "-1.0000", "", "high", "High confidence: every quarter of the plan has ended and been measured."],
        _ecom("2027-01-10", "72345.67", "35703.70", "-36641.97", "-50.6485", "49.3515", "152345.67",
              "75184.93", "-77160.74", "2026 Q3", "medium", "Medium confidence: 3 quarters measured; 47% of the planned value to date; 1 quarter to date lacking an actual."),
    ]  # fmt: skip


def test_the_workbooks_hold_numbers_as_numbers(client, executive, example):
    # given
    client.force_login(executive)

    # when
    quarters = xlsx_values(client.get(reverse("portfolio:benefit-plan-export", args=["xlsx"])))
    summary = xlsx_values(client.get(reverse("portfolio:benefit-summary-export", args=["xlsx"])))

    # then
    assert quarters[5] == [
        "ECOM-1", "Checkout", "Fewer support calls", "cost_saving", "true", "erin", KPI, "derived",
        2026, 1, 12345.67, 3703.7, "derived",
    ]  # fmt: skip
    assert summary[3][8:] == [
        datetime.datetime(2027, 1, 10), 72345.67, 35703.7, -36641.97, -50.6485, 49.3515, 152345.67, 75184.93, -77160.74, "2026 Q3",
        "medium", "Medium confidence: 3 quarters measured; 47% of the planned value to date; 1 quarter to date lacking an actual."
    ]  # fmt: skip


def test_one_initiatives_plans_are_exported_by_its_code(client, executive, example):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse("portfolio:benefit-summary-export", args=["csv"]), {"initiative": "ECOM-1"})

    # then
    assert response["Content-Disposition"] == 'attachment; filename="bearing-benefit-realisation-ECOM-1.csv"'
    assert [row[0] for row in csv_rows(response)] == ["initiative", "ECOM-1"]


def test_an_unknown_initiative_is_refused(client, executive, example):
    client.force_login(executive)
    response = client.get(reverse("portfolio:benefit-plan-export", args=["csv"]), {"initiative": "NOPE-9"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Invalid filters: initiative:")


@pytest.mark.parametrize("name", ["portfolio:benefit-plan-export", "portfolio:benefit-summary-export"])
def test_typed_text_is_inert_in_both_formats(client, executive, time_machine, name):
    # given a plan whose line, initiative, owner and KPI hold formulas and markup
    time_machine.move_to(EXAMPLE_NOW, tick=False)
    owner = UserFactory(username="@owner")
    initiative = InitiativeFactory(code="EVIL-1", title=SCRIPT)
    kpi = KPIFactory(name="+SUM(1,2)")
    plan(initiative, label=FORMULA, kpi=kpi, owner=owner, periods=[((2026, 1), "-1", "2")])
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(reverse(name, args=["csv"])))
    cells = xlsx_cells(client.get(reverse(name, args=["xlsx"])))

    # then every typed cell starts with a quote, and is text in the workbook
    assert rows[1][:8] == [
        "EVIL-1",
        SCRIPT,
        "'" + FORMULA,
        "cost_saving",
        "true",
        "'@owner",
        "'+SUM(1,2)",
        "entered",
    ]
    typed = cells[1][:8]
    assert [cell.value for cell in typed] == [
        "EVIL-1", SCRIPT, "'" + FORMULA, "cost_saving", "true", "'@owner", "'+SUM(1,2)", "entered"
    ]  # fmt: skip
    assert {cell.data_type for cell in typed} == {"s"}


def test_the_benefits_view_and_the_initiative_section_link_the_downloads(client, executive, example):
    # given
    ecom, _crm = example
    client.force_login(executive)

    # when
    view = client.get(reverse("alignment:benefits")).content.decode()
    section = client.get(reverse("portfolio:initiative-detail", args=[ecom.pk])).content.decode()

    # then
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)" download>', view)]
    assert [link for link in links if link.startswith("/benefit-plans/")] == [
        "/benefit-plans/export.csv",
        "/benefit-plans/export.xlsx",
        "/benefit-plans/realisation.csv",
        "/benefit-plans/realisation.xlsx",
    ]
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)" download>', section)]
    assert links == [
        "/benefit-plans/export.csv?initiative=ECOM-1",
        "/benefit-plans/export.xlsx?initiative=ECOM-1",
        "/benefit-plans/realisation.csv?initiative=ECOM-1",
        "/benefit-plans/realisation.xlsx?initiative=ECOM-1",
    ]


@pytest.mark.parametrize("name", ["portfolio:benefit-plan-export", "portfolio:benefit-summary-export"])
def test_the_exports_read_the_same_queries_whatever_the_number_of_plans(client, executive, example, name):
    # given
    client.force_login(executive)
    kpi = KPIFactory()
    url = reverse(name, args=["csv"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert b"".join(client.get(url).streaming_content)
        return len(captured)

    small = queries()
    for n in range(12):
        initiative = InitiativeFactory(go_live_date=example[0].go_live_date)
        plan(initiative, kpi=kpi, source="derived", periods=[((2026, 2), "100", None)])
        plan(initiative, kind="revenue", position=1, periods=[((2026, 2), "100", str(n))])

    # when
    large = queries()

    # then: the session, its user and their roles, then the plans, their quarters, and the contributions
    # and readings of the derived plans' KPIs
    assert large == small == 7
