"""Benefit plans (issue 14): for each benefit line of a business case, what it should bring each quarter, what
it brought, who answers for it and the KPI it is measured by (docs/benefits.md).

A plan belongs to one benefit line and shares its primary key. Its quarters are rows of their own, one per
plan and quarter, so a change of one quarter's figure is one row's change in the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel
from portfolio.models.business_cases import FIRST_YEARS, BusinessCaseLine
from portfolio.models.objectives import KPI, KPI_VALUE


class ActualsSource(models.TextChoices):
    ENTERED = "entered", "Entered"
    DERIVED = "derived", "Derived from KPI readings"


class BenefitPlan(VersionedModel):
    """How one benefit line is tracked: its owner (none entered: the initiative's sustainment owner), the KPI
    it is measured by, and whether its actuals are entered or derived from that KPI's readings."""

    line = models.OneToOneField(
        BusinessCaseLine, primary_key=True, on_delete=models.CASCADE, related_name="benefit_plan"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_benefit_plans",
        help_text="Who answers for the benefit; empty: the initiative's sustainment owner.",
    )
    kpi = models.ForeignKey(
        KPI,
        verbose_name="KPI",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_plans",
        help_text="The KPI the benefit is measured by, where there is one.",
    )
    source = models.CharField(
        "actuals", max_length=10, choices=ActualsSource.choices, default=ActualsSource.ENTERED
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(source=ActualsSource.ENTERED) | Q(kpi__isnull=False),
                name="benefit_plan_derived_needs_kpi",
                violation_error_message="Actuals derived from KPI readings need the KPI.",
            ),
        ]

    def __str__(self) -> str:
        return f"Benefit plan of line {self.line_id}"


class BenefitPeriod(models.Model):
    """A plan's quarter: the benefit expected in it and, when entered, the benefit realised in it (in the
    line's unit: money, or the KPI's unit on a non-financial line)."""

    plan = models.ForeignKey(BenefitPlan, on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField(validators=FIRST_YEARS)
    quarter = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    expected = models.DecimalField(null=True, blank=True, **KPI_VALUE)
    actual = models.DecimalField(null=True, blank=True, **KPI_VALUE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "quarter"], name="benefit_period_quarter"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="benefit_period_q_range"
            ),
            models.CheckConstraint(
                condition=Q(expected__isnull=False) | Q(actual__isnull=False),
                name="benefit_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"
