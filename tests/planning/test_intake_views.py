"""Intake's pages: the proposals list (awaiting review, mine), a proposal with its history and review form,
submitting from the initiative page's section, the intake policy; every role, refusals that change nothing,
malformed input, escaping."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from core.stages import Stage
from planning import services
from planning.models import IntakePolicy, Proposal, ProposalStatus
from portfolio.models import Initiative
from steering.models import PortfolioDecision
from tests.conftest import PERSONAS
from tests.planning.intake_support import an_idea, browser

NOW = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
READERS = [p for p in PERSONAS if p != "outsider"]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def submitted(manager):
    idea = an_idea(manager, code="ECOM-1", title="Checkout <script>alert(1)</script>")
    return services.proposal_submit(user=manager, initiative_id=idea.pk, note="<b>note</b>")


@pytest.mark.parametrize("persona", READERS, indirect=True)
@pytest.mark.parametrize("htmx", [False, True])
def test_everyone_with_a_role_reads_the_pages(persona, submitted, htmx):
    client = browser(persona)
    headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in (
        "/planning/proposals/",
        "/planning/proposals/?show=awaiting",
        "/planning/proposals/?show=mine",
        "/planning/proposals/?show=decided",
        "/planning/proposals/?show=all",
        f"/planning/proposals/{submitted.pk}/",
        "/planning/proposals/policy/",
        f"/initiatives/{submitted.initiative_id}/",
    ):
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "<b>note</b>" not in html


def test_an_outsider_sees_nothing(outsider, submitted):
    client = browser(outsider)
    assert client.get("/planning/proposals/").status_code == 403
    assert client.get(f"/planning/proposals/{submitted.pk}/").status_code == 403


def test_the_list_shows_awaiting_review_to_reviewers_and_mine_to_submitters(
    steering_member, manager, submitted
):
    awaiting = browser(steering_member).get("/planning/proposals/")
    assert awaiting.context["show"] == "awaiting"
    assert [p.pk for p in awaiting.context["page"].object_list] == [submitted.pk]
    mine = browser(manager).get("/planning/proposals/")
    assert mine.context["show"] == "mine"
    assert [p.pk for p in mine.context["page"].object_list] == [submitted.pk]


@pytest.mark.parametrize("query", ["?show=<x>", "?page=abc", "?page=99999999999999", "?show=mine&page=-1"])
def test_malformed_queries_are_no_server_error(steering_member, submitted, query):
    assert browser(steering_member).get("/planning/proposals/" + query).status_code == 200


def test_the_list_is_bounded(steering_member, manager, django_assert_max_num_queries):
    for n in range(55):
        services.proposal_submit(user=manager, initiative_id=an_idea(manager, code=f"I-{n:02d}").pk)
    client = browser(steering_member)
    with django_assert_max_num_queries(12):
        response = client.get("/planning/proposals/?show=awaiting")
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 55


def test_the_section_lists_what_is_missing_and_offers_the_submit_button(manager):
    idea = an_idea(manager, description="")
    html = browser(manager).get(f"/initiatives/{idea.pk}/").content.decode()
    assert 'id="intake-title"' in html
    assert "A description" in html
    assert "Submit for Proposed" in html
    assert "1 item missing" in html


def test_the_section_offers_no_submit_button_to_an_executive(executive, manager):
    idea = an_idea(manager)
    html = browser(executive).get(f"/initiatives/{idea.pk}/").content.decode()
    assert 'id="intake-title"' in html
    assert "Submit for Proposed" not in html


def test_a_refused_submission_says_each_missing_item_and_changes_nothing(manager):
    idea = an_idea(manager, description="", sponsor=None)
    response = browser(manager).post(f"/planning/initiatives/{idea.pk}/submit/", {"note": "x"}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        f"{idea.code} was not submitted.",
        "A description is missing. Describe it on the initiative's form.",
        "A sponsor is missing. The PMO names the executive sponsor on the initiative's form.",
    ]
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize("persona", ["executive", "steering_member", "other_manager"], indirect=True)
def test_a_submission_by_someone_else_is_forbidden(persona, manager):
    idea = an_idea(manager)
    assert browser(persona).post(f"/planning/initiatives/{idea.pk}/submit/", {}).status_code == 403
    assert Proposal.objects.count() == 0


def test_a_submission_goes_to_the_proposal_page(manager):
    idea = an_idea(manager)
    response = browser(manager).post(f"/planning/initiatives/{idea.pk}/submit/", {"note": "Please"})
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/planning/proposals/{proposal.pk}/"


def test_a_submission_never_redirects_off_site(manager):
    idea = an_idea(manager, description="")
    response = browser(manager).post(
        f"/planning/initiatives/{idea.pk}/submit/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/initiatives/{idea.pk}/#intake"


def test_a_reviewer_decides_on_the_page(steering_member, submitted):
    client = browser(steering_member)
    page = client.get(f"/planning/proposals/{submitted.pk}/").content.decode()
    assert "Record the decision" in page
    response = client.post(
        f"/planning/proposals/{submitted.pk}/decide/",
        {"version": submitted.version, "outcome": "approved", "rationale": "Fits the strategy"},
    )
    assert response.status_code == 302
    assert Initiative.objects.get(pk=submitted.initiative_id).stage == Stage.PROPOSED
    assert PortfolioDecision.objects.get().rationale == "Fits the strategy"


def test_the_submitter_is_not_offered_the_review_form(pmo, manager):
    idea = an_idea(manager)
    proposal = services.proposal_submit(user=pmo, initiative_id=idea.pk)
    page = browser(pmo).get(f"/planning/proposals/{proposal.pk}/").content.decode()
    assert "Record the decision" not in page
    assert "another reviewer decides it" in page
    assert (
        browser(pmo)
        .post(
            f"/planning/proposals/{proposal.pk}/decide/",
            {"version": proposal.version, "outcome": "approved", "rationale": "Mine"},
        )
        .status_code
        == 403
    )
    assert PortfolioDecision.objects.count() == 0


@pytest.mark.parametrize("persona", ["executive", "manager"], indirect=True)
def test_others_may_not_decide_on_the_page(persona, submitted):
    response = browser(persona).post(
        f"/planning/proposals/{submitted.pk}/decide/",
        {"version": submitted.version, "outcome": "approved", "rationale": "Go"},
    )
    assert response.status_code == 403
    assert Proposal.objects.get().status == ProposalStatus.SUBMITTED


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": "1", "outcome": "approved", "rationale": ""},
        {"version": "x", "outcome": "approved", "rationale": "Go"},
        {"version": "99999999999999999999", "outcome": "approved", "rationale": "Go"},
        {"version": "1", "outcome": "<script>", "rationale": "Go"},
    ],
)
def test_an_incomplete_review_form_changes_nothing(steering_member, submitted, data):
    response = browser(steering_member).post(f"/planning/proposals/{submitted.pk}/decide/", data)
    assert response.status_code == 422
    assert "Nothing was decided" in response.content.decode()
    assert Proposal.objects.get().status == ProposalStatus.SUBMITTED
    assert PortfolioDecision.objects.count() == 0


def test_a_stale_review_is_refused_with_a_clear_message(steering_member, pmo, submitted):
    browser(pmo).post(
        f"/planning/proposals/{submitted.pk}/decide/",
        {"version": submitted.version, "outcome": "returned", "rationale": "More"},
    )
    response = browser(steering_member).post(
        f"/planning/proposals/{submitted.pk}/decide/",
        {"version": submitted.version, "outcome": "approved", "rationale": "Go"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Someone decided or resubmitted this proposal since you opened it: nothing was saved. Here it is as "
        "it stands now."
    ]
    assert list(PortfolioDecision.objects.values_list("outcome", flat=True)) == ["returned"]


def test_the_submitter_sees_the_reason_and_resubmits(manager, steering_member, submitted):
    services.proposal_decide(
        user=steering_member,
        proposal_id=submitted.pk,
        version=submitted.version,
        outcome="returned",
        rationale="Name the <vendor>",
    )
    client = browser(manager)
    section = client.get(f"/initiatives/{submitted.initiative_id}/").content.decode()
    assert "Name the &lt;vendor&gt;" in section
    assert "Resubmit for Proposed" in section
    page = client.get(f"/planning/proposals/{submitted.pk}/").content.decode()
    assert "Name the &lt;vendor&gt;" in page
    client.post(
        f"/planning/initiatives/{submitted.initiative_id}/submit/",
        {"note": "Acme", "next": f"/planning/proposals/{submitted.pk}/"},
    )
    assert Proposal.objects.get().status == ProposalStatus.SUBMITTED


def test_the_pmo_publishes_the_policy_on_its_page(pmo):
    response = browser(pmo).post(
        "/planning/proposals/policy/",
        {"proposed": ["sponsor"], "approved": ["npv", "budget"], "note": "Board"},
    )
    assert response.status_code == 302
    policy = IntakePolicy.objects.get()
    assert (policy.version, policy.proposed, policy.approved, policy.note) == (
        1,
        ["sponsor"],
        ["npv", "budget"],
        "Board",
    )


def test_an_unknown_requirement_on_the_policy_page_is_refused(pmo):
    response = browser(pmo).post("/planning/proposals/policy/", {"proposed": ["<x>"]})
    assert response.status_code == 422
    assert IntakePolicy.objects.count() == 0


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_others_may_not_publish_the_policy(persona):
    assert browser(persona).post("/planning/proposals/policy/", {"proposed": ["sponsor"]}).status_code == 403
    assert IntakePolicy.objects.count() == 0


def test_the_list_says_why_a_proposal_was_returned(manager, steering_member, submitted):
    services.proposal_decide(
        user=steering_member,
        proposal_id=submitted.pk,
        version=submitted.version,
        outcome="returned",
        rationale="Name the <vendor>",
    )
    html = browser(manager).get("/planning/proposals/?show=mine").content.decode()
    assert "Reason:</span> Name the &lt;vendor&gt;" in html


def test_an_approval_lacking_requirements_is_refused_item_by_item(steering_member, submitted):
    Initiative.objects.filter(pk=submitted.initiative_id).update(description="")
    response = browser(steering_member).post(
        f"/planning/proposals/{submitted.pk}/decide/",
        {"version": submitted.version, "outcome": "approved", "rationale": "Go"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Not approved: ECOM-1 lacks what the intake policy requires.",
        "A description is missing. Describe it on the initiative's form.",
    ]
    assert Proposal.objects.get().status == ProposalStatus.SUBMITTED
    assert PortfolioDecision.objects.count() == 0
