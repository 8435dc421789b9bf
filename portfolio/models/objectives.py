from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel
from core.validators import CODE_VALIDATOR

MAX_OBJECTIVE_DEPTH = 3  # strategic theme -> objective -> sub-objective


class ObjectiveStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ObjectiveQuerySet(models.QuerySet["Objective"]):
    def active(self) -> ObjectiveQuerySet:
        return self.filter(status=ObjectiveStatus.ACTIVE)


class Objective(VersionedModel):
    """A node of the objective tree: a strategic theme, an objective or a sub-objective."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(
        max_length=20, unique=True, validators=[CODE_VALIDATOR], help_text="Short reference, e.g. T1 or O1.2."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
    )
    horizon_start = models.DateField(null=True, blank=True)
    horizon_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE)
    local_weight = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
        help_text="Importance among its siblings; normalised so that siblings' weights sum to 1.",
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)
    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "title"], name="objective_title_unique_among_siblings"),
            models.UniqueConstraint(
                fields=["title"], condition=Q(parent__isnull=True), name="theme_title_unique"
            ),
            models.CheckConstraint(
                condition=Q(local_weight__gt=0) & Q(local_weight__lte=1000), name="objective_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(horizon_start__isnull=True)
                | Q(horizon_end__isnull=True)
                | Q(horizon_end__gte=F("horizon_start")),
                name="objective_horizon_order",
                violation_error_message="The horizon cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def ancestors(self) -> list[Objective]:
        """Parents from the direct parent up to the theme (one query per level; the tree is at most 3 deep)."""
        chain: list[Objective] = []
        node = self.parent
        while node is not None and len(chain) <= MAX_OBJECTIVE_DEPTH:
            chain.append(node)
            node = node.parent
        return chain

    def _subtree_height(self) -> int:
        """Levels in this objective's subtree, itself included (1 for a leaf or an unsaved objective)."""
        if self.pk is None:
            return 1
        height, frontier = 1, [self.pk]
        while frontier and height <= MAX_OBJECTIVE_DEPTH:
            frontier = list(Objective.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            if frontier:
                height += 1
        return height

    @staticmethod
    def subtree_ids(pk: int) -> set[int]:
        """The objective and everything below it (one query per level; the tree is at most 3 deep)."""
        found, frontier = {pk}, [pk]
        while frontier:
            frontier = list(Objective.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            frontier = [child for child in frontier if child not in found]
            found.update(frontier)
        return found

    @property
    def depth(self) -> int:
        return len(self.ancestors()) + 1

    def clean(self) -> None:
        super().clean()
        if self.horizon_start and self.horizon_end and self.horizon_end < self.horizon_start:
            raise ValidationError({"horizon_end": "The horizon cannot end before it starts."})
        if self.parent_id is None:
            return
        chain = self.ancestors()
        if self.pk is not None and any(node.pk == self.pk for node in chain):
            raise ValidationError({"parent": "An objective cannot sit under itself or one of its children."})
        if len(chain) + 1 + self._subtree_height() - 1 > MAX_OBJECTIVE_DEPTH:
            raise ValidationError(
                {"parent": "The tree is three levels deep at most: theme, objective, sub-objective."}
            )


class Direction(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"


KPI_VALUE: dict[str, Any] = {"max_digits": 18, "decimal_places": 4}


class KPI(VersionedModel):
    """A measure of an objective: where it started (baseline), where it should get to (target) and by when."""

    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="kpis")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    unit = models.CharField(max_length=40, help_text="e.g. %, EUR, days, NPS points")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INCREASE)
    baseline_value = models.DecimalField(**KPI_VALUE)
    baseline_date = models.DateField()
    target_value = models.DecimalField(**KPI_VALUE)
    target_date = models.DateField()

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["objective__code", "name"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        constraints = [
            models.UniqueConstraint(fields=["objective", "name"], name="kpi_name_unique_per_objective"),
            models.CheckConstraint(
                condition=Q(target_date__gt=F("baseline_date")),
                name="kpi_target_after_baseline",
                violation_error_message="The target date must be after the baseline date.",
            ),
            models.CheckConstraint(
                condition=Q(direction=Direction.INCREASE, target_value__gte=F("baseline_value"))
                | Q(direction=Direction.DECREASE, target_value__lte=F("baseline_value")),
                name="kpi_target_matches_direction",
                violation_error_message="The target must lie in the KPI's direction from the baseline.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = "The target date must be after the baseline date."
        if self.baseline_value is not None and self.target_value is not None:
            if self.direction == Direction.INCREASE and self.target_value < self.baseline_value:
                errors["target_value"] = "Higher is better, so the target cannot be below the baseline."
            if self.direction == Direction.DECREASE and self.target_value > self.baseline_value:
                errors["target_value"] = "Lower is better, so the target cannot be above the baseline."
        if errors:
            raise ValidationError(errors)


class InterimTarget(VersionedModel):
    """A waypoint between a KPI's baseline and its target; expected progress runs through these."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="interim_targets")
    date = models.DateField()
    value = models.DecimalField(**KPI_VALUE)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="interim_target_unique_date")]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} by {self.date}"

    def clean(self) -> None:
        super().clean()
        kpi = self.kpi if self.kpi_id else None
        if kpi is not None and self.date and not (kpi.baseline_date < self.date < kpi.target_date):
            raise ValidationError(
                {"date": "An interim target must fall between the baseline and target dates."}
            )


class Reading(VersionedModel):
    """One measured value of a KPI on a date."""

    # no index of its own: the unique (kpi, date) index serves the key's lookups
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="readings", db_index=False)
    date = models.DateField()
    value = models.DecimalField(**KPI_VALUE)
    source = models.CharField(max_length=200, blank=True, help_text="Where the number comes from.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="reading_unique_date")]
        indexes = [
            models.Index(fields=["kpi", "-date"], name="reading_latest"),
            # the KPIs with no reading since a date (the worklist): the recent readings read from one range
            models.Index(fields=["date", "kpi"], name="reading_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} on {self.date}"

    def clean(self) -> None:
        super().clean()
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "A reading cannot be dated in the future."})
