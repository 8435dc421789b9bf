"""What the alignment engine computes. Every table here can be rebuilt from the entered data by a recompute.

The references from computed rows to entered records carry no database foreign-key constraint
(db_constraint=False): checking 30,000 of them at commit was a large part of a full recompute. Django
still deletes computed rows with their records (on_delete), and every recompute rewrites them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from alignment.engine import confidence
from alignment.engine.policy import Policy
from portfolio.models import KPI, Initiative, Objective, Program


class ScoringPolicy(models.Model):
    """A version of the scoring policy. Versions are never edited: a change adds the next version."""

    version = models.PositiveIntegerField(unique=True)
    parameters = models.JSONField(default=dict, blank=True, help_text="Overrides of the default policy.")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "scoring policies"

    def __str__(self) -> str:
        return f"Scoring policy v{self.version}"

    def policy(self) -> Policy:
        from dataclasses import replace

        return replace(Policy.from_dict(self.parameters), version=self.version)


class TierChoices(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (rigorous)"
    TIER_2 = 2, "Tier 2 (standard)"
    TIER_3 = 3, "Tier 3 (light)"


class InitiativeScore(models.Model):
    """The scores of one initiative, the few facts pages list with them, and whether they are out of date.

    The full explanation (the parts each score was made of) is not stored: the "why" view builds it for the
    one initiative it shows, with the engine's own code (services.explain_initiative). Nothing stored here
    depends on the day computed unless a score does, so a recompute that finds nothing changed writes
    nothing."""

    initiative = models.OneToOneField(
        Initiative, primary_key=True, on_delete=models.CASCADE, related_name="score", db_constraint=False
    )
    policy_version = models.PositiveIntegerField(default=0)
    fit = models.FloatField(default=0)
    outcome = models.FloatField(null=True)
    delivery = models.FloatField(null=True)
    governance = models.FloatField(null=True)
    execution = models.FloatField(null=True)
    alignment = models.FloatField(default=0)
    impact = models.FloatField(default=0)
    exposure = models.PositiveIntegerField(default=0)
    tier = models.PositiveSmallIntegerField(choices=TierChoices.choices, null=True)
    # roll-ups written with the scores, so that a filtered dashboard sums the rows it already reads
    red_signals = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Red signals on the initiative, written with them."
    )
    milestones_due = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Milestones whose baseline date had passed on the day computed."
    )
    milestones_on_time = models.PositiveIntegerField(
        default=0, db_default=0, help_text="... of those, delivered by their baseline date."
    )
    checkpoint_due = models.DateField(
        null=True,
        blank=True,
        help_text="Approved and in delivery: when the next checkpoint review is due (see formulas.checkpoint_due).",
    )
    risk_cells = models.TextField(
        blank=True, default="", help_text="Active risks, one 'PI' pair (probability, impact) each: '23 34'."
    )
    links = models.TextField(
        blank=True,
        default="",
        help_text="Contributions, one objective id and strength letter (s, m, w, n) each: '12s 40w'.",
    )
    missing = models.JSONField(
        default=dict, help_text="Each component that could not be computed, with the reason: {name: reason}."
    )
    fit_points = models.JSONField(
        default=list,
        help_text="Each contribution's share of the strategic fit: [[objective id, points], ...].",
    )
    slip_days = models.IntegerField(null=True, help_text="Delivery: the worst lateness against plan.")
    slip_ratio = models.FloatField(null=True, help_text="Delivery: the slip over the planned duration.")
    overrun = models.FloatField(null=True, help_text="Delivery: forecast cost over budget, as a share of it.")
    status = models.CharField(
        max_length=4,
        blank=True,
        default="",
        db_default="",
        help_text="Approved, in delivery or live: the current RAG of schedule, cost, scope and benefits, a letter "
        "(g, a, r) each: the latest review's while its next checkpoint is not due, else the data's suggestion.",
    )
    status_review = models.DateField(
        null=True, blank=True, help_text="The day of the review the status comes from; empty: from the data."
    )
    confidence = models.CharField(
        max_length=6,
        blank=True,
        default="",
        db_default="",
        help_text="How sure the score is: high, medium or low from the components its stage is judged on that are "
        "missing or stale; empty for an idea or a proposal (fit alone).",
    )
    unsure = models.JSONField(
        default=dict,
        help_text="The components the stage is judged on that are missing or stale: {name: 'missing' | 'stale'}.",
    )
    digest = models.CharField(max_length=24, blank=True, help_text="Fingerprint of the stored values.")
    stale = models.BooleanField(default=True)
    stale_since = models.DateTimeField(null=True)
    computed_at = models.DateTimeField(
        null=True, help_text="When these values were last computed and changed."
    )

    class Meta:
        indexes = [
            models.Index(fields=["stale"], name="score_stale", condition=models.Q(stale=True)),
            # a tier filter (the register's, the dashboard's) reads the initiatives of a tier from the index
            # alone, without visiting the score rows
            models.Index(fields=["tier", "initiative"], name="score_tier_initiative"),
            models.Index(fields=["alignment"], name="score_alignment"),
            # the latest computation and the latest change mark, read from the index alone (what a computed
            # dashboard's cache key is made of: selectors.computed_dashboard_stamp)
            models.Index(fields=["computed_at"], name="score_computed_at"),
            models.Index(fields=["stale_since"], name="score_stale_since"),
        ]

    def __str__(self) -> str:
        return f"Scores of initiative {self.initiative_id}"

    def confidence_words(self, stage: str) -> str:
        """How sure the score is, in words, for an initiative at `stage` (alignment.engine.confidence)."""
        return confidence.score_words(
            self.confidence, stage, self.unsure if isinstance(self.unsure, dict) else {}
        )

    @property
    def is_computed(self) -> bool:
        return self.computed_at is not None


class ObjectiveScore(models.Model):
    """Computed facts about an objective: its weights, the spend attributed to it, and who serves it."""

    objective = models.OneToOneField(
        Objective, primary_key=True, on_delete=models.CASCADE, related_name="score", db_constraint=False
    )
    global_weight = models.FloatField(default=0)
    relative_weight = models.FloatField(default=0)
    lookback_relative_weight = models.FloatField(null=True)
    is_unit = models.BooleanField(
        default=False, help_text="A priority unit: spend and weight are compared here."
    )
    unit_id = models.BigIntegerField(null=True, help_text="The priority unit this objective rolls up to.")
    spend = models.FloatField(default=0)
    spend_share = models.FloatField(default=0)
    weight_share = models.FloatField(default=0)
    contributing = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"Scores of objective {self.objective_id}"


class KPIScore(models.Model):
    """A KPI's latest reading, progress, expected progress, forecast and status."""

    kpi = models.OneToOneField(
        KPI, primary_key=True, on_delete=models.CASCADE, related_name="score", db_constraint=False
    )
    status = models.CharField(max_length=10, default="no_data")
    latest_value = models.FloatField(null=True)
    latest_date = models.DateField(null=True)
    progress = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    forecast_value = models.FloatField(null=True)
    forecast_progress = models.FloatField(null=True)
    slope_per_year = models.FloatField(null=True)
    readings_used = models.PositiveIntegerField(default=0)
    forecast_low = models.FloatField(
        null=True, help_text="The forecast's 80% interval at the target date: low end."
    )
    forecast_high = models.FloatField(null=True, help_text="... and high end.")
    confidence = models.CharField(
        max_length=6,
        default="none",
        db_default="none",
        help_text="How sure the status is: high, medium, low or none (alignment.engine.confidence).",
    )
    computed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"Status of KPI {self.kpi_id}: {self.status}"

    def confidence_words(self, *, unit: str, today: datetime.date, fresh_days: int) -> str:
        """How sure the status is, in words (alignment.engine.confidence)."""
        return confidence.kpi_words(
            confidence=self.confidence,
            achieved=self.status == "achieved",
            readings=self.readings_used,
            latest=self.latest_date,
            today=today,
            fresh_days=fresh_days,
            interval=confidence.Interval(self.forecast_low, self.forecast_high)
            if self.forecast_low is not None and self.forecast_high is not None
            else None,
            unit=unit,
        )


