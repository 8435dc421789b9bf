"""The alignment engine's formulas, as pure functions of plain values (no database).

Every function returns a bounded number and, where a page needs to explain it, the parts it was made of.
docs/scoring.md gives each formula with a worked example; tests/alignment/test_formula_*.py reproduce them.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from alignment.engine import confidence
from alignment.engine.policy import (
    RAG_POINTS,
    STRENGTH_VALUES,
    DeliveryPolicy,
    KPIPolicy,
    Policy,
    TierPolicyThresholds,
)
from core.stages import ACTIVE, Stage


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


# ------------------------------------------------------------------------------------------- strategic fit

# The values a recompute builds for every initiative (fit and its terms, outcome, delivery, governance, tier,
# composite) are plain slotted dataclasses, not frozen ones: a frozen dataclass sets each field through
# object.__setattr__, which cost a tenth of the scoring. Nothing changes them once made.


@dataclass(slots=True)
class FitTerm:
    objective_id: int
    strength: str
    relative_weight: float  # r_o: min(1, global weight / the largest global weight of a priority unit)
    weighted: float  # c_o = r_o x s_io
    points: float  # this objective's share of the fit, in fit points


@dataclass(slots=True)
class Fit:
    value: float
    terms: tuple[FitTerm, ...]


def strategic_fit(contributions: Iterable[tuple[int, str]], relative_weights: dict[int, float]) -> Fit:
    """F = 100 x (1 - prod_o (1 - r_o x s_io)), over the initiative's contributions (objective id, strength).

    A strong contribution to the most important priority objective (or to a theme, r capped at 1) gives
    100; several smaller contributions add up with diminishing returns; no contribution gives 0. Each
    objective's share of F is proportional to its c_o = r_o x s_io, so the shares add up to F exactly.
    """
    raw = [
        (objective_id, strength, relative_weights.get(objective_id, 0.0), STRENGTH_VALUES.get(strength, 0.0))
        for objective_id, strength in contributions
    ]
    product = 1.0
    for _, _, r, s in raw:
        product *= 1.0 - clamp(r * s)
    value = 100.0 * (1.0 - product)
    total = sum(r * s for _, _, r, s in raw)
    terms = tuple(
        FitTerm(objective_id, strength, r, r * s, value * (r * s) / total if total > 0 else 0.0)
        for objective_id, strength, r, s in raw
    )
    return Fit(value, terms)


# ------------------------------------------------------------------------------------------- KPIs

ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "achieved", "on_track", "at_risk", "off_track", "no_data"
KPI_STATUS_LABELS = {
    ACHIEVED: "Achieved",
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    OFF_TRACK: "Off track",
    NO_DATA: "No data",
}


@dataclass(frozen=True)
class KPIDefinition:
    id: int
    direction: str  # "increase" or "decrease"
    baseline_value: float
    baseline_date: datetime.date
    target_value: float
    target_date: datetime.date
    interim: tuple[tuple[datetime.date, float], ...] = ()  # (date, value), sorted by date


def progress(kpi: KPIDefinition, value: float) -> float:
    """(value - baseline) / (target - baseline): 0 at the baseline, 1 at the target, in either direction.

    When the target equals the baseline the KPI has nothing to improve: progress is 1 if the value is at
    the target or better in the KPI's direction, otherwise 0.
    """
    span = kpi.target_value - kpi.baseline_value
    if span == 0:
        better = value >= kpi.target_value if kpi.direction == "increase" else value <= kpi.target_value
        return 1.0 if better else 0.0
    return (value - kpi.baseline_value) / span


def expected_progress(kpi: KPIDefinition, on: datetime.date) -> float:
    """Progress expected on a date: linear from (baseline date, 0) to (target date, 1), through interim targets."""
    points = [(kpi.baseline_date, 0.0)]
    points += [(d, progress(kpi, v)) for d, v in kpi.interim if kpi.baseline_date < d < kpi.target_date]
    points.append((kpi.target_date, 1.0))
    if on <= points[0][0]:
        return 0.0
    for (d0, p0), (d1, p1) in zip(points, points[1:], strict=False):
        if on <= d1:
            return p0 + (p1 - p0) * (on - d0).days / (d1 - d0).days
    return 1.0


@dataclass(frozen=True)
class Trend:
    slope_per_day: float
    intercept: float  # value at day 0 = the first reading used
    origin: datetime.date
    readings_used: int

    def at(self, on: datetime.date) -> float:
        return self.intercept + self.slope_per_day * (on - self.origin).days


def least_squares_trend(readings: Sequence[tuple[datetime.date, float]]) -> Trend | None:
    """Ordinary least squares of value on day over the given readings (None if fewer than two dates)."""
    if len(readings) < 2:
        return None
    origin = readings[0][0]
    xs = [(d - origin).days for d, _ in readings]
    ys = [v for _, v in readings]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return Trend(slope, mean_y - slope * mean_x, origin, n)


@dataclass(frozen=True)
class KPIAssessment:
    kpi_id: int
    status: str
    latest_value: float | None = None
    latest_date: datetime.date | None = None
    progress: float | None = None  # of the latest reading
    expected: float | None = None  # expected progress on the latest reading's date
    forecast_value: float | None = None  # the trend's value on the target date
    forecast_progress: float | None = None
    readings_used: int = 0
    slope_per_year: float | None = None
    ratio: float | None = None  # progress / expected, when the status came from it (no trend)
    # how sure the status is (engine.confidence): the forecast's 80% interval at the target date, and a level
    forecast_low: float | None = None
    forecast_high: float | None = None
    confidence: str = confidence.NONE

    @property
    def evidence(self) -> float | None:
        """What the KPI says about delivery of the target, 0..1: 1 once achieved (the target is met, whatever
        the trend since), else forecast progress, else latest progress."""
        if self.status == NO_DATA:
            return None
        if self.status == ACHIEVED:
            return 1.0
        value = self.forecast_progress if self.forecast_progress is not None else self.progress
        return clamp(value if value is not None else 0.0)


def _forecast_status(forecast_progress: float, policy: KPIPolicy) -> str:
    return (
        ON_TRACK
        if forecast_progress >= policy.on_track
        else AT_RISK
        if forecast_progress >= policy.at_risk
        else OFF_TRACK
    )


def assess_kpi(
    kpi: KPIDefinition,
    readings: Sequence[tuple[datetime.date, float]],
    today: datetime.date,
    policy: KPIPolicy,
) -> KPIAssessment:
    """Status of a KPI from its readings up to today (sorted by date).

    No readings: no data. Latest progress >= 1: achieved. With at least `trend_min_readings` readings, the
    least-squares trend of the latest `trend_window` readings is projected to the target date and the
    forecast progress decides: on track, at risk or off track. With fewer readings, the latest progress is
    compared with the progress expected on its date (the ratio is kept, to explain the status).
    """
    usable = [(d, v) for d, v in readings if d <= today]
    if not usable:
        return KPIAssessment(kpi.id, NO_DATA)
    latest_date, latest_value = usable[-1]
    latest_progress = progress(kpi, latest_value)
    expected = expected_progress(kpi, latest_date)
    window = usable[-policy.trend_window :]
    trend = least_squares_trend(window) if len(window) >= policy.trend_min_readings else None
    forecast_value = trend.at(kpi.target_date) if trend else None
    forecast_progress = progress(kpi, forecast_value) if forecast_value is not None else None
    ratio: float | None = None
    interval = (
        confidence.forecast_interval(
            window, kpi.target_date, slope_per_day=trend.slope_per_day, intercept=trend.intercept
        )
        if trend
        else None
    )
    if latest_progress >= 1.0:
        status = ACHIEVED
    elif forecast_progress is not None:
        status = _forecast_status(forecast_progress, policy)
    else:
        ratio = latest_progress / expected if expected > 0 else 1.0
        status = (
            ON_TRACK
            if ratio >= policy.gap_on_track
            else AT_RISK
            if ratio >= policy.gap_at_risk
            else OFF_TRACK
        )
    reached = (
        sorted({_forecast_status(progress(kpi, end), policy) for end in (interval.low, interval.high)})
        if interval
        else []
    )
    return KPIAssessment(
        kpi.id,
        status,
        forecast_low=min(interval.low, interval.high) if interval else None,
        forecast_high=max(interval.low, interval.high) if interval else None,
        confidence=confidence.kpi_confidence(
            status=status,
            readings=len(usable),
            latest=latest_date,
            today=today,
            fresh_days=policy.fresh_days,
            interval_statuses=reached,
        ),
        latest_value=latest_value,
        latest_date=latest_date,
        progress=latest_progress,
        expected=expected,
        forecast_value=forecast_value,
        forecast_progress=forecast_progress,
        readings_used=len(window) if trend else len(usable),
        slope_per_year=trend.slope_per_day * 365.25 if trend else None,
        ratio=ratio,
    )


# ------------------------------------------------------------------------------------------- outcome


@dataclass(slots=True)
class OutcomeTerm:
    kpi_id: int
    weight: float  # the contribution's c_o
    evidence: float  # 0..1


@dataclass(slots=True)
class BenefitEvidence:
    """What an initiative's money benefit plans realised of what they expected to date (docs/benefits.md)."""

    realised: float
    expected: float

    @property
    def evidence(self) -> float:
        """min(1, R / E), never below 0: realising more than planned is full evidence, not more."""
        return clamp(self.realised / self.expected) if self.expected > 0 else 0.0


