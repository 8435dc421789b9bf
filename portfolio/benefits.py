"""Benefit realisation (issue 14, parts 1 and 2): quarters, the attribution of a KPI's movement to the
initiatives that claim it, and the realisation figures of a benefit plan (realised and expected to date,
variance, forecast).

Pure functions over plain values, no database. docs/benefits.md states the rules and works an example that
tests/portfolio/test_benefit_math.py reproduces exactly.

The rules, chosen once here and used everywhere:

- **Quarters** are calendar quarters (Q1 = January to March). "To date" means the quarters that have ended
  on or before the as-of date; the quarter under way counts once it has ended.
- **Attribution** of a KPI-measured benefit in a quarter, for an initiative live since G:
  the reference R is the latest reading dated on or before G (none: the KPI's baseline value); the quarter's
  value V is the latest reading dated in the quarter and after G (none: no derived actual for the quarter);
  the movement M = d x (V - R), with d = +1 when higher is better and -1 when lower is better; the claimed
  change T is the sum of |expected change| over every contribution that names the KPI with an expected change
  (this initiative's and any other's); the realised fraction f = min(1, max(0, M) / T); and the derived
  actual is the quarter's expected benefit x f. A KPI that moved against its direction realises nothing
  (f = 0); a movement beyond everything claimed realises the whole plan and no more (f = 1); several
  initiatives claiming the same KPI share its movement in proportion to what each claimed, so each realises
  the same fraction of its own claim.
- **Realisation** to date: realised R = sum of the actuals of the quarters to date (a quarter without an
  actual counts 0 and is reported); expected E = sum of their expected values; variance R - E, and as a
  fraction of E; the realisation rate R / E. **Forecast** of total realisation = R + (expected of the
  quarters still to come) x the realisation rate (x 1 while nothing was expected to date). Money is rounded
  to the cent and KPI values to 4 decimals, half away from zero, once, at the end; fractions to 6 decimals.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

CENT = Decimal("0.01")
KPI_PLACES = Decimal("0.0001")
FRACTION_PLACES = Decimal("0.000001")
ZERO = Decimal("0")
ONE = Decimal("1")


class Quarter(NamedTuple):
    """A calendar quarter; ordered by year, then quarter."""

    year: int
    quarter: int

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> datetime.date:
        following = self.next()
        return following.start - datetime.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included (empty when `last` comes first)."""
    found = []
    quarter = first
    while quarter <= last:
        found.append(quarter)
        quarter = quarter.next()
    return found


