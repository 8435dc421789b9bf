"""The review page of an agenda item: today's figures and what changed, the RAG the data suggests prefilled,
the decision form and its refusals (422 at the fields, 409 on changed figures or item), scope changes approved
or rejected right there; then the decided review with its frozen figures."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from core.errors import ApplicationError, NotAllowed
from portfolio import services as portfolio
from portfolio.models import ScopeChange
from steering import services
from steering.models import AgendaItem, AgendaStatus, CheckpointReview, MeetingStatus, SteeringMeeting
from tests.factories import CheckpointReviewFactory, InitiativeFactory, MilestoneFactory, ScopeChangeFactory
from tests.portfolio.utils import db_rows, field_error
from tests.steering.utils import GREEN, HELD_ON, D, html, item_on, meeting_url, review_url, scored, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners", "tier_policies")]


@pytest.fixture
def board(meeting, initiative, executive, chair, steering_member):
    """October's meeting: ECOM-1 to review (12% over budget; last reviewed in September with figures), PAY-1
    decided there."""
    meeting.attendees.set([chair, steering_member])
    scored(initiative, tier=2, slip_ratio=0.0, slip_days=0, overrun=0.12)
    september = SteeringMeeting.objects.create(
        committee=meeting.committee, title="September board", held_on=D(2026, 9, 1), status=MeetingStatus.HELD
    )
    frozen = services.initiative_figures([initiative])[initiative.pk]
    frozen["spend"]["actual_cost"] = 10000
    CheckpointReviewFactory(
        initiative=initiative, meeting=september, held_on=D(2026, 9, 1), decision="realign", figures=frozen
    )
    pay = InitiativeFactory(code="PAY-1", title="Payments", sponsor=executive)
    decided = CheckpointReviewFactory(
        initiative=pay, meeting=meeting, held_on=HELD_ON, decision="stop", rationale="No business case."
    )
    return {
        "todo": item_on(meeting, initiative, 0, minutes=15),
        "done": item_on(meeting, pay, 1, minutes=10, status=AgendaStatus.REVIEWED, review=decided),
        "decided": decided,
    }


def _rendered(page: str, pattern: str) -> str:
    match = re.search(pattern, page)
    assert match is not None, pattern
    return match.group(1)


def decision_data(page: str, **changes: Any) -> dict[str, Any]:
    """What the browser posts: the hidden fields as rendered, the suggested RAGs, plus `changes`."""
    data: dict[str, Any] = {
        "version": _rendered(page, r'name="version" value="(\d+)"'),
        "seen": _rendered(page, r'name="seen" value="(\w+)"'),
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
        "rag_schedule": "green",
        "rag_cost": "red",
        "rag_scope": "amber",
        "rag_benefits": "green",
        "decision": "proceed",
        "rationale": "On plan apart from the budget.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_review_page_prefills_the_suggestions_with_their_reasons(client, board, steering_member, chair):
    # given
    client.force_login(steering_member)

    # when
    response = client.get(review_url(board["todo"]))

    # then
    assert response.status_code == 200
    page, words = html(response), text(response)
    for field, rag in [("schedule", "green"), ("cost", "amber"), ("scope", "green"), ("benefits", "amber")]:
        assert re.search(rf'name="rag_{field}"[^>]*>.*?<option value="{rag}" selected>', page, re.S), field
    assert "Suggested ▲ Amber Forecast 12% over budget (amber from 5%, red from 15%)." in words
    assert "Suggested ▲ Amber No KPI is named to show the benefits." in words
    assert 'name="conditions-TOTAL_FORMS" value="3"' in page
    assert len(re.findall(r'name="conditions-\d-title"', page)) == 3
    checked = re.findall(
        r'<input class="form-check-input" type="checkbox" name="attendees" id="[^"]+" value="(\d+)" checked>',
        page,
    )
    assert sorted(int(pk) for pk in checked) == sorted([chair.pk, steering_member.pk])
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words
    assert "Review · 2026-10-01 · 15 minutes" in words


def test_the_milestones_show_their_slip_in_days(client, board, initiative, steering_member):
    # given
    MilestoneFactory(
        initiative=initiative, name="Pilot", baseline_date=D(2026, 10, 1), forecast_date=D(2026, 12, 1)
    )
    client.force_login(steering_member)

    # when
    words = text(client.get(review_url(board["todo"])))

    # then
    assert "Milestone Baseline Forecast Actual Slip (days) State" in words
    assert "Pilot 2026-10-01 2026-12-01 — 61 Slipping 61 days" in words


def test_recording_a_decision_redirects_to_the_agenda_item(client, board, steering_member, manager):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    data = decision_data(
        page,
        decision="proceed_with_conditions",
        attendees=[str(steering_member.pk)],
        **{
            "conditions-0-title": "Cut the budget",
            "conditions-1-title": "Re-plan",
            "conditions-1-due_date": "2026-10-20",
        },
    )

    # when
    response = client.post(review_url(board["todo"]), data)

    # then
    assert response.status_code == 302
    assert response["Location"] == meeting_url(board["todo"].meeting) + f"#item-{board['todo'].pk}"
    review = CheckpointReview.objects.get(agenda_item=board["todo"])
    assert (review.decision, review.rag_cost, review.rationale) == (
        "proceed_with_conditions",
        "red",
        "On plan apart from the budget.",
    )
    assert review.suggested["cost"] == {
        "rag": "amber",
        "reason": "Forecast 12% over budget (amber from 5%, red from 15%).",
    }
    assert list(review.action_items.order_by("pk").values_list("title", "owner", "due_date")) == [
        ("Cut the budget", manager.pk, D(2026, 10, 31)),
        ("Re-plan", manager.pk, D(2026, 10, 20)),
    ]
    assert "Decision on ECOM-1 recorded: Proceed with conditions, with 2 action items." in text(
        client.get(response["Location"])
    )


def test_an_incomplete_decision_is_shown_again_with_422_and_errors_at_the_fields(
    client, board, steering_member
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    before = db_rows()

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(
            page,
            decision="proceed_with_conditions",
            rationale="",
            rag_cost="",
            **{"conditions-2-owner": str(steering_member.pk)},
        ),
    )

    # then
    assert response.status_code == 422
    page = html(response)
    assert field_error(page, "id_rationale") == ["Record why the committee decided this."]
    assert field_error(page, "id_rag_cost") == ["Rate cost."]
    assert field_error(page, "id_conditions-2-title") == ["Say what the condition is, or clear the row."]
    assert (
        '<div class="invalid-feedback d-block" id="id_attendees_error">Tick who took part in the decision.</div>'
        in (page)
    )
    assert db_rows() == before


def test_proceed_with_conditions_and_no_condition_says_so_next_to_the_conditions(
    client, board, steering_member
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(page, decision="proceed_with_conditions", attendees=[str(steering_member.pk)]),
    )

    # then
    assert response.status_code == 422
    assert (
        '<div class="alert alert-danger py-2" role="alert" id="conditions_error">Proceeding with conditions needs '
        "at least one condition.</div>" in html(response)
    )
    assert not CheckpointReview.objects.filter(agenda_item=board["todo"]).exists()


def test_a_decision_on_figures_that_changed_is_a_409_that_keeps_the_input(
    client, board, steering_member, pmo, initiative
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    portfolio.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"actual_cost": Decimal("70000")}
    )

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(page, rationale="Kept text.", attendees=[str(steering_member.pk)]),
    )

    # then
    assert response.status_code == 409
    assert "The figures for this initiative changed while the review was open" in text(response)
    assert re.search(r'name="rationale"[^>]*>\s*Kept text.</textarea>', html(response))
    assert "Actual cost: €10,000 → €70,000 (+€60,000)" in text(response)
    again = client.post(
        review_url(board["todo"]),
        decision_data(html(response), rationale="Kept text.", attendees=[str(steering_member.pk)]),
    )
    assert again.status_code == 302


def test_a_decision_already_recorded_elsewhere_is_a_409_with_a_link(client, board, steering_member, pmo):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    first = services.review_create(
        user=pmo, item=board["todo"], rags=GREEN, decision="proceed", rationale="Fine.", attendees=[pmo]
    )
    before = db_rows()

    # when
    response = client.post(
        review_url(board["todo"]), decision_data(page, attendees=[str(steering_member.pk)])
    )

    # then
    assert response.status_code == 409
    assert "The committee's decision on this item was already recorded; nothing was changed." in text(
        response
    )
    assert reverse("steering:review-detail", args=[first.pk]) in html(response)
    assert db_rows() == before
    assert client.get(review_url(board["todo"]))["Location"] == reverse(
        "steering:review-detail", args=[first.pk]
    )


def test_a_changed_agenda_item_is_a_409(client, board, steering_member):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    AgendaItem.objects.filter(pk=board["todo"].pk).update(version=2, note="Moved to the top.")
    before = db_rows()

    # when
    response = client.post(
        review_url(board["todo"]), decision_data(page, attendees=[str(steering_member.pk)])
    )

    # then
    assert response.status_code == 409
    assert "ECOM-1 changed on the agenda while you were looking" in text(response)
    assert db_rows() == before


def test_an_executive_reads_the_figures_but_cannot_record(client, board, executive):
    # given
    client.force_login(executive)
    page = html(client.get(review_url(board["todo"])))
    before = db_rows()

    # when
    response = client.post(review_url(board["todo"]), {"decision": "stop"})

    # then
    assert 'id="decision-form"' not in page
    assert "Steering members and the PMO record the committee's decision." in page
    assert response.status_code == 403
    assert db_rows() == before


def test_before_the_meetings_day_the_review_page_is_for_preparing(client, board, meeting, steering_member):
    # given
    SteeringMeeting.objects.filter(pk=meeting.pk).update(
        held_on=D(2026, 11, 30), status=MeetingStatus.PLANNED
    )
    client.force_login(steering_member)

    # when
    page = text(client.get(review_url(board["todo"])))

    # then
    assert "the decision can be recorded from that day" in page
    assert "Record decision" not in page


def test_an_item_for_noting_shows_its_figures_without_the_decision_form(client, board, steering_member):
    # given
    AgendaItem.objects.filter(pk=board["todo"].pk).update(for_noting=True, minutes=0)
    client.force_login(steering_member)

    # when
    page = text(client.get(review_url(board["todo"])))

    # then
    assert "ECOM-1 is listed for noting: the chair moves it into review on the agenda" in page
    assert "Record decision" not in page


def test_a_review_post_without_its_hidden_fields_is_a_422_not_a_500(client, board, steering_member):
    # given
    client.force_login(steering_member)
    before = db_rows()

    # when
    response = client.post(review_url(board["todo"]), {"decision": "proceed"})

    # then
    assert response.status_code == 422
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ scope changes


@pytest.fixture
def pending(initiative) -> ScopeChange:
    return ScopeChangeFactory(
        initiative=initiative, status="pending", description="Wallet payments", date=D(2026, 9, 20)
    )


def decide_url(item: AgendaItem, change: ScopeChange) -> str:
    return reverse("steering:review-scope-change", args=[item.pk, change.pk])


@pytest.mark.parametrize(("status", "label"), [("approved", "approved"), ("rejected", "rejected")])
def test_a_steering_member_decides_a_pending_scope_change_from_the_review(
    client, board, pending, steering_member, status, label
):
    # given the review page offers to approve or reject it
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    assert f'action="{decide_url(board["todo"], pending)}"' in page

    # when
    response = client.post(decide_url(board["todo"], pending), {"status": status, "version": "1"})

    # then: decided by them, and back on the review, whose figures no longer list it as pending
    assert (response.status_code, response["Location"]) == (302, review_url(board["todo"]) + "#scope-title")
    stored = ScopeChange.objects.get(pk=pending.pk)
    assert (stored.status, stored.approved_by, stored.version) == (status, steering_member, 2)
    followed = client.get(response["Location"])
    assert f"Scope change of 2026-09-20 {label}: the figures below include it." in text(followed)
    assert decide_url(board["todo"], pending) not in html(followed)


def test_an_executive_sees_a_pending_scope_change_but_cannot_decide_it(client, board, pending, executive):
    # given
    client.force_login(executive)
    before = db_rows()

    # when
    page = html(client.get(review_url(board["todo"])))
    response = client.post(decide_url(board["todo"], pending), {"status": "approved", "version": "1"})

    # then
    assert "Wallet payments" in page
    assert decide_url(board["todo"], pending) not in page
    assert response.status_code == 403
    assert db_rows() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "approved", "version": "3"}, "The scope change was changed while you were looking"),
        (
            {"status": "maybe", "version": "1"},
            "Choose to approve or reject the scope change; nothing was changed.",
        ),
    ],
    ids=["stale", "bad status"],
)
def test_a_stale_or_bad_scope_decision_changes_nothing_and_says_why(
    client, board, pending, steering_member, data, message
):
    # given
    client.force_login(steering_member)
    before = db_rows()

    # when
    response = client.post(decide_url(board["todo"], pending), data)

    # then
    assert response.status_code == 302
    assert message in text(client.get(response["Location"]))
    assert db_rows() == before


def test_a_scope_change_of_another_initiative_is_not_found_from_this_review(client, board, steering_member):
    # given
    elsewhere = ScopeChangeFactory(initiative=InitiativeFactory(code="OTHER-1"), status="pending")
    client.force_login(steering_member)

    # then
    assert (
        client.post(decide_url(board["todo"], elsewhere), {"status": "approved", "version": "1"}).status_code
        == 404
    )
    assert ScopeChange.objects.get(pk=elsewhere.pk).status == "pending"


@pytest.mark.parametrize("persona", ["manager", "executive"], indirect=True)
def test_only_steering_members_the_pmo_and_admins_decide_scope_changes(pending, persona):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        portfolio.scope_change_decide(user=persona, scope_change_id=pending.pk, version=1, status="approved")

    # then
    assert db_rows() == before


def test_a_decided_scope_change_is_not_decided_again(pending, pmo):
    # given
    portfolio.scope_change_decide(user=pmo, scope_change_id=pending.pk, version=1, status="rejected")
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        portfolio.scope_change_decide(user=pmo, scope_change_id=pending.pk, version=2, status="approved")

    # then
    assert refused.value.message == "This scope change was already rejected; nothing was changed."
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ decided review


def test_a_decided_review_shows_the_frozen_figures_not_todays(
    client, board, steering_member, pmo, initiative
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    client.post(
        review_url(board["todo"]),
        decision_data(page, attendees=[str(steering_member.pk)], **{"conditions-0-title": "Cut cost"}),
    )
    review = CheckpointReview.objects.get(agenda_item=board["todo"])
    portfolio.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"actual_cost": Decimal("99000")}
    )

    # when
    response = client.get(reverse("steering:review-detail", args=[review.pk]))

    # then
    words = text(response)
    assert response.status_code == 200
    assert "ACTUAL COST €50,000" in words.upper()
    assert "€99,000" not in words
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words
    assert "Cut cost Mo Manager · due 2026-10-31" in words
    assert "Who took part (1) Sam Steering" in words


def test_a_review_without_figures_says_so(client, board, pmo):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("steering:review-detail", args=[board["decided"].pk]))

    # then
    assert "No figures were frozen with this review" in text(response)


def test_the_initiative_page_links_each_review_to_its_page(client, board, initiative, pmo):
    # given
    client.force_login(pmo)
    review = CheckpointReview.objects.get(initiative=initiative)

    # when
    page = html(client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])))

    # then
    assert f'<a href="{reverse("steering:review-detail", args=[review.pk])}">2026-09-01</a>' in page
    assert f"{reverse('steering:decision-log')}?initiative={initiative.pk}" in page
    assert (
        f'On the agenda of <a href="{meeting_url(board["todo"].meeting)}#item-{board["todo"].pk}">October board</a>'
        in page
    )


@pytest.mark.parametrize(
    "name",
    ["meeting-detail", "meeting-edit", "meeting-attendance", "review-create", "review-detail", "action-edit"],
)
def test_unknown_or_oversized_ids_are_404(client, pmo, name):
    # given
    client.force_login(pmo)

    # then
    assert client.get(reverse(f"steering:{name}", args=[999999])).status_code == 404
    assert (
        client.get(reverse(f"steering:{name}", args=[1]).replace("/1/", f"/{'9' * 30}/")).status_code == 404
    )