class ScoreHistory(models.Model):
    """An initiative's recorded scores, from the day they were recorded until a later row replaced them.

    The score history is a change log: the daily recording (services.record_history) writes a row only for
    an initiative whose recorded values (scores, tier, budget, policy version, fit points by objective)
    differ from its row in force. The scores of an initiative on any recorded day (HistoryDay) are those of
    its latest row on or before that day, for trends and "what changed since"."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="score_history", db_constraint=False
    )
    date = models.DateField(help_text="The day these values were first recorded.")
    until = models.DateField(
        null=True, blank=True, help_text="The day a later row replaced this one; empty while it is in force."
    )
    policy_version = models.PositiveIntegerField(default=0)
    fit = models.FloatField()
    outcome = models.FloatField(null=True)
    delivery = models.FloatField(null=True)
    governance = models.FloatField(null=True)
    alignment = models.FloatField()
    tier = models.PositiveSmallIntegerField(null=True)
    budget = models.FloatField(default=0)
    explanation = models.JSONField(
        default=dict,
        help_text="Each objective's fit points, as {fit: {terms: [{objective, points}]}} (rows recorded as daily "
        "copies hold a whole explanation).",
    )

    class Meta:
        ordering = ["initiative", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "date"], name="score_history_unique_day")
        ]
        indexes = [
            # the rows of some initiatives in force on a few days, summed by a filtered dashboard from this
            # alone (an index-only scan on PostgreSQL; other databases ignore the included columns)
            models.Index(
                fields=["initiative", "date"],
                include=["until", "budget", "alignment"],
                name="score_history_in_force",
            ),
            # the rows in force now, which the daily recording compares with
            models.Index(
                fields=["initiative"], condition=models.Q(until__isnull=True), name="score_history_now"
            ),
        ]

    def __str__(self) -> str:
        return f"Scores of initiative {self.initiative_id} from {self.date}"


class HistoryDay(models.Model):
    """A day the score history was recorded (services.record_history ran): the days its trends have a point
    on. On each, an initiative's scores are those of its latest ScoreHistory row on or before it."""

    date = models.DateField(unique=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"Score history recorded on {self.date}"


ALL_SCOPE = "all"


def program_scope(program_id: int) -> str:
    return f"program:{program_id}"


class PortfolioIndex(models.Model):
    """The indices of the portfolio (scope "all") or of one program ("program:<id>") on a date; today's
    rows are rewritten by each recompute, earlier ones are the history."""

    date = models.DateField()
    scope = models.CharField(max_length=40, default=ALL_SCOPE)
    computed_at = models.DateTimeField()
    policy_version = models.PositiveIntegerField(default=0)
    funded_budget = models.FloatField(default=0)
    alignment_index = models.FloatField(null=True)
    top_share = models.FloatField(null=True)
    misallocation = models.FloatField(null=True)
    coverage = models.FloatField(null=True)
    predictability = models.FloatField(null=True)
    red_signals = models.PositiveIntegerField(default=0)
    amber_signals = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["scope", "-date"]
        verbose_name_plural = "portfolio indices"
        constraints = [models.UniqueConstraint(fields=["date", "scope"], name="portfolio_index_unique_day")]

    def __str__(self) -> str:
        return f"Indices of {self.scope} on {self.date}"


class StoredDashboard(models.Model):
    """The rendered dashboard of a scope (the portfolio, or one program): tiles, figures and tables, stored as
    ready-to-embed JSON so the page serves it without computing anything."""

    scope = models.CharField(max_length=40, unique=True)
    computed_at = models.DateTimeField()
    source_computed_at = models.DateTimeField(
        null=True, help_text="The recompute these figures were drawn from."
    )
    payload = models.TextField(help_text="JSON: tiles, figures and tables (for CSV downloads).")
    html = models.TextField(default="", help_text="The rendered tiles and charts, served as they are.")

    def __str__(self) -> str:
        return f"Dashboard of {self.scope} as of {self.computed_at:%Y-%m-%d %H:%M}"


class DashboardCube(models.Model):
    """The header of the filter cube (DashboardCell): what it was drawn from. A filtered dashboard is added up
    from the cube's cells only when its stamp is the one the stored scores have now (selectors.
    computed_dashboard_stamp) and it was drawn today; otherwise it is computed from the scores."""

    KEY = "filters"

    key = models.CharField(max_length=20, unique=True, default=KEY)
    stamp = models.CharField(max_length=300)
    day = models.DateField(help_text="The day the cube counts as today (milestones due, history days).")
    days = models.JSONField(default=list, help_text="The days of score history its cells sum (ISO dates).")
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Filter cube of {self.day} ({self.built_at:%Y-%m-%d %H:%M})"


class DashboardCell(models.Model):
    """One cell of the filter cube: the sums (dashboard.Sums) of the initiatives of a stage, a category and a
    tier, among them those serving one theme. A dashboard for any filters but a program adds up the cells they
    select, whatever the size of the portfolio (drawn with the stored dashboards)."""

    theme = models.IntegerField(
        null=True, help_text="A theme's id (a root objective); null: every initiative."
    )
    stage = models.CharField(max_length=12)
    category = models.CharField(max_length=10)
    tier = models.PositiveSmallIntegerField(help_text="0: not scored.")
    funded = models.FloatField(help_text="The funded budget (in the sums too): the mix of other categories.")
    sums = models.TextField(help_text="JSON: dashboard.Sums.")

    class Meta:
        indexes = [models.Index(fields=["theme", "tier"], name="dashboard_cell_theme_tier")]

    def __str__(self) -> str:
        return f"Cell {self.theme or 'all'}/{self.stage}/{self.category}/{self.tier}"


class PortfolioMark(models.Model):
    """A mark that something is out of date, set in the transaction of the change that made it so.

    The row "portfolio" says the portfolio indices (and the dashboards drawn from them) need a full
    recompute: every change that can move them sets stale_since; a full recompute that started after that
    clears it; until then the sweep refreshes the portfolio, so a lost message is caught.
    """

    PORTFOLIO = "portfolio"

    key = models.CharField(max_length=40, unique=True)
    stale_since = models.DateTimeField(null=True, help_text="When a change last marked it; empty when fresh.")

    def __str__(self) -> str:
        return f"{self.key}: {'stale since ' + self.stale_since.isoformat() if self.stale_since else 'fresh'}"


class Severity(models.TextChoices):
    """A signal's severity. The members are declared most severe first: that order is the one definition of
    which signal comes first, in Python (Severity.rank) and in the database (severity_order())."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"

    @classmethod
    def rank(cls, value: object) -> int:
        """0 for the most severe (red), 1 for amber; an unknown value ranks after every known one."""
        values: list[object] = list(cls.values)
        return values.index(value) if value in values else len(values)


def severity_order(field: str = "severity") -> models.Case:
    """An ordering expression for `field` (a severity, or a path to one): red first, then amber, then
    anything else. Ordering by the column itself would sort the words: amber before red."""
    return models.Case(
        *(
            models.When(**{field: value}, then=models.Value(rank))
            for rank, value in enumerate(Severity.values)
        ),
        default=models.Value(len(Severity.values)),
        output_field=models.IntegerField(),
    )


class Signal(models.Model):
    """An early warning raised by a rule, with the evidence that triggered it."""

    key = models.CharField(max_length=120, help_text="rule:subject, stable across recomputes.")
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=5, choices=Severity.choices)
    initiative = models.ForeignKey(
        Initiative, null=True, on_delete=models.CASCADE, related_name="signals", db_constraint=False
    )
    objective = models.ForeignKey(
        Objective, null=True, on_delete=models.CASCADE, related_name="signals", db_constraint=False
    )
    kpi = models.ForeignKey(
        KPI, null=True, on_delete=models.CASCADE, related_name="signals", db_constraint=False
    )
    program = models.ForeignKey(
        Program, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    message = models.CharField(max_length=400)
    measured = models.FloatField(null=True)
    threshold = models.FloatField(null=True)
    evidence = models.JSONField(default=list)
    digest = models.CharField(max_length=24, blank=True, help_text="Fingerprint of what the signal says.")
    first_seen = models.DateTimeField(help_text="When the rule first raised it (it has been active since).")
    last_seen = models.DateTimeField(help_text="When what it says last changed.")

    # severity_order() of the severity, stored by the database: the signals page's order and counts read it
    # from an index
    severity_rank = models.GeneratedField(
        expression=severity_order(), output_field=models.IntegerField(), db_persist=True
    )

    class Meta:
        ordering = [severity_order(), "rule", "key"]
        # A full recompute writes tens of thousands of signals, so every index costs: a constraint rather
        # than unique=True (which adds a second, pattern-ops index on PostgreSQL that nothing here uses), and
        # one index more, for the signals page: its order (most severe first, by rule, newest first), from
        # which a page of a hundred thousand signals, and each rule's count, is read without a sort.
        constraints = [models.UniqueConstraint(fields=["key"], name="signal_key_unique")]
        indexes = [
            models.Index("severity_rank", "rule", models.F("first_seen").desc(), "key", name="signal_listed")
        ]

    def __str__(self) -> str:
        return self.message
