"""The benefit realisation rules (portfolio.benefits) reproduce docs/benefits.md's worked example exactly, and
each edge the rules name: no reading before go-live, no reading in a quarter, a KPI moving the wrong way, a
movement beyond every claim, several initiatives claiming one KPI."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from portfolio.benefits import (
    CENT,
    KPI_PLACES,
    Period,
    Quarter,
    add_months,
    attribute,
    cumulative,
    derived_actual,
    quarters_between,
    realisation,
    review_due,
)

D = datetime.date
GO_LIVE = D(2026, 2, 15)
QUARTERS = [Quarter(2026, q) for q in (1, 2, 3, 4)] + [Quarter(2027, q) for q in (1, 2, 3, 4)]
READINGS = [
    (D(2025, 11, 30), Decimal("39")),
    (D(2026, 1, 31), Decimal("38")),
    (D(2026, 3, 31), Decimal("35")),
    (D(2026, 5, 31), Decimal("33")),
    (D(2026, 6, 30), Decimal("32")),
    (D(2026, 10, 15), Decimal("29")),
    (D(2026, 12, 15), Decimal("27")),
]
EXPECTED = {QUARTERS[0]: Decimal("12345.67"), **{q: Decimal("20000") for q in QUARTERS[1:]}}


def support_calls(readings=READINGS, own=Decimal("-6"), others=(Decimal("-4"),), go_live=GO_LIVE):
    """The worked example's KPI: support calls per 1,000 orders, lower is better, baseline 42."""
    return attribute(
        higher_is_better=False,
        baseline_value=Decimal("42"),
        go_live=go_live,
        readings=readings,
        own_change=own,
        other_changes=others,
        quarters=QUARTERS,
    )


def test_quarters_know_their_dates_and_order():
    # Given the quarter of 15 February 2026
    quarter = Quarter.of(D(2026, 2, 15))
    # Then it is the first quarter, from 1 January to 31 March, and the fourth is followed by the next year's
    assert (quarter, quarter.start, quarter.end, quarter.label) == (
        Quarter(2026, 1),
        D(2026, 1, 1),
        D(2026, 3, 31),
        "2026 Q1",
    )
    assert Quarter(2026, 4).end == D(2026, 12, 31)
    assert quarters_between(Quarter(2026, 3), Quarter(2027, 2)) == [
        Quarter(2026, 3),
        Quarter(2026, 4),
        Quarter(2027, 1),
        Quarter(2027, 2),
    ]


def test_worked_example_attribution():
    # Given the worked example: go-live 15 February 2026, ECOM-1 claims -6 calls, CRM-2 claims -4
    result = support_calls()
    # Then the reference is the last reading on or before go-live (38) and the claim totals 10
    assert (result.reference, result.claimed_total) == (Decimal("38"), Decimal("10"))
    shares = [(s.value, s.movement, s.fraction) for s in (result.shares[q] for q in QUARTERS[:4])]
    # And each quarter's latest reading after go-live gives the movement and the fraction realised
    assert shares == [
        (Decimal("35"), Decimal("3"), Decimal("0.3")),
        (Decimal("32"), Decimal("6"), Decimal("0.6")),
        (None, None, None),  # no reading in Q3
        (Decimal("27"), Decimal("11"), Decimal("1")),  # capped: 11 is more than the 10 claimed
    ]
    assert result.shares[QUARTERS[2]].note == "No reading in the quarter."
    # And the derived actuals are the expected benefits times those fractions, to the cent
    actuals = [derived_actual(EXPECTED[q], result.shares[q], CENT) for q in QUARTERS]
    assert actuals == [
        Decimal("3703.70"),
        Decimal("12000.00"),
        None,
        Decimal("20000.00"),
        None,
        None,
        None,
        None,
    ]


