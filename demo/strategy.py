"""The demo's strategy versions: the strategy as adopted (version 1, published) and a draft for 2027 that moves
weight from digital commerce to customers and the supply chain and proposes a sustainability theme, its what-if
computed, ready to be read, changed or published."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User

from core import changes
from planning import services
from planning.models import StrategyVersion
from planning.whatif import compute_impact

# the draft's local weights by objective code (the others stay as adopted)
DRAFT_WEIGHTS = {"T1": "20", "T3": "25", "T4": "25"}


def build_strategy(*, today: datetime.date, users: dict[str, Any] | None = None) -> int:
    """Load the demo's two strategy versions unless one exists; returns how many were added."""
    if StrategyVersion.objects.exists():
        return 0
    pmo = (users or {}).get("pmo") or User.objects.filter(username="pmo").first()
    if pmo is None:
        return 0
    with changes.paused():  # the tree is the one the scores were computed for: nothing to recompute
        adopted = services.strategy_draft(
            user=pmo, title="Strategy 2026 as adopted", rationale="The board's strategy of January 2026."
        )
        services.strategy_publish(user=pmo, strategy_id=adopted.pk, version=adopted.version)
    draft = services.strategy_draft(
        user=pmo,
        title="2027 refresh: customers and resilience",
        rationale="Proposed at the November offsite: less weight on digital growth, more on loyalty and the "
        "supply chain, and a sustainability theme.",
    )
    values = {
        entry.pk: (DRAFT_WEIGHTS.get(entry.code, str(entry.local_weight)), entry.status)
        for entry in draft.weights.all()
    }
    services.strategy_weights_set(user=pmo, strategy_id=draft.pk, version=draft.version, values=values)
    draft.refresh_from_db()
    services.strategy_objective_propose(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        code="T6",
        title="Cut our carbon footprint",
        parent_id=None,
        weight="10",
    )
    compute_impact(StrategyVersion.objects.get(pk=draft.pk), today=today)
    return 2