def rounded(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------ attribution


@dataclass(frozen=True)
class QuarterShare:
    """What a KPI's readings say of one quarter: the value read (None: no reading), the movement since the
    reference in the KPI's good direction, and the fraction of the claimed change realised (None: none
    derived), with the reason in words."""

    quarter: Quarter
    value: Decimal | None
    movement: Decimal | None
    fraction: Decimal | None
    note: str


@dataclass(frozen=True)
class Attribution:
    """The attribution of a KPI's movement to one initiative's claim, quarter by quarter."""

    reference: Decimal | None
    reference_note: str
    claimed_total: Decimal
    shares: dict[Quarter, QuarterShare]
    note: str = ""  # why nothing can be derived, when nothing can


def attribute(
    *,
    higher_is_better: bool,
    baseline_value: Decimal,
    go_live: datetime.date | None,
    readings: Iterable[tuple[datetime.date, Decimal]],
    own_change: Decimal | None,
    other_changes: Iterable[Decimal | None],
    quarters: Sequence[Quarter],
) -> Attribution:
    """The fraction of an initiative's claimed KPI change realised in each quarter (the module's rule).

    `own_change` is the expected change of the initiative's contribution naming the KPI; `other_changes` the
    expected changes of the other initiatives' contributions naming it."""
    if go_live is None:
        return Attribution(None, "", ZERO, {}, "The initiative has no go-live date: nothing is measured yet.")
    if own_change is None or own_change == 0:
        return Attribution(
            None,
            "",
            ZERO,
            {},
            "No contribution of this initiative names this KPI with an expected change: "
            "there is nothing to measure the movement against.",
        )
    ordered = sorted(readings)
    before = [value for day, value in ordered if day <= go_live]
    if before:
        reference, reference_note = before[-1], "the last reading on or before go-live"
    else:
        reference, reference_note = baseline_value, "the KPI's baseline (no reading on or before go-live)"
    claimed = abs(own_change) + sum((abs(change) for change in other_changes if change), ZERO)
    sign = ONE if higher_is_better else -ONE
    shares: dict[Quarter, QuarterShare] = {}
    for quarter in quarters:
        if quarter.end <= go_live:
            shares[quarter] = QuarterShare(quarter, None, None, None, "Before go-live.")
            continue
        inside = [value for day, value in ordered if quarter.start <= day <= quarter.end and day > go_live]
        if not inside:
            shares[quarter] = QuarterShare(quarter, None, None, None, "No reading in the quarter.")
            continue
        value = inside[-1]
        movement = sign * (value - reference)
        if movement <= 0:
            note = "No movement in the KPI's direction since go-live: nothing realised."
            fraction = ZERO
        elif movement >= claimed:
            note = "The KPI moved by everything claimed or more: the whole expected benefit."
            fraction = ONE
        else:
            fraction = movement / claimed
            note = "The movement against the change claimed."
        shares[quarter] = QuarterShare(quarter, value, movement, fraction, note)
    return Attribution(reference, reference_note, claimed, shares)


def derived_actual(expected: Decimal | None, share: QuarterShare | None, places: Decimal) -> Decimal | None:
    """A quarter's derived actual: its expected benefit times the realised fraction (None when either is
    missing), rounded to `places`."""
    if expected is None or share is None or share.fraction is None:
        return None
    return rounded(expected * share.fraction, places)


def derived_periods(
    periods: Sequence[Period],
    *,
    higher_is_better: bool,
    baseline_value: Decimal,
    go_live: datetime.date | None,
    readings: Iterable[tuple[datetime.date, Decimal]],
    claims: Iterable[tuple[int, Decimal]],
    initiative_id: int,
    places: Decimal,
) -> tuple[Attribution, list[Period]]:
    """A derived plan's quarters with their actuals derived from its KPI's readings (the attribution rule),
    and the attribution they came from. `claims` are the (initiative id, expected change) of every
    contribution naming the KPI with an expected change: the initiative's own are its claim, summed; the
    others' share the movement. One definition for every reader: the plan pages and the engine's signals."""
    claims = list(claims)
    own = [change for who, change in claims if who == initiative_id]
    attribution = attribute(
        higher_is_better=higher_is_better,
        baseline_value=baseline_value,
        go_live=go_live,
        readings=readings,
        own_change=sum(own, ZERO) if own else None,
        other_changes=[change for who, change in claims if who != initiative_id],
        quarters=[period.quarter for period in periods],
    )
    return attribution, [
        Period(p.quarter, p.expected, derived_actual(p.expected, attribution.shares.get(p.quarter), places))
        for p in periods
    ]


# ------------------------------------------------------------------------------------------ realisation


class Period(NamedTuple):
    quarter: Quarter
    expected: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True)
class Realisation:
    """A plan's realisation figures as of a date (see the module's rules)."""

    as_of: datetime.date
    expected_to_date: Decimal
    realised_to_date: Decimal
    variance: Decimal
    variance_fraction: Decimal | None  # of the expected to date; None when nothing was expected
    rate: Decimal | None  # realised / expected to date; None when nothing was expected
    total_expected: Decimal
    remaining_expected: Decimal
    forecast: Decimal
    forecast_variance: Decimal
    quarters_to_date: int
    missing_actuals: tuple[Quarter, ...]  # quarters to date with a benefit expected and no actual
    measured: int = 0  # quarters to date with an actual

    def forecast_confidence(self) -> tuple[str, str]:
        """How sure the forecast is, as (level, words): forecast_confidence() over this plan's figures."""
        return forecast_confidence(
            total_expected=self.total_expected,
            expected_to_date=self.expected_to_date,
            remaining_expected=self.remaining_expected,
            measured=self.measured,
            lacking=len(self.missing_actuals),
        )


def forecast_confidence(
    *,
    total_expected: Decimal,
    expected_to_date: Decimal,
    remaining_expected: Decimal,
    measured: int,
    lacking: int,
) -> tuple[str, str]:
    """How sure a forecast of realisation is, as (level, words): it extends the realisation rate of the quarters
    to date over the rest of the plan (or of the plans summed), so it is as sure as the share of the plan
    already behind it and measured.

    None: nothing planned. High: every quarter has ended and been measured, or at least half the planned value
    is to date and every quarter to date has an actual. Low: no quarter measured yet (the forecast is the plan
    itself), or less than a quarter of the planned value to date. Medium otherwise."""
    if total_expected <= 0:
        return "none", "No data: nothing is planned."
    if remaining_expected <= 0 and not lacking:
        return "high", "High confidence: every quarter of the plan has ended and been measured."
    if measured == 0:
        return "low", "Low confidence: no quarter measured yet, so the forecast is the plan itself."
    behind = expected_to_date / total_expected
    level = (
        "low"
        if behind < Decimal("0.25")
        else "high"
        if behind >= Decimal("0.5") and not lacking
        else "medium"
    )
    said = [
        f"{measured} quarter{'s' if measured != 1 else ''} measured",
        f"{behind * 100:.0f}% of the planned value to date",
    ]
    if lacking:
        said.append(f"{lacking} quarter{'s' if lacking != 1 else ''} to date lacking an actual")
    return level, f"{FORECAST_LABELS[level]}: {'; '.join(said)}."


