"""Intake (issue 12, part 2): proposals that move an initiative Idea -> Proposed -> Approved through a review,
the history of each submission, and the versioned intake policy saying what each stage requires."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel
from core.stages import Stage
from portfolio.models import Initiative
from steering.models import PortfolioDecision

# The stages a proposal asks for: the next stage of an idea, then of a proposal.
TARGET_STAGES = (Stage.PROPOSED, Stage.APPROVED)
NEXT_STAGE = {Stage.IDEA.value: Stage.PROPOSED.value, Stage.PROPOSED.value: Stage.APPROVED.value}


class IntakePolicy(models.Model):
    """A version of the intake policy: the requirements (planning.intake.REQUIREMENTS keys) an initiative must
    meet to be submitted for Proposed and for Approved. Versions are never edited: a change publishes the next
    version, and the latest one is current (none yet: planning.intake.DEFAULT_POLICY)."""

    version = models.PositiveIntegerField(unique=True)
    proposed = models.JSONField(default=list, help_text="What an idea needs to be submitted for Proposed.")
    approved = models.JSONField(default=list, help_text="What a proposal needs to be submitted for Approved.")
    note = models.CharField(max_length=300, blank=True, help_text="Why this version: who decided, and when.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "intake policies"

    def __str__(self) -> str:
        return f"Intake policy v{self.version}"

    def required(self, stage: str) -> list[str]:
        return list(self.proposed if stage == Stage.PROPOSED else self.approved)


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting review"
    RETURNED = "returned", "Returned for more"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed: the stage moved on"


OPEN_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.RETURNED)


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def awaiting_review(self) -> ProposalQuerySet:
        return self.filter(status=ProposalStatus.SUBMITTED)

    def of_submitter(self, user: object) -> ProposalQuerySet:
        """Submitted by the user, or about an initiative they manage."""
        pk = getattr(user, "pk", None)
        return self.filter(Q(submitted_by_id=pk) | Q(initiative__manager_id=pk))


class Proposal(VersionedModel):
    """An initiative submitted for its next stage (`target_stage`) and what became of it: awaiting review,
    returned for more (then resubmitted: the same proposal), approved or rejected. An initiative has at most
    one open proposal (awaiting review or returned)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="proposals")
    target_stage = models.CharField(max_length=12, choices=[(s.value, s.label) for s in TARGET_STAGES])
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)
    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="proposal_status_submitted"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"],
                condition=Q(status__in=["submitted", "returned"]),
                name="proposal_one_open_per_initiative",
                violation_error_message="This initiative already has an open proposal.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} for {self.get_target_stage_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ProposalEventKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    RESUBMITTED = "resubmitted", "Resubmitted"
    RETURNED = "returned", "Returned for more"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed: the stage moved on without it"


class ProposalEvent(models.Model):
    """One step of a proposal's history: a submission with the submitter's note, or a review's decision with
    its rationale (and the decision it recorded in the decision log)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=ProposalEventKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(max_length=5000, blank=True)
    decision = models.ForeignKey(
        PortfolioDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"
