"""Intake proposals through the API: listed, submitted (refused item by item), decided with a version (a
stale one refused), by the same rules as the pages."""

from __future__ import annotations

import pytest

from core.stages import Stage
from planning.models import Proposal, ProposalStatus
from portfolio.models import Initiative
from steering.models import PortfolioDecision
from tests.api.conftest import api_as
from tests.planning.intake_support import an_idea

pytestmark = pytest.mark.usefixtures("today")


def test_the_manager_submits_and_a_steering_member_approves(manager, steering_member):
    idea = an_idea(manager, code="ECOM-1")
    submitted = api_as(manager).post("proposals", {"initiative_id": idea.pk, "note": "Please"})
    assert submitted.status_code == 201
    body = submitted.data
    assert (body["target_stage"], body["status"], body["submitted_by"]["username"]) == (
        "proposed",
        "submitted",
        "manager",
    )
    assert [(e["kind"], e["note"]) for e in body["events"]] == [("submitted", "Please")]
    listed = api_as(steering_member, "read").get("proposals?status=submitted")
    assert [p["id"] for p in listed.data["items"]] == [body["id"]]
    decided = api_as(steering_member).post(
        f"proposals/{body['id']}/decision",
        {"outcome": "approved", "rationale": "Fits", "version": body["version"]},
    )
    assert decided.status_code == 200
    assert decided.data["status"] == "approved"
    assert Initiative.objects.get(pk=idea.pk).stage == Stage.PROPOSED
    assert PortfolioDecision.objects.get().outcome == "approved"


def test_a_submission_missing_requirements_is_refused_with_each_item(manager):
    idea = an_idea(manager, description="")
    response = api_as(manager).post("proposals", {"initiative_id": idea.pk})
    assert response.status_code == 422
    assert response.data["error"]["fields"]["requirements"] == [
        "A description is missing. Describe it on the initiative's form."
    ]
    assert Proposal.objects.count() == 0


def test_an_unknown_initiative_is_refused(manager):
    response = api_as(manager).post("proposals", {"initiative_id": 999999})
    assert response.status_code == 422


@pytest.mark.parametrize("persona", ["executive", "steering_member", "other_manager"], indirect=True)
def test_others_may_not_submit(persona, manager):
    idea = an_idea(manager)
    assert api_as(persona).post("proposals", {"initiative_id": idea.pk}).status_code == 403
    assert Proposal.objects.count() == 0


def test_a_stale_decision_is_refused_and_nothing_changes(manager, steering_member, pmo):
    idea = an_idea(manager)
    proposal = api_as(manager).post("proposals", {"initiative_id": idea.pk}).data
    api_as(pmo).post(
        f"proposals/{proposal['id']}/decision",
        {"outcome": "returned", "rationale": "More", "version": proposal["version"]},
    )
    stale = api_as(steering_member).post(
        f"proposals/{proposal['id']}/decision",
        {"outcome": "approved", "rationale": "Go", "version": proposal["version"]},
    )
    assert stale.status_code == 409
    assert Proposal.objects.get().status == ProposalStatus.RETURNED
    assert PortfolioDecision.objects.count() == 1


@pytest.mark.parametrize("persona", ["executive", "manager"], indirect=True)
def test_others_may_not_decide(persona, manager):
    idea = an_idea(manager)
    proposal = api_as(manager).post("proposals", {"initiative_id": idea.pk}).data
    response = api_as(persona).post(
        f"proposals/{proposal['id']}/decision",
        {"outcome": "approved", "rationale": "Go", "version": proposal["version"]},
    )
    assert response.status_code == 403
    assert Proposal.objects.get().status == ProposalStatus.SUBMITTED


def test_a_bad_status_filter_is_400(executive):
    assert api_as(executive, "read").get("proposals?status=<x>").status_code == 400
