"""The risk register downloads as on its page: active risks worst first, its filters, typed and inert cells."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.export_support import csv_rows, download_counts, xlsx_cells
from tests.factories import InitiativeFactory, RiskFactory, UserFactory

HEADER = [
    "initiative",
    "title",
    "description",
    "category",
    "probability",
    "impact",
    "exposure",
    "owner",
    "mitigation",
    "status",
    "review_date",
]


@pytest.fixture
def risks(db):
    owner = UserFactory(username="rowan")
    crm = InitiativeFactory(code="CRM-2")
    erp = InitiativeFactory(code="ERP-1")
    RiskFactory(initiative=crm, title="Vendor slips", probability=4, impact=5, owner=owner, category="vendor",
                review_date=datetime.date(2026, 12, 1))  # fmt: skip
    RiskFactory(
        initiative=erp, title="=1+1", probability=2, impact=2, mitigation="@once", category="technical"
    )
    RiskFactory(initiative=erp, title="Old worry", probability=5, impact=5, status="closed")


def url(fmt: str) -> str:
    return reverse("risk:risk-export", args=[fmt])


def test_risk_csv_has_the_active_risks_worst_first(risks, client, executive):
    # given
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(url("csv")))

    # then
    assert rows == [
        HEADER,
        ["CRM-2", "Vendor slips", "", "vendor", "4", "5", "20", "rowan", "Weekly vendor stand-up.", "open",
         "2026-12-01"],
        ["ERP-1", "'=1+1", "", "technical", "2", "2", "4", "", "'@once", "open", ""],
    ]  # fmt: skip


def test_risk_xlsx_of_a_heat_map_cell_any_status(risks, client, pmo):
    # given
    client.force_login(pmo)

    # when
    rows = xlsx_cells(client.get(url("xlsx"), {"status": "", "probability": 5, "impact": 5}))

    # then
    assert [[cell.value for cell in row] for row in rows] == [
        HEADER,
        ["ERP-1", "Old worry", None, "delivery", 5, 5, 25, None, "Weekly vendor stand-up.", "closed", None],
    ]
    assert [rows[1][i].data_type for i in (4, 5, 6)] == ["n", "n", "n"]


def test_risk_export_refuses_a_bad_filter(risks, client, pmo):
    # given
    client.force_login(pmo)

    # when
    response = client.get(url("csv"), {"impact": "9"})

    # then
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_risk_export_queries_do_not_grow_with_the_rows(risks, client, executive, fmt):
    # given
    client.force_login(executive)
    small = download_counts(client, url(fmt))
    RiskFactory.create_batch(30, owner=UserFactory())

    # when
    large = download_counts(client, url(fmt))

    # then
    assert (small[1], large[1]) == (2, 32)
    assert large[0] == small[0]
