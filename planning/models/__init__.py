"""Planning's records, one module per concern: strategy versions (strategy.py)."""

from __future__ import annotations

from planning.models.strategy import (
    WEIGHT_FIELD,
    PairwiseComparison,
    StrategyImpact,
    StrategyVersion,
    StrategyWeight,
    VersionStatus,
)

__all__ = [
    "WEIGHT_FIELD",
    "PairwiseComparison",
    "StrategyImpact",
    "StrategyVersion",
    "StrategyWeight",
    "VersionStatus",
]
