"""Strategy versions: the objective tree's weights and statuses drafted together, previewed (what-if) and
published as one change of strategy (issue 12, part 4)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel
from core.validators import CODE_VALIDATOR
from portfolio.models import Initiative, Objective, ObjectiveStatus

WEIGHT_FIELD = {
    "max_digits": 7,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
}


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Current"
    SUPERSEDED = "superseded", "Superseded"
    DISCARDED = "discarded", "Discarded"


class StrategyVersion(VersionedModel):
    """A strategy: every objective's local weight and status. A draft starts as a copy of the tree as it
    stands, is changed, previewed and published; publishing writes it onto the objectives (and the engine
    recomputes); the version published before it is then superseded."""

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=120)
    rationale = models.TextField(
        max_length=2000, blank=True, help_text="Why the strategy changes: what the board decided, and when."
    )
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # the what-if against the tree as it stood when it was computed (planning.whatif.Impact.as_dict)
    impact = models.JSONField(default=dict, blank=True)
    impact_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=[*HISTORY_EXCLUDED, "impact", "impact_at"])

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="published"), name="strategy_one_published"
            )
        ]

    def __str__(self) -> str:
        return f"Strategy version {self.number}: {self.title}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class StrategyWeight(models.Model):
    """One objective's weight and status in a version; or, with no objective, a new objective the version
    proposes (created when it is published), under an existing parent or as a theme."""

    strategy = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="weights")
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="strategy_weights"
    )
    # a proposed objective's code, title and parent (an existing objective's are read from it)
    code = models.CharField(max_length=20, blank=True, validators=[CODE_VALIDATOR])
    title = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    local_weight = models.DecimalField(**WEIGHT_FIELD)  # type: ignore[arg-type]
    status = models.CharField(max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE)
    # what the objective held when the draft was made (None for a proposed one): a later direct change shows
    base_weight = models.DecimalField(null=True, blank=True, max_digits=7, decimal_places=2)
    base_status = models.CharField(max_length=10, blank=True, choices=ObjectiveStatus.choices)
    from_pairwise = models.BooleanField(default=False)

    class Meta:
        ordering = ["strategy", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "objective"],
                condition=Q(objective__isnull=False),
                name="strategy_weight_one_per_objective",
            ),
            models.UniqueConstraint(
                fields=["strategy", "code"],
                condition=Q(objective__isnull=True),
                name="strategy_weight_proposed_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(local_weight__gt=0) & Q(local_weight__lte=1000), name="strategy_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective or self.code}: {self.local_weight} ({self.status})"


class PairwiseComparison(models.Model):
    """The pairwise judgements a version's weights of one group of siblings came from (the themes when
    `parent` is empty): {"<id>:<id>": "3" or "1/3"} on Saaty's scale, ids of objectives in the version."""

    strategy = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="comparisons")
    parent = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    judgements = models.JSONField(default=dict)
    consistency_ratio = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "parent"],
                condition=Q(parent__isnull=False),
                name="pairwise_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["strategy"], condition=Q(parent__isnull=True), name="pairwise_one_for_themes"
            ),
        ]

    def __str__(self) -> str:
        return f"Pairwise comparison under {self.parent or 'the themes'}"


class StrategyImpact(models.Model):
    """One initiative's strategic fit and alignment now and under a version (the what-if), for the pages
    that list, sort and export every initiative the change moves."""

    strategy = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="impacts")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+")
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    fit_before = models.FloatField()
    fit_after = models.FloatField()
    fit_change = models.FloatField()
    alignment_before = models.FloatField(null=True)
    alignment_after = models.FloatField(null=True)
    alignment_change = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["strategy", "initiative"], name="strategy_impact_once"),
        ]
        indexes = [models.Index(fields=["strategy", "fit_change"], name="strategy_impact_by_change")]

    def __str__(self) -> str:
        return f"{self.initiative_id}: fit {self.fit_before} -> {self.fit_after}"