@dataclass(slots=True)
class Outcome:
    value: float | None
    terms: tuple[OutcomeTerm, ...] = ()
    reason: str = ""  # why there is no value
    # with realised benefits (realised_outcome): the KPIs' part alone, the benefits, and the benefits' share
    kpi_value: float | None = None
    benefit: BenefitEvidence | None = None
    benefit_share: float = 0.0


def outcome_evidence(named: Iterable[tuple[int, float]], kpis: dict[int, KPIAssessment]) -> Outcome:
    """Weighted mean of the evidence of the KPIs the contributions name, x 100.

    `named` holds (kpi id, c_o) per contribution that names a KPI; a contribution's weight is the same
    r_o x s_io that counts towards fit, and a KPI with no readings is left out (and said so).
    """
    named = list(named)
    if not named:
        return Outcome(None, reason="no contribution names a KPI")
    terms = []
    for kpi_id, weight in named:
        assessment = kpis.get(kpi_id)
        evidence = assessment.evidence if assessment else None
        if evidence is not None and weight > 0:
            terms.append(OutcomeTerm(kpi_id, weight, evidence))
    if not terms:
        with_readings = any(kpis[k].evidence is not None for k, _ in named if k in kpis)
        return Outcome(
            None,
            reason="the contributions that name KPIs carry no strategic weight"
            if with_readings
            else "the named KPIs have no readings",
        )
    total = sum(t.weight for t in terms)
    return Outcome(100.0 * sum(t.weight * t.evidence for t in terms) / total, tuple(terms))


