"""The alignment engine against the database: what a recompute stores, that it is idempotent and rebuildable,
that its query count does not grow with the portfolio, and how changes make scores stale and rescored."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment import jobs, services
from alignment.engine import store
from alignment.engine.compute import assess_kpis, score_initiative
from alignment.engine.inputs import load_inputs
from alignment.engine.policy import DEFAULT_POLICY
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from core.stages import Stage
from portfolio import services as portfolio_services
from portfolio.models import InterimTarget, Milestone, ObjectiveStatus
from risk.models import TierPolicy
from steering.models import RAG
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
    UserFactory,
)

D = datetime.date
TODAY = D(2026, 11, 21)
TIER_POLICIES = [
    (1, 30, ["business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan"]),
    (2, 60, ["business_case", "benefits_plan"]),
    (3, 90, ["business_case"]),
]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tier_policies(db):
    """The shipped tier policies (a flushing test elsewhere may have removed the migration's rows)."""
    for tier, cadence, artefacts in TIER_POLICIES:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={
                "name": f"Tier {tier}",
                "checkpoint_cadence_days": cadence,
                "required_artefacts": artefacts,
            },
        )


def build_example() -> dict[str, Any]:
    """The worked-example portfolio of docs/scoring.md."""
    t1 = ObjectiveFactory(code="T1", title="Grow digital sales", local_weight=Decimal("3"))
    o1 = ObjectiveFactory(code="O1", title="Raise online conversion", parent=t1, local_weight=Decimal("2"))
    o2 = ObjectiveFactory(code="O2", title="Grow basket size", parent=t1, local_weight=Decimal("1"))
    o3 = ObjectiveFactory(
        code="O3",
        title="Launch a marketplace",
        parent=t1,
        local_weight=Decimal("1"),
        status=ObjectiveStatus.RETIRED,
    )
    t2 = ObjectiveFactory(code="T2", title="Cut operating cost", local_weight=Decimal("1"))
    orders = KPIFactory(
        objective=o1,
        name="Online orders per week",
        unit="thousand",
        baseline_value=Decimal("20"),
        target_value=Decimal("30"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in [
        (D(2026, 3, 2), "21"),
        (D(2026, 5, 1), "22"),
        (D(2026, 6, 30), "24"),
        (D(2026, 8, 29), "25"),
    ]:
        ReadingFactory(kpi=orders, date=day, value=Decimal(value))
    cost = KPIFactory(
        objective=t2,
        name="Cost per order",
        unit="EUR",
        direction="decrease",
        baseline_value=Decimal("5.00"),
        target_value=Decimal("4.00"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in [(D(2026, 5, 1), "4.80"), (D(2026, 8, 29), "4.60")]:
        ReadingFactory(kpi=cost, date=day, value=Decimal(value))
    chk = InitiativeFactory(
        code="CHK-1",
        title="Checkout rebuild",
        category="grow",
        stage=Stage.IN_DELIVERY,
        planned_start=D(2026, 1, 1),
        planned_end=D(2026, 12, 27),
        actual_start=D(2026, 1, 15),
        budget_capex=Decimal("800000"),
        budget_opex=Decimal("200000"),
        actual_cost=Decimal("600000"),
        forecast_cost=Decimal("1100000"),
        criticality=4,
    )
    ContributionFactory(initiative=chk, objective=o1, strength="strong", kpi=orders)
    ContributionFactory(initiative=chk, objective=t2, strength="moderate", kpi=cost)
    MilestoneFactory(
        initiative=chk, name="Pilot live", baseline_date=D(2026, 6, 30), actual_date=D(2026, 7, 30)
    )
    rollout = MilestoneFactory(
        initiative=chk, name="Rollout", baseline_date=D(2026, 12, 15), forecast_date=D(2027, 1, 20)
    )
    CheckpointReviewFactory(initiative=chk, held_on=D(2026, 8, 23), rag_cost=RAG.AMBER)
    ArtefactFactory(initiative=chk)
    RiskFactory(initiative=chk, title="Payment provider late", probability=3, impact=4)
    RiskFactory(initiative=chk, title="Key developer leaves", probability=2, impact=3)
    srch = InitiativeFactory(
        code="SRCH-1",
        title="Site search upkeep",
        category="run",
        stage=Stage.IN_DELIVERY,
        planned_start=D(2026, 1, 1),
        planned_end=D(2026, 12, 27),
        actual_start=D(2026, 1, 5),
        budget_capex=Decimal("500000"),
        budget_opex=Decimal("0"),
        actual_cost=Decimal("300000"),
        forecast_cost=Decimal("450000"),
    )
    ContributionFactory(initiative=srch, objective=o2, strength="weak")
    MilestoneFactory(
        initiative=srch, name="Design signed off", baseline_date=D(2026, 3, 31), actual_date=D(2026, 3, 31)
    )
    MilestoneFactory(
        initiative=srch, name="Build complete", baseline_date=D(2026, 9, 30), actual_date=D(2026, 9, 20)
    )
    CheckpointReviewFactory(initiative=srch, held_on=D(2026, 10, 1))
    ArtefactFactory(initiative=srch)
    dc = InitiativeFactory(
        code="DC-1",
        title="Data centre exit",
        category="transform",
        stage=Stage.APPROVED,
        planned_start=D(2026, 9, 1),
        planned_end=D(2027, 6, 30),
        actual_start=None,
        budget_capex=Decimal("500000"),
        budget_opex=Decimal("0"),
        actual_cost=Decimal("0"),
    )
    MilestoneFactory(initiative=dc, name="Go decision", baseline_date=D(2026, 10, 31))
    return {
        "t1": t1,
        "o1": o1,
        "o2": o2,
        "o3": o3,
        "t2": t2,
        "orders": orders,
        "cost": cost,
        "chk": chk,
        "srch": srch,
        "dc": dc,
        "rollout": rollout,
    }


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


def delete_computed_rows() -> None:
    for model in (Signal, PortfolioIndex, ObjectiveScore, KPIScore, InitiativeScore):
        model.objects.all().delete()


SCORE_COLUMNS = (
    "fit",
    "outcome",
    "delivery",
    "governance",
    "execution",
    "alignment",
    "impact",
    "exposure",
    "tier",
    "missing",
    "stale",
    "policy_version",
)


def scores(*initiatives: Any) -> list[tuple[Any, ...]]:
    by_pk = {
        row["initiative_id"]: row for row in InitiativeScore.objects.values("initiative_id", *SCORE_COLUMNS)
    }
    return [tuple(by_pk[i.pk][c] for c in SCORE_COLUMNS) for i in initiatives]


# ------------------------------------------------------------------------------------ the stored example


def test_the_worked_example_portfolio_is_stored_as_documented():
    # given
    x = build_example()

    # when
    summary = services.recompute(today=TODAY)

    # then: the scores of docs/scoring.md
    assert summary == services.RecomputeSummary(initiatives=3, kpis=2, signals=7, portfolio=True)
    assert scores(x["chk"], x["srch"], x["dc"]) == [
        (100.0, 69.25, 82.5, 50.0, 69.08, 84.54, 72.5, 18, 2, [], False, 1),
        (16.67, None, 100.0, 100.0, 100.0, 16.67, 30.0, 0, 3, ["outcome"], False, 1),
        (0.0, None, 93.05, 50.0, 75.11, 0.0, 25.0, 0, 3, ["outcome"], False, 1),
    ]
    chk = InitiativeScore.objects.get(pk=x["chk"].pk).explanation
    # r = global weight / 0.50, the largest priority weight (O1's)
    assert chk["fit"] == {
        "max_global_weight": 0.5,
        "terms": [
            {
                "objective": x["o1"].pk,
                "strength": "strong",
                "global_weight": 0.5,
                "r": 1.0,
                "c": 1.0,
                "points": 75.0,
            },
            {
                "objective": x["t2"].pk,
                "strength": "moderate",
                "global_weight": 0.25,
                "r": 0.5,
                "c": 0.3333,
                "points": 25.0,
            },
        ],
    }
    assert chk["outcome"] == {
        "kpis": [
            {"kpi": x["orders"].pk, "weight": 1.0, "evidence": 0.79},
            {"kpi": x["cost"].pk, "weight": 0.3333, "evidence": 0.4},
        ]
    }
    assert chk["delivery"] == {
        "schedule": 80.0,
        "cost": 80.0,
        "checkpoint": 87.5,
        "slip_days": 36,
        "duration_days": 360,
        "slip_ratio": 0.1,
        "overrun": 0.1,
        "rags": ["green", "amber", "green", "green"],
    }
    assert chk["governance"] == {
        "cadence_days": 60,
        "days_since_checkpoint": 90,
        "cadence_score": 50.0,
        "required": ["business_case", "benefits_plan"],
        "present": ["business_case"],
        "artefact_score": 50.0,
        "due_on": "2026-10-22",
    }
    assert chk["tier"] == {
        "impact_parts": [20.0, 30.0, 22.5],
        "impact_high": True,
        "top_risks": [12, 6],
        "exposure_high": False,
        "cadence_days": 60,
    }
    assert chk["composite"] == {
        "weights": {"outcome": 0.4, "delivery": 0.35, "governance": 0.25},
        "used": ["outcome", "delivery", "governance"],
        "execution": 69.08,
        "factor": 0.8454,
        "floor": 0.5,
        "note": "",
    }
    assert InitiativeScore.objects.get(pk=x["srch"].pk).explanation["missing"] == {
        "outcome": "no contribution names a KPI"
    }
    assert InitiativeScore.objects.get(pk=x["dc"].pk).explanation["missing"] == {
        "outcome": "not delivering yet: outcomes are judged from the start of delivery"
    }


def test_the_worked_example_kpis_are_stored_as_documented():
    x = build_example()

    services.recompute(today=TODAY)

    rows: list[dict[str, Any]] = [dict(row) for row in KPIScore.objects.values().order_by("kpi_id")]
    kpis = {row.pop("kpi_id"): row for row in rows}
    for row in kpis.values():
        row.pop("computed_at")
    assert kpis == {
        x["orders"].pk: {
            "status": "at_risk",
            "latest_value": 25.0,
            "latest_date": D(2026, 8, 29),
            "progress": 0.5,
            "expected": 0.666667,
            "forecast_value": 27.9,
            "forecast_progress": 0.79,
            "slope_per_year": 8.5225,
            "readings_used": 4,
        },
        x["cost"].pk: {
            "status": "off_track",
            "latest_value": 4.6,
            "latest_date": D(2026, 8, 29),
            "progress": 0.4,
            "expected": 0.666667,
            "forecast_value": None,
            "forecast_progress": None,
            "slope_per_year": None,
            "readings_used": 2,
        },
    }


def test_the_worked_example_objectives_and_indices_are_stored_as_documented():
    x = build_example()

    services.recompute(today=TODAY)

    objectives = {
        row[0]: row[1:]
        for row in ObjectiveScore.objects.values_list(
            "objective_id",
            "global_weight",
            "relative_weight",
            "is_unit",
            "unit_id",
            "spend",
            "spend_share",
            "weight_share",
            "contributing",
        )
    }
    o1, o2, t2 = x["o1"].pk, x["o2"].pk, x["t2"].pk
    assert objectives == {
        x["t1"].pk: (0.75, 1.0, False, None, 0.0, 0.0, 0.0, 0),
        o1: (0.5, 1.0, True, o1, 600_000.0, 0.3, 0.5, 1),
        o2: (0.25, 0.5, True, o2, 500_000.0, 0.25, 0.25, 0),
        x["o3"].pk: (0.0, 0.0, False, None, 0.0, 0.0, 0.0, 0),
        t2: (0.25, 0.5, True, t2, 400_000.0, 0.2, 0.25, 1),
    }
    index: dict[str, Any] = dict(PortfolioIndex.objects.values().get())
    index.pop("id")
    index.pop("computed_at")
    assert index == {
        "date": TODAY,
        "scope": "all",
        "policy_version": 1,
        "funded_budget": 2_000_000.0,
        "alignment_index": 46.435417,
        "top_share": 0.75,
        "misallocation": 0.25,
        "coverage": 0.666667,
        "predictability": 0.5,
        "red_signals": 3,
        "amber_signals": 4,
        "details": {
            "units": sorted([o1, o2, t2]),
            "top_units": [o1, o2, t2],
            "unaligned_spend": 500_000.0,
            "mix": {"grow": 0.5, "run": 0.25, "transform": 0.25},
            "target_mix": {"run": 0.5, "grow": 0.3, "transform": 0.2},
            "milestones_due": 4,
            "milestones_on_time": 2,
            "covered_units": sorted([o1, t2]),
        },
    }


def test_the_worked_example_signals_are_stored_as_documented():
    x = build_example()

    services.recompute(today=TODAY)

    chk, dc = x["chk"].pk, x["dc"].pk
    signals = sorted(
        (s.key, s.rule, s.severity, s.message, s.measured, s.threshold, s.evidence)
        for s in Signal.objects.all()
    )
    orders, cost, o2 = x["orders"].pk, x["cost"].pk, x["o2"].pk
    assert signals == sorted(
        [
            (
                f"checkpoint_overdue:i{chk}",
                "checkpoint_overdue",
                "amber",
                "CHK-1 was last reviewed 2026-08-23, 90 days ago; as a tier 2 initiative it is due a review every 60 days (due 2026-10-22).",
                90.0,
                60.0,
                [{"label": "CHK-1 checkpoints", "url": f"/initiatives/{chk}/#checkpoints"}],
            ),
            (
                f"cost_overrun:i{chk}",
                "cost_overrun",
                "amber",
                "CHK-1 is forecast 10% over its budget of €1.00M.",
                0.1,
                0.05,
                [{"label": "CHK-1 costs", "url": f"/initiatives/{chk}/#overview"}],
            ),
            (
                f"kpi_off_track:i{chk}:k{orders}",
                "kpi_off_track",
                "amber",
                "CHK-1 is expected to move “Online orders per week”, which is at risk: the trend reaches 79% of "
                "the way to its target by 2026-12-27.",
                0.79,
                0.95,
                [{"label": "KPI Online orders per week", "url": f"/kpis/{orders}/"}],
            ),
            (
                f"kpi_off_track:i{chk}:k{cost}",
                "kpi_off_track",
                "red",
                "CHK-1 is expected to move “Cost per order”, which is off track: progress is 60% of what was "
                "expected by 2026-08-29.",
                0.6,
                0.7,
                [{"label": "KPI Cost per order", "url": f"/kpis/{cost}/"}],
            ),
            (
                f"objective_uncovered:o{o2}",
                "objective_uncovered",
                "red",
                "O2 “Grow basket size” carries 25% of the strategy and no open initiative serves it.",
                0.25,
                0.08,
                [{"label": "Objective O2", "url": f"/objectives/{o2}/"}],
            ),
            (
                f"orphan:i{dc}",
                "orphan",
                "red",
                "DC-1 contributes to no objective although it is funded.",
                0.0,
                None,
                [{"label": "DC-1 contributions", "url": f"/initiatives/{dc}/#contributions"}],
            ),
            (
                f"schedule_slip:i{chk}",
                "schedule_slip",
                "amber",
                "CHK-1 is 36 days late, 10% of its planned duration.",
                0.1,
                0.1,
                [{"label": "CHK-1 milestones", "url": f"/initiatives/{chk}/#milestones"}],
            ),
        ]
    )
    # and each score counts the red signals on its initiative (O2's is the objective's, not an initiative's)
    red = InitiativeScore.objects.filter(red_signals__gt=0).values_list("initiative_id", "red_signals")
    assert dict(red) == {chk: 1, dc: 1}


# ------------------------------------------------------------------------------------ idempotence


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


# ------------------------------------------------------------------------------------ query budget


def build_portfolio(
    count: int, objectives: list[Any], kpis: list[Any], people: list[Any], programs: list[Any]
) -> None:
    """`count` initiatives with every kind of record the engine reads."""
    for n in range(count):
        initiative = InitiativeFactory(
            program=programs[n % len(programs)],
            sponsor=people[n % len(people)],
            manager=people[(n + 1) % len(people)],
            stage=[Stage.IN_DELIVERY, Stage.APPROVED, Stage.LIVE, Stage.PROPOSED][n % 4],
            go_live_date=D(2026, 6, 1),
            forecast_cost=Decimal("130000"),
        )
        ContributionFactory(
            initiative=initiative, objective=objectives[n % 3], strength="strong", kpi=kpis[n % 3]
        )
        ContributionFactory(initiative=initiative, objective=objectives[3 + n % 2], strength="weak")
        MilestoneFactory(initiative=initiative, baseline_date=D(2026, 5, 1), actual_date=D(2026, 5, 20))
        MilestoneFactory(initiative=initiative, baseline_date=D(2026, 12, 1), forecast_date=D(2027, 1, 10))
        for held_on in (D(2026, 6, 1), D(2026, 9, 1)):
            review = CheckpointReviewFactory(initiative=initiative, held_on=held_on, rag_scope=RAG.AMBER)
            review.attendees.set(people[:2])
        RiskFactory(initiative=initiative, probability=4, impact=4, mitigation="")
        ArtefactFactory(initiative=initiative)
        ScopeChangeFactory(initiative=initiative, date=D(2026, 10, 1), rationale="")


def full_recompute_queries() -> int:
    delete_computed_rows()
    with CaptureQueriesContext(connection) as queries:
        services.recompute(today=TODAY)
    return len(queries)


def test_the_number_of_queries_of_a_full_recompute_does_not_grow_with_the_portfolio():
    # given: a tree, KPIs with readings and interim targets, and five initiatives
    theme = ObjectiveFactory(code="TH", title="Theme")
    other = ObjectiveFactory(code="TX", title="Other theme")
    objectives = [ObjectiveFactory(parent=theme) for _ in range(3)] + [
        ObjectiveFactory(parent=other) for _ in range(2)
    ]
    kpis = [KPIFactory(objective=o) for o in objectives[:3]]
    for kpi in kpis:
        for month in (2, 4, 6, 8):
            ReadingFactory(kpi=kpi, date=D(2026, month, 1), value=Decimal(10 + month))
        InterimTarget.objects.create(kpi=kpi, date=D(2026, 6, 30), value=Decimal("14"))
    people = [UserFactory() for _ in range(3)]
    programs = [ProgramFactory(), ProgramFactory()]
    build_portfolio(5, objectives, kpis, people, programs)

    # when
    small = full_recompute_queries()
    build_portfolio(35, objectives, kpis, people, programs)
    large = full_recompute_queries()

    # then
    assert Signal.objects.filter(initiative__isnull=False).count() > 40
    assert PortfolioIndex.objects.count() == 3
    assert small == large
    assert large <= 30


# ------------------------------------------------------------------------------------ staleness


def results_for(initiative_ids: list[int]) -> dict[int, Any]:
    inputs = load_inputs(today=TODAY, policy=DEFAULT_POLICY, initiative_ids=initiative_ids)
    kpis = assess_kpis(inputs)
    return {row.id: score_initiative(row, inputs, kpis) for row in inputs.initiatives.values()}


def test_a_change_made_after_a_recompute_started_keeps_the_row_stale():
    # given: computed scores, then a change marks CHK-1 stale at 12:00:00
    x = build_example()
    services.recompute(today=TODAY)
    pk = x["chk"].pk
    changed_at = datetime.datetime(2026, 11, 21, 12, 0, 0, tzinfo=datetime.UTC)
    services.mark_stale([pk], now=changed_at)
    existing = {
        row[0]: (row[1], row[2])
        for row in InitiativeScore.objects.filter(pk=pk).values_list("initiative_id", "digest", "stale")
    }

    # when: a recompute that started a second before the change writes its result
    store.write_initiative_scores(
        results_for([pk]),
        now=changed_at + datetime.timedelta(seconds=5),
        started=changed_at - datetime.timedelta(seconds=1),
        policy_version=1,
        existing=existing,
        red_signals={},
    )

    # then: the row keeps saying it is out of date
    row = InitiativeScore.objects.get(pk=pk)
    assert (row.stale, row.stale_since) == (True, changed_at)
    assert row.fit == 100.0

    # when: a recompute that started after the change writes its result
    store.write_initiative_scores(
        results_for([pk]),
        now=changed_at + datetime.timedelta(seconds=9),
        started=changed_at + datetime.timedelta(seconds=1),
        policy_version=1,
        existing=existing,
        red_signals={},
    )

    # then
    row.refresh_from_db()
    assert (row.stale, row.stale_since) == (False, None)


def test_mark_stale_creates_a_stale_row_for_a_new_initiative_and_keeps_the_scores_of_others():
    # given
    x = build_example()
    services.recompute(today=TODAY)
    new = InitiativeFactory()
    at = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.UTC)

    # when
    services.mark_stale([new.pk, x["chk"].pk], now=at)

    # then
    assert list(
        InitiativeScore.objects.filter(pk__in=[new.pk, x["chk"].pk])
        .order_by("pk")
        .values_list("initiative_id", "stale", "stale_since", "fit", "computed_at")
    ) == sorted(
        [
            (new.pk, True, at, 0.0, None),
            (x["chk"].pk, True, at, 100.0, InitiativeScore.objects.get(pk=x["chk"].pk).computed_at),
        ]
    )


def test_a_milestone_update_marks_the_initiative_stale_at_once_and_rescores_it_after_commit(
    pmo, django_capture_on_commit_callbacks, time_machine
):
    # given: computed scores on TODAY, the clock on TODAY; CHK-1's rollout forecast is 36 days late
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC))
    x = build_example()
    services.recompute(today=TODAY)
    chk = x["chk"].pk
    assert InitiativeScore.objects.get(pk=chk).explanation["delivery"]["slip_days"] == 36

    # when: the forecast moves to 19 February 2027 (66 days late)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        portfolio_services.milestone_update(
            user=pmo, milestone_id=x["rollout"].pk, version=1, data={"forecast_date": D(2027, 2, 19)}
        )

        # then: stale in the same transaction, the old scores still there
        during = InitiativeScore.objects.get(pk=chk)
        assert during.stale is True
        assert during.stale_since is not None
        assert during.explanation["delivery"]["slip_days"] == 36

    # then: rescored once committed
    assert len(callbacks) == 1
    after = InitiativeScore.objects.get(pk=chk)
    assert after.stale is False
    assert after.stale_since is None
    assert after.explanation["delivery"]["slip_days"] == 66
    assert after.explanation["delivery"]["schedule"] == 63.33
    assert Milestone.objects.get(pk=x["rollout"].pk).forecast_date == D(2027, 2, 19)


