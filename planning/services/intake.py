"""Intake: an initiative submitted for its next stage (Idea -> Proposed -> Approved), reviewed, and approved,
rejected or returned for more; and the intake policy saying what each stage requires (docs/planning.md,
"Intake").

Who may do what (core.roles):
- submit (and resubmit a returned proposal): the PMO, admins, and the initiative's manager
  (can_edit_initiative);
- decide: those who record decisions (steering members, the PMO, admins: can_record_decisions), never the
  person who made the submission being decided;
- publish the intake policy: the PMO and admins.

An approval moves the stage through portfolio's initiative_stage_decide (dated, audited, stage gates asked);
a rejection cancels the initiative the same way (the board said no: it leaves the active portfolio, and the
PMO may reopen it by changing its stage); a return leaves the stage and sends the proposal back to the
submitter with the reason. Every decision is recorded in steering's decision log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.roles import can_edit_initiative, can_edit_portfolio, can_record_decisions
from core.stages import Stage
from planning import intake
from planning.models import (
    NEXT_STAGE,
    OPEN_STATUSES,
    IntakePolicy,
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    ProposalStatus,
)
from portfolio.models import Initiative
from portfolio.services import initiative_stage_decide
from steering.models import DecisionKind, DecisionOutcome
from steering.services import portfolio_decision_record

SUBMITTERS = "Only the PMO and the initiative's manager submit it for review."
REVIEWERS = "Only steering members, the PMO and admins decide on proposals."
OWN_SUBMISSION = "You submitted this proposal: someone else reviews it."
POLICY_EDITORS = "Only the PMO changes the intake policy."
OUTCOMES = {
    DecisionOutcome.APPROVED.value: (ProposalStatus.APPROVED, ProposalEventKind.APPROVED),
    DecisionOutcome.REJECTED.value: (ProposalStatus.REJECTED, ProposalEventKind.REJECTED),
    DecisionOutcome.RETURNED.value: (ProposalStatus.RETURNED, ProposalEventKind.RETURNED),
}
NOTE_LENGTH = 5000


def can_submit(user: Any, initiative: Initiative) -> bool:
    return can_edit_initiative(user, initiative)


def can_review(user: Any, proposal: Proposal | None = None) -> bool:
    """May the user decide proposals (this one: not their own submission)?"""
    if not can_record_decisions(user):
        return False
    return proposal is None or proposal.submitted_by_id != user.pk


def current_policy() -> IntakePolicy:
    """The latest published intake policy, or (none published yet) the default one, unsaved, as version 0."""
    policy = IntakePolicy.objects.order_by("-version").first()
    if policy is None:
        policy = IntakePolicy(
            version=0, proposed=list(intake.DEFAULT_PROPOSED), approved=list(intake.DEFAULT_APPROVED)
        )
    return policy


def intake_policy_publish(
    *, user: Any, proposed: Iterable[str], approved: Iterable[str], note: str = ""
) -> IntakePolicy:
    """Publish the next version of the intake policy: the requirements for Proposed and for Approved (keys of
    planning.intake.REQUIREMENTS). It applies to submissions and decisions from now on."""
    if not can_edit_portfolio(user):
        raise NotAllowed(POLICY_EDITORS)
    chosen = {"proposed": list(dict.fromkeys(proposed)), "approved": list(dict.fromkeys(approved))}
    errors = {
        field: [f"Unknown requirement: {', '.join(sorted(unknown))}."]
        for field, keys in chosen.items()
        if (unknown := set(keys) - set(intake.REQUIREMENTS))
    }
    if errors:
        raise ApplicationError("The policy was not published.", field_errors=errors)
    for attempt in range(5):
        number = (IntakePolicy.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return IntakePolicy.objects.create(
                    version=number, note=note.strip()[:300], created_by=user, **chosen
                )
        except IntegrityError:
            if attempt == 4:
                break
    raise ApplicationError("Another version was being published at the same moment: try again.")


def missing_for(initiative: Initiative, stage: str, policy: IntakePolicy | None = None) -> list[str]:
    """What the initiative lacks for `stage` under the policy, one message per item."""
    policy = policy or current_policy()
    return [f"{r.label} is missing. {r.fix}" for r in intake.missing(initiative, policy.required(stage))]


def _refuse_missing(initiative: Initiative, stage: str, doing: str) -> None:
    problems = missing_for(initiative, stage)
    if problems:
        raise ApplicationError(
            f"{initiative.code} cannot be {doing} for {Stage(stage).label}: " + " ".join(problems),
            field_errors={"requirements": problems},
        )


def proposal_submit(*, user: Any, initiative_id: int, note: str = "") -> Proposal:
    """Submit an initiative for its next stage (an idea for Proposed, a proposal for Approved), or resubmit
    its returned proposal. Refused, with one message per missing item and nothing changed, when it lacks what
    the intake policy requires for that stage; refused when it already awaits review or has no next stage."""
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise ApplicationError("The note is too long.", field_errors={"note": ["At most 5,000 characters."]})
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().filter(pk=initiative_id).first()
        if initiative is None:
            raise ApplicationError("This initiative no longer exists.")
        if not can_submit(user, initiative):
            raise NotAllowed(SUBMITTERS)
        target = NEXT_STAGE.get(initiative.stage)
        if target is None:
            raise ApplicationError(
                f"{initiative.code} is {initiative.get_stage_display().lower()}: only an idea or a proposal "
                "is submitted for review."
            )
        open_proposal = (
            Proposal.objects.select_for_update()
            .filter(initiative=initiative, status__in=OPEN_STATUSES)
            .first()
        )
        if open_proposal is not None and open_proposal.status == ProposalStatus.SUBMITTED:
            raise ApplicationError(f"{initiative.code} already awaits review: nothing was changed.")
        _refuse_missing(initiative, target, "submitted")
        now = timezone.now()
        if open_proposal is not None and open_proposal.target_stage == target:
            proposal, kind = open_proposal, ProposalEventKind.RESUBMITTED
            Proposal.objects.filter(pk=proposal.pk).update(
                status=ProposalStatus.SUBMITTED,
                submitted_by=user,
                submitted_at=now,
                decided_by=None,
                decided_at=None,
                version=F("version") + 1,
                updated_at=now,
            )
            proposal.refresh_from_db()
        else:
            if open_proposal is not None:  # returned for a stage it has since left: that proposal is over
                Proposal.objects.filter(pk=open_proposal.pk).update(
                    status=ProposalStatus.CLOSED, version=F("version") + 1, updated_at=now
                )
                ProposalEvent.objects.create(
                    proposal=open_proposal, kind=ProposalEventKind.CLOSED, by=user, at=now
                )
            proposal = Proposal(
                initiative=initiative, target_stage=target, submitted_by=user, submitted_at=now
            )
            proposal._history_user = user  # type: ignore[attr-defined]
            proposal.save()
            kind = ProposalEventKind.SUBMITTED
        ProposalEvent.objects.create(proposal=proposal, kind=kind, by=user, at=now, note=note)
    return proposal


def proposal_decide(*, user: Any, proposal_id: int, version: int, outcome: str, rationale: str) -> Proposal:
    """Approve, reject or return for more (`outcome`: a steering DecisionOutcome value) a proposal awaiting
    review, with a rationale, as it stood when the reviewer opened it (`version`: a second reviewer deciding
    at the same time gets StaleEdit and nothing is saved). An approval re-checks the requirements and moves the
    stage; a rejection cancels the initiative; a return leaves the stage. The decision goes to the decision
    log; all or nothing."""
    rationale = (rationale or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = ["Approve, reject or return for more."]
    if not rationale:
        errors["rationale"] = ["Give the reason: the submitter reads it and the decision log keeps it."]
    elif len(rationale) > NOTE_LENGTH:
        errors["rationale"] = ["At most 5,000 characters."]
    if not can_record_decisions(user):
        raise NotAllowed(REVIEWERS)
    if errors:
        raise ApplicationError(
            "Nothing was decided: " + " ".join(m for ms in errors.values() for m in ms), field_errors=errors
        )
    status, kind = OUTCOMES[outcome]
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update().select_related("initiative").filter(pk=proposal_id).first()
        )
        if proposal is None:
            raise ApplicationError("This proposal no longer exists.")
        if proposal.version != version:
            raise StaleEdit(proposal)
        if not can_review(user, proposal):
            raise NotAllowed(OWN_SUBMISSION)
        if proposal.status != ProposalStatus.SUBMITTED:
            raise ApplicationError(
                f"This proposal is {proposal.get_status_display().lower()}, not awaiting review: nothing was "
                "decided."
            )
        initiative = proposal.initiative
        if NEXT_STAGE.get(initiative.stage) != proposal.target_stage:
            raise ApplicationError(
                f"{initiative.code} is now {initiative.get_stage_display().lower()}: this proposal for "
                f"{proposal.get_target_stage_display()} no longer applies. Nothing was decided."
            )
        if outcome == DecisionOutcome.APPROVED:
            _refuse_missing(initiative, proposal.target_stage, "approved")
            initiative_stage_decide(
                user=user,
                initiative_id=initiative.pk,
                version=initiative.version,
                stage=proposal.target_stage,
            )
        elif outcome == DecisionOutcome.REJECTED:
            initiative_stage_decide(
                user=user, initiative_id=initiative.pk, version=initiative.version, stage=Stage.CANCELLED
            )
        decision = portfolio_decision_record(
            user=user,
            kind=DecisionKind.PROPOSAL_REVIEW,
            outcome=outcome,
            subject=f"{initiative.code} {initiative.title}"[:240]
            + f" for {proposal.get_target_stage_display()}",
            rationale=rationale,
            initiative=initiative,
            link=reverse("planning:proposal-detail", args=[proposal.pk]),
        )
        now = decision.decided_at
        proposal.status, proposal.decided_by, proposal.decided_at = status, user, now
        proposal.version += 1
        proposal._history_user = user  # type: ignore[attr-defined]
        proposal.save(update_fields=["status", "decided_by", "decided_at", "version", "updated_at"])
        ProposalEvent.objects.create(
            proposal=proposal, kind=kind, by=user, at=now, note=rationale, decision=decision
        )
    return proposal