def realised_outcome(kpi: Outcome, benefit: BenefitEvidence | None, share: float) -> Outcome:
    """Outcome evidence once benefits are measured after go-live: the KPIs' evidence K and the benefits'
    realisation B = 100 x min(1, R / E) (money realised R of what the benefit plans expected to date E),
    O = (1 - share) x K + share x B; either alone when the other is missing.

    `benefit` is None until there is something to judge (nothing expected to date, or no quarter to date with
    an actual: the live_no_benefit_actuals signal speaks then); the KPIs' outcome is returned as it is.
    """
    if benefit is None:
        return kpi
    realised = 100.0 * benefit.evidence
    if kpi.value is None:
        return Outcome(realised, reason="", kpi_value=None, benefit=benefit, benefit_share=1.0)
    value = (1.0 - share) * kpi.value + share * realised
    return Outcome(value, kpi.terms, "", kpi_value=kpi.value, benefit=benefit, benefit_share=share)


# ------------------------------------------------------------------------------------------- delivery


@dataclass(slots=True)
class MilestoneDates:
    baseline: datetime.date
    forecast: datetime.date | None
    actual: datetime.date | None


def slip_days(
    milestones: Iterable[MilestoneDates],
    planned_end: datetime.date | None,
    today: datetime.date,
    finished_on: datetime.date | None = None,
) -> int:
    """The worst lateness against plan, in days: a milestone achieved, forecast or overdue after its baseline,
    or the initiative running after its planned end.

    A running initiative is measured up to today. A finished one (`finished_on`: when it ended) stops
    slipping: it is measured up to its end, so an end after the planned end counts, and a milestone it never
    achieved counts as overdue only until the end (its forecast no longer means anything).
    """
    until = today if finished_on is None else min(finished_on, today)
    worst = 0
    for m in milestones:
        if m.actual is not None:
            late = (m.actual - m.baseline).days
        elif finished_on is not None:
            late = (until - m.baseline).days
        else:
            # not achieved yet: late by the forecast, or by today if even the forecast has passed
            late = (max(m.forecast or m.baseline, today) - m.baseline).days
        worst = max(worst, late)
    if planned_end is not None and until > planned_end:
        worst = max(worst, (until - planned_end).days)
    return worst