def test_worked_example_realisation():
    # Given the worked example's quarters with their derived actuals, as of 10 January 2027
    result = support_calls()
    periods = [Period(q, EXPECTED[q], derived_actual(EXPECTED[q], result.shares[q], CENT)) for q in QUARTERS]
    # When the realisation is computed
    figures = realisation(periods, D(2027, 1, 10))
    # Then it is the documented one
    assert figures.expected_to_date == Decimal("72345.67")
    assert figures.realised_to_date == Decimal("35703.70")
    assert figures.variance == Decimal("-36641.97")
    assert figures.variance_fraction == Decimal("-0.506485")
    assert figures.rate == Decimal("0.493515")
    assert figures.total_expected == Decimal("152345.67")
    assert figures.remaining_expected == Decimal("80000.00")
    assert figures.forecast == Decimal("75184.93")
    assert figures.forecast_variance == Decimal("-77160.74")
    assert figures.quarters_to_date == 4
    assert figures.missing_actuals == (Quarter(2026, 3),)
    # and the forecast rests on 3 quarters measured, 47% of the plan's value, with 2026 Q3 lacking: medium
    assert figures.measured == 3
    assert figures.forecast_confidence() == (
        "medium",
        "Medium confidence: 3 quarters measured; 47% of the planned value to date; 1 quarter to date lacking an "
        "actual.",
    )
    # a year later, every quarter ended: high once 2026 Q3 has its actual, medium while it lacks one
    later = realisation(periods, D(2028, 1, 10))
    assert later.forecast_confidence()[0] == "medium"
    filled = [
        Period(p.quarter, p.expected, p.actual if p.actual is not None else Decimal("0")) for p in periods
    ]
    assert realisation(filled, D(2028, 1, 10)).forecast_confidence() == (
        "high",
        "High confidence: every quarter of the plan has ended and been measured.",
    )
    # early on, a single quarter measured of a long plan: low
    assert realisation(periods, D(2026, 4, 10)).forecast_confidence() == (
        "low",
        "Low confidence: 1 quarter measured; 8% of the planned value to date.",
    )


def test_worked_example_cumulative():
    # Given the same quarters
    result = support_calls()
    periods = [Period(q, EXPECTED[q], derived_actual(EXPECTED[q], result.shares[q], CENT)) for q in QUARTERS]
    # Then the cumulative series realises only the quarters to date
    rows = cumulative(periods, D(2027, 1, 10))
    assert [(q.label, e, r) for q, e, r in rows] == [
        ("2026 Q1", Decimal("12345.67"), Decimal("3703.70")),
        ("2026 Q2", Decimal("32345.67"), Decimal("15703.70")),
        ("2026 Q3", Decimal("52345.67"), Decimal("15703.70")),
        ("2026 Q4", Decimal("72345.67"), Decimal("35703.70")),
        ("2027 Q1", Decimal("92345.67"), None),
        ("2027 Q2", Decimal("112345.67"), None),
        ("2027 Q3", Decimal("132345.67"), None),
        ("2027 Q4", Decimal("152345.67"), None),
    ]


def test_the_other_claimant_realises_the_same_fraction_of_its_own_claim():
    # Given CRM-2's view of the same KPI: it claims -4 and ECOM-1 -6
    result = support_calls(own=Decimal("-4"), others=(Decimal("-6"),))
    # Then its fractions are the same, so the 3 calls of Q1 are split 1.2 to CRM-2 and 1.8 to ECOM-1
    assert [result.shares[q].fraction for q in QUARTERS[:4]] == [
        Decimal("0.3"),
        Decimal("0.6"),
        None,
        Decimal("1"),
    ]
    assert result.shares[QUARTERS[0]].fraction * 4 == Decimal("1.2")


def test_without_a_reading_before_go_live_the_baseline_is_the_reference():
    # Given no reading on or before go-live
    readings = [(day, value) for day, value in READINGS if day > GO_LIVE]
    result = support_calls(readings=readings)
    # Then the movement is measured from the KPI's baseline, 42: Q1 moved 7 of the 10 claimed
    assert (result.reference, result.reference_note) == (
        Decimal("42"),
        "the KPI's baseline (no reading on or before go-live)",
    )
    assert result.shares[QUARTERS[0]].fraction == Decimal("0.7")


