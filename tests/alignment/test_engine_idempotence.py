"""Recomputing is idempotent and rebuildable, and a partial recompute matches the full one."""

from __future__ import annotations

from typing import Any

import pytest

from alignment import services
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from steering.models import RAG
from tests.alignment.engine_support import TODAY, D, build_example, delete_computed_rows
from tests.factories import CheckpointReviewFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


TIMESTAMPS = {"computed_at", "first_seen", "last_seen"}


def computed_rows(*, ignore: set[str] = TIMESTAMPS) -> dict[str, list[dict[str, Any]]]:
    """Every computed row, all columns but the ignored ones, in a stable order."""

    def rows(model: Any, order: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in row.items() if k not in ignore}
            for row in model.objects.order_by(order).values()
        ]

    return {
        "initiative_scores": rows(InitiativeScore, "initiative_id"),
        "kpi_scores": rows(KPIScore, "kpi_id"),
        "objective_scores": rows(ObjectiveScore, "objective_id"),
        "portfolio_indices": rows(PortfolioIndex, "date"),
        "signals": rows(Signal, "key"),
    }


def test_recomputing_twice_gives_identical_rows():
    # given
    build_example()
    services.recompute(today=TODAY)
    first = computed_rows(ignore=TIMESTAMPS)
    first_seen = dict(Signal.objects.values_list("key", "first_seen"))

    # when
    services.recompute(today=TODAY)

    # then: same rows, same ids, and each signal keeps when it was first raised
    assert computed_rows(ignore=TIMESTAMPS) == first
    assert dict(Signal.objects.values_list("key", "first_seen")) == first_seen


def test_deleting_the_computed_rows_and_recomputing_restores_them_identically():
    # given
    build_example()
    services.recompute(today=TODAY)
    before = computed_rows(ignore=TIMESTAMPS | {"id"})

    # when
    delete_computed_rows()
    assert computed_rows() == {k: [] for k in before}
    services.recompute(today=TODAY)

    # then
    assert computed_rows(ignore=TIMESTAMPS | {"id"}) == before


def test_a_single_initiative_recompute_gives_the_same_scores_as_the_full_one():
    # given: the full recompute's rows for CHK-1
    x = build_example()
    services.recompute(today=TODAY)
    full = computed_rows(ignore=TIMESTAMPS | {"id"})

    # when: its rows are deleted and only CHK-1 is recomputed
    delete_computed_rows()
    summary = services.recompute(initiative_ids=[x["chk"].pk], today=TODAY)

    # then
    assert summary == services.RecomputeSummary(initiatives=1, kpis=2, signals=5, portfolio=False)
    alone = computed_rows(ignore=TIMESTAMPS | {"id"})
    assert alone["initiative_scores"] == [
        r for r in full["initiative_scores"] if r["initiative_id"] == x["chk"].pk
    ]
    assert alone["kpi_scores"] == full["kpi_scores"]
    assert alone["signals"] == [r for r in full["signals"] if r["initiative_id"] == x["chk"].pk]
    assert alone["objective_scores"] == alone["portfolio_indices"] == []


def test_a_recompute_after_a_change_rewrites_only_what_changed():
    # given
    x = build_example()
    services.recompute(today=TODAY)
    before: dict[int, Any] = dict(InitiativeScore.objects.values_list("initiative_id", "computed_at"))

    # when: SRCH-1's review turns red on cost
    CheckpointReviewFactory(initiative=x["srch"], held_on=D(2026, 11, 1), rag_cost=RAG.RED)
    services.recompute(today=TODAY)

    # then
    after: dict[int, Any] = dict(InitiativeScore.objects.values_list("initiative_id", "computed_at"))
    assert after[x["chk"].pk] == before[x["chk"].pk]
    assert after[x["srch"].pk] > before[x["srch"].pk]
    assert InitiativeScore.objects.get(pk=x["srch"].pk).delivery == 91.67
