"""Scenarios (issue 12, part 5): a named choice of what to fund over a horizon of years, under budget limits
per year and rules (force in, force out, mandatory, requires, excludes), solved exactly by the optimiser
(planning/optimiser); its last answer and its efficient frontier are stored; one scenario at a time is the
approved plan.

The candidates are not stored: they are the initiatives not yet finished (idea to in delivery) when the
scenario is solved, read with their values and costs by planning/scenarios.py. A stored answer carries the
fingerprint of the inputs it was solved from, so a page can say when the data moved since.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.fields import MoneyField
from core.models import HISTORY_EXCLUDED, VersionedModel
from portfolio.models import Initiative

MAX_YEARS = 10
MAX_SHIFT_MONTHS = 12
YEAR_RANGE = [MinValueValidator(2000), MaxValueValidator(2100)]
NON_NEGATIVE = [MinValueValidator(0)]


class Maximise(models.TextChoices):
    PRIORITY = "priority", "Priority score"
    STRATEGIC = "strategic", "Strategic value"
    NPV = "npv", "NPV"


class ScenarioStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved plan"
    SUPERSEDED = "superseded", "Superseded plan"


class Scenario(VersionedModel):
    """What to choose from (the unfinished initiatives), over which years, under which limits and rules, and
    what to maximise. Approving its answer makes it the plan: the initiatives it funds are approved, and
    those it leaves out that were approved but not started go back to proposed."""

    name = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    first_year = models.PositiveSmallIntegerField(validators=YEAR_RANGE)
    years = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_YEARS)],
        help_text="How many calendar years the scenario spans, from its first year.",
    )
    maximise = models.CharField(max_length=10, choices=Maximise.choices, default=Maximise.STRATEGIC)
    budget = MoneyField(
        "budget over the horizon",
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="A cap on capex and opex together over all the years; empty for none.",
    )
    keep_committed = models.BooleanField(
        "keep what is in delivery",
        default=True,
        help_text="Initiatives already in delivery are in the plan unless a rule forces one out.",
    )
    respect_capacity = models.BooleanField(
        "respect team capacity",
        default=True,
        help_text="Fund only what the teams can deliver: each team's capacity per month, less its run demand, "
        "limits the effort of the initiatives chosen (no effect while no team is entered).",
    )
    max_shift_months = models.PositiveSmallIntegerField(
        "start shift allowed (months)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_SHIFT_MONTHS)],
        help_text="How many months the optimiser may move an initiative's start later to fit team capacity "
        "(0: none; empty: the capacity policy's).",
    )
    sponsor_adjustment = models.BooleanField(
        "sponsor adjustment",
        default=False,
        help_text="When maximising NPV, discount each candidate's NPV by its sponsor's record of benefits "
        "realised against promised (no effect on strategic value or priority score).",
    )
    status = models.CharField(max_length=10, choices=ScenarioStatus.choices, default=ScenarioStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_rationale = models.TextField(max_length=2000, blank=True)
    # the approved answer: the selection that became the plan (initiative ids)
    approved_selection = models.JSONField(default=list, blank=True)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="approved"), name="scenario_one_approved"
            ),
            models.CheckConstraint(
                condition=Q(years__gte=1) & Q(years__lte=MAX_YEARS), name="scenario_years"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def horizon(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))

    @property
    def is_draft(self) -> bool:
        return self.status == ScenarioStatus.DRAFT

    @property
    def maximise_text(self) -> str:
        """What it maximises, as a sentence says it ("maximises strategic value", "maximises NPV")."""
        return "NPV" if self.maximise == Maximise.NPV else self.get_maximise_display().lower()


class ScenarioYear(models.Model):
    """One year's budget limits; an empty limit is no limit."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="limits")
    year = models.PositiveSmallIntegerField(validators=YEAR_RANGE)
    capex = MoneyField("capex limit", null=True, blank=True, validators=NON_NEGATIVE)
    opex = MoneyField("opex limit", null=True, blank=True, validators=NON_NEGATIVE)
    total = MoneyField("total limit", null=True, blank=True, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["scenario", "year"]
        constraints = [models.UniqueConstraint(fields=["scenario", "year"], name="scenario_year_once")]

    def __str__(self) -> str:
        return f"{self.year}: capex {self.capex}, opex {self.opex}, total {self.total}"


class RuleKind(models.TextChoices):
    FORCE_IN = "force_in", "Force in"
    FORCE_OUT = "force_out", "Force out"
    MANDATORY = "mandatory", "Mandatory"
    REQUIRES = "requires", "Requires"
    EXCLUDES = "excludes", "Excludes"


PAIRED = (RuleKind.REQUIRES, RuleKind.EXCLUDES)


class ScenarioRule(models.Model):
    """A rule on one initiative (force in, force out, mandatory) or on a pair (the first requires the
    second; the two exclude each other)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Initiative, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["scenario", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "kind", "initiative"],
                condition=Q(other__isnull=True),
                name="scenario_rule_once",
            ),
            models.UniqueConstraint(
                fields=["scenario", "kind", "initiative", "other"],
                condition=Q(other__isnull=False),
                name="scenario_rule_pair_once",
            ),
            models.CheckConstraint(
                condition=((Q(kind="requires") | Q(kind="excludes")) & Q(other__isnull=False))
                | (~Q(kind="requires") & ~Q(kind="excludes") & Q(other__isnull=True)),
                name="scenario_rule_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.initiative_id}" + (f" / {self.other_id}" if self.other_id else "")


class RunKind(models.TextChoices):
    SOLVE = "solve", "Answer"
    FRONTIER = "frontier", "Efficient frontier"


class ScenarioRun(models.Model):
    """The last answer (or frontier) of a scenario, as plain data for its pages, its comparison and the API:
    `summary` holds the status, value, spend per year, limits and indices; `decisions` every candidate's
    in or out with its reason; `fingerprint` the inputs it was solved from."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    scenario_version = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=12)
    summary = models.JSONField(default=dict)
    decisions = models.JSONField(default=list)
    selected = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scenario", "kind"], name="scenario_run_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.scenario_id} {self.kind}: {self.status}"
