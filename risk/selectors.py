"""Reads for the risk register and the 5x5 heat map."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, F, QuerySet

from risk.models import (
    ACTIVE_RISK_STATUSES,
    DEFAULT_TIER_POLICIES,
    Risk,
    RiskQuerySet,
    TierPolicy,
    exposure_level,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

IMPACT_LABELS = {1: "Minor", 2: "Moderate", 3: "Significant", 4: "Major", 5: "Severe"}
PROBABILITY_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}


def tier_policies() -> dict[int, tuple[int, tuple[str, ...]]]:
    """What each tier demands, tier -> (checkpoint cadence in days, required artefact kinds): the stored
    policies, and the defaults for a tier that has none. One query."""
    stored = {
        tier: (cadence, tuple(artefacts or ()))
        for tier, cadence, artefacts in TierPolicy.objects.values_list(
            "tier", "checkpoint_cadence_days", "required_artefacts"
        )
    }
    return {**DEFAULT_TIER_POLICIES, **stored}


@dataclass(frozen=True)
class HeatCell:
    probability: int
    impact: int
    count: int
    level: str


def heat_grid_from_counts(counts: dict[tuple[int, int], int]) -> list[list[HeatCell]]:
    """Rows from probability 5 (top) to 1, columns impact 1 to 5, as risk matrices are usually drawn."""
    return [
        [HeatCell(p, i, counts.get((p, i), 0), exposure_level(p * i)) for i in range(1, 6)]
        for p in range(5, 0, -1)
    ]


def heat_grid(risks: Iterable[Risk]) -> list[list[HeatCell]]:
    """The 5x5 grid of active risks among `risks` (already loaded)."""
    counts = Counter((r.probability, r.impact) for r in risks if r.status in ACTIVE_RISK_STATUSES)
    return heat_grid_from_counts(dict(counts))


def portfolio_heat_counts(risks: RiskQuerySet) -> dict[tuple[int, int], int]:
    """Active risk counts per (probability, impact) cell, counted in the database."""
    rows = risks.active().values("probability", "impact").annotate(n=Count("*")).order_by()
    return {(row["probability"], row["impact"]): row["n"] for row in rows}


class Exposure(TypedDict):
    """What risk_register() annotates on each risk: probability x impact."""

    exposure_value: int


def risk_register(
    *,
    status: str = "",
    category: str = "",
    level: str = "",
    probability: int | None = None,
    impact: int | None = None,
) -> QuerySet[WithAnnotations[Risk, Exposure]]:
    rows: Any = Risk.objects.select_related("initiative", "owner").annotate(
        exposure_value=F("probability") * F("impact")
    )
    if status == "active":
        rows = rows.active()
    elif status:
        rows = rows.filter(status=status)
    if category:
        rows = rows.filter(category=category)
    bounds = {"low": (1, 4), "medium": (5, 9), "high": (10, 16), "severe": (20, 25)}
    if level in bounds:
        low, high = bounds[level]
        rows = rows.filter(exposure_value__gte=low, exposure_value__lte=high)
    if probability:
        rows = rows.filter(probability=probability)
    if impact:
        rows = rows.filter(impact=impact)
    # within an exposure, grouped by initiative in the order they were registered: the order of the index
    # (risk_active_by_exposure), where ordering by the initiative's code would join and sort thousands of risks
    return rows.order_by("-exposure_value", "initiative_id", "title")
