"""Importing milestones (by initiative code + name) and contributions (by initiative code + objective code):
the milestone and contribution forms' rules, and what the services stamp (a forecast's time)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from portfolio.models import Contribution, Milestone, ObjectiveStatus
from tests.export_support import body
from tests.factories import ContributionFactory, KPIFactory, MilestoneFactory, ObjectiveFactory
from tests.portfolio.import_support import csv_file, problems, run_import

D = datetime.date
RATIONALE = "The new checkout removes the two steps where most shoppers abandon their basket."


def test_milestones_are_added_and_updated_by_initiative_and_name(today, pmo, initiative):
    MilestoneFactory(initiative=initiative, name="Design", baseline_date=D(2026, 3, 1))
    content = csv_file(
        ["initiative", "name", "baseline_date", "forecast_date"],
        ["ECOM-1", "Design", "2026-03-01", "2026-04-15"],
        ["ECOM-1", "Go-live", "30/09/2026", ""],
    )

    outcome = run_import("milestones", content, pmo)

    assert (outcome.created, outcome.updated, outcome.problem_count) == (1, 1, 0)
    design = Milestone.objects.get(name="Design")
    stamped = design.forecast_updated_at
    assert stamped is not None
    assert (design.forecast_date, stamped.replace(second=0, microsecond=0)) == (
        D(2026, 4, 15),
        datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC),
    )
    assert Milestone.objects.get(name="Go-live").baseline_date == D(2026, 9, 30)


def test_a_milestone_of_an_unknown_initiative_is_refused_at_its_row(today, pmo, initiative):
    content = csv_file(["initiative", "name", "baseline_date"], ["NOPE-1", "Design", "2026-03-01"])

    outcome = run_import("milestones", content, pmo)

    assert problems(outcome) == [[2, "initiative", "NOPE-1", "No initiative has the code “NOPE-1”."]]
    assert not Milestone.objects.exists()


def test_an_export_of_milestones_imports_back_unchanged(today, client, pmo, initiative):
    MilestoneFactory(initiative=initiative, name="Design", baseline_date=D(2026, 3, 1))
    client.force_login(pmo)
    content = body(client.get(reverse("portfolio:milestone-export", args=["csv"]), {"state": ""}))

    outcome = run_import("milestones", content, pmo)

    assert (outcome.rows, outcome.unchanged, outcome.problem_count) == (1, 1, 0)
    assert Milestone.history.count() == 1


def test_contributions_link_initiatives_to_objectives_with_a_kpi_of_their_branch(today, pmo, initiative, kpi):
    content = csv_file(
        ["initiative", "objective", "strength", "rationale", "kpi", "expected_change"],
        ["ECOM-1", "T1", "strong", RATIONALE, "Conversion rate", "0.5"],
    )

    outcome = run_import("contributions", content, pmo)

    assert (outcome.created, outcome.problem_count) == (1, 0)
    link = Contribution.objects.get()
    assert (link.objective.code, link.strength, link.kpi, link.expected_change) == (
        "T1",
        "strong",
        kpi,
        Decimal("0.5000"),
    )


def test_contribution_rules_are_the_forms(today, pmo, initiative, objective):
    other = ObjectiveFactory(code="T2", title="Other theme")
    KPIFactory(objective=other, name="Elsewhere")
    ObjectiveFactory(code="OLD", title="Retired", status=ObjectiveStatus.RETIRED)
    content = csv_file(
        ["initiative", "objective", "strength", "rationale", "kpi", "expected_change"],
        ["ECOM-1", "O1", "strong", "Because.", "", ""],
        ["ECOM-1", "T1", "strong", RATIONALE, "Elsewhere", ""],
        ["ECOM-1", "OLD", "weak", RATIONALE, "", ""],
        ["ECOM-1", "T2", "weak", RATIONALE, "", "3"],
    )

    outcome = run_import("contributions", content, pmo)

    found = problems(outcome)
    assert [row[:3] for row in found] == [
        [2, "rationale", "Because."],
        [3, "kpi", "Elsewhere"],
        [4, "objective", "OLD"],
        [5, "expected_change", "3"],
    ]
    assert found[1][3] == "The objective has no KPI named “Elsewhere” (nor has any objective below it)."
    assert found[2][3] == "No active objective has the code “OLD”."
    assert found[3][3] == "An expected change needs the KPI it applies to."
    assert not Contribution.objects.exists()


def test_a_contribution_to_an_objective_since_retired_is_kept_and_unchanged(
    today, pmo, initiative, objective
):
    ContributionFactory(initiative=initiative, objective=objective, rationale=RATIONALE, strength="weak")
    objective.status = ObjectiveStatus.RETIRED
    objective.save()
    content = csv_file(
        ["initiative", "objective", "strength", "rationale"], ["ECOM-1", "O1", "weak", RATIONALE]
    )

    outcome = run_import("contributions", content, pmo)

    assert (outcome.unchanged, outcome.problem_count) == (1, 0)
