"""Writes for the risk register and the tier policies."""

from __future__ import annotations

from typing import Any

from core.records import record_update
from core.roles import can_administer
from portfolio.models import Initiative
from portfolio.services import child_create, child_delete, child_update
from risk.models import DEFAULT_TIER_NAMES, DEFAULT_TIER_POLICIES, Risk, TierPolicy


def risk_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> Risk:
    """Add a risk to an initiative's register (PMO, or the initiative's manager)."""
    return child_create(Risk, user=user, initiative=initiative, data=data)


def risk_update(*, user: Any, risk_id: int, version: int, data: dict[str, Any]) -> Risk:
    """Re-score or re-plan a risk; the initiative's tier and signals are recomputed after commit."""
    return child_update(Risk, user=user, pk=risk_id, version=version, data=data)


def risk_delete(*, user: Any, risk_id: int, version: int) -> None:
    child_delete(Risk, user=user, pk=risk_id, version=version)


def tier_policy_update(*, user: Any, policy_id: int, version: int, data: dict[str, Any]) -> TierPolicy:
    """Change a tier's checkpoint cadence or required artefacts (admins only)."""
    return record_update(
        TierPolicy,
        pk=policy_id,
        version=version,
        user=user,
        values=data,
        authorize=lambda user, _policy: can_administer(user),
    )


def tier_policies_ensure() -> int:
    """Store the default policy of every tier that has none (a database whose rows were removed, or loaded
    without migrations' data); returns how many were added. Existing policies are left as they are."""
    added = 0
    for tier, (cadence, artefacts) in DEFAULT_TIER_POLICIES.items():
        name, description = DEFAULT_TIER_NAMES[tier]
        _, created = TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "name": name,
                "description": description,
                "checkpoint_cadence_days": cadence,
                "required_artefacts": list(artefacts),
            },
        )
        added += created
    return added
