"""Planning's records, one module per concern: strategy versions (strategy.py), intake (intake.py), the
ranking's scoring model (ranking.py), scenarios (scenarios.py)."""

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
from planning.models.ranking import ScoringModelVersion
from planning.models.scenarios import (
    Maximise,
    RuleKind,
    RunKind,
    Scenario,
    ScenarioRule,
    ScenarioRun,
    ScenarioStatus,
    ScenarioYear,
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
    "Maximise",
    "RuleKind",
    "RunKind",
    "Scenario",
    "ScenarioRule",
    "ScenarioRun",
    "ScenarioStatus",
    "ScenarioYear",
    "NEXT_STAGE",
    "OPEN_STATUSES",
    "IntakePolicy",
    "Proposal",
    "ProposalEvent",
    "ProposalEventKind",
    "ProposalStatus",
    "WEIGHT_FIELD",
    "PairwiseComparison",
    "ScoringModelVersion",
    "StrategyImpact",
    "StrategyVersion",
    "StrategyWeight",
    "VersionStatus",
]