def build_two_themes() -> dict[str, Any]:
    """T1 (1): A (1), B (1); T2 (1): C (3), D (1). Global weights A 1/4, B 1/4, C 3/8, D 1/8; the units are
    A, B, C and D, so r = weight / 3/8 (C's): A 2/3, B 2/3, C 1, D 1/3."""
    t1 = ObjectiveFactory(code="T1", title="One", local_weight=Decimal("1"))
    t2 = ObjectiveFactory(code="T2", title="Two", local_weight=Decimal("1"))
    a = ObjectiveFactory(code="A", title="A", parent=t1, local_weight=Decimal("1"))
    b = ObjectiveFactory(code="B", title="B", parent=t1, local_weight=Decimal("1"))
    c = ObjectiveFactory(code="C", title="C", parent=t2, local_weight=Decimal("3"))
    d = ObjectiveFactory(code="D", title="D", parent=t2, local_weight=Decimal("1"))
    on = {name: InitiativeFactory(code=f"ON-{name}") for name in "ABCD"}
    for name, objective in zip("ABCD", (a, b, c, d), strict=True):
        ContributionFactory(initiative=on[name], objective=objective, strength="strong")
    unlinked = InitiativeFactory(code="NONE-1")
    return {"t1": t1, "t2": t2, "a": a, "b": b, "c": c, "d": d, "on": on, "unlinked": unlinked}


