"""Intake's services: who submits and decides, what each stage requires (configurable), stale decisions, the
history of a submission returned and resubmitted, and the decisions recorded in the decision log."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.stages import Stage
from planning import services
from planning.models import IntakePolicy, Proposal, ProposalEvent, ProposalStatus
from portfolio.models import Initiative
from steering.models import PortfolioDecision
from tests.planning.intake_support import an_idea, make_ready_for_approval

NOW = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def nothing_changed(initiative: Initiative) -> None:
    initiative.refresh_from_db()
    assert initiative.stage == Stage.IDEA
    assert Proposal.objects.count() == 0
    assert PortfolioDecision.objects.count() == 0


def decide(user, proposal: Proposal, outcome: str, rationale: str) -> Proposal:
    """Decide the proposal as the reviewer saw it (its version now)."""
    return services.proposal_decide(
        user=user, proposal_id=proposal.pk, version=proposal.version, outcome=outcome, rationale=rationale
    )


# ------------------------------------------------------------------------------------------------ submit


@pytest.mark.parametrize("persona", ["pmo", "manager", "admin_user"], indirect=True)
def test_the_pmo_admins_and_the_manager_submit_an_idea_for_proposed(persona, manager):
    idea = an_idea(manager)
    proposal = services.proposal_submit(user=persona, initiative_id=idea.pk, note="Worth a look")
    assert (proposal.target_stage, proposal.status, proposal.submitted_by) == (
        "proposed",
        "submitted",
        persona,
    )
    assert proposal.submitted_at == NOW
    assert list(ProposalEvent.objects.values_list("kind", "by", "at", "note")) == [
        ("submitted", persona.pk, NOW, "Worth a look")
    ]
    idea.refresh_from_db()
    assert idea.stage == Stage.IDEA  # the stage moves only when a reviewer approves


@pytest.mark.parametrize(
    "persona", ["executive", "steering_member", "other_manager", "outsider"], indirect=True
)
def test_others_may_not_submit_and_nothing_changes(persona, manager):
    idea = an_idea(manager)
    with pytest.raises(NotAllowed):
        services.proposal_submit(user=persona, initiative_id=idea.pk)
    nothing_changed(idea)


def test_a_submission_missing_requirements_is_refused_item_by_item(manager):
    idea = an_idea(manager, description="", sponsor=None)
    idea.contributions.all().delete()
    with pytest.raises(ApplicationError) as refused:
        services.proposal_submit(user=manager, initiative_id=idea.pk)
    assert refused.value.field_errors["requirements"] == [
        "A description is missing. Describe it on the initiative's form.",
        "A sponsor is missing. The PMO names the executive sponsor on the initiative's form.",
        "At least one contribution to an objective is missing. The PMO links it to an objective in the "
        "Contributions section.",
    ]
    nothing_changed(idea)


def test_a_proposal_needs_the_approval_requirements_to_be_submitted_for_approved(
    pmo, manager, steering_member
):
    idea = an_idea(manager, code="P-1", stage=Stage.PROPOSED)
    with pytest.raises(ApplicationError) as refused:
        services.proposal_submit(user=manager, initiative_id=idea.pk)
    assert [m.split(" is missing")[0] for m in refused.value.field_errors["requirements"]] == [
        "At least one cost line in the business case",
        "At least one benefit line in the business case",
        "An NPV computed from the business case",
        "A benefit owner (the sustainment owner)",
    ]
    make_ready_for_approval(idea, pmo)
    proposal = services.proposal_submit(user=manager, initiative_id=idea.pk)
    assert proposal.target_stage == Stage.APPROVED


def test_the_pmo_configures_the_requirements_in_a_new_policy_version(pmo, manager):
    idea = an_idea(manager)
    policy = services.intake_policy_publish(
        user=pmo, proposed=["program", "milestone"], approved=["npv"], note="Board, 1 March"
    )
    assert (policy.version, policy.proposed, policy.approved) == (1, ["program", "milestone"], ["npv"])
    assert services.current_policy() == policy
    with pytest.raises(ApplicationError) as refused:
        services.proposal_submit(user=manager, initiative_id=idea.pk)
    assert [m.split(" is missing")[0] for m in refused.value.field_errors["requirements"]] == [
        "A program",
        "At least one milestone",
    ]
    second = services.intake_policy_publish(user=pmo, proposed=[], approved=[])
    assert second.version == 2
    assert services.proposal_submit(user=manager, initiative_id=idea.pk).status == ProposalStatus.SUBMITTED


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_only_the_pmo_publishes_the_intake_policy(persona):
    with pytest.raises(NotAllowed):
        services.intake_policy_publish(user=persona, proposed=[], approved=[])
    assert IntakePolicy.objects.count() == 0


def test_an_unknown_requirement_is_refused(pmo):
    with pytest.raises(ApplicationError) as refused:
        services.intake_policy_publish(user=pmo, proposed=["description", "<b>x</b>"], approved=[])
    assert refused.value.field_errors == {"proposed": ["Unknown requirement: <b>x</b>."]}
    assert IntakePolicy.objects.count() == 0


def test_an_initiative_awaiting_review_is_not_submitted_twice(manager):
    idea = an_idea(manager)
    services.proposal_submit(user=manager, initiative_id=idea.pk)
    with pytest.raises(ApplicationError, match="already awaits review"):
        services.proposal_submit(user=manager, initiative_id=idea.pk)
    assert Proposal.objects.count() == 1


def test_an_initiative_in_delivery_has_no_next_intake_stage(manager):
    idea = an_idea(manager, stage=Stage.IN_DELIVERY)
    with pytest.raises(ApplicationError, match="only an idea or a proposal"):
        services.proposal_submit(user=manager, initiative_id=idea.pk)


# ------------------------------------------------------------------------------------------------ decide


@pytest.fixture
def submitted(manager):
    idea = an_idea(manager)
    return services.proposal_submit(user=manager, initiative_id=idea.pk, note="First go")


@pytest.mark.parametrize("persona", ["steering_member", "pmo", "admin_user"], indirect=True)
def test_reviewers_approve_and_the_stage_moves_through_the_portfolio_services(persona, submitted):
    decided = decide(persona, submitted, "approved", "Fits")
    assert (decided.status, decided.decided_by, decided.decided_at) == ("approved", persona, NOW)
    initiative = Initiative.objects.get(pk=submitted.initiative_id)
    assert (initiative.stage, initiative.stage_since) == (Stage.PROPOSED, datetime.date(2027, 3, 1))
    latest = initiative.history.order_by("-history_id").first()
    assert (latest.stage, latest.history_user) == (Stage.PROPOSED, persona)


@pytest.mark.parametrize("persona", ["executive", "manager", "other_manager", "outsider"], indirect=True)
def test_others_may_not_decide_and_nothing_changes(persona, submitted):
    with pytest.raises(NotAllowed):
        decide(persona, submitted, "approved", "x")
    submitted.refresh_from_db()
    assert submitted.status == ProposalStatus.SUBMITTED
    assert PortfolioDecision.objects.count() == 0
    assert Initiative.objects.get(pk=submitted.initiative_id).stage == Stage.IDEA


def test_the_submitter_may_not_decide_their_own_submission(pmo, manager):
    idea = an_idea(manager)
    proposal = services.proposal_submit(user=pmo, initiative_id=idea.pk)
    with pytest.raises(NotAllowed, match="someone else reviews it"):
        decide(pmo, proposal, "approved", "Mine")
    assert Initiative.objects.get(pk=idea.pk).stage == Stage.IDEA
    assert PortfolioDecision.objects.count() == 0


@pytest.mark.parametrize("rationale", ["", "   "])
def test_a_decision_needs_a_rationale(steering_member, submitted, rationale):
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, submitted, "approved", rationale)
    assert list(refused.value.field_errors) == ["rationale"]
    assert PortfolioDecision.objects.count() == 0


def test_an_unknown_outcome_is_refused(steering_member, submitted):
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, submitted, "maybe", "Hmm")
    assert list(refused.value.field_errors) == ["outcome"]


def test_two_reviewers_at_once_the_second_is_stale_and_nothing_is_half_saved(steering_member, pmo, submitted):
    opened = submitted.version
    services.proposal_decide(
        user=steering_member, proposal_id=submitted.pk, version=opened, outcome="returned", rationale="More"
    )
    with pytest.raises(StaleEdit):
        services.proposal_decide(
            user=pmo, proposal_id=submitted.pk, version=opened, outcome="approved", rationale="Go"
        )
    submitted.refresh_from_db()
    assert submitted.status == ProposalStatus.RETURNED
    assert list(PortfolioDecision.objects.values_list("outcome", flat=True)) == ["returned"]
    assert Initiative.objects.get(pk=submitted.initiative_id).stage == Stage.IDEA


def test_an_approval_rechecks_the_requirements(steering_member, submitted):
    Initiative.objects.filter(pk=submitted.initiative_id).update(description="")
    with pytest.raises(ApplicationError) as refused:
        decide(steering_member, submitted, "approved", "Go")
    assert refused.value.field_errors["requirements"] == [
        "A description is missing. Describe it on the initiative's form."
    ]
    submitted.refresh_from_db()
    assert submitted.status == ProposalStatus.SUBMITTED
    assert PortfolioDecision.objects.count() == 0


def test_a_rejection_cancels_the_initiative_and_is_logged(steering_member, submitted):
    decide(steering_member, submitted, "rejected", "Not this year")
    assert Initiative.objects.get(pk=submitted.initiative_id).stage == Stage.CANCELLED
    assert list(PortfolioDecision.objects.values_list("kind", "outcome", "rationale")) == [
        ("proposal_review", "rejected", "Not this year")
    ]


def test_returned_resubmitted_approved_then_submitted_and_approved_for_approved(
    manager, steering_member, pmo
):
    """The whole round: Idea -> (returned, resubmitted) Proposed -> Approved, every step in the history and
    every decision in the decision log with its exact values."""
    idea = an_idea(manager, code="ECOM-9", title="Checkout <rebuild>")
    first = services.proposal_submit(user=manager, initiative_id=idea.pk, note="First go")
    decide(steering_member, first, "returned", "Name the vendor")
    again = services.proposal_submit(user=manager, initiative_id=idea.pk, note="Vendor: Acme")
    assert (again.pk, again.status) == (first.pk, ProposalStatus.SUBMITTED)
    decide(steering_member, again, "approved", "Clear now")
    assert Initiative.objects.get(pk=idea.pk).stage == Stage.PROPOSED
    assert list(first.events.values_list("kind", "by__username", "note")) == [
        ("submitted", "manager", "First go"),
        ("returned", "steer", "Name the vendor"),
        ("resubmitted", "manager", "Vendor: Acme"),
        ("approved", "steer", "Clear now"),
    ]
    make_ready_for_approval(Initiative.objects.get(pk=idea.pk), pmo)
    second = services.proposal_submit(user=manager, initiative_id=idea.pk, note="Case costed")
    assert (second.target_stage, second.pk != first.pk) == (Stage.APPROVED, True)
    decide(pmo, second, "approved", "Funded")
    initiative = Initiative.objects.get(pk=idea.pk)
    assert initiative.stage == Stage.APPROVED
    assert list(
        PortfolioDecision.objects.order_by("pk").values_list(
            "kind",
            "outcome",
            "subject",
            "rationale",
            "initiative__code",
            "decided_by__username",
            "decided_at",
            "link",
        )
    ) == [
        (
            "proposal_review",
            "returned",
            "ECOM-9 Checkout <rebuild> for Proposed",
            "Name the vendor",
            "ECOM-9",
            "steer",
            NOW,
            f"/planning/proposals/{first.pk}/",
        ),
        (
            "proposal_review",
            "approved",
            "ECOM-9 Checkout <rebuild> for Proposed",
            "Clear now",
            "ECOM-9",
            "steer",
            NOW,
            f"/planning/proposals/{first.pk}/",
        ),
        (
            "proposal_review",
            "approved",
            "ECOM-9 Checkout <rebuild> for Approved",
            "Funded",
            "ECOM-9",
            "pmo",
            NOW,
            f"/planning/proposals/{second.pk}/",
        ),
    ]
    assert list(
        ProposalEvent.objects.filter(decision__isnull=False).values_list("decision__outcome", flat=True)
    ) == ["returned", "approved", "approved"]


def test_a_decided_proposal_is_not_decided_again(steering_member, pmo, submitted):
    decided = decide(steering_member, submitted, "approved", "Go")
    with pytest.raises(ApplicationError, match="not awaiting review"):
        decide(pmo, decided, "rejected", "No")
    assert PortfolioDecision.objects.count() == 1


def test_a_proposal_whose_initiative_moved_on_is_not_decided(steering_member, pmo, submitted):
    initiative = Initiative.objects.get(pk=submitted.initiative_id)
    Initiative.objects.filter(pk=initiative.pk).update(stage=Stage.APPROVED)
    with pytest.raises(ApplicationError, match="no longer applies"):
        decide(steering_member, submitted, "approved", "Go")
    assert Initiative.objects.get(pk=initiative.pk).stage == Stage.APPROVED
    assert PortfolioDecision.objects.count() == 0


def test_a_returned_proposal_for_a_stage_left_behind_is_closed_by_the_next_submission(
    manager, steering_member, pmo, submitted
):
    decide(steering_member, submitted, "returned", "More")
    Initiative.objects.filter(pk=submitted.initiative_id).update(stage=Stage.PROPOSED)
    make_ready_for_approval(Initiative.objects.get(pk=submitted.initiative_id), pmo)
    fresh = services.proposal_submit(user=manager, initiative_id=submitted.initiative_id)
    submitted.refresh_from_db()
    assert (submitted.status, fresh.target_stage, fresh.status) == ("closed", "approved", "submitted")
    assert list(submitted.events.values_list("kind", flat=True)) == ["submitted", "returned", "closed"]
