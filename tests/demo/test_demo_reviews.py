"""The demo's past reviews carry the figures their committee saw: frozen through the function every review
freezes its figures with, the engine recomputed as of the day before each meeting, the same for the same
as-of date; so "what changed since the last review" has something to say from the first demo meeting on."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from demo.northwind import build_demo, freeze_review_figures
from demo.scale import clear_portfolio
from steering.figures import figure_changes
from steering.models import CheckpointReview

AS_OF = datetime.date(2026, 11, 21)

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(time_machine: Any) -> int:
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, tzinfo=datetime.UTC), tick=False)
    build_demo(as_of=AS_OF)
    return freeze_review_figures()


def without_ids(value: Any) -> Any:
    """Figures with the ids of the records they name left out: a second build numbers its rows anew."""
    if isinstance(value, dict):
        return {key: without_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


def reviews() -> list[CheckpointReview]:
    return list(CheckpointReview.objects.select_related("initiative").order_by("held_on", "initiative__code"))


def test_every_past_review_holds_the_figures_of_the_eve_of_its_meeting(frozen):
    # then all 16 reviews have figures, dated (with the engine's part) the day before their meeting
    assert frozen == 16
    assert [
        (
            review.initiative.code,
            review.held_on.isoformat(),
            review.figures["as_of"],
            review.figures["scores_as_of"],
        )
        for review in reviews()
    ][:5] == [
        ("ECOM-08", "2026-07-26", "2026-07-25", "2026-07-25"),
        ("FIN-01", "2026-07-26", "2026-07-25", "2026-07-25"),
        ("SCM-03", "2026-07-26", "2026-07-25", "2026-07-25"),
        ("STORE-01", "2026-07-26", "2026-07-25", "2026-07-25"),
        ("DATA-01", "2026-08-30", "2026-08-29", "2026-08-29"),
    ]
    assert all(
        review.figures["as_of"] == (review.held_on - datetime.timedelta(days=1)).isoformat()
        for review in reviews()
    )
    # and they say what the engine said then: SCM-03's first review saw its tier, alignment and signals of July
    first = next(review for review in reviews() if review.initiative.code == "SCM-03")
    assert (first.figures["tier"], first.figures["scores"]["alignment"]) == (2, 40.1)
    assert [(signal["rule"], signal["severity"]) for signal in first.figures["signals"]] == [
        ("checkpoint_overdue", "red"),
        ("cost_overrun", "red"),
        ("kpi_off_track", "red"),
        ("schedule_slip", "amber"),
    ]


def test_what_changed_between_two_demo_reviews_is_told(frozen):
    # given ECOM-01's reviews of 30 August and 8 November
    august, november = (review.figures for review in reviews() if review.initiative.code == "ECOM-01")

    # then the second can say what changed since the first
    assert [str(change) for change in figure_changes(august, november)][:6] == [
        "Pending scope changes: 0 → 1 (+1)",
        "Cost of pending scope changes: €0 → €30,000 (+€30,000)",
        "Days added by pending scope changes: 0 → 10 (+10)",
        "Alignment: 66.6 → 64.3 (−2.3)",
        "Outcome: 55.3 → 53.4 (−1.9)",
        "Delivery: 76.1 → 63.2 (−12.9)",
    ]


def test_the_frozen_figures_are_the_same_for_the_same_as_of_date(frozen, time_machine):
    # given the figures of a first build
    first = {(review.initiative.code, review.held_on): without_ids(review.figures) for review in reviews()}

    # when the portfolio is built and frozen again for the same date, a week later by the clock
    clear_portfolio()
    time_machine.move_to(datetime.datetime(2026, 11, 28, 9, tzinfo=datetime.UTC), tick=False)
    build_demo(as_of=AS_OF)
    freeze_review_figures()

    # then every review holds exactly the same figures
    assert {
        (review.initiative.code, review.held_on): without_ids(review.figures) for review in reviews()
    } == first
