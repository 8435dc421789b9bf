from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel, one_to_five
from portfolio.models import ArtefactKind, Initiative


class RiskCategory(models.TextChoices):
    DELIVERY = "delivery", "Delivery"
    TECHNICAL = "technical", "Technical"
    SECURITY = "security", "Security"
    COMPLIANCE = "compliance", "Compliance"
    FINANCIAL = "financial", "Financial"
    VENDOR = "vendor", "Vendor"
    PEOPLE = "people", "People and change"
    OPERATIONAL = "operational", "Operational"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Being mitigated"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


ACTIVE_RISK_STATUSES = [RiskStatus.OPEN, RiskStatus.MITIGATING, RiskStatus.ACCEPTED]


def exposure_level(exposure: int) -> str:
    """Band of a probability x impact product on the 5x5 grid: low (1-4), medium (5-9), high (10-16), severe (20-25)."""
    if exposure >= 20:
        return "severe"
    if exposure >= 10:
        return "high"
    if exposure >= 5:
        return "medium"
    return "low"


class RiskQuerySet(models.QuerySet["Risk"]):
    def active(self) -> RiskQuerySet:
        return self.filter(status__in=ACTIVE_RISK_STATUSES)


class Risk(VersionedModel):
    """A risk to an initiative, scored on the 5x5 grid (probability x impact)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    category = models.CharField(max_length=12, choices=RiskCategory.choices, default=RiskCategory.DELIVERY)
    probability = models.PositiveSmallIntegerField(
        validators=one_to_five(), help_text="1 = rare, 5 = almost certain."
    )
    impact = models.PositiveSmallIntegerField(validators=one_to_five(), help_text="1 = minor, 5 = severe.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_risks"
    )
    mitigation = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    review_date = models.DateField(null=True, blank=True, help_text="When the owner will next review it.")

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)
    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["initiative", "-probability", "-impact", "title"]
        indexes = [
            # the register's active risks, worst exposure first, in its order: a page straight from the index
            models.Index(
                (F("probability") * F("impact")).desc(),
                "initiative",
                "title",
                name="risk_active_by_exposure",
                condition=Q(status__in=ACTIVE_RISK_STATUSES),
            ),
            # the heat map's counts per cell of the active risks, from the index alone
            models.Index(
                fields=["probability", "impact"],
                name="risk_active_cells",
                condition=Q(status__in=ACTIVE_RISK_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5), name="risk_probability_range"
            ),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def exposure(self) -> int:
        return int(self.probability) * int(self.impact)

    @property
    def level(self) -> str:
        return exposure_level(self.exposure)


# What a tier demands when no TierPolicy row says otherwise (the same values migration 0002 stores):
# tier -> (checkpoint cadence in days, required artefact kinds).
DEFAULT_TIER_POLICIES: dict[int, tuple[int, tuple[str, ...]]] = {
    1: (30, ("business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan")),
    2: (60, ("business_case", "benefits_plan")),
    3: (90, ("business_case",)),
}
DEFAULT_TIER_NAMES: dict[int, tuple[str, str]] = {
    1: (
        "Rigorous",
        "High impact and high risk: monthly steering checkpoints and the full set of governance artefacts.",
    ),
    2: (
        "Standard",
        "Either impact or risk is significant: a checkpoint every two months, business case and benefits plan.",
    ),
    3: (
        "Light",
        "Low impact and low risk: a quarterly checkpoint and a business case; delivered with agile governance.",
    ),
}


class TierPolicy(VersionedModel):
    """What governance a risk tier demands: how often checkpoints fall due and which artefacts must exist."""

    tier = models.PositiveSmallIntegerField(
        unique=True,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="1 = high impact and high risk.",
    )
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, max_length=2000)
    checkpoint_cadence_days = models.PositiveIntegerField(
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text="A checkpoint review is due this many days after the previous one.",
    )
    required_artefacts = models.JSONField(default=list, blank=True)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["tier"]
        verbose_name_plural = "tier policies"
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="tier_policy_tier_range"),
            models.CheckConstraint(
                condition=Q(checkpoint_cadence_days__gte=7, checkpoint_cadence_days__lte=366),
                name="tier_policy_cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Tier {self.tier}: {self.name}"

    def clean(self) -> None:
        super().clean()
        known = set(ArtefactKind.values)
        artefacts = self.required_artefacts
        if not isinstance(artefacts, list) or any(kind not in known for kind in artefacts):
            raise ValidationError(
                {"required_artefacts": f"List artefact kinds among: {', '.join(sorted(known))}."}
            )

    def required_artefact_labels(self) -> list[str]:
        labels = dict(ArtefactKind.choices)
        return [str(labels[kind]) for kind in self.required_artefacts if kind in labels]
