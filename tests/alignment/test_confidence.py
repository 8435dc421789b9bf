"""How sure each number is (issue 14, part 4; docs/scoring.md, "Confidence"): the KPI forecast's interval and
status confidence, an initiative score's confidence from its missing or stale components, and the alignment
index's from the budget with low-confidence scores."""

from __future__ import annotations

import datetime
import math
from dataclasses import replace

import pytest
from django.urls import reverse

from alignment import services
from alignment.engine import confidence as c
from alignment.engine import formulas as f
from alignment.engine.compute import compute_portfolio
from core.extensions import ReviewFact
from tests.alignment.engine_support import build_example
from tests.alignment.formula_support import (
    COST_KPI,
    COST_READINGS,
    KPI_POLICY,
    ORDERS_KPI,
    ORDERS_READINGS,
    TODAY,
    D,
    example_initiatives,
    portfolio_inputs,
    score,
)


def test_the_forecast_interval_worked_example():
    # given: orders per week read at 21, 22, 24, 25 on days 0, 60, 120, 180; the target date is day 300
    trend = f.least_squares_trend(ORDERS_READINGS)
    assert trend is not None
    interval = c.forecast_interval(
        ORDERS_READINGS, ORDERS_KPI.target_date, slope_per_day=trend.slope_per_day, intercept=trend.intercept
    )

    # then: ŷ = 20.9 + 0.023333 × 300 = 27.9; residuals 0.1, −0.3, 0.3, −0.1: s = √(0.2 / 2) = 0.316228;
    # t(0.90, 2) = 1.885618; √(1 + 1/4 + (300 − 90)² / 18000) = √3.7; half-width 1.146977
    half = 1.885618 * math.sqrt(0.1) * math.sqrt(3.7)
    assert interval is not None
    assert round(interval.low, 6) == round(27.9 - half, 6) == 26.753023
    assert round(interval.high, 6) == round(27.9 + half, 6) == 29.046977


def test_no_interval_without_three_readings_or_with_a_perfect_line():
    assert (
        c.forecast_interval(COST_READINGS, COST_KPI.target_date, slope_per_day=-0.001, intercept=4.8) is None
    )
    exact = [(D(2026, 1, 1), 1.0), (D(2026, 1, 11), 2.0), (D(2026, 1, 21), 3.0)]
    line = c.forecast_interval(exact, D(2026, 1, 31), slope_per_day=0.1, intercept=1.0)
    # no scatter around the line: no width
    assert line is not None
    assert (line.low, line.high) == (pytest.approx(4.0), pytest.approx(4.0))


def test_the_worked_example_kpis_confidence():
    orders = f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY)
    cost = f.assess_kpi(COST_KPI, COST_READINGS, TODAY, KPI_POLICY)

    # then: orders at risk (forecast progress 0.79) but the interval's progress 0.675 to 0.905 reaches off
    # track: medium; cost per order has 2 readings: low
    assert (orders.status, orders.confidence) == ("at_risk", "medium")
    assert orders.forecast_low is not None
    assert orders.forecast_high is not None
    assert (round(orders.forecast_low, 6), round(orders.forecast_high, 6)) == (26.753023, 29.046977)
    assert (cost.status, cost.confidence, cost.forecast_low) == ("off_track", "low", None)


def test_a_kpi_is_high_when_its_interval_stays_within_its_status_and_low_once_stale():
    # given: a steady climb to the target, read monthly
    readings = [(D(2026, m, 1), 20.0 + 0.8 * m) for m in range(1, 12)]

    fresh = f.assess_kpi(ORDERS_KPI, readings, D(2026, 11, 21), KPI_POLICY)
    stale = f.assess_kpi(ORDERS_KPI, readings[:6], D(2026, 11, 21), KPI_POLICY)  # latest 1 June: 173 days

    assert (fresh.status, fresh.confidence) == ("on_track", "high")
    assert stale.confidence == "low"
    assert f.assess_kpi(ORDERS_KPI, [], TODAY, KPI_POLICY).confidence == "none"


def test_the_kpi_confidence_in_words():
    interval = c.Interval(26.753023, 29.046977)

    medium = c.kpi_words(
        confidence="medium",
        achieved=False,
        readings=4,
        latest=D(2026, 8, 29),
        today=TODAY,
        fresh_days=90,
        interval=interval,
        unit="orders",
    )
    low = c.kpi_words(
        confidence="low",
        achieved=False,
        readings=2,
        latest=D(2026, 8, 29),
        today=D(2026, 12, 1),
        fresh_days=90,
        interval=None,
    )

    assert medium == (
        "Medium confidence: 4 readings used, the latest 84 days ago; 80% forecast interval 26.75 to 29.05 orders "
        "at the target date, which spans more than one status."
    )
    assert low == (
        "Low confidence: 2 readings used, the latest 94 days ago; more than 90 days old, so the status may be "
        "out of date; too few for a trend."
    )


