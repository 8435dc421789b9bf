"""The score history as a change log reads back as the daily copies it replaced: on every recorded day each
initiative's scores are those of its latest row on or before it, for the trends of a filtered dashboard, the
board pack's score charts and "what changed since"."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from alignment import dashboard, selectors, services
from alignment.models import InitiativeScore, ScoreHistory
from portfolio.models import Initiative
from risk.models import TierPolicy
from tests.factories import CheckpointReviewFactory, ContributionFactory, InitiativeFactory, ObjectiveFactory

D = datetime.date
# recorded days across four months, so that a filtered view's history picks several of them
DAYS = [D(2026, 8, 31), D(2026, 9, 30), D(2026, 10, 15), D(2026, 10, 31), D(2026, 11, 21)]

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(db) -> dict[str, Any]:
    """Three initiatives scored and recorded on each of DAYS, with changes between some of them; and the
    daily copies the old history would have held: (day, code) -> the scores copied that day."""
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={"name": f"Tier {tier}", "checkpoint_cadence_days": cadence, "required_artefacts": []},
        )
    theme = ObjectiveFactory(code="T1", title="Grow digital sales")
    rows = {}
    for code, strength in [("A-1", "strong"), ("B-1", "moderate"), ("C-1", "weak")]:
        rows[code] = InitiativeFactory(code=code, budget_capex=Decimal("100000"), budget_opex=Decimal("0"))
        ContributionFactory(initiative=rows[code], objective=theme, strength=strength)
        CheckpointReviewFactory(initiative=rows[code], held_on=D(2026, 8, 1))
    changes = {
        DAYS[1]: lambda: rows["C-1"].contributions.update(strength="strong"),
        DAYS[3]: lambda: Initiative.objects.filter(pk=rows["B-1"].pk).update(budget_capex=Decimal("300000")),
        DAYS[4]: lambda: rows["C-1"].contributions.update(strength="weak"),
    }
    copies: dict[tuple[datetime.date, str], dict[str, Any]] = {}
    for day in DAYS:
        if day in changes:
            changes[day]()
        services.recompute(today=day)
        services.record_history(today=day)
        for score in InitiativeScore.objects.select_related("initiative"):
            copies[(day, score.initiative.code)] = {
                "alignment": score.alignment,
                "fit": score.fit,
                "delivery": score.delivery,
                "outcome": score.outcome,
                "budget": float(score.initiative.budget_total),
            }
    return {"rows": rows, "copies": copies}


def test_the_change_log_holds_fewer_rows_than_the_copies(recorded):
    # the governance score of the three moves as their checkpoint ages, so most days hold a row, but not all
    assert ScoreHistory.objects.count() < len(recorded["copies"])


def test_the_board_packs_score_chart_has_each_recorded_days_scores(recorded):
    for code, initiative in recorded["rows"].items():
        # when
        points = selectors.score_history_points(initiative.pk, DAYS[-1])

        # then: a point on every recorded day, with the scores copied that day
        assert points == [
            {"date": day, **{k: v for k, v in recorded["copies"][(day, code)].items() if k != "budget"}}
            for day in DAYS
        ], code
        # and up to an earlier day, the days up to it
        assert [p["date"] for p in selectors.score_history_points(initiative.pk, DAYS[2])] == DAYS[:3]


def test_a_filtered_dashboards_history_sums_each_days_scores(recorded):
    # when
    history = dashboard._live_history(Initiative.objects.all(), DAYS[-1])

    # then: the days chosen (each month's last, and the last a month back), each with the budget-weighted
    # alignment and the budget of the day's copies
    assert [day for day, _, _ in history] == dashboard.history_days(DAYS[-1]) == DAYS
    for day, alignment, budget in history:
        copies = [c for (d, _), c in recorded["copies"].items() if d == day]
        total = sum(c["budget"] for c in copies)
        assert budget == pytest.approx(total)
        assert alignment == pytest.approx(sum(c["budget"] * c["alignment"] for c in copies) / total)


def test_what_changed_since_compares_with_the_last_recorded_day_before(recorded):
    # given: C-1, which was strong from 30 September and weak again on 21 November
    c1 = recorded["rows"]["C-1"]
    score = InitiativeScore.objects.get(initiative=c1)

    # when: compared with 20 October (the last recorded day before it is 15 October)
    changes = selectors.changes_since(c1, score, D(2026, 10, 20))

    # then: the scores of 15 October, recorded (as a row) on 30 September
    assert changes["then_date"] == DAYS[2]
    assert changes["then"].date == DAYS[1]
    assert changes["then"].alignment == recorded["copies"][(DAYS[2], "C-1")]["alignment"]
    assert [(d.label, d.before) for d in changes["deltas"]][:2] == [
        ("Alignment", recorded["copies"][(DAYS[2], "C-1")]["alignment"]),
        ("Strategic fit", 100.0),
    ]
