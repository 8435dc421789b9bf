"""The worked-example portfolio recomputed and stored: scores, KPIs, objectives, indices and signals."""

from __future__ import annotations

from typing import Any

import pytest

from alignment import services
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from tests.alignment.engine_support import TODAY, D, build_example

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


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


def test_the_worked_example_portfolio_is_stored_as_documented():
    # given
    x = build_example()

    # when
    summary = services.recompute(today=TODAY)

    # then: the scores of docs/scoring.md
    assert summary == services.RecomputeSummary(initiatives=3, kpis=2, signals=7, portfolio=True)
    assert scores(x["chk"], x["srch"], x["dc"]) == [
        (100.0, 69.25, 82.5, 50.0, 69.08, 84.54, 72.5, 18, 2, {}, False, 1),
        (
            16.67,
            None,
            100.0,
            100.0,
            100.0,
            16.67,
            30.0,
            0,
            3,
            {"outcome": "no contribution names a KPI"},
            False,
            1,
        ),
        (
            0.0,
            None,
            93.05,
            50.0,
            75.11,
            0.0,
            25.0,
            0,
            3,
            {"outcome": "not delivering yet: outcomes are judged from the start of delivery"},
            False,
            1,
        ),
    ]
    # with the few facts pages list: each objective's fit points, delivery's slip and overrun
    stored = InitiativeScore.objects.get(pk=x["chk"].pk)
    assert stored.fit_points == [[x["o1"].pk, 75.0], [x["t2"].pk, 25.0]]
    assert (stored.slip_days, stored.slip_ratio, stored.overrun) == (36, 0.1, 0.1)
    # and the explanation, built on demand for the one initiative by the same code
    explained = services.explain_initiative(x["chk"].pk, today=TODAY)
    assert explained is not None
    assert explained.stored() == {
        k: v
        for k, v in InitiativeScore.objects.values().get(pk=x["chk"].pk).items()
        if k in explained.stored()
    }
    chk = explained.explanation
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
    assert chk["missing"] == {}
    assert chk["policy"] == 1
    assert set(chk) == {"policy", "fit", "outcome", "delivery", "governance", "tier", "composite", "missing"}


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
            # 27.9 ± 1.8856 × 0.3162 × √3.7: the interval reaches off track (progress 0.675) and at risk
            "forecast_low": 26.753023,
            "forecast_high": 29.046977,
            "confidence": "medium",
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
            "forecast_low": None,
            "forecast_high": None,
            "confidence": "low",  # too few readings for a trend
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
            # CHK-1 and SRCH-1 are of medium confidence, DC-1 of high: no budget on low-confidence scores
            "low_confidence_share": 0.0,
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
