"""What the PMO enters about people (issue 13; docs/capacity.md): teams and their members, each team's
capacity per month (derived from its members, or an override), its run demand (the recurring operations
load) and each initiative's change demand (its estimated effort per team, spread over its planned months).

Months are stored as the date of their first day. Person-days carry one decimal."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel
from core.stages import Stage
from portfolio.models import Initiative

MAX_PERSON_DAYS = Decimal("99999.9")
PERSON_DAYS_RANGE = [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PERSON_DAYS)]

# Which initiatives' effort counts as committed change, and which as proposed change (a separate layer).
COMMITTED_STAGES = frozenset({Stage.APPROVED.value, Stage.IN_DELIVERY.value})
PROPOSED_STAGES = frozenset({Stage.IDEA.value, Stage.PROPOSED.value})


def _first_of_month(value: datetime.date | None, field: str, errors: dict[str, str]) -> None:
    if value is not None and value.day != 1:
        errors[field] = "Give a month: its first day (e.g. 2027-03-01)."


class Team(VersionedModel):
    """A team (or a role or skill pool) whose people deliver run and change work."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(VersionedModel):
    """A person in a team: a named person or a user, available for a share of their time, from a month to a
    month (both optional)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=120, blank=True, help_text="The person's name (or choose a user).")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    availability = models.PositiveSmallIntegerField(
        "availability (%)",
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The share of their working days this team can count on, in per cent.",
    )
    start_month = models.DateField(
        null=True, blank=True, help_text="First month in the team (empty: always)."
    )
    end_month = models.DateField(null=True, blank=True, help_text="Last month in the team (empty: open).")

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["team", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(availability__gte=0, availability__lte=100), name="team_member_availability_range"
            ),
            models.CheckConstraint(
                condition=Q(start_month__isnull=True)
                | Q(end_month__isnull=True)
                | Q(end_month__gte=F("start_month")),
                name="team_member_months_in_order",
            ),
        ]

    def __str__(self) -> str:
        if self.name:
            return self.name
        if self.user_id is not None and self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return "Unnamed member"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if not self.name.strip() and self.user_id is None:
            errors["name"] = "Give the person's name or choose a user."
        _first_of_month(self.start_month, "start_month", errors)
        _first_of_month(self.end_month, "end_month", errors)
        if self.start_month and self.end_month and self.end_month < self.start_month:
            errors.setdefault("end_month", "The last month cannot come before the first.")
        if errors:
            raise ValidationError(errors)


class CapacityOverride(VersionedModel):
    """A team's capacity in one month as entered, in place of what its members give (holidays, hiring)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="overrides")
    month = models.DateField()
    person_days = models.DecimalField(max_digits=9, decimal_places=1, validators=PERSON_DAYS_RANGE)
    reason = models.CharField(max_length=200, blank=True, help_text="Why, e.g. “summer holidays”.")

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["team", "month"]
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="capacity_override_one_per_team_month"),
            models.CheckConstraint(condition=Q(person_days__gte=0), name="capacity_override_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team}, {self.month:%Y-%m}: {self.person_days} person-days"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        _first_of_month(self.month, "month", errors)
        if errors:
            raise ValidationError(errors)


class RunCategory(models.TextChoices):
    SUPPORT = "support", "Support"
    INCIDENTS = "incidents", "Incidents"
    MAINTENANCE = "maintenance", "Maintenance"
    CHANGES = "changes", "Operational changes"


class RunDemand(VersionedModel):
    """A team's recurring operations load in one month, by category, in person-days."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="run_demand")
    month = models.DateField()
    category = models.CharField(max_length=12, choices=RunCategory.choices, default=RunCategory.SUPPORT)
    person_days = models.DecimalField(max_digits=9, decimal_places=1, validators=PERSON_DAYS_RANGE)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["team", "month", "category"]
        verbose_name = "run demand"
        verbose_name_plural = "run demand"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "month", "category"], name="run_demand_one_per_team_month_category"
            ),
            models.CheckConstraint(condition=Q(person_days__gte=0), name="run_demand_non_negative"),
        ]
        indexes = [models.Index(fields=["month", "team"], name="run_demand_month_team")]

    def __str__(self) -> str:
        return (
            f"{self.team}, {self.month:%Y-%m}, {self.get_category_display()}: {self.person_days} person-days"
        )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        _first_of_month(self.month, "month", errors)
        if errors:
            raise ValidationError(errors)


class ChangeDemand(VersionedModel):
    """An initiative's estimated effort for one team, in person-days over its whole plan. It is spread over
    the initiative's planned months evenly, unless its months were edited one by one (`custom`)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="change_demand")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="change_demand")
    person_days = models.DecimalField(
        "effort (person-days)", max_digits=9, decimal_places=1, validators=PERSON_DAYS_RANGE
    )
    custom = models.BooleanField(
        "months edited", default=False, help_text="The months were edited one by one; not spread evenly."
    )
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["initiative", "team"]
        verbose_name = "effort estimate"
        constraints = [
            models.UniqueConstraint(fields=["initiative", "team"], name="change_demand_one_per_team"),
            models.CheckConstraint(condition=Q(person_days__gte=0), name="change_demand_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} for {self.team}: {self.person_days} person-days"


class ChangeDemandMonth(models.Model):
    """One month of an effort estimate, as spread (or edited). Rewritten whole by the services: the heat map
    sums these rows by team and month in one grouped query."""

    demand = models.ForeignKey(ChangeDemand, on_delete=models.CASCADE, related_name="months")
    # the demand's team and initiative, kept here so the heat map groups without a join to the demand
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    person_days = models.DecimalField(max_digits=11, decimal_places=3)

    class Meta:
        ordering = ["demand", "month"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "month"], name="change_demand_month_once"),
        ]
        indexes = [models.Index(fields=["month", "team"], name="change_month_month_team")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.person_days}"


class ChangeLoad(models.Model):
    """Computed: a team's change demand in one month, summed by layer (committed: approved and in-delivery
    initiatives; proposed: ideas and proposals). The heat map reads these sums, a row per team-month, rather
    than grouping every month of every estimate on each view. Rewritten for a team whenever one of its
    estimates' months, or an initiative's stage or dates, change (services.loads_refresh); rebuilt whole by
    `manage.py capacity_refresh`, so it can always be brought back from the entered data."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    committed = models.FloatField(default=0.0)
    proposed = models.FloatField(default=0.0)

    class Meta:
        ordering = ["team", "month"]
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="change_load_one_per_team_month")
        ]
        indexes = [models.Index(fields=["month", "team"], name="change_load_month_team")]

    def __str__(self) -> str:
        return f"{self.team_id}, {self.month:%Y-%m}: {self.committed} + {self.proposed}"


class CapacityPolicy(models.Model):
    """A version of the capacity policy. Versions are never edited: a change publishes the next one, and
    the latest is current (as the financial policy)."""

    version = models.PositiveIntegerField(unique=True)
    change_share_target = models.DecimalField(
        "change share target (%)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="The share of capacity that run demand should leave for change, in per cent.",
    )
    overload_threshold = models.DecimalField(
        "over-allocation threshold (%)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("50")), MaxValueValidator(Decimal("200"))],
        help_text="A team-month whose utilisation passes this is over-allocated, in per cent.",
    )
    max_shift_months = models.PositiveSmallIntegerField(
        "start shift allowed (months)",
        default=0,
        validators=[MaxValueValidator(12)],
        help_text="How many months a scenario may move an initiative's start to fit capacity (0: none).",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this version: who decided, and when.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "capacity policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(change_share_target__gte=0, change_share_target__lte=100),
                name="capacity_policy_target_range",
            ),
            models.CheckConstraint(
                condition=Q(overload_threshold__gte=50, overload_threshold__lte=200),
                name="capacity_policy_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Capacity policy v{self.version}"