def test_a_kpi_moving_against_its_direction_realises_nothing():
    # Given a Q1 reading of 39, one call worse than the reference of 38
    readings = [*READINGS[:2], (D(2026, 3, 31), Decimal("39"))]
    result = support_calls(readings=readings)
    share = result.shares[QUARTERS[0]]
    # Then the movement is -1 and nothing is realised (never a negative benefit)
    assert (share.movement, share.fraction) == (Decimal("-1"), Decimal("0"))
    assert derived_actual(EXPECTED[QUARTERS[0]], share, CENT) == Decimal("0.00")


def test_quarters_ended_by_go_live_are_not_derived():
    # Given a go-live on the last day of 2026 Q1
    result = support_calls(go_live=D(2026, 3, 31))
    # Then Q1 is before go-live, and the reference is the reading of that day
    assert result.shares[QUARTERS[0]].note == "Before go-live."
    assert result.reference == Decimal("35")
    assert result.shares[QUARTERS[1]].fraction == Decimal("0.3")


@pytest.mark.parametrize("own", [None, Decimal("0")])
def test_no_expected_change_derives_nothing(own):
    # Given a contribution with no expected change on the KPI
    result = support_calls(own=own)
    # Then there is nothing to derive, and it says why
    assert result.shares == {}
    assert result.note.startswith("No contribution of this initiative names this KPI")


def test_no_go_live_derives_nothing():
    result = support_calls(go_live=None)
    assert (result.shares, result.note) == (
        {},
        "The initiative has no go-live date: nothing is measured yet.",
    )


def test_nothing_expected_to_date_forecasts_the_plan():
    # Given a plan whose benefits all lie ahead
    periods = [
        Period(Quarter(2027, 1), Decimal("100"), None),
        Period(Quarter(2027, 2), Decimal("50.5"), None),
    ]
    figures = realisation(periods, D(2026, 12, 31))
    # Then nothing is due, there is no rate, and the forecast is the plan itself
    assert (figures.expected_to_date, figures.realised_to_date, figures.rate, figures.variance_fraction) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        None,
    )
    assert (figures.forecast, figures.forecast_variance) == (Decimal("150.50"), Decimal("0.00"))
    assert figures.forecast_confidence() == (
        "low",
        "Low confidence: no quarter measured yet, so the forecast is the plan itself.",
    )


def test_kpi_valued_plans_round_to_four_decimals():
    # Given a non-financial plan in NPS points, two thirds realised
    periods = [
        Period(Quarter(2026, 1), Decimal("3"), Decimal("2")),
        Period(Quarter(2026, 2), Decimal("1"), None),
    ]
    figures = realisation(periods, D(2026, 4, 1), KPI_PLACES)
    # Then the forecast is 2 + 1 x 2/3, to 4 decimals
    assert figures.forecast == Decimal("2.6667")
    assert figures.rate == Decimal("0.666667")


@pytest.mark.parametrize(
    ("held_on", "last_review", "expected"),
    [
        (D(2026, 5, 14), None, None),  # before +3 months
        (D(2026, 5, 15), None, (3, D(2026, 5, 15))),
        (D(2026, 7, 1), D(2026, 5, 20), None),  # the +3 review was held
        (D(2026, 8, 15), D(2026, 5, 20), (6, D(2026, 8, 15))),
        (D(2026, 12, 1), None, (6, D(2026, 8, 15))),  # +3 and +6 missed: the latest is proposed
        (D(2027, 2, 15), D(2026, 9, 1), (12, D(2027, 2, 15))),
        (D(2027, 5, 15), None, (12, D(2027, 2, 15))),  # the last day of the window
        (D(2027, 5, 16), None, None),  # after go-live + 15 months
    ],
)
def test_post_implementation_reviews_fall_at_3_6_and_12_months(held_on, last_review, expected):
    # Given an initiative live since 15 February 2026
    due = review_due(GO_LIVE, held_on, last_review)
    # Then the review a meeting on `held_on` should hold is the documented one
    assert (None if due is None else (due.months, due.due_on)) == expected


def test_months_after_a_month_end_stay_in_their_month():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 12, 31), 12) == D(2027, 12, 31)