def test_the_worked_example_score_is_medium_with_delivery_stale():
    # given: CHK-1, in delivery, whose latest checkpoint (23 August) is 90 days old on a 60-day cadence
    result = score(example_initiatives()[0])

    assert (result.confidence, result.unsure) == ("medium", {"delivery": "stale"})
    assert c.score_words(result.confidence, "in_delivery", result.unsure) == (
        "Medium confidence: 1 of 3 components missing or stale: delivery stale (no checkpoint review within "
        "the tier's cadence has confirmed it)."
    )


def test_a_fresh_review_makes_the_score_high_and_stale_kpis_make_it_low():
    chk = example_initiatives()[0]
    review = ReviewFact(9, chk.id, D(2026, 11, 1), ("green",) * 4, "proceed", frozenset())
    reviewed = replace(chk, reviews=[review, *chk.reviews])

    fresh = score(reviewed)
    # the KPIs last read on 29 August are 84 days old; on 1 December they are 94 days old: stale too
    later = score(chk, portfolio_inputs([chk], today=D(2026, 12, 1)))

    assert (fresh.confidence, fresh.unsure) == ("high", {})
    assert c.score_words(fresh.confidence, "in_delivery", fresh.unsure) == (
        "High confidence: all 3 components measured on current data."
    )
    assert (later.confidence, later.unsure) == ("low", {"outcome": "stale", "delivery": "stale"})


def test_missing_components_count_and_an_idea_claims_no_confidence():
    rows = {row.code: row for row in example_initiatives()}

    srch = score(rows["SRCH-1"])  # in delivery, no KPI named: outcome missing, 1 of 3
    dc = score(rows["DC-1"])  # approved: delivery and governance judged, both present and current
    idea = score(replace(rows["CHK-1"], stage="idea"))

    assert (srch.confidence, srch.unsure) == ("medium", {"outcome": "missing"})
    assert (dc.confidence, dc.unsure) == ("high", {})
    assert (idea.confidence, idea.unsure) == ("", {})
    assert c.score_words("", "idea", {}) == "Fit alone: execution is not judged before approval."
    assert c.score_words("low", "approved", {"delivery": "missing", "governance": "missing"}) == (
        "Low confidence: 2 of 2 components missing or stale: delivery missing; governance missing."
    )


@pytest.mark.parametrize(
    ("share", "level", "words"),
    [
        (None, "none", "No data: no funded budget is scored."),
        (0.0, "high", "High confidence: 0% of the budget has low-confidence scores."),
        (0.0999, "high", "High confidence: 10% of the budget has low-confidence scores."),
        (0.10, "medium", "Medium confidence: 10% of the budget has low-confidence scores."),
        (0.30, "low", "Low confidence: 30% of the budget has low-confidence scores."),
    ],
)
def test_the_index_confidence(share, level, words):
    assert c.index_confidence(share) == level
    assert c.index_words(level, share) == words


def test_the_portfolio_indices_carry_the_low_confidence_share():
    # given: the example portfolio on 1 December 2026, when CHK-1's KPIs (last read 29 August) and its delivery
    # (last reviewed 23 August, 60-day cadence) are both stale
    rows = example_initiatives()
    inputs = portfolio_inputs(rows, today=D(2026, 12, 1))
    scores = {row.id: score(row, inputs) for row in rows}

    result = compute_portfolio(inputs, scores)

    # then: CHK-1 (1,000,000 of the 2,000,000 funded) is of low confidence
    assert [(row.code, scores[row.id].confidence) for row in rows] == [
        ("CHK-1", "low"),
        ("SRCH-1", "medium"),
        ("DC-1", "high"),
    ]
    assert result.details["low_confidence_share"] == 0.5
    assert c.index_words(c.index_confidence(0.5), 0.5) == (
        "Low confidence: 50% of the budget has low-confidence scores."
    )


# --------------------------------------------------------------------------------------- through the pages


