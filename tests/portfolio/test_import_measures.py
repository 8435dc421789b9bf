"""Importing KPIs (by objective code + name) and readings (by objective code + KPI name + date): the KPI and
reading forms' rules, references to objectives and KPIs that must exist, and exports that import back."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import KPI, Reading
from tests.export_support import body
from tests.factories import KPIFactory, ReadingFactory
from tests.portfolio.import_support import csv_file, problems, run_import

D = datetime.date
KPI_HEADER = [
    "objective",
    "name",
    "unit",
    "direction",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
]


def test_kpis_are_created_under_their_objectives_and_updated_by_name(today, pmo, objective):
    KPIFactory(objective=objective, name="Conversion rate", unit="%")
    content = csv_file(
        KPI_HEADER,
        ["O1", "Conversion rate", "percent", "increase", "2", "2025-01-01", "3", "2027-01-01"],
        ["O1", "Basket size", "EUR", "increase", "40", "01/01/2025", "48", "31.12.2027"],
    )

    outcome = run_import("kpis", content, pmo, filename="kpis.csv")

    assert (outcome.created, outcome.updated, outcome.problem_count) == (1, 1, 0)
    assert sorted(KPI.objects.values_list("name", "unit", "baseline_value", "target_date")) == [
        ("Basket size", "EUR", Decimal("40.0000"), D(2027, 12, 31)),
        ("Conversion rate", "percent", Decimal("2.0000"), D(2027, 1, 1)),
    ]


def test_kpi_rules_and_unknown_objectives_are_reported_at_their_rows(today, pmo, objective):
    content = csv_file(
        KPI_HEADER,
        ["O1", "Backwards", "%", "increase", "5", "2025-01-01", "3", "2027-01-01"],
        ["NOPE", "Orphan", "%", "increase", "1", "2025-01-01", "3", "2027-01-01"],
        ["O1", "Sideways", "%", "upwards", "1", "2025-01-01", "3", "2027-01-01"],
    )

    outcome = run_import("kpis", content, pmo)

    assert problems(outcome) == [
        [2, "target_value", "3", "Higher is better, so the target cannot be below the baseline."],
        [3, "objective", "NOPE", "No objective has the code “NOPE”."],
        [
            4,
            "direction",
            "upwards",
            "Select a valid choice. upwards is not one of the available choices. Allowed: increase, decrease.",
        ],
    ]
    assert not KPI.objects.exists()


def test_readings_are_recorded_by_kpi_and_date_and_entered_by_the_importer(today, pmo, kpi):
    content = csv_file(
        ["objective", "kpi", "date", "value", "source"],
        ["O1", "Conversion rate", "31/03/2026", "12.5", "Web analytics"],
        ["O1", "Conversion rate", "30.06.2026", "13", ""],
    )

    outcome = run_import("readings", content, pmo)

    assert (outcome.created, outcome.problem_count) == (2, 0)
    assert list(Reading.objects.order_by("date").values_list("date", "value", "source", "entered_by")) == [
        (D(2026, 3, 31), Decimal("12.5000"), "Web analytics", pmo.pk),
        (D(2026, 6, 30), Decimal("13.0000"), "", pmo.pk),
    ]


def test_a_reading_of_an_unknown_kpi_in_the_future_or_twice_is_refused(today, pmo, kpi):
    content = csv_file(
        ["objective", "kpi", "date", "value"],
        ["O1", "Nothing like it", "2026-03-31", "1"],
        ["O1", "Conversion rate", "2027-01-01", "1"],
        ["O1", "Conversion rate", "2026-03-31", "1"],
        ["O1", "Conversion rate", "31/03/2026", "2"],
    )

    outcome = run_import("readings", content, pmo)

    assert problems(outcome) == [
        [2, "kpi", "Nothing like it", "No KPI is named “Nothing like it” under objective “O1”."],
        [3, "date", "2027-01-01", "A reading cannot be dated in the future."],
        [
            5,
            "date",
            "31/03/2026",
            "Row 4 has the same objective + kpi + date; each may appear once in a file.",
        ],
    ]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("kind", "url"), [("kpis", "portfolio:kpi-export"), ("readings", "portfolio:reading-export")]
)
def test_an_export_of_kpis_or_readings_imports_back_unchanged(today, client, pmo, kpi, kind, url):
    ReadingFactory(kpi=kpi, date=D(2026, 3, 31), value=Decimal("12.25"), source="=formula-like")
    client.force_login(pmo)
    content = body(client.get(reverse(url, args=["xlsx"])))
    history = KPI.history.count() + Reading.history.count()

    outcome = run_import(kind, content, pmo, filename=f"{kind}.xlsx")

    assert (outcome.rows, outcome.unchanged, outcome.problem_count) == (1, 1, 0)
    assert KPI.history.count() + Reading.history.count() == history
