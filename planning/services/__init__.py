"""Planning's writes and use cases, one module per concern: strategy versions (strategy.py), intake
(intake.py), prioritisation (ranking.py: the ranking, its sensitivity, the scoring model's versions and
`priority_scores`), scenarios (scenarios.py)."""

from __future__ import annotations

from planning.services.intake import (
    can_review,
    can_submit,
    current_policy,
    intake_policy_publish,
    missing_for,
    proposal_decide,
    proposal_submit,
)
from planning.services.ranking import priority_scores
from planning.services.strategy import (
    PMO_ONLY,
    pairwise_result,
    run_whatif,
    siblings,
    strategy_discard,
    strategy_draft,
    strategy_objective_propose,
    strategy_pairwise_apply,
    strategy_publish,
    strategy_weights_set,
    whatif_start,
)

__all__ = [
    "PMO_ONLY",
    "can_review",
    "can_submit",
    "current_policy",
    "intake_policy_publish",
    "missing_for",
    "proposal_decide",
    "proposal_submit",
    "pairwise_result",
    "priority_scores",
    "run_whatif",
    "siblings",
    "strategy_discard",
    "strategy_draft",
    "strategy_objective_propose",
    "strategy_pairwise_apply",
    "strategy_publish",
    "strategy_weights_set",
    "whatif_start",
]