def test_an_objective_weight_change_rescores_exactly_the_affected_initiatives(
    pmo, django_capture_on_commit_callbacks, monkeypatch
):
    # given: A's weight goes from 1 to 2: A's global weight 1/3 and B's 1/6, both below C's 3/8, so the
    # divisor stays 3/8: A's and B's relative weights move (2/3 -> 8/9 and 2/3 -> 4/9), C's (1) and D's
    # (1/3) do not
    x = build_two_themes()
    services.recompute()
    enqueued: list[tuple[list[int], list[int], bool]] = []
    monkeypatch.setattr(
        jobs,
        "enqueue_recompute",
        lambda ids, kpi_ids, *, portfolio: enqueued.append((ids, kpi_ids, portfolio)),
    )
    fit_before = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_services.objective_update(
            user=pmo, objective_id=x["a"].pk, version=1, data={"local_weight": Decimal("2")}
        )

    # then: exactly the initiatives on A and B are stale and enqueued, with a portfolio refresh
    affected = sorted([x["on"]["A"].pk, x["on"]["B"].pk])
    assert (
        sorted(InitiativeScore.objects.filter(stale=True).values_list("initiative_id", flat=True)) == affected
    )
    assert enqueued == [(affected, [], True)]

    # when: the enqueued work runs
    monkeypatch.undo()
    jobs.enqueue_recompute(affected, [], portfolio=True)

    # then: A's and B's fit moved, C's and D's did not
    fit_after = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}
    assert fit_before == {"A": 66.67, "B": 66.67, "C": 100.0, "D": 33.33}
    assert fit_after == {"A": 88.89, "B": 44.44, "C": 100.0, "D": 33.33}
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_a_change_to_the_largest_priority_weight_rescores_every_initiative_it_moves(
    pmo, django_capture_on_commit_callbacks
):
    # given: C, the heaviest unit (3/8), goes from 3 to 4: C 2/5 and D 1/10, so the divisor becomes 2/5 and
    # r moves for A and B (2/3 -> 5/8) and D (1/3 -> 1/4); C stays at 1 but is the objective changed
    x = build_two_themes()
    services.recompute()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_services.objective_update(
            user=pmo, objective_id=x["c"].pk, version=1, data={"local_weight": Decimal("4")}
        )

        # then: the four initiatives on A, B, C and D are marked stale, not the one with no contribution
        stale = set(InitiativeScore.objects.filter(stale=True).values_list("initiative_id", flat=True))
        assert stale == {i.pk for i in x["on"].values()}

    # then: rescored after commit
    fit = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}
    assert fit == {"A": 62.5, "B": 62.5, "C": 100.0, "D": 25.0}
    assert ObjectiveScore.objects.get(pk=x["c"].pk).relative_weight == 1.0
    assert ObjectiveScore.objects.get(pk=x["a"].pk).relative_weight == 0.625
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_a_new_objective_nobody_serves_yet_refreshes_the_portfolio(pmo, django_capture_on_commit_callbacks):
    # given: one theme with one objective, served strongly
    theme = ObjectiveFactory(code="T1", title="One")
    objective = ObjectiveFactory(code="O1", title="Served", parent=theme)
    ContributionFactory(initiative=InitiativeFactory(), objective=objective, strength="strong")
    services.recompute()
    assert PortfolioIndex.objects.get().coverage == 1.0

    # when: a second theme of the same weight is added; no initiative's relative weights move
    with django_capture_on_commit_callbacks(execute=True):
        new = portfolio_services.objective_create(
            user=pmo, data={"code": "T2", "title": "Two", "local_weight": Decimal("1")}
        )

    # then: the indices, objective scores and signals know about it
    assert PortfolioIndex.objects.get().coverage == 0.5
    assert ObjectiveScore.objects.get(pk=new.pk).weight_share == 0.5
    assert Signal.objects.filter(rule="objective_uncovered", objective=new).exists()
    assert not InitiativeScore.objects.filter(stale=True).exists()