@dataclass(slots=True)
class Delivery:
    value: float | None
    schedule: float | None
    cost: float | None
    checkpoint: float | None
    slip_days: int
    duration_days: int | None
    slip_ratio: float | None
    overrun: float | None
    reason: str = ""


def delivery_confidence(
    *,
    planned_start: datetime.date | None,
    planned_end: datetime.date | None,
    slip: int,
    has_schedule: bool,
    budget: float,
    forecast_cost: float | None,
    actual_cost: float,
    latest_rags: Sequence[str] | None,
    policy: DeliveryPolicy,
) -> Delivery:
    """Mean of the available parts: schedule (slip relative to planned duration), cost (forecast against
    budget) and the latest checkpoint's RAG (green 100, amber 50, red 0 per dimension)."""
    duration = None
    schedule = ratio = None
    if planned_start and planned_end:
        duration = max((planned_end - planned_start).days, policy.min_duration_days)
    if has_schedule and duration:
        ratio = slip / duration
        schedule = 100.0 * clamp(1.0 - ratio / policy.slip_tolerance)
    cost = overrun = None
    if budget > 0:
        expected_cost = forecast_cost if forecast_cost is not None else actual_cost
        overrun = max(0.0, (expected_cost - budget) / budget)
        cost = 100.0 * clamp(1.0 - overrun / policy.overrun_tolerance)
    checkpoint = None
    if latest_rags:
        checkpoint = sum(RAG_POINTS.get(rag, 0.0) for rag in latest_rags) / len(latest_rags)
    parts = [p for p in (schedule, cost, checkpoint) if p is not None]
    value = sum(parts) / len(parts) if parts else None
    reason = "" if parts else "no plan dates, no budget and no checkpoint review"
    return Delivery(value, schedule, cost, checkpoint, slip, duration, ratio, overrun, reason)


# ------------------------------------------------------------------------------------------- governance


@dataclass(slots=True)
class Governance:
    value: float
    cadence_days: int
    days_since_checkpoint: int
    cadence_score: float
    required: tuple[str, ...]
    present: tuple[str, ...]
    artefact_score: float
    due_on: datetime.date  # see checkpoint_due()

    def overdue(self, today: datetime.date) -> bool:
        return self.due_on < today


def sustainment_owner_due(
    *, stage: str, go_live_date: datetime.date | None, today: datetime.date, window_days: int
) -> int | None:
    """When an initiative must have a sustainment owner by now: active (past the idea, not finished) and live,
    or going live within `window_days` (or past its go-live date). Returns the days to go-live (0 when live,
    negative when the date passed), None when it does not need one yet. The one definition: the engine's
    signal and the worklist's check (alignment.worklist, the same rule as a query filter) use it."""
    if stage not in ACTIVE:
        return None
    if stage == Stage.LIVE:
        return 0
    if go_live_date is None:
        return None
    days = (go_live_date - today).days
    return days if days <= window_days else None


