"""Scoring one initiative: what each stage assesses, the worked example and its stored roll-ups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alignment.engine.compute import contribution_links, parse_links, risk_cells
from alignment.engine.inputs import ContributionRow, RiskRow
from tests.alignment.formula_support import (
    O1,
    ORDERS,
    D,
    example_initiatives,
    initiative_row,
    portfolio_inputs,
    score,
)

NOT_ASSESSED = "execution not assessed: counted at the floor until there is evidence"


def test_an_idea_counts_at_the_floor_and_is_flagged():
    # given: an idea with a strong contribution to the top priority objective, and plenty of data
    row = replace(
        example_initiatives()[0], stage="idea", contributions=[ContributionRow(1, O1, "strong", ORDERS)]
    )

    # when
    result = score(row)

    # then: A = 100 x 0.5
    assert (result.fit, result.outcome, result.delivery, result.governance) == (100.0, None, None, None)
    assert result.execution is None
    assert result.alignment == 50.0
    assert result.missing == ["outcome", "delivery", "governance"]
    reason = "not started: an idea has no execution to assess yet, so it counts at the floor"
    assert result.explanation["missing"] == {"outcome": reason, "delivery": reason, "governance": reason}
    assert result.explanation["composite"] == {
        "weights": {"outcome": 0.4, "delivery": 0.35, "governance": 0.25},
        "used": [],
        "execution": None,
        "factor": 0.5,
        "floor": 0.5,
        "note": NOT_ASSESSED,
    }


def test_a_proposal_counts_at_the_floor():
    row = replace(example_initiatives()[0], stage="proposed")

    result = score(row)

    assert result.missing == ["outcome", "delivery", "governance"]
    assert result.alignment == 50.0
    assert (
        result.explanation["missing"]["delivery"]
        == "not started: a proposal has no execution to assess yet, so it counts at the floor"
    )
    assert result.explanation["composite"]["note"] == NOT_ASSESSED


def test_a_live_initiative_with_no_data_counts_at_the_floor():
    # given: live, strong to O1, no KPI named, no plan dates, no budget, no checkpoint review
    row = initiative_row(
        stage="live",
        go_live_date=D(2026, 10, 1),
        planned_start=None,
        planned_end=None,
        budget=0.0,
        contributions=[ContributionRow(1, O1, "strong", None)],
    )

    # when
    result = score(row)

    # then: nothing to assess, A = 100 x 0.5, and each reason says why
    assert (result.fit, result.execution, result.alignment) == (100.0, None, 50.0)
    assert result.explanation["missing"] == {
        "outcome": "no contribution names a KPI",
        "delivery": "no plan dates, no budget and no checkpoint review",
        "governance": "live: steering checkpoints end at go-live; benefits are tracked through the KPIs and the "
        "benefit plans",
    }
    assert result.explanation["composite"]["note"] == NOT_ASSESSED


def test_an_approved_initiative_has_no_outcome_yet():
    result = score(replace(example_initiatives()[0], stage="approved"))

    assert result.missing == ["outcome"]
    assert result.explanation["missing"] == {
        "outcome": "not delivering yet: outcomes are judged from the start of delivery"
    }


def test_a_live_initiative_is_not_judged_on_governance():
    result = score(replace(example_initiatives()[0], stage="live", go_live_date=D(2026, 10, 1)))

    # then: outcome 100 x (3 x 0.79 + 1 x 0.40) / 4 = 69.25 as in delivery; delivery (83.33 + 80 + 87.5) / 3,
    # the schedule counting only "Pilot live" (30 days late) now that it is live
    assert result.outcome == pytest.approx(69.25, abs=1e-9)
    assert result.delivery == pytest.approx((250 / 3 + 80 + 87.5) / 3, abs=1e-9)
    assert result.governance is None
    assert result.missing == ["governance"]
    assert result.explanation["missing"] == {
        "governance": "live: steering checkpoints end at go-live; benefits are tracked through the KPIs and the "
        "benefit plans"
    }


def test_a_live_initiative_stops_slipping_at_its_go_live_date():
    # given: CHK-1 live since 1 October, no actual end: "Rollout" (due 15 December, forecast 20 January) can
    # no longer be late; "Pilot live" stays 30 days late
    row = replace(example_initiatives()[0], stage="live", go_live_date=D(2026, 10, 1))

    # when
    result = score(row)

    # then: slip 30 of 360 days: schedule 100 x (1 - (30 / 360) / 0.5) = 83.33;
    # delivery (83.33 + 80 + 87.5) / 3 = 83.61
    assert result.explanation["delivery"]["slip_days"] == 30
    assert result.explanation["delivery"]["schedule"] == 83.33
    assert result.delivery == pytest.approx((250 / 3 + 80 + 87.5) / 3, abs=1e-9)
    assert round(result.delivery, 2) == 83.61


def test_a_closed_initiative_keeps_outcome_and_delivery_without_governance():
    # given: CHK-1 closed on 1 November, before "Rollout" was due
    row = replace(example_initiatives()[0], stage="closed", actual_end=D(2026, 11, 1))

    result = score(row)

    # then: slip 30 days ("Pilot live"), as for the live one
    assert result.outcome == pytest.approx(69.25, abs=1e-9)
    assert result.explanation["delivery"]["slip_days"] == 30
    assert round(result.delivery, 2) == 83.61
    assert result.governance is None
    assert result.explanation["missing"] == {"governance": "closed: no checkpoints are due"}


def test_a_closed_initiative_that_ended_after_its_planned_end_has_slipped_by_the_difference():
    # given: planned 1 January to 1 October 2026 (273 days), closed on 6 November, no milestone
    row = initiative_row(stage="closed", planned_end=D(2026, 10, 1), actual_end=D(2026, 11, 6))

    # when
    result = score(row)

    # then: 36 days late: schedule 100 x (1 - (36 / 273) / 0.5) = 73.63, and it stays so after today
    later = score(row, portfolio_inputs([row], today=D(2027, 3, 1)))
    assert result.explanation["delivery"]["slip_days"] == 36
    assert result.explanation["delivery"]["duration_days"] == 273
    assert result.explanation["delivery"]["schedule"] == 73.63
    assert later.explanation["delivery"]["slip_days"] == 36


def test_a_cancelled_initiative_counts_at_the_floor():
    result = score(replace(example_initiatives()[0], stage="cancelled"))

    assert result.missing == ["outcome", "delivery", "governance"]
    assert set(result.explanation["missing"].values()) == {
        "cancelled: there is no execution to assess, so it counts at the floor"
    }
    assert result.alignment == 50.0


def test_the_worked_example_initiative_scores_as_documented():
    # given: CHK-1 in the example portfolio
    chk = example_initiatives()[0]

    # when
    result = score(chk)

    # then
    assert result.stored() == {
        "fit": 100.0,
        "outcome": 69.25,
        "delivery": 82.5,
        "governance": 50.0,
        "execution": 69.08,  # 69.075 on paper, rounded half up
        "alignment": 84.54,
        "impact": 72.5,
        "exposure": 18,
        "tier": 2,
        "missing": {},
        # what pages list without the explanation: each objective's fit points (O1 75, T2 25), and the delivery
        # slip (the rollout forecast 36 days late, 10% of 360 days) and overrun (1.1M on 1M)
        "fit_points": [[2, 75.0], [5, 25.0]],
        "slip_days": 36,
        "slip_ratio": 0.1,
        "overrun": 0.1,
        # roll-ups for the dashboards: the pilot was due on 30 June and went live a month late; the rollout is
        # not due yet; one risk at P3 x I4 and one at P2 x I3; strong to O1 (id 2), moderate to T2 (id 5)
        "milestones_due": 1,
        "milestones_on_time": 0,
        "risk_cells": "23 34",
        "links": "2s 5m",
        "checkpoint_due": D(2026, 10, 22),
        # the review of 23 August stood until that checkpoint fell due, so the status is the data's: schedule
        # amber (slip 10%, the rollout 36 days late), cost amber (10% over), scope green, benefits red (the cost
        # KPI is off track)
        "status": "aagr",
        "status_review": None,
        # its latest checkpoint, 90 days ago, is older than the tier's 60-day cadence: delivery is stale, 1 of 3
        "confidence": "medium",
        "unsure": {"delivery": "stale"},
    }


def test_roll_ups_read_back_as_the_contributions_and_risk_cells_they_were_written_from():
    contributions = [
        ContributionRow(1, 140, "weak", None),
        ContributionRow(2, 7, "strong", None),
        ContributionRow(3, 21, "none", None),
        ContributionRow(4, 9, "moderate", None),
    ]
    risks = [RiskRow(1, "a", 3, 4, True), RiskRow(2, "b", 1, 5, False), RiskRow(3, "c", 3, 4, False)]

    assert contribution_links(contributions) == "7s 9m 21n 140w"
    assert parse_links("7s 9m 21n 140w") == [(7, "strong"), (9, "moderate"), (21, "none"), (140, "weak")]
    assert contribution_links([]) == ""
    assert parse_links("") == []
    assert risk_cells(risks) == "15 34 34"
