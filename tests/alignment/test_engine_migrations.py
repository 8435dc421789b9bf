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


def test_the_score_history_migrates_back_into_daily_copies_and_forward_into_a_change_log():
    D = datetime.date
    days = [D(2026, 9, 30), D(2026, 10, 31), D(2026, 11, 20), D(2026, 11, 21)]
    try:
        # given: A-1 changed on 31 October; B-1 first recorded on 20 November; four days recorded
        apps = latest()
        ScoreHistory = apps.get_model("alignment", "ScoreHistory")
        HistoryDay = apps.get_model("alignment", "HistoryDay")
        a1, b1 = initiative(apps, "A-1"), initiative(apps, "B-1")
        HistoryDay.objects.bulk_create(HistoryDay(date=day) for day in days)

        def row(who: Any, date: datetime.date, until: datetime.date | None, fit: float) -> Any:
            terms = {"fit": {"terms": [{"objective": 7, "points": fit}]}}
            return ScoreHistory(
                initiative=who,
                date=date,
                until=until,
                fit=fit,
                alignment=fit / 2,
                budget=1.0,
                explanation=terms,
            )

        ScoreHistory.objects.bulk_create(
            [row(a1, days[0], days[1], 40.0), row(a1, days[1], None, 60.0), row(b1, days[2], None, 80.0)]
        )
        change_log = sorted(ScoreHistory.objects.values_list("initiative_id", "date", "until", "fit"))

        # when: migrated back to daily copies
        old = migrate("alignment", "0018_explanation_on_demand")

        # then: a row for every recorded day from each initiative's first
        copies = sorted(
            old.get_model("alignment", "ScoreHistory").objects.values_list("initiative_id", "date", "fit")
        )
        assert copies == sorted(
            [
                (a1.pk, days[0], 40.0),
                *[(a1.pk, day, 60.0) for day in days[1:]],
                (b1.pk, days[2], 80.0),
                (b1.pk, days[3], 80.0),
            ]
        )

        # when: forward again
        apps = latest()

        # then: the same change log and days
        ScoreHistory = apps.get_model("alignment", "ScoreHistory")
        assert sorted(ScoreHistory.objects.values_list("initiative_id", "date", "until", "fit")) == change_log
        assert list(apps.get_model("alignment", "HistoryDay").objects.values_list("date", flat=True)) == days
    finally:
        latest()