FORECAST_LABELS = {"high": "High confidence", "medium": "Medium confidence", "low": "Low confidence"}


def realisation(periods: Iterable[Period], as_of: datetime.date, places: Decimal = CENT) -> Realisation:
    """Realised and expected to date, variance, and the forecast of total realisation (the module's rules)."""
    expected_to_date = realised = remaining = ZERO
    due = measured = 0
    missing: list[Quarter] = []
    for period in sorted(periods):
        expected = period.expected or ZERO
        if period.quarter.end <= as_of:
            due += 1
            expected_to_date += expected
            realised += period.actual or ZERO
            if period.actual is None and expected:
                missing.append(period.quarter)
            measured += period.actual is not None
        else:
            remaining += expected
    rate = realised / expected_to_date if expected_to_date else None
    forecast = realised + remaining * (rate if rate is not None else ONE)
    variance = realised - expected_to_date
    return Realisation(
        as_of=as_of,
        expected_to_date=rounded(expected_to_date, places),
        realised_to_date=rounded(realised, places),
        variance=rounded(variance, places),
        variance_fraction=rounded(variance / expected_to_date, FRACTION_PLACES) if expected_to_date else None,
        rate=rounded(rate, FRACTION_PLACES) if rate is not None else None,
        total_expected=rounded(expected_to_date + remaining, places),
        remaining_expected=rounded(remaining, places),
        forecast=rounded(forecast, places),
        forecast_variance=rounded(forecast - expected_to_date - remaining, places),
        quarters_to_date=due,
        missing_actuals=tuple(missing),
        measured=measured,
    )


def cumulative(
    periods: Iterable[Period], as_of: datetime.date
) -> list[tuple[Quarter, Decimal, Decimal | None]]:
    """Cumulative expected and realised benefit by quarter, over every quarter from the first to the last
    that holds a figure; realised only for the quarters to date (None after)."""
    expected: dict[Quarter, Decimal] = {}
    actual: dict[Quarter, Decimal] = {}
    for period in periods:
        expected[period.quarter] = expected.get(period.quarter, ZERO) + (period.expected or ZERO)
        actual[period.quarter] = actual.get(period.quarter, ZERO) + (period.actual or ZERO)
    if not expected:
        return []
    rows: list[tuple[Quarter, Decimal, Decimal | None]] = []
    total_expected = total_actual = ZERO
    for quarter in quarters_between(min(expected), max(expected)):
        total_expected += expected.get(quarter, ZERO)
        total_actual += actual.get(quarter, ZERO)
        rows.append((quarter, total_expected, total_actual if quarter.end <= as_of else None))
    return rows


# ------------------------------------------------------------------------------------------ post-implementation reviews

PIR_MONTHS = (3, 6, 12)
PIR_WINDOW_MONTHS = 15  # after go-live + 15 months a missed review is no longer proposed


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has fewer days (31 Jan + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class ReviewDue:
    """A post-implementation review a steering meeting should hold: +`months` after go-live, due on `due_on`."""

    months: int
    due_on: datetime.date
    go_live: datetime.date

    def reason(self) -> str:
        return (
            f"Post-implementation review at +{self.months} months due {self.due_on.isoformat()} "
            f"(live since {self.go_live.isoformat()}): benefits realised against the plan"
        )


def review_due(
    go_live: datetime.date | None, held_on: datetime.date, last_review: datetime.date | None
) -> ReviewDue | None:
    """The post-implementation review a meeting on `held_on` should hold: the latest of go-live +3, +6 and
    +12 months that has come by `held_on` and that no checkpoint review held on or after it has covered;
    none before go-live + 3 months, and none after go-live + 15 months (a review missed for that long is
    the committee's call, not the agenda's)."""
    if go_live is None or held_on > add_months(go_live, PIR_WINDOW_MONTHS):
        return None
    come = [
        (months, add_months(go_live, months))
        for months in PIR_MONTHS
        if add_months(go_live, months) <= held_on
    ]
    if not come:
        return None
    months, due_on = come[-1]
    if last_review is not None and last_review >= due_on:
        return None
    return ReviewDue(months, due_on, go_live)
