"""Business cases (issue 12): an initiative's cost and benefit lines by calendar year, the financial policy
they are evaluated under, and the figures stored for the register (docs/business-case.md).

A case belongs to one initiative and shares its primary key, so a line's `case_id` is its initiative's id
(the initiative page's audit trail filters on it). Lines are rows, and each line's amounts are rows of
their own, one per line and calendar year: sums by year stay queryable and a change of one year's amount is
one row's change in the audit trail.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.fields import MoneyField
from core.models import HISTORY_EXCLUDED, VersionedModel
from portfolio import finance
from portfolio.models.initiatives import Initiative
from portfolio.models.objectives import KPI, KPI_VALUE

FIRST_YEARS = [MinValueValidator(1900), MaxValueValidator(2200)]


class FinancialPolicy(models.Model):
    """A version of the financial policy: the discount rate and horizon every business case is evaluated
    under. Versions are never edited: a change publishes the next version, and the latest one is current."""

    version = models.PositiveIntegerField(unique=True)
    discount_rate = models.DecimalField(
        "discount rate (%)",
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("-99.9999")), MaxValueValidator(Decimal("100"))],
        help_text="The yearly rate future money is discounted at, in per cent (8 for 8 %).",
    )
    horizon_years = models.PositiveSmallIntegerField(
        "horizon (years)",
        validators=[MinValueValidator(1), MaxValueValidator(finance.MAX_HORIZON_YEARS)],
        help_text="How many years a business case counts, from its first year (year 0).",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this version: who decided, and when.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "financial policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_years__gte=1, horizon_years__lte=finance.MAX_HORIZON_YEARS),
                name="financial_policy_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_rate__gt=-100), name="financial_policy_rate_above_minus_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Financial policy v{self.version} ({self.discount_rate.normalize():f} %, {self.horizon_years} years)"

    def policy(self) -> finance.FinancialPolicy:
        """The policy as finance.evaluate_business_case takes it (the rate as a fraction)."""
        return finance.FinancialPolicy(
            version=self.version, discount_rate=self.discount_rate / 100, horizon_years=self.horizon_years
        )


KIND_LABELS = {
    finance.LineKind.CAPEX: "Capex",
    finance.LineKind.OPEX: "Opex",
    finance.LineKind.REVENUE: "Revenue",
    finance.LineKind.COST_SAVING: "Cost saving",
    finance.LineKind.COST_AVOIDANCE: "Cost avoidance",
    finance.LineKind.RISK_REDUCTION: "Risk reduction",
    finance.LineKind.NON_FINANCIAL: "Non-financial",
}
KIND_CHOICES = [(kind.value, label) for kind, label in KIND_LABELS.items()]

# The stored figures are derived (rewritten by every recompute); the audit trail keeps what was entered.
FIGURE_FIELDS = [
    "policy_version",
    "npv",
    "irr",
    "irr_note",
    "payback_years",
    "discounted_payback_years",
    "roi",
    "total_cost",
    "total_benefit",
]


class BusinessCase(VersionedModel):
    """An initiative's business case: its first calendar year (year 0) and its lines, with the figures last
    computed from them under the current financial policy (stored so the register sorts and lists them)."""

    initiative = models.OneToOneField(
        Initiative, primary_key=True, on_delete=models.CASCADE, related_name="business_case"
    )
    first_year = models.PositiveSmallIntegerField(
        validators=FIRST_YEARS, help_text="The case's first calendar year: year 0 of the financial policy."
    )

    policy_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The financial policy the figures were computed under.",
    )
    npv = MoneyField("NPV", null=True, blank=True, editable=False)
    irr = models.DecimalField("IRR", max_digits=16, decimal_places=6, null=True, blank=True, editable=False)
    irr_note = models.CharField("IRR note", max_length=300, blank=True, default="", editable=False)
    payback_years = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True, editable=False)
    discounted_payback_years = models.DecimalField(
        max_digits=8, decimal_places=4, null=True, blank=True, editable=False
    )
    roi = models.DecimalField("ROI", max_digits=20, decimal_places=6, null=True, blank=True, editable=False)
    total_cost = MoneyField(default=Decimal("0"), editable=False)
    total_benefit = MoneyField(default=Decimal("0"), editable=False)

    history = HistoricalRecords(excluded_fields=[*HISTORY_EXCLUDED, *FIGURE_FIELDS])

    class Meta:
        indexes = [
            # the register sorted by NPV or ROI, at 100,000 initiatives
            models.Index(fields=["npv"], name="business_case_npv"),
            models.Index(fields=["roi"], name="business_case_roi"),
            # the recompute after a new policy finds the cases computed under an older one
            models.Index(fields=["policy_version"], name="business_case_policy"),
        ]

    def __str__(self) -> str:
        return f"Business case of initiative {self.initiative_id}"


class BusinessCaseLine(models.Model):
    """One cost or benefit line of a business case: its kind, a label and, on a non-financial line only, the
    KPI it is tied to (its amounts are then the KPI's expected values)."""

    case = models.ForeignKey(BusinessCase, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    label = models.CharField(max_length=200)
    kpi = models.ForeignKey(
        KPI,
        verbose_name="KPI",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_case_lines",
    )

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="business_case_line_position"),
            models.CheckConstraint(condition=~Q(label=""), name="business_case_line_label_required"),
            models.CheckConstraint(
                condition=Q(kind=finance.LineKind.NON_FINANCIAL.value, kpi__isnull=False)
                | (~Q(kind=finance.LineKind.NON_FINANCIAL.value) & Q(kpi__isnull=True)),
                name="business_case_line_kpi_iff_non_financial",
                violation_error_message="A non-financial line names its KPI; other lines name none.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    history = HistoricalRecords()

    @property
    def line_kind(self) -> finance.LineKind:
        return finance.LineKind(self.kind)


class BusinessCaseAmount(models.Model):
    """A line's amount in one calendar year: a sum of money, or a KPI value on a non-financial line."""

    line = models.ForeignKey(BusinessCaseLine, on_delete=models.CASCADE, related_name="amounts")
    year = models.PositiveSmallIntegerField(validators=FIRST_YEARS)
    amount = models.DecimalField(**KPI_VALUE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["line", "year"]
        constraints = [
            models.UniqueConstraint(fields=["line", "year"], name="business_case_amount_line_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"
