"""Portfolio migrations 0012 and 0013: the single-figure fields become business case lines, and back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

D = datetime.date
BENEFIT = "Expected annual benefit (entered before business cases)"


def migrate(name: str) -> Apps:
    return MigrationExecutor(connection).migrate([("portfolio", name)]).apps


def latest() -> Apps:
    """Migrate to the leaves and return their models as a fresh state renders them: the state the executor
    returns has been re-rendered step by step, and a model given a new reverse relation on the way (a benefit
    plan's line) may sit beside related models that still point at its earlier class."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(leaves)
    return MigrationExecutor(connection).loader.project_state(leaves).apps


def lines_of(apps: Apps, code: str) -> list[tuple[str, str, list[tuple[int, Decimal]]]]:
    Line = apps.get_model("portfolio", "BusinessCaseLine")
    out = []
    for line in Line.objects.filter(case__initiative__code=code).order_by("position"):
        amounts = list(line.amounts.order_by("year").values_list("year", "amount"))
        out.append((line.kind, line.label, amounts))
    return out


def test_budgets_and_the_expected_benefit_become_lines_and_come_back():
    try:
        # given: initiatives as they stood before business cases
        old = migrate("0011_business_cases")
        Initiative = old.get_model("portfolio", "Initiative")

        def make(code: str, **values: Any) -> None:
            Initiative.objects.create(code=code, title=code, category="grow", stage="approved", **values)

        make(
            "A-1",
            planned_start=D(2026, 3, 1),
            planned_end=D(2027, 6, 30),
            budget_capex=Decimal("250000"),
            budget_opex=Decimal("30000.01"),
            expected_annual_benefit=Decimal("120000"),
        )
        make(
            "B-1",
            planned_start=D(2025, 1, 1),
            planned_end=D(2026, 12, 31),
            go_live_date=D(2026, 5, 1),
            expected_annual_benefit=Decimal("5000"),
        )
        make("C-1", planned_start=D(2026, 1, 1))
        make(
            "D-1",
            planned_start=D(2026, 1, 1),
            planned_end=D(2032, 1, 1),
            expected_annual_benefit=Decimal("1000"),
        )

        # when: migrated to today's layout
        new = latest()

        # then: the budget seeds the cost lines, the benefit a cost-saving line to the horizon's end
        assert lines_of(new, "A-1") == [
            ("capex", "Budget (capex)", [(2026, Decimal("250000.0000"))]),
            ("opex", "Budget (opex)", [(2026, Decimal("15000.0000")), (2027, Decimal("15000.0100"))]),
            ("cost_saving", BENEFIT, [(year, Decimal("120000.0000")) for year in (2028, 2029, 2030)]),
        ]
        # from the year after go-live, to the last year of the horizon from 2025 (2029)
        assert lines_of(new, "B-1") == [
            ("cost_saving", BENEFIT, [(year, Decimal("5000.0000")) for year in (2027, 2028, 2029)])
        ]
        # a benefit after the horizon keeps its one year, ignored by the figures and listed
        assert lines_of(new, "D-1") == [("cost_saving", BENEFIT, [(2033, Decimal("1000.0000"))])]
        BusinessCase = new.get_model("portfolio", "BusinessCase")
        assert not BusinessCase.objects.filter(initiative__code="C-1").exists()
        # the figures under the default policy: flows −265,000, −15,000.01, 120,000 × 3 at 8 %
        case = BusinessCase.objects.get(initiative__code="A-1")
        assert (case.first_year, case.policy_version, case.npv, case.total_cost, case.total_benefit) == (
            2026,
            1,
            Decimal("7455.21"),
            Decimal("280000.01"),
            Decimal("360000.00"),
        )
        assert BusinessCase.objects.get(initiative__code="D-1").npv == Decimal("0.00")
        # the seeding is in the audit trail
        History = new.get_model("portfolio", "HistoricalBusinessCaseLine")
        assert History.objects.filter(history_type="+").count() == 5

        # when: migrated back
        old = migrate("0011_business_cases")

        # then: the benefit is on the initiatives again
        Initiative = old.get_model("portfolio", "Initiative")
        assert dict(Initiative.objects.values_list("code", "expected_annual_benefit")) == {
            "A-1": Decimal("120000.00"),
            "B-1": Decimal("5000.00"),
            "C-1": Decimal("0.00"),
            "D-1": Decimal("1000.00"),
        }
    finally:
        latest()