def checkpoint_due(
    *, cadence_days: int, last_checkpoint: datetime.date | None, entered_stage: datetime.date
) -> datetime.date:
    """When a governed initiative's next checkpoint review is due: the tier's cadence after its latest review,
    or, before its first, after the day it entered its current stage. The one definition: the engine's
    governance score and overdue signal, the steering agenda and the reminders all use the date it gives."""
    return (last_checkpoint or entered_stage) + datetime.timedelta(days=cadence_days)


def governance_compliance(
    *,
    cadence_days: int,
    last_checkpoint: datetime.date | None,
    entered_stage: datetime.date,
    required: Sequence[str],
    present: Iterable[str],
    today: datetime.date,
) -> Governance:
    """Mean of checkpoint cadence (100 up to the day the checkpoint is due, falling to 0 a further cadence
    later) and artefacts (the share of the tier's required artefacts that exist)."""
    due_on = checkpoint_due(
        cadence_days=cadence_days, last_checkpoint=last_checkpoint, entered_stage=entered_stage
    )
    since_date = last_checkpoint or entered_stage
    days_since = max(0, (today - since_date).days)
    overdue = max(0, days_since - cadence_days)
    cadence_score = 100.0 * clamp(1.0 - overdue / cadence_days)
    present_set = set(present)
    have = tuple(kind for kind in required if kind in present_set)
    artefact_score = 100.0 * len(have) / len(required) if required else 100.0
    return Governance(
        (cadence_score + artefact_score) / 2,
        cadence_days,
        days_since,
        cadence_score,
        tuple(required),
        have,
        artefact_score,
        due_on,
    )


# ------------------------------------------------------------------------------------------- tier


@dataclass(slots=True)
class Tiering:
    tier: int
    impact: float
    exposure: int
    impact_parts: tuple[float, float, float]  # budget, fit, criticality (each already weighted, in points)
    top_risks: tuple[int, ...]  # exposures of the risks counted
    impact_high: bool
    exposure_high: bool


def risk_tier(
    *,
    budget: float,
    fit: float,
    criticality: int,
    risk_exposures: Iterable[int],
    policy: TierPolicyThresholds,
) -> Tiering:
    """Impact (0-100) from budget, strategic fit and criticality; exposure from the largest active risks.

    Tier 1 when both are high (rigorous governance), tier 3 when both are low (light), tier 2 otherwise.
    """
    w_budget, w_fit, w_crit = policy.impact_weights
    parts = (
        100.0 * w_budget * clamp(budget / policy.large_budget),
        w_fit * clamp(fit, 0.0, 100.0),
        100.0 * w_crit * clamp((criticality - 1) / 4),
    )
    impact = sum(parts)
    top = tuple(sorted(risk_exposures, reverse=True)[: policy.exposure_top_n])
    exposure = sum(top)
    impact_high = impact >= policy.impact_high
    exposure_high = exposure >= policy.exposure_high
    tier = 1 if impact_high and exposure_high else 3 if not impact_high and not exposure_high else 2
    return Tiering(tier, impact, exposure, parts, top, impact_high, exposure_high)


# ------------------------------------------------------------------------------------------- composite


@dataclass(slots=True)
class Composite:
    value: float
    execution: float | None  # Q: weighted mean of the available components, 0..100
    factor: float  # E = floor + (1 - floor) x Q / 100
    used: tuple[str, ...]
    missing: tuple[str, ...]
    note: str = ""  # said when execution could not be assessed


NOT_ASSESSED = "execution not assessed: counted at the floor until there is evidence"