@pytest.mark.django_db
def test_upsert_stores_values_shared_by_every_row_and_values_that_vary_and_updates_on_conflict():
    # given: three KPIs; one timestamp object and one None shared by every row, the rest varying
    kpis = [KPIFactory() for _ in range(3)]
    at = datetime.datetime(2026, 11, 21, 8, 30, tzinfo=datetime.UTC)
    rows = [
        {
            "kpi": kpi.pk,
            "status": status,
            "latest_value": value,
            "latest_date": D(2026, 10, n + 1),
            "progress": None,
            "readings_used": n,
            "computed_at": at,
        }
        for n, (kpi, status, value) in enumerate(
            zip(kpis, ["on_track", "at_risk", "off_track"], [1.5, None, -2.25], strict=True)
        )
    ]

    # when
    store.upsert(KPIScore, rows, key="kpi")
    later = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
    store.upsert(
        KPIScore,
        [{**rows[1], "status": "on_track", "latest_value": 7.0, "computed_at": later}],
        key="kpi",
    )

    # then
    stored = list(
        KPIScore.objects.order_by("kpi_id").values_list(
            "status", "latest_value", "latest_date", "progress", "readings_used", "computed_at"
        )
    )
    assert stored == [
        ("on_track", 1.5, D(2026, 10, 1), None, 0, at),
        ("on_track", 7.0, D(2026, 10, 2), None, 1, later),
        ("off_track", -2.25, D(2026, 10, 3), None, 2, at),
    ]


def test_a_fingerprint_depends_on_the_values_only_not_on_which_objects_hold_them():
    shared = "strong " * 3
    one = {"terms": [shared, shared], "fit": 72.5, "missing": []}
    other = {"terms": ["strong " * 3, "strong " * 3], "fit": 72.5, "missing": []}

    assert store.digest(one) == store.digest(other)
    assert store.digest(one) != store.digest({**one, "fit": 72.51})
    assert store.digest(one) != store.digest({**one, "fit": 72})  # an int is not the float
    # a date cannot be marshalled: the fingerprint falls back to repr() and still tells days apart
    day = {"today": datetime.date(2026, 11, 21)}
    assert store.digest(day) == store.digest({"today": datetime.date(2026, 11, 21)})
    assert store.digest(day) != store.digest({"today": datetime.date(2026, 11, 22)})