@pytest.mark.django_db
@pytest.mark.usefixtures("tier_policies")
def test_the_pages_show_the_confidence_beside_the_numbers(client, executive, time_machine):
    # given: the worked example recomputed on 21 November 2026 and read that day
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    x = build_example()
    services.recompute(today=TODAY)
    client.force_login(executive)

    kpi_page = client.get(reverse("portfolio:kpi-detail", args=[x["orders"].pk])).content.decode()
    initiative_page = client.get(reverse("portfolio:initiative-detail", args=[x["chk"].pk])).content.decode()
    dashboard = client.get(reverse("alignment:dashboard")).content.decode()

    # then
    assert (
        '<div class="small text-body-secondary" id="kpi-confidence">Medium confidence: 4 readings used, the latest '
        "84 days ago; 80% forecast interval 26.75 to 29.05"
    ) in kpi_page
    assert (
        "Medium confidence: 1 of 3 components missing or stale: delivery stale (no checkpoint review within the "
        "tier&#x27;s cadence has confirmed it)."
    ) in initiative_page
    assert "Stale: no checkpoint review within the tier&#x27;s cadence has confirmed it" in initiative_page
    # CHK-1 (medium), SRCH-1 (medium), DC-1 (high): no funded budget has low-confidence scores
    assert (
        '<div class="tile-confidence small text-body-secondary" data-confidence>High confidence: 0% of the budget '
        "has low-confidence scores.</div>"
    ) in dashboard
    # and the predictability rests on the 4 milestones due
    assert (
        '<div class="tile-confidence small text-body-secondary" data-confidence>Low confidence: over 4 milestones '
        "due.</div>"
    ) in dashboard


@pytest.mark.parametrize(
    ("interval", "said"),
    [
        (c.Interval(9.198111, 9.202228), "80% forecast interval 9.198 to 9.202 % at the target date."),
        (c.Interval(4.0, 4.0), "the readings lie on their trend: forecast 4 % with no spread."),
        (c.Interval(1200.4, 1530.6), "80% forecast interval 1,200 to 1,531 % at the target date."),
        (c.Interval(1200.41, 1200.47), "80% forecast interval 1,200.4 to 1,200.5 % at the target date."),
    ],
)
def test_an_interval_is_shown_with_the_decimals_that_tell_its_ends_apart(interval, said):
    words = c.kpi_words(
        confidence="high",
        achieved=False,
        readings=6,
        latest=TODAY,
        today=TODAY,
        fresh_days=90,
        interval=interval,
        unit="%",
    )

    assert words == f"High confidence: 6 readings used, the latest today; {said}"


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (0, ""),
        (1, "Low confidence: over 1 milestone due."),
        (4, "Low confidence: over 4 milestones due."),
        (5, "Medium confidence: over 5 milestones due."),
        (19, "Medium confidence: over 19 milestones due."),
        (1200, "High confidence: over 1,200 milestones due."),
    ],
)
def test_a_share_is_as_sure_as_the_number_it_is_counted_over(count, words):
    assert c.sample_words(count, "milestone due", "milestones due") == words


@pytest.mark.django_db
@pytest.mark.usefixtures("tier_policies")
def test_the_objective_page_says_how_sure_its_contributors_scores_are(client, executive, time_machine):
    # given: the worked example recomputed on 1 December 2026, when CHK-1's scores are of low confidence
    time_machine.move_to(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC), tick=False)
    x = build_example()
    services.recompute(today=D(2026, 12, 1))
    client.force_login(executive)

    page = client.get(reverse("portfolio:objective-detail", args=[x["o1"].pk])).content.decode()

    # then: CHK-1's alignment cell carries its confidence and marks it low
    words = (
        "Low confidence: 2 of 3 components missing or stale: outcome stale (no KPI it counts has a recent "
        "reading); delivery stale (no checkpoint review within the tier&#x27;s cadence has confirmed it)."
    )
    assert f'<td class="num" title="{words}">' in page
    assert (
        f'<i class="bi bi-exclamation-circle confidence-mark" aria-hidden="true"></i><span class="visually-hidden"> {words}</span>'
        in page
    )


def test_each_worker_process_loads_the_quantiles_and_urls_before_its_first_job():
    """config.celery: a worker process warms up as it starts (alignment.services.warm_up), so that its first
    recompute does not pay for importing SciPy's special functions and the URL configuration."""
    from celery.signals import worker_process_init

    import config.celery  # noqa: F401  # connects the receiver
    from alignment.engine.confidence import forecast_quantile

    forecast_quantile.cache_clear()
    worker_process_init.send(sender=None)

    assert forecast_quantile.cache_info().currsize == 1
    assert forecast_quantile(3) == 1.637744353696209  # Student's t at 0.90 with 3 degrees of freedom
    assert forecast_quantile.cache_info().hits == 1
