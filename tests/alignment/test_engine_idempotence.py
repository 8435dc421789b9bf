"""Recomputing is idempotent and rebuildable, and a partial recompute matches the full one."""

from __future__ import annotations

import datetime
import weakref
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment import services
from alignment.engine import inputs
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from alignment.services import scores
from portfolio.models import Initiative
from risk.models import Risk
from steering.models import RAG
from tests.alignment.engine_support import TODAY, D, build_example, delete_computed_rows
from tests.factories import CheckpointReviewFactory, ContributionFactory, InitiativeFactory, RiskFactory

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


def test_a_second_run_on_the_same_day_with_nothing_changed_writes_no_score_row():
    # given: the example portfolio computed today
    build_example()
    services.recompute(today=TODAY)

    # when: recomputed again, nothing entered in between
    with CaptureQueriesContext(connection) as captured:
        services.recompute(today=TODAY)

    # then: not one statement writes a score row (nor an explanation: none is stored)
    table = InitiativeScore._meta.db_table
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if table in q["sql"] and q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert not any("explanation" in q["sql"] for q in captured.captured_queries)


def test_a_run_on_a_later_day_rewrites_only_the_scores_the_day_moves():
    # given: the example portfolio computed today, each row's fingerprint kept
    x = build_example()
    services.recompute(today=TODAY)
    before = dict(InitiativeScore.objects.values_list("initiative_id", "digest"))

    # when: recomputed the next day, nothing entered in between
    services.recompute(today=TODAY + datetime.timedelta(days=1))

    # then: SRCH-1 (nothing in its scores depends on the date: its checkpoint is within the cadence, its
    # milestones done) keeps its row; CHK-1, whose checkpoint is overdue and rollout forecast late, moves
    after = dict(InitiativeScore.objects.values_list("initiative_id", "digest"))
    assert after[x["srch"].pk] == before[x["srch"].pk]
    assert after[x["chk"].pk] != before[x["chk"].pk]


def test_a_recompute_in_chunks_gives_the_rows_of_one_in_a_single_chunk(monkeypatch):
    # given: the example portfolio and a few more initiatives, computed in one chunk
    x = build_example()
    for n in range(5):
        initiative = InitiativeFactory(code=f"X-{n}", stage=["in_delivery", "approved", "live"][n % 3])
        ContributionFactory(initiative=initiative, objective=x["o2"], strength="strong")
        RiskFactory(initiative=initiative, probability=4, impact=4, mitigation="")
    services.recompute(today=TODAY)
    whole = computed_rows(ignore=TIMESTAMPS | {"id"})

    # when: recomputed from nothing a chunk of two initiatives at a time, writing every three rows
    monkeypatch.setattr(scores, "CHUNK", 2)
    monkeypatch.setattr(scores, "FLUSH_ROWS", 3)
    delete_computed_rows()
    services.recompute(today=TODAY)

    # then: the same rows
    assert computed_rows(ignore=TIMESTAMPS | {"id"}) == whole

    # and when a high risk moves to an initiative of another chunk (written chunk by chunk), its signal
    # moves with it
    monkeypatch.setattr(scores, "FLUSH_ROWS", 1)
    risk = Risk.objects.filter(initiative__code="X-0").get()
    Risk.objects.filter(pk=risk.pk).update(initiative=x["chk"])
    services.recompute(today=TODAY)
    moved = Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}")
    assert moved.initiative_id == x["chk"].pk
    Risk.objects.filter(pk=risk.pk).update(initiative=Initiative.objects.get(code="X-4"))
    services.recompute(today=TODAY)
    assert Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}").initiative_id == (
        Initiative.objects.get(code="X-4").pk
    )


def test_a_full_recompute_holds_two_chunks_of_initiatives_at_most(monkeypatch):
    # given: 12 initiatives, scored 3 at a time; every initiative row the engine builds is watched
    build_example()
    for n in range(9):
        InitiativeFactory(code=f"X-{n}")
    monkeypatch.setattr(scores, "CHUNK", 3)
    alive = [0]
    held: list[int] = []
    build = inputs._initiative_row
    score = scores.score_initiative

    def watched_row(values: Any) -> Any:
        row = build(values)
        alive[0] += 1
        weakref.finalize(row, lambda: alive.__setitem__(0, alive[0] - 1))
        return row

    def watching_score(row: Any, *args: Any, **kwargs: Any) -> Any:
        held.append(alive[0])
        return score(row, *args, **kwargs)

    monkeypatch.setattr(inputs, "_initiative_row", watched_row)
    monkeypatch.setattr(scores, "score_initiative", watching_score)

    # when
    summary = services.recompute(today=TODAY)

    # then: all 12 scored, never more than the chunk scored and the one read next held at once
    assert summary.initiatives == 12
    assert len(held) == 12
    assert max(held) <= 6
