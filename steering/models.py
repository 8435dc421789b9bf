from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, RAG, VersionedModel
from core.redirects import is_local_path
from portfolio.models.initiatives import Initiative

# The four dimensions a committee rates at a review, in the order every page shows them.
RAG_DIMENSIONS = ("schedule", "cost", "scope", "benefits")
DEFAULT_MEETING_MINUTES = 120


class Decision(models.TextChoices):
    PROCEED = "proceed", "Proceed"
    PROCEED_WITH_CONDITIONS = "proceed_with_conditions", "Proceed with conditions"
    REALIGN = "realign", "Realign"
    PAUSE = "pause", "Pause"
    STOP = "stop", "Stop"


# The decisions that let an initiative go on (the tier-1 gate opens on them).
PROCEED_DECISIONS = (Decision.PROCEED, Decision.PROCEED_WITH_CONDITIONS)


class Committee(VersionedModel):
    """A steering committee: who chairs it and who sits on it."""

    name = models.CharField(max_length=120, unique=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="committees")

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED, m2m_fields=[members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class SteeringMeeting(VersionedModel):
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(max_length=200)
    held_on = models.DateField("date", help_text="The day the committee meets (or met).")
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    notes = models.TextField(blank=True, max_length=5000, help_text="Summary or minutes of the meeting.")
    duration_minutes = models.PositiveSmallIntegerField(
        "length (minutes)",
        default=DEFAULT_MEETING_MINUTES,
        validators=[MinValueValidator(15), MaxValueValidator(600)],
        help_text="How long the meeting runs: the agenda proposes reviews up to this length, the rest for noting.",
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED, m2m_fields=[attendees])

    class Meta:
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.committee}: {self.title} ({self.held_on})"


class CheckpointReview(VersionedModel):
    """A checkpoint review ("review"): a steering committee's look at one initiative, with the figures it saw
    frozen, its RAG per dimension and its decision."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="checkpoint_reviews")
    meeting = models.ForeignKey(
        SteeringMeeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    held_on = models.DateField()
    rag_schedule = models.CharField("schedule", max_length=5, choices=RAG.choices)
    rag_cost = models.CharField("cost", max_length=5, choices=RAG.choices)
    rag_scope = models.CharField("scope", max_length=5, choices=RAG.choices)
    rag_benefits = models.CharField("benefits", max_length=5, choices=RAG.choices)
    decision = models.CharField(max_length=24, choices=Decision.choices)
    rationale = models.TextField(max_length=5000)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    figures = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the committee saw: scores, signals, KPIs, milestones and spend, frozen at the review.",
    )
    suggested = models.JSONField(
        default=dict, blank=True, help_text="The RAG the data suggested, with reasons."
    )

    history = HistoricalRecords(
        excluded_fields=[*HISTORY_EXCLUDED, "figures", "suggested"], m2m_fields=[attendees]
    )

    class Meta:
        ordering = ["initiative", "-held_on"]
        indexes = [models.Index(fields=["initiative", "-held_on"], name="checkpoint_latest")]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="checkpoint_rationale_required")
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} review of {self.held_on}: {self.get_decision_display()}"

    def clean(self) -> None:
        super().clean()
        if not (self.rationale or "").strip():
            raise ValidationError({"rationale": "Record why the committee decided this."})


class AgendaStatus(models.TextChoices):
    PLANNED = "planned", "To review"
    REVIEWED = "reviewed", "Reviewed"
    DEFERRED = "deferred", "Deferred"


class AgendaItem(VersionedModel):
    """An initiative on a meeting's agenda, in the chair's order, with why it is there: reviewed in its time box,
    or listed for noting (not reviewed one by one)."""

    meeting = models.ForeignKey(SteeringMeeting, on_delete=models.CASCADE, related_name="agenda")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="Why the data put it there (e.g. checkpoint due): refreshed until it is reviewed, then kept.",
    )
    note = models.CharField(max_length=300, blank=True)
    minutes = models.PositiveSmallIntegerField(
        "time box (minutes)",
        default=0,
        validators=[MaxValueValidator(240)],
        help_text="The time the chair gives the item; none for an item listed for noting.",
    )
    for_noting = models.BooleanField(
        default=False, help_text="Listed for noting: in the pack and on the agenda, not reviewed one by one."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who put it on the agenda by hand (empty when the data proposed it).",
    )
    status = models.CharField(max_length=10, choices=AgendaStatus.choices, default=AgendaStatus.PLANNED)
    review = models.OneToOneField(
        CheckpointReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_item"
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "initiative"], name="agenda_item_unique_initiative")
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.initiative.code}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActionItem(VersionedModel):
    """Something a steering decision asked someone to do by a date."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="action_items")
    review = models.ForeignKey(
        CheckpointReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    note = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Why it was marked done or cancelled (required for either; kept in its history).",
    )

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class BoardPack(models.Model):
    """A printed board pack of a steering meeting (the newest one is the one offered for download)."""

    meeting = models.ForeignKey(SteeringMeeting, on_delete=models.CASCADE, related_name="board_packs")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.BinaryField()
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Board pack of {self.meeting} ({self.created_at:%Y-%m-%d %H:%M})"


class ReminderLog(models.Model):
    """That a reminder of a kind went to a person on a day, so the daily job never sends it twice."""

    kind = models.CharField(max_length=30)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    subject = models.CharField(max_length=200)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "recipient", "sent_on"], name="reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} on {self.sent_on}"


class DecisionKind(models.TextChoices):
    """What a portfolio decision was about: a proposal reviewed at intake, or a plan approved."""

    PROPOSAL_REVIEW = "proposal_review", "Proposal review"
    PLAN_APPROVAL = "plan_approval", "Plan approval"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Returned for more"


class PortfolioDecision(models.Model):
    """A decision about the portfolio taken outside a checkpoint review (a proposal approved, a plan
    approved): what it was about, its outcome, why, who decided and when. Written once by
    steering.services.decisions.portfolio_decision_record and never edited; `link` is a path on this site
    the recording app supplies (the proposal, the scenario), so steering never needs to know that app."""

    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    outcome = models.CharField(max_length=10, choices=DecisionOutcome.choices)
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="portfolio_decisions"
    )
    subject = models.CharField(max_length=300)
    rationale = models.TextField(max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    link = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [
            models.Index(fields=["-decided_at", "-id"], name="portfolio_decision_newest"),
            models.Index(fields=["kind", "outcome"], name="portfolio_decision_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="portfolio_decision_rationale"),
            models.CheckConstraint(condition=~Q(subject=""), name="portfolio_decision_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} ({self.get_outcome_display().lower()})"

    @property
    def safe_link(self) -> str:
        """The link if it is a path on this site (the service allows no other; a row written otherwise is
        not followed)."""
        return self.link if is_local_path(self.link) else ""