def alignment_score(fit: float, components: dict[str, float | None], policy: Policy) -> Composite:
    """A = F x E: strategic fit scaled by execution quality.

    Q is the weighted mean of the components that could be computed (outcome, delivery, governance), the
    weights renormalised over those present; the missing ones are named, never counted as zero. E runs from
    the floor (nothing on track) to 1 (everything on track), so an initiative with no strategic tie scores 0
    however well it delivers. With no component present, E is the floor and the score says so: an unproven
    initiative must not outrank one that delivers.
    """
    weights = policy.component_weights
    used = tuple(name for name in weights if components.get(name) is not None)
    missing = tuple(name for name in weights if components.get(name) is None)
    total = sum(weights[name] for name in used)
    execution = (
        sum(weights[name] * float(components[name] or 0.0) for name in used) / total if total > 0 else None
    )
    if execution is None:
        factor, note = policy.execution_floor, NOT_ASSESSED
    else:
        factor, note = policy.execution_floor + (1.0 - policy.execution_floor) * execution / 100.0, ""
    return Composite(clamp(fit, 0.0, 100.0) * factor, execution, factor, used, missing, note)


# ------------------------------------------------------------------------------------------- indices


@dataclass(frozen=True)
class WeightedSpend:
    """Budget attributed to priority units, and the misallocation against their weights."""

    spend: dict[int, float]
    unaligned: float
    total: float
    misallocation: float
    top_share: float
    top_units: tuple[int, ...]


@dataclass(frozen=True)
class UnitWeights:
    """The priority units' global weights with what every comparison against them shares: their total and
    their order by weight (heaviest first, then by id). Computed once, however many sets of initiatives (the
    portfolio, each program) are compared with them."""

    weights: Mapping[int, float]
    total: float
    ranked: tuple[int, ...]

    @classmethod
    def of(cls, weights: Mapping[int, float]) -> UnitWeights:
        return cls(weights, sum(weights.values()), tuple(sorted(weights, key=lambda u: (-weights[u], u))))


def misallocation(
    spend: dict[int, float], unaligned: float, weights: Mapping[int, float] | UnitWeights, top_n: int
) -> WeightedSpend:
    """M = 1/2 x sum_u |spend share_u - weight share_u|, unaligned spend counting against a weight of 0.

    0 means spend follows priorities exactly; 1 means none of it goes where the weight is. The sum runs over
    the units given spend; the units given none add their weight shares, taken together as one remainder, so
    the work grows with the spend's units and not with the whole strategy (a program's spend reaches few).
    """
    units = weights if isinstance(weights, UnitWeights) else UnitWeights.of(weights)
    total = sum(spend.values()) + unaligned
    if total <= 0 or units.total <= 0:
        return WeightedSpend(spend, unaligned, total, 0.0, 0.0, ())
    gap = matched = 0.0
    for u, amount in spend.items():
        weight = units.weights.get(u, 0.0)
        matched += weight
        gap += abs(amount / total - weight / units.total)
    gap += max(0.0, units.total - matched) / units.total  # the units given no spend
    gap += unaligned / total
    top_units = units.ranked[:top_n]
    top_share = sum(spend.get(u, 0.0) for u in top_units) / total
    return WeightedSpend(spend, unaligned, total, gap / 2, top_share, top_units)


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Sum of weight x value over sum of weights (None when the weights add up to nothing)."""
    pairs = list(pairs)
    total = sum(w for w, _ in pairs)
    if total <= 0:
        return None
    return sum(w * v for w, v in pairs) / total


def finite(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


__all__ = [
    "ACHIEVED",
    "AT_RISK",
    "NOT_ASSESSED",
    "NO_DATA",
    "OFF_TRACK",
    "ON_TRACK",
    "Composite",
    "Delivery",
    "Fit",
    "Governance",
    "KPIAssessment",
    "KPIDefinition",
    "MilestoneDates",
    "BenefitEvidence",
    "Outcome",
    "Tiering",
    "UnitWeights",
    "alignment_score",
    "assess_kpi",
    "delivery_confidence",
    "expected_progress",
    "governance_compliance",
    "least_squares_trend",
    "misallocation",
    "outcome_evidence",
    "realised_outcome",
    "progress",
    "risk_tier",
    "slip_days",
    "strategic_fit",
    "weighted_mean",
]
