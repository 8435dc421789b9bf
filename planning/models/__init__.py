"""Planning's records, one module per concern: strategy versions (strategy.py), intake (intake.py)."""

from __future__ import annotations

from planning.models.intake import (
    NEXT_STAGE,
    OPEN_STATUSES,
    IntakePolicy,
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    ProposalStatus,
)
from planning.models.strategy import (
    WEIGHT_FIELD,
    PairwiseComparison,
    StrategyImpact,
    StrategyVersion,
    StrategyWeight,
    VersionStatus,
)

__all__ = [
    "NEXT_STAGE",
    "OPEN_STATUSES",
    "IntakePolicy",
    "Proposal",
    "ProposalEvent",
    "ProposalEventKind",
    "ProposalStatus",
    "WEIGHT_FIELD",
    "PairwiseComparison",
    "StrategyImpact",
    "StrategyVersion",
    "StrategyWeight",
    "VersionStatus",
]
