"""How sure each number is (issue 14, part 4): pure functions, no database. docs/scoring.md ("Confidence")
gives the rules with worked examples that tests/alignment/test_confidence.py reproduces.

- A **KPI forecast** carries the 80% prediction interval of the least-squares trend at the target date, and a
  KPI's status a confidence: none without readings; low when its latest reading is older than the policy's
  freshness limit or there are too few readings for a trend; medium when the forecast interval reaches
  another status than the forecast's; high otherwise.
- An **initiative's score** carries the components its stage is judged on (outcome from delivery on, delivery
  once approved, governance until go-live) that are missing or stale; the confidence is high when none is,
  medium when at most a third are, low otherwise. An idea or a proposal is judged on fit alone: no confidence
  is claimed for an execution not yet begun.
- The **alignment index** carries the share of the funded budget whose scores are of low confidence: high
  below 10%, medium below 30%, low from 30%.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.stages import DELIVERING, GOVERNED, OUTCOME

HIGH, MEDIUM, LOW, NONE = "high", "medium", "low", "none"
LABELS = {HIGH: "High confidence", MEDIUM: "Medium confidence", LOW: "Low confidence", NONE: "No data"}
INTERVAL_LEVEL = 0.80  # the forecast interval: 80% of outcomes fall inside it if the trend holds
INDEX_MEDIUM = 0.10  # share of the funded budget with low-confidence scores from which the index is medium
INDEX_LOW = 0.30  # ... and low
MISSING, STALE = "missing", "stale"
SPREAD_EPSILON = 1e-9  # an interval narrower than this has no spread: the readings lie on their trend


@functools.lru_cache(maxsize=64)
def forecast_quantile(degrees_of_freedom: int) -> float:
    """Student's t quantile of the two-sided interval at INTERVAL_LEVEL (the inverse of its distribution
    function, as scipy.stats.t.ppf computes it). SciPy's special functions are imported here, by the processes
    that compute scores, and not by every process that loads the app; scipy.stats would take three times as
    long to import (about 1.5 s) for the same figure."""
    from scipy.special import stdtrit  # noqa: PLC0415  # see the docstring

    return float(stdtrit(degrees_of_freedom, 0.5 + INTERVAL_LEVEL / 2))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def forecast_interval(
    readings: Sequence[tuple[datetime.date, float]],
    on: datetime.date,
    *,
    slope_per_day: float,
    intercept: float,
) -> Interval | None:
    """The 80% prediction interval at day `on` of the least-squares line through `readings` (its slope and its
    value at the first reading's day, as formulas.least_squares_trend fits them):
    ŷ ± t(0.90, n − 2) × s × √(1 + 1/n + (x₀ − x̄)² / Sxx), with s² the residuals' sum of squares over n − 2.
    None with fewer than 3 readings or a single date (no interval can be estimated)."""
    n = len(readings)
    if n < 3:
        return None
    origin = readings[0][0]
    xs = [(d - origin).days for d, _ in readings]
    mean_x = sum(xs) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    residuals = sum(
        (v - (intercept + slope_per_day * x)) ** 2 for x, (_, v) in zip(xs, readings, strict=True)
    )
    x0 = (on - origin).days
    half = (
        forecast_quantile(n - 2)
        * math.sqrt(residuals / (n - 2))
        * math.sqrt(1 + 1 / n + (x0 - mean_x) ** 2 / sxx)
    )
    centre = intercept + slope_per_day * x0
    return Interval(centre - half, centre + half)


def kpi_confidence(
    *,
    status: str,
    readings: int,
    latest: datetime.date | None,
    today: datetime.date,
    fresh_days: int,
    interval_statuses: Collection[str] = (),
) -> str:
    """A KPI status's confidence. `interval_statuses` are the statuses the forecast interval's two ends would
    give (empty without a trend)."""
    if latest is None or readings == 0:
        return NONE
    if (today - latest).days > fresh_days or not interval_statuses and status != "achieved":
        return LOW
    if status != "achieved" and any(s != status for s in interval_statuses):
        return MEDIUM
    return HIGH


def kpi_words(
    *,
    confidence: str,
    achieved: bool,
    readings: int,
    latest: datetime.date | None,
    today: datetime.date,
    fresh_days: int,
    interval: Interval | None,
    unit: str = "",
) -> str:
    """A KPI status's confidence in words, as shown beside it."""
    if confidence == NONE or latest is None:
        return "No data: no reading yet."
    age = (today - latest).days
    said = [f"{readings} reading{'s' if readings != 1 else ''} used, the latest {_age(age)}"]
    if age > fresh_days:
        said.append(f"more than {fresh_days} days old, so the status may be out of date")
    if interval is not None:
        unit_text = f" {unit}" if unit else ""
        low, high = _pair(interval.low, interval.high)
        said.append(
            (
                f"80% forecast interval {low} to {high}{unit_text} at the target date"
                if interval.high - interval.low > SPREAD_EPSILON
                else f"the readings lie on their trend: forecast {low}{unit_text} with no spread"
            )
            + (", which spans more than one status" if confidence == MEDIUM else "")
        )
    elif not achieved:
        said.append("too few for a trend")
    return f"{LABELS[confidence]}: {'; '.join(said)}."


def score_confidence(applicable: Sequence[str], unsure: Mapping[str, str]) -> str:
    """An initiative score's confidence from the components its stage is judged on and those of them missing
    or stale: "" when none applies (fit alone)."""
    if not applicable:
        return ""
    share = len([c for c in applicable if c in unsure]) / len(applicable)
    return HIGH if share == 0 else MEDIUM if share <= 1 / 3 else LOW


STALE_WORDS = {
    "outcome": "no KPI it counts has a recent reading",
    "delivery": "no checkpoint review within the tier's cadence has confirmed it",
}


def applicable(stage: str) -> list[str]:
    """The components an initiative's stage is judged on: outcome from the start of delivery, delivery once
    approved, governance until go-live (docs/scoring.md, "Which stages get which score")."""
    return [
        name
        for name, stages in (("outcome", OUTCOME), ("delivery", DELIVERING), ("governance", GOVERNED))
        if stage in stages
    ]


def score_words(confidence: str, stage: str, unsure: Mapping[str, str]) -> str:
    """An initiative score's confidence in words."""
    judged = applicable(stage)
    if not judged:
        return "Fit alone: execution is not judged before approval."
    if not confidence:
        return "Not known until the next recompute."
    if confidence == HIGH:
        return f"{LABELS[HIGH]}: all {_count(len(judged))} measured on current data."
    parts = []
    for name in judged:
        if unsure.get(name) == MISSING:
            parts.append(f"{name} missing")
        elif unsure.get(name) == STALE:
            parts.append(f"{name} stale ({STALE_WORDS[name]})")
    return (
        f"{LABELS[confidence]}: {len(parts)} of {_count(len(judged))} missing or stale: {'; '.join(parts)}."
    )


def index_confidence(low_share: float | None) -> str:
    """The alignment index's confidence from the share of the funded budget with low-confidence scores."""
    if low_share is None:
        return NONE
    return HIGH if low_share < INDEX_MEDIUM else MEDIUM if low_share < INDEX_LOW else LOW


def index_words(confidence: str, low_share: float | None) -> str:
    if low_share is None:
        return "No data: no funded budget is scored."
    return f"{LABELS[confidence]}: {round(low_share * 100)}% of the budget has low-confidence scores."


SAMPLE_MEDIUM = 5  # a share counted over fewer items than this is of low confidence
SAMPLE_HIGH = 20  # ... over at least this many, of high confidence


def sample_words(count: int, one: str, many: str) -> str:
    """How sure a share counted over `count` items is (the predictability over the milestones due): low under
    5, medium under 20, high from 20; "" when nothing is counted (the share itself is then missing)."""
    if count <= 0:
        return ""
    level = HIGH if count >= SAMPLE_HIGH else MEDIUM if count >= SAMPLE_MEDIUM else LOW
    return f"{LABELS[level]}: over {count:,} {one if count == 1 else many}."


def _count(n: int) -> str:
    return f"{n} component{'s' if n != 1 else ''}"


def _age(days: int) -> str:
    if days <= 0:
        return "today"
    return f"{days} day{'s' if days != 1 else ''} ago"


def _pair(low: float, high: float) -> tuple[str, str]:
    """The interval's ends shown with as many decimals as it takes to tell them apart: from none (values of
    1,000 and more) or 2 (smaller ones), up to 4."""
    first = 0 if max(abs(low), abs(high)) >= 1000 else 2
    for places in range(first, 5):
        shown = _number(low, places), _number(high, places)
        if shown[0] != shown[1]:
            break
    return shown


def _number(value: float, places: int) -> str:
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if places else text
