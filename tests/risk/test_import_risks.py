"""Importing risks (by initiative code + title): the risk form's rules, owners by username, a title used twice
on one initiative refused as ambiguous, and the risk register's export importing back unchanged."""

from __future__ import annotations

import datetime

from django.urls import reverse

from risk.models import Risk
from tests.export_support import body
from tests.factories import InitiativeFactory, RiskFactory
from tests.portfolio.import_support import csv_file, problems, run_import

D = datetime.date


def test_risks_are_added_and_rescored_by_initiative_and_title(db, pmo, manager, executive, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC))
    initiative = InitiativeFactory(code="ECOM-1", sponsor=executive)
    RiskFactory(initiative=initiative, title="Vendor late", probability=2, impact=2)
    content = csv_file(
        ["initiative", "title", "category", "probability", "impact", "owner", "status", "review_date"],
        ["ECOM-1", "Vendor late", "vendor", "4", "5", "manager", "open", "01.12.2026"],
        ["ECOM-1", "Key person leaves", "people", "2", "3", "", "open", ""],
    )

    outcome = run_import("risks", content, pmo, filename="risks.csv")

    assert (outcome.created, outcome.updated, outcome.problem_count) == (1, 1, 0)
    assert sorted(
        Risk.objects.values_list("title", "probability", "impact", "owner__username", "review_date")
    ) == [
        ("Key person leaves", 2, 3, None, None),
        ("Vendor late", 4, 5, "manager", D(2026, 12, 1)),
    ]
    assert set(
        Risk.history.filter(history_change_reason="Imported from risks.csv").values_list("title", flat=True)
    ) == {
        "Vendor late",
        "Key person leaves",
    }


def test_risk_rules_and_an_ambiguous_title_are_reported_at_their_rows(db, pmo, executive):
    initiative = InitiativeFactory(code="ECOM-1", sponsor=executive)
    RiskFactory(initiative=initiative, title="Twice")
    RiskFactory(initiative=initiative, title="Twice")
    content = csv_file(
        ["initiative", "title", "probability", "impact"],
        ["ECOM-1", "Twice", "3", "3"],
        ["ECOM-1", "Too likely", "9", "3"],
    )

    outcome = run_import("risks", content, pmo)

    assert problems(outcome) == [
        [
            2,
            "title",
            "Twice",
            "Initiative ECOM-1 has more than one risk with this title: rename one of them on its page first.",
        ],
        [3, "probability", "9", "Ensure this value is less than or equal to 5. Allowed: 1, 2, 3, 4, 5."],
    ]


def test_the_risk_registers_export_imports_back_unchanged(db, client, pmo, executive):
    initiative = InitiativeFactory(code="ECOM-1", sponsor=executive)
    RiskFactory(initiative=initiative, title="Vendor late", mitigation="-hedge")
    client.force_login(pmo)
    content = body(client.get(reverse("risk:risk-export", args=["csv"])))

    outcome = run_import("risks", content, pmo)

    assert (outcome.rows, outcome.unchanged, outcome.problem_count) == (1, 1, 0)
    assert Risk.history.count() == 1
