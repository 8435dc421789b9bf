"""The scoring model as versioned records (issue 12, part 3): each version holds its criteria's weights and
normalisations; a change by the PMO adds the next version, and the highest number is the current one.
Versions are never edited, like the engine's scoring policy (alignment.models.ScoringPolicy)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from planning import ranking


class ScoringModelVersion(models.Model):
    """One version of the ranking's scoring model: `criteria` is a list of
    {"key", "label", "weight", "normalisation", "higher_is_better", "low", "high"} (planning.ranking.Criterion);
    `number` 1 is planning.ranking.default_scoring_model(), written by migration 0003. With
    `sponsor_adjustment` on, the financial value (NPV) is multiplied by the sponsor's factor (planning.sponsor)
    before it is normalised."""

    number = models.PositiveIntegerField(unique=True)
    criteria = models.JSONField(default=list)
    rationale = models.TextField(max_length=2000, blank=True, help_text="Why the weights changed.")
    sponsor_adjustment = models.BooleanField(
        "sponsor adjustment",
        default=False,
        help_text="Discount each candidate's NPV by its sponsor's record of benefits realised against "
        "promised (docs/scoring.md, “The sponsor adjustment”).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Scoring model version {self.number}"

    def model(self) -> ranking.ScoringModel:
        """The pure model this version stands for."""
        return ranking.ScoringModel(
            version=self.number, criteria=tuple(criterion_from_dict(item) for item in self.criteria)
        )


def criterion_to_dict(criterion: ranking.Criterion) -> dict[str, Any]:
    return {
        "key": criterion.key,
        "label": criterion.label,
        "weight": criterion.weight,
        "normalisation": criterion.normalisation.value,
        "higher_is_better": criterion.higher_is_better,
        "low": criterion.low,
        "high": criterion.high,
    }


def criterion_from_dict(item: dict[str, Any]) -> ranking.Criterion:
    return ranking.Criterion(
        key=str(item["key"]),
        label=str(item["label"]),
        weight=float(item["weight"]),
        normalisation=ranking.Normalisation(item["normalisation"]),
        higher_is_better=bool(item.get("higher_is_better", True)),
        low=float(item.get("low", 0.0)),
        high=float(item.get("high", 1.0)),
    )
