"""Readings, contributions, risks, decisions and actions through the API, each under its page's rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from portfolio.models import Contribution, Reading
from risk.models import Risk
from steering.models import ActionItem, AgendaItem, CheckpointReview, SteeringMeeting
from tests.api.conftest import api_as
from tests.factories import (
    CommitteeFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.usefixtures("today")
RATIONALE = "Cuts the steps of checkout, which the conversion KPI of this objective measures directly."


def test_the_pmo_records_a_reading_once_per_date(pmo):
    kpi = KPIFactory()
    ReadingFactory(kpi=kpi, date=datetime.date(2026, 10, 1))
    api = api_as(pmo)
    created = api.post(f"kpis/{kpi.pk}/readings", {"date": "2026-11-01", "value": 3.25, "source": "GA4"})
    assert created.status_code == 201
    assert (created.data["value"], created.data["entered_by"]["username"]) == ("3.25", "pmo")
    again = api.post(f"kpis/{kpi.pk}/readings", {"date": "2026-10-01", "value": 1})
    assert again.status_code == 422
    assert again.data["error"]["fields"] == {
        "date": ["There is already a reading on this date; edit that one instead."]
    }
    assert Reading.objects.filter(kpi=kpi).count() == 2


def test_an_executive_records_no_reading(executive):
    kpi = KPIFactory()
    response = api_as(executive).post(f"kpis/{kpi.pk}/readings", {"date": "2026-11-01", "value": 3})
    assert response.status_code == 403
    assert not Reading.objects.exists()


def test_a_contribution_is_linked_changed_and_removed_by_the_pmo(pmo):
    initiative = InitiativeFactory()
    objective = ObjectiveFactory(code="GROW")
    api = api_as(pmo)
    created = api.post(
        "contributions",
        {
            "initiative_id": initiative.pk,
            "objective_id": objective.pk,
            "strength": "strong",
            "rationale": RATIONALE,
        },
    )
    assert created.status_code == 201
    pk = created.data["id"]
    twice = api.post(
        "contributions",
        {
            "initiative_id": initiative.pk,
            "objective_id": objective.pk,
            "strength": "weak",
            "rationale": RATIONALE,
        },
    )
    assert twice.status_code == 422
    assert twice.data["error"]["fields"] == {
        "objective_id": ["This initiative already contributes to this objective; edit that one."]
    }
    changed = api.patch(f"contributions/{pk}", {"strength": "weak"}, **{"If-Match": '"1"'})
    assert (changed.status_code, changed.data["strength"], changed.data["version"]) == (200, "weak", 2)
    assert api.delete(f"contributions/{pk}?version=1").status_code == 409
    assert api.delete(f"contributions/{pk}", **{"If-Match": '"2"'}).status_code == 204
    assert not Contribution.objects.exists()


def test_a_slogan_is_not_a_rationale(pmo):
    response = api_as(pmo).post(
        "contributions",
        {
            "initiative_id": InitiativeFactory().pk,
            "objective_id": ObjectiveFactory().pk,
            "rationale": "synergy",
        },
    )
    assert response.status_code == 422
    assert list(response.data["error"]["fields"]) == ["rationale"]
    assert not Contribution.objects.exists()


def test_a_manager_adds_risks_to_their_own_initiative_only(manager, other_manager):
    mine = InitiativeFactory(manager=manager)
    theirs = InitiativeFactory(manager=other_manager)
    api = api_as(manager)
    body = {"title": "Vendor late", "probability": 4, "impact": 3}
    created = api.post("risks", {**body, "initiative_id": mine.pk})
    assert (created.status_code, created.data["exposure"]) == (201, 12)
    assert api.post("risks", {**body, "initiative_id": theirs.pk}).status_code == 403
    assert list(Risk.objects.values_list("initiative_id", flat=True)) == [mine.pk]


def _agenda_item() -> AgendaItem:
    committee = CommitteeFactory()
    meeting = SteeringMeeting.objects.create(
        committee=committee, title="November board", held_on=datetime.date(2026, 11, 20)
    )
    return AgendaItem.objects.create(meeting=meeting, initiative=InitiativeFactory())


def test_a_steering_member_records_a_decision_with_its_conditions(steering_member, manager):
    item = _agenda_item()
    body = {
        "agenda_item_id": item.pk,
        "rag_schedule": "green",
        "rag_cost": "amber",
        "rag_scope": "green",
        "rag_benefits": "green",
        "decision": "proceed_with_conditions",
        "rationale": "Proceed once the vendor contract is signed.",
        "attendee_ids": [steering_member.pk],
        "conditions": [
            {"title": "Sign the vendor contract", "owner_id": manager.pk, "due_date": "2026-12-15"}
        ],
    }
    api = api_as(steering_member)
    created = api.post("reviews", body)
    assert created.status_code == 201
    review = CheckpointReview.objects.get()
    assert (created.data["decision"], created.data["rag_cost"]) == ("proceed_with_conditions", "amber")
    action = ActionItem.objects.get()
    assert (action.review_id, action.owner_id, action.due_date) == (
        review.pk,
        manager.pk,
        datetime.date(2026, 12, 15),
    )
    second = api.post("decisions", body)
    assert second.status_code == 409
    assert CheckpointReview.objects.count() == 1
    assert [row["id"] for row in api.get("decisions").data["items"]] == [review.pk]
    assert api.get("reviews").data == api.get("decisions").data


def test_a_decision_is_refused_at_its_fields_and_saves_nothing(steering_member):
    item = _agenda_item()
    response = api_as(steering_member).post(
        "reviews",
        {
            "agenda_item_id": item.pk,
            "rag_schedule": "blue",
            "rag_cost": "green",
            "rag_scope": "green",
            "rag_benefits": "green",
            "decision": "proceed",
            "rationale": " ",
            "attendee_ids": [steering_member.pk, 987654],
        },
    )
    assert response.status_code == 422
    assert response.data["error"]["fields"] == {"attendee_ids": ["No active person has id 987654."]}
    response = api_as(steering_member).post(
        "reviews",
        {
            "agenda_item_id": item.pk,
            "rag_schedule": "blue",
            "rag_cost": "green",
            "rag_scope": "green",
            "rag_benefits": "green",
            "decision": "proceed",
            "rationale": " ",
            "attendee_ids": [steering_member.pk],
        },
    )
    assert response.data["error"]["fields"] == {
        "rag_schedule": ["Rate schedule: green, amber or red."],
        "rationale": ["Record why the committee decided this."],
    }
    assert not CheckpointReview.objects.exists()


@pytest.mark.parametrize("persona", ["executive", "manager"], indirect=True)
def test_only_steering_roles_record_decisions(persona):
    item = _agenda_item()
    response = api_as(persona).post(
        "reviews",
        {
            "agenda_item_id": item.pk,
            "rag_schedule": "green",
            "rag_cost": "green",
            "rag_scope": "green",
            "rag_benefits": "green",
            "decision": "proceed",
            "rationale": "Fine.",
            "attendee_ids": [persona.pk],
        },
    )
    assert response.status_code == 403
    assert not CheckpointReview.objects.exists()


def test_an_actions_owner_closes_it_but_may_not_move_its_due_date(manager):
    initiative = InitiativeFactory(manager=manager)
    action = ActionItem.objects.create(
        initiative=initiative, title="Sign contract", owner=manager, due_date=datetime.date(2026, 12, 1)
    )
    api = api_as(manager)
    moved = api.patch(f"actions/{action.pk}", {"due_date": "2027-01-31", "version": 1})
    assert moved.status_code == 403
    no_note = api.patch(f"actions/{action.pk}", {"status": "done", "version": 1})
    assert no_note.status_code == 422
    assert list(no_note.data["error"]["fields"]) == ["note"]
    done = api.patch(f"actions/{action.pk}", {"status": "done", "note": "Signed on the 20th.", "version": 1})
    assert done.status_code == 200
    assert (done.data["status"], done.data["completed_on"]) == ("done", "2026-11-21")
    action.refresh_from_db()
    assert (action.due_date, action.version) == (datetime.date(2026, 12, 1), 2)


def test_the_session_writes_with_the_csrf_token_only(client, pmo):  # noqa: ARG001 - a fresh client below
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(pmo)
    kpi = KPIFactory()
    assert client.get("/api/v1/kpis").status_code == 200
    refused = client.post(
        f"/api/v1/kpis/{kpi.pk}/readings", {"date": "2026-11-01", "value": 1}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert not Reading.objects.exists()
    client.get("/api/tokens/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/api/v1/kpis/{kpi.pk}/readings",
        {"date": "2026-11-01", "value": 1},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201
    assert Reading.objects.get().value == Decimal("1")
