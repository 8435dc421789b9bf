"""The engine's own migrations go back and forth without losing what the pages read."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOW = datetime.datetime(2026, 11, 21, 6, 0, tzinfo=datetime.UTC)


def migrate(app: str, name: str) -> Apps:
    return MigrationExecutor(connection).migrate([(app, name)]).apps


def latest() -> Apps:
    executor = MigrationExecutor(connection)
    return executor.migrate(executor.loader.graph.leaf_nodes()).apps


def initiative(apps: Apps, code: str) -> Any:
    Initiative = apps.get_model("portfolio", "Initiative")
    return Initiative.objects.create(code=code, title=code, category="grow", stage="in_delivery")


def test_explanations_on_demand_migrate_back_into_the_score_rows_and_forward_again():
    try:
        # given: score rows as the engine stores them now, one computed and one only marked stale
        apps = latest()
        InitiativeScore = apps.get_model("alignment", "InitiativeScore")
        computed = InitiativeScore.objects.create(
            initiative=initiative(apps, "A-1"),
            fit=100.0,
            alignment=84.54,
            missing={"outcome": "no contribution names a KPI"},
            fit_points=[[7, 75.0], [9, 25.0]],
            slip_days=36,
            slip_ratio=0.1,
            overrun=0.12,
            digest="abc",
            stale=False,
            computed_at=NOW,
        )
        marked = InitiativeScore.objects.create(initiative=initiative(apps, "B-1"), stale=True)

        # when: migrated back to the layout that stored explanations
        old = migrate("alignment", "0017_stored_dashboard")

        # then: the explanation holds the facts in its old places, and the next recompute rewrites it whole
        OldScore = old.get_model("alignment", "InitiativeScore")
        row = OldScore.objects.get(pk=computed.pk)
        assert row.explanation == {
            "fit": {"terms": [{"objective": 7, "points": 75.0}, {"objective": 9, "points": 25.0}]},
            "delivery": {"slip_days": 36, "slip_ratio": 0.1, "overrun": 0.12},
            "missing": {"outcome": "no contribution names a KPI"},
        }
        assert row.missing == ["outcome"]
        assert row.digest == ""
        assert OldScore.objects.get(pk=marked.pk).explanation == {}

        # when: forward again
        InitiativeScore = latest().get_model("alignment", "InitiativeScore")

        # then: the same facts
        row = InitiativeScore.objects.get(pk=computed.pk)
        assert (row.missing, row.fit_points, row.slip_days, row.slip_ratio, row.overrun) == (
            {"outcome": "no contribution names a KPI"},
            [[7, 75.0], [9, 25.0]],
            36,
            0.1,
            0.12,
        )
        row = InitiativeScore.objects.get(pk=marked.pk)
        assert (row.missing, row.fit_points, row.slip_days) == ({}, [], None)
    finally:
        latest()
