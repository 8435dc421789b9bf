"""The scoring policy: every weight and threshold the engine uses, in one versioned object.

Defaults live here; the alignment app stores versions of the policy (ScoringPolicy rows) and each computed
score records the version it was computed under.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from core.models import RAG
from portfolio.models import Strength

STRENGTH_VALUES = {
    Strength.NONE.value: 0.0,
    Strength.WEAK.value: 1 / 3,
    Strength.MODERATE.value: 2 / 3,
    Strength.STRONG.value: 1.0,
}
RAG_POINTS = {RAG.GREEN.value: 100.0, RAG.AMBER.value: 50.0, RAG.RED.value: 0.0}


@dataclass(frozen=True)
class KPIPolicy:
    trend_window: int = 6  # the latest readings the forecast trend is fitted to
    trend_min_readings: int = 3  # fewer readings than this: no trend, status from progress vs expected
    on_track: float = 0.95  # forecast progress at the target date at or above this: on track
    at_risk: float = 0.75  # ... at or above this: at risk; below: off track
    gap_on_track: float = 0.9  # without a trend: progress / expected progress at or above this: on track
    gap_at_risk: float = 0.7
    fresh_days: int = 90  # a latest reading older than this makes a KPI's status (and what it feeds) stale


@dataclass(frozen=True)
class DeliveryPolicy:
    slip_tolerance: float = 0.5  # a slip of half the planned duration takes the schedule score to 0
    overrun_tolerance: float = 0.5  # a forecast 50% over budget takes the cost score to 0
    min_duration_days: int = 30  # a shorter planned duration counts as this long when slip is relative


@dataclass(frozen=True)
class TierPolicyThresholds:
    large_budget: float = 2_000_000  # a budget this large counts fully towards impact
    impact_weights: tuple[float, float, float] = (0.4, 0.3, 0.3)  # budget, strategic fit, criticality
    impact_high: float = 50.0
    exposure_high: float = 20.0  # sum of the three largest active risks' probability x impact
    exposure_top_n: int = 3


@dataclass(frozen=True)
class SignalPolicy:
    weak_fit: float = 25.0
    large_budget: float = 1_500_000
    important_objective_share: float = 0.08  # a priority objective with at least this weight must be served
    scope_window_days: int = 180
    scope_changes_amber: int = 3
    scope_changes_red: int = 5
    no_rationale_window_days: int = 365
    sponsor_absent_reviews: int = 2
    unclear_requirements_max: int = 2
    slip_amber: float = 0.10
    slip_red: float = 0.25
    overrun_amber: float = 0.05
    overrun_red: float = 0.15
    sustainment_warning_days: int = 60
    sustainment_red_days: int = 30
    live_reading_grace_days: int = 90
    downweight_lookback_days: int = 90
    downweight_drop: float = 0.30  # relative weight fell by at least 30% within the lookback
    high_risk_exposure: int = 15
    # benefits after go-live (docs/scoring.md, rules 16 to 18)
    benefits_behind_amber: float = 0.80  # realised / expected to date below this: amber
    benefits_behind_red: float = 0.50  # ... below this: red
    benefit_actuals_grace_days: int = 120  # live this long with benefits expected and none measured
    sponsor_overpromise: float = 0.30  # a sponsor's past initiatives realised below 1 - this of the promise
    sponsor_min_initiatives: int = 2  # ... over at least this many initiatives past go-live
    # the leadership-agreement index (0-100) of a program's latest closed survey round (docs/surveys.md)
    leadership_agreement_amber: float = 40.0
    leadership_agreement_red: float = 25.0


@dataclass(frozen=True)
class Policy:
    version: int = 1
    component_weights: dict[str, float] = field(
        default_factory=lambda: {"outcome": 0.40, "delivery": 0.35, "governance": 0.25}
    )
    execution_floor: float = 0.5  # alignment = fit x (floor + (1 - floor) x execution quality)
    # after go-live, outcome evidence = (1 - share) x the KPIs' evidence + share x the benefits realised
    outcome_benefit_share: float = 0.5
    kpi: KPIPolicy = field(default_factory=KPIPolicy)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    tier: TierPolicyThresholds = field(default_factory=TierPolicyThresholds)
    signals: SignalPolicy = field(default_factory=SignalPolicy)
    target_mix: dict[str, float] = field(
        default_factory=lambda: {"run": 0.50, "grow": 0.30, "transform": 0.20}
    )
    top_objectives: int = 3

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        """Build a policy from stored parameters; unknown keys are refused, missing ones take defaults."""
        sections = {
            "kpi": KPIPolicy,
            "delivery": DeliveryPolicy,
            "tier": TierPolicyThresholds,
            "signals": SignalPolicy,
        }
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown policy keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            section = sections.get(name)
            if section is not None:
                section_known = {f.name for f in fields(section)}
                bad = set(value) - section_known
                if bad:
                    raise ValueError(f"Unknown {name} policy keys: {', '.join(sorted(bad))}")
                if "impact_weights" in value:
                    value = {**value, "impact_weights": tuple(value["impact_weights"])}
                values[name] = section(**value)
            else:
                values[name] = value
        return replace(cls(), **values)


DEFAULT_POLICY = Policy()
