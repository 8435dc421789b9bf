from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.fields import MoneyField
from core.models import HISTORY_EXCLUDED, NON_NEGATIVE, VersionedModel, one_to_five
from core.stages import STAGE_ORDER, UNFINISHED, Stage
from portfolio import rationale as rationale_rule
from portfolio.models.objectives import KPI, KPI_VALUE, Objective

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def stage_since_from_dates(
    stage: str,
    *,
    planned_start: datetime.date | None,
    actual_start: datetime.date | None,
    actual_end: datetime.date | None,
    go_live_date: datetime.date | None,
) -> datetime.date | None:
    """When an initiative in `stage` most plausibly entered it, from its dates (for loaded data that has no
    record of the change): delivery from the actual start, live from go-live, closed from the actual end;
    approval a month before the planned start at the latest. None when the dates do not tell."""
    if stage == Stage.APPROVED and planned_start:
        return planned_start - datetime.timedelta(days=30)
    if stage == Stage.IN_DELIVERY:
        return actual_start or planned_start
    if stage == Stage.LIVE:
        return go_live_date or actual_end
    if stage == Stage.CLOSED:
        return actual_end
    return None


class Program(VersionedModel):
    """An optional grouping of initiatives that are steered together."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# WSJF's relative estimates: the modified Fibonacci scale (planning.ranking.WSJF_SCALE, which a test pins)
WSJF_CHOICES = [(value, str(value)) for value in (1, 2, 3, 5, 8, 13, 20)]


class Category(models.TextChoices):
    RUN = "run", "Run"
    GROW = "grow", "Grow"
    TRANSFORM = "transform", "Transform"


# stricter than core's rule for codes (capitals, digits and dashes only); like it, never a formula's first character
CODE_VALIDATOR = RegexValidator(
    r"\A[A-Z0-9][A-Z0-9-]{1,19}\Z", "Use 2 to 20 capital letters, digits or dashes, e.g. ECOM-12."
)


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def open(self) -> InitiativeQuerySet:
        return self.filter(stage__in=UNFINISHED)

    def managed_by(self, user: User) -> InitiativeQuerySet:
        return self.filter(manager=user)


class Initiative(VersionedModel):
    """An IT initiative: what it costs, when it runs, who owns it, and (through contributions) why."""

    code = models.CharField(max_length=20, unique=True, validators=[CODE_VALIDATOR])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_initiatives",
        help_text="The executive who answers for the initiative's benefits.",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_initiatives",
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="initiatives"
    )
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.GROW)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.IDEA)
    stage_since = models.DateField(
        null=True, blank=True, editable=False, help_text="When the initiative entered its current stage."
    )
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    budget_capex = MoneyField("budget (capex)", default=Decimal("0"), validators=NON_NEGATIVE)
    budget_opex = MoneyField("budget (opex)", default=Decimal("0"), validators=NON_NEGATIVE)
    actual_cost = MoneyField("actual cost to date", default=Decimal("0"), validators=NON_NEGATIVE)
    forecast_cost = MoneyField("forecast cost at completion", null=True, blank=True, validators=NON_NEGATIVE)
    requirements_clarity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=one_to_five(), help_text="1 = vague, 5 = signed-off and stable."
    )
    criticality = models.PositiveSmallIntegerField(
        "business criticality",
        default=3,
        validators=one_to_five(),
        help_text="1 = nice to have, 5 = the business stops without it.",
    )
    sustainment_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sustained_initiatives",
        help_text="Who owns the solution and its benefits after go-live.",
    )
    go_live_date = models.DateField(null=True, blank=True)
    # prioritisation inputs (planning's scoring model and WSJF: docs/planning-priorities.md)
    urgency = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=one_to_five(),
        help_text="1 = can wait a year or more, 5 = needed now. Used by the priority ranking.",
    )
    mandatory = models.BooleanField(
        "mandatory (regulatory)",
        default=False,
        help_text="Required by law, regulation or contract: ranked ahead of every optional initiative.",
    )
    mandatory_reason = models.CharField(
        "why it is mandatory",
        max_length=300,
        blank=True,
        help_text="The obligation, e.g. “GDPR art. 30 records of processing”.",
    )
    wsjf_business_value = models.PositiveSmallIntegerField(
        "WSJF business value", null=True, blank=True, choices=WSJF_CHOICES
    )
    wsjf_time_criticality = models.PositiveSmallIntegerField(
        "WSJF time criticality", null=True, blank=True, choices=WSJF_CHOICES
    )
    wsjf_risk_reduction = models.PositiveSmallIntegerField(
        "WSJF risk reduction / opportunity enablement", null=True, blank=True, choices=WSJF_CHOICES
    )
    wsjf_job_size = models.PositiveSmallIntegerField(
        "WSJF job size", null=True, blank=True, choices=WSJF_CHOICES
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)
    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["stage"], name="initiative_stage"),
            models.Index(fields=["category"], name="initiative_category"),
            models.Index(fields=["title"], name="initiative_title"),
            models.Index(fields=["planned_end"], name="initiative_planned_end"),
            # the register's and the dashboard's category and stage filters, with the budget they total and
            # the key they join the scores by (PostgreSQL keeps both in the index, so the register filtered by
            # stage, category and tier is counted from two indexes alone; SQLite indexes the two filters)
            models.Index(
                fields=["category", "stage"],
                include=["budget_capex", "budget_opex", "id"],
                name="initiative_category_stage_id",
            ),
            # and, on PostgreSQL only (an index with NULLS FIRST/LAST, which SQLite refuses), portfolio
            # migration 0009: the register by budget, and the worklist's initiatives due a sustainment owner
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_capex__gte=0)
                & Q(budget_opex__gte=0)
                & Q(actual_cost__gte=0)
                & (Q(forecast_cost__isnull=True) | Q(forecast_cost__gte=0)),
                name="initiative_money_not_negative",
                violation_error_message="Amounts of money cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(requirements_clarity__isnull=True)
                | Q(requirements_clarity__gte=1, requirements_clarity__lte=5),
                name="initiative_clarity_range",
            ),
            models.CheckConstraint(
                condition=Q(criticality__gte=1, criticality__lte=5), name="initiative_criticality_range"
            ),
            models.CheckConstraint(
                condition=Q(urgency__isnull=True) | Q(urgency__gte=1, urgency__lte=5),
                name="initiative_urgency_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="initiative_planned_order",
                violation_error_message="The planned end cannot be before the planned start.",
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="initiative_actual_order",
                violation_error_message="The actual end cannot be before the actual start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def inferred_stage_since(self) -> datetime.date | None:
        """When the initiative most plausibly entered its stage, from its own dates (for loaded data that
        has no record of the change): see stage_since_from_dates."""
        return stage_since_from_dates(
            self.stage,
            planned_start=self.planned_start,
            actual_start=self.actual_start,
            actual_end=self.actual_end,
            go_live_date=self.go_live_date,
        )

    @property
    def budget_total(self) -> Decimal:
        return (self.budget_capex or Decimal("0")) + (self.budget_opex or Decimal("0"))

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = "The planned end cannot be before the planned start."
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors["actual_end"] = "The actual end cannot be before the actual start."
        if self.actual_end and not self.actual_start:
            errors["actual_start"] = "An initiative that has ended must have started: enter the actual start."
        if self.stage != Stage.IDEA and self.sponsor_id is None:
            errors["sponsor"] = "Every initiative past the idea stage needs an executive sponsor."
        if STAGE_ORDER.get(self.stage, 0) >= STAGE_ORDER[Stage.APPROVED] and self.stage != Stage.CANCELLED:
            if not self.planned_start:
                errors.setdefault("planned_start", "An approved initiative needs a planned start.")
            if not self.planned_end:
                errors.setdefault("planned_end", "An approved initiative needs a planned end.")
        if self.mandatory and not self.mandatory_reason.strip():
            errors["mandatory_reason"] = "Name the obligation that makes this initiative mandatory."
        if self.stage == Stage.LIVE and not self.go_live_date:
            errors["go_live_date"] = "A live initiative needs its go-live date."
        actual = [
            (field, value) for field in ("actual_start", "actual_end") if (value := getattr(self, field))
        ]
        if (
            actual
        ):  # today is read only when there is a date to compare (it costs more than the rest of clean)
            today = timezone.localdate()
            for field, value in actual:
                if value > today and field not in errors:
                    errors[field] = "An actual date cannot be in the future."
        if errors:
            raise ValidationError(errors)


class Strength(models.TextChoices):
    NONE = "none", "None"
    WEAK = "weak", "Weak"
    MODERATE = "moderate", "Moderate"
    STRONG = "strong", "Strong"


KPI_OF_ANOTHER_OBJECTIVE = "Pick a KPI of the objective chosen above (or of one of its sub-objectives)."


class Contribution(VersionedModel):
    """A contribution: that an initiative serves an objective, how strongly, and why."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="contributions")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="contributions")
    strength = models.CharField(max_length=10, choices=Strength.choices, default=Strength.MODERATE)
    rationale = models.TextField(
        max_length=2000, help_text="Why this initiative moves this objective: the mechanism, not a slogan."
    )
    kpi = models.ForeignKey(
        KPI,
        verbose_name="KPI",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
        help_text="The KPI this initiative is expected to move (optional).",
    )
    expected_change = models.DecimalField(
        null=True, blank=True, help_text="By how much, in the KPI's unit.", **KPI_VALUE
    )

    # why the rationale is not a real one (portfolio.rationale: "blank", "placeholder", "short", "few words"),
    # or NULL: computed by the database from the rationale, for the worklist's index
    rationale_problem = models.GeneratedField(
        expression=rationale_rule.problem_expression(),
        output_field=models.CharField(max_length=12, null=True),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=[*HISTORY_EXCLUDED, "rationale_problem"])

    class Meta:
        ordering = ["initiative", "objective__code"]
        indexes = [
            # the worklist's contributions lacking a rationale: the few of them, straight from a small index
            models.Index(
                fields=["initiative"],
                name="contrib_rationale_problem",
                condition=Q(rationale_problem__isnull=False),
            ),
            # an objective's contributions counted by strength read the index alone (the objective tree's
            # initiative counts, the register's objective filter)
            models.Index(fields=["objective", "strength"], name="contrib_objective_strength"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "objective"], name="contribution_unique_pair"),
            models.CheckConstraint(condition=~Q(rationale=""), name="contribution_rationale_required"),
            models.CheckConstraint(
                condition=Q(expected_change__isnull=True) | Q(kpi__isnull=False),
                name="contribution_change_needs_kpi",
                violation_error_message="An expected change needs the KPI it applies to.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} -> {self.objective.code} ({self.strength})"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        problem = rationale_rule.message(self.rationale)
        if problem:
            errors["rationale"] = problem
        if self.kpi_id and self.objective_id:
            assert self.kpi is not None  # kpi_id is set
            if self.kpi.objective_id not in Objective.subtree_ids(self.objective_id):
                errors["kpi"] = KPI_OF_ANOTHER_OBJECTIVE
        if self.expected_change is not None and not self.kpi_id:
            errors["expected_change"] = "An expected change needs the KPI it applies to."
        if errors:
            raise ValidationError(errors)


class Milestone(VersionedModel):
    """A dated deliverable: baseline (what was promised), forecast (what is expected), actual."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    baseline_date = models.DateField(help_text="The date promised when the plan was approved.")
    forecast_date = models.DateField(null=True, blank=True)
    actual_date = models.DateField(null=True, blank=True)
    forecast_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["initiative", "baseline_date", "name"]
        indexes = [
            # milestones by date, read in order without a sort: the milestones page (latest first), and the
            # open ones for the worklist's forecast check (soonest first), past the many achieved
            models.Index(fields=["baseline_date"], name="milestone_baseline_date"),
            models.Index(
                fields=["baseline_date"], name="milestone_open_by_date", condition=Q(actual_date__isnull=True)
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["initiative", "name"], name="milestone_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.actual_date and self.actual_date > timezone.localdate():
            raise ValidationError({"actual_date": "A milestone cannot be achieved in the future."})


class ScopeChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ScopeChange(VersionedModel):
    """A change to what an initiative delivers, with its cost and schedule impact and why it was made."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="scope_changes")
    date = models.DateField(help_text="When the change was requested.")
    description = models.TextField(max_length=5000)
    rationale = models.TextField(blank=True, max_length=5000)
    cost_impact = MoneyField(
        default=Decimal("0"), help_text="Extra cost (negative if the change saves money)."
    )
    schedule_impact_days = models.IntegerField(
        default=0, help_text="Days added to the schedule (negative if it shortens it)."
    )
    status = models.CharField(
        max_length=10, choices=ScopeChangeStatus.choices, default=ScopeChangeStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who approved or rejected the change.",
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["initiative", "-date"]
        constraints = [
            models.CheckConstraint(condition=~Q(description=""), name="scope_change_description_required"),
            models.CheckConstraint(
                condition=Q(status=ScopeChangeStatus.PENDING) | Q(approved_by__isnull=False),
                name="scope_change_decider_required",
                violation_error_message="A decided scope change must say who decided it.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} scope change of {self.date}"

    def clean(self) -> None:
        super().clean()
        if self.status != ScopeChangeStatus.PENDING and not self.approved_by_id:
            raise ValidationError({"approved_by": "Say who approved or rejected this change."})
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "A scope change cannot be requested in the future."})


class ArtefactKind(models.TextChoices):
    BUSINESS_CASE = "business_case", "Business case"
    BENEFITS_PLAN = "benefits_plan", "Benefits realisation plan"
    ARCHITECTURE_REVIEW = "architecture_review", "Architecture review"
    SECURITY_REVIEW = "security_review", "Security review"
    TEST_STRATEGY = "test_strategy", "Test strategy"
    CUTOVER_PLAN = "cutover_plan", "Cut-over plan"
    SUSTAINMENT_PLAN = "sustainment_plan", "Sustainment plan"


class Artefact(VersionedModel):
    """A governance document an initiative has produced; the tier policy says which ones are required."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="artefacts")
    kind = models.CharField(max_length=24, choices=ArtefactKind.choices)
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=500, blank=True, help_text="Link or document id.")
    dated = models.DateField()

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["initiative", "kind"]
        constraints = [models.UniqueConstraint(fields=["initiative", "kind"], name="artefact_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
