"""Initiatives through the API: created and changed with the pages' validation and the services' rules,
optimistic locking by If-Match or version, one error shape, and nothing changed by a refused request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import roles
from core.stages import Stage
from portfolio.models import Initiative
from tests.api.conftest import Api, api_as
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.usefixtures("today")


def test_the_pmo_registers_an_initiative(pmo, executive):
    response = api_as(pmo).post(
        "initiatives",
        {
            "code": "ECOM-12",
            "title": "Checkout rebuild",
            "category": "transform",
            "sponsor_id": executive.pk,
            "budget_capex": "250000.50",
            "budget_opex": 40000,
            "planned_start": "2027-01-01",
            "planned_end": "2027-09-30",
        },
    )
    assert response.status_code == 201
    initiative = Initiative.objects.get(code="ECOM-12")
    assert response["ETag"] == '"1"'
    body = response.data
    assert body["id"] == initiative.pk
    assert body["sponsor"] == {"id": executive.pk, "username": "exec", "name": "Erin Executive"}
    assert body["budget_capex"] == "250000.50"
    assert body["budget_opex"] == "40000.00"
    assert body["stage"] == "idea"
    assert body["stage_since"] == "2026-11-21"
    assert (initiative.budget_capex, initiative.category) == (Decimal("250000.50"), "transform")
    assert initiative.history.get().history_user == pmo


def test_the_form_refuses_what_the_page_refuses_at_the_same_fields(pmo):
    InitiativeFactory(code="ECOM-1", title="Checkout")
    response = api_as(pmo).post(
        "initiatives",
        {
            "code": "ECOM-1",
            "title": "Duplicate",
            "category": "bogus",
            "planned_start": "2027-02-01",
            "planned_end": "2027-01-01",
        },
    )
    assert response.status_code == 422
    error = response.data["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["code"] == ["This code is already used by initiative “ECOM-1 Checkout”."]
    assert error["fields"]["category"] == [
        "Select a valid choice. bogus is not one of the available choices."
    ]
    assert Initiative.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"code": "X-1", "title": "t", "colour": "red"}, "colour", "Extra inputs are not permitted"),
        (
            {"code": "X-1", "title": "t", "planned_start": 0},
            "planned_start",
            "Value error, Input should be a date as text, YYYY-MM-DD",
        ),
        ({"code": "X-1", "title": "t", "criticality": "5"}, "criticality", "Input should be a valid integer"),
        ({"code": "X-1"}, "title", "Field required"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_at_its_field(pmo, body, field, message):
    response = api_as(pmo).post("initiatives", body)
    assert response.status_code == 422
    assert response.data["error"]["fields"][field] == [message]
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "", "[1, 2]", '"text"', "\x00"])
def test_a_body_that_is_not_an_object_is_refused(pmo, raw):
    response = api_as(pmo).post("initiatives", raw)
    assert response.status_code in {400, 422}
    assert set(response.data["error"]) == {"status", "code", "message", "fields"}
    assert not Initiative.objects.exists()


def test_a_change_names_the_version_it_changes(pmo, executive):
    initiative = InitiativeFactory(code="ECOM-1", title="Old", sponsor=executive)
    api = api_as(pmo)
    missing = api.patch(f"initiatives/{initiative.pk}", {"title": "New"})
    assert missing.status_code == 428
    assert missing.data["error"]["fields"] == {"version": ["Required (or the If-Match header)."]}
    done = api.patch(f"initiatives/{initiative.pk}", {"title": "New"}, **{"If-Match": '"1"'})
    assert done.status_code == 200
    assert done["ETag"] == '"2"'
    assert (done.data["title"], done.data["version"], done.data["code"]) == ("New", 2, "ECOM-1")


def test_a_stale_if_match_answers_412_and_a_stale_version_409(pmo, executive):
    initiative = InitiativeFactory(code="ECOM-1", title="Old", sponsor=executive)
    api = api_as(pmo)
    api.patch(f"initiatives/{initiative.pk}", {"title": "First"}, **{"If-Match": '"1"'})
    stale_header = api.patch(f"initiatives/{initiative.pk}", {"title": "Second"}, **{"If-Match": '"1"'})
    assert stale_header.status_code == 412
    assert stale_header.data["error"]["current_version"] == 2
    stale_body = api.patch(f"initiatives/{initiative.pk}", {"title": "Second", "version": 1})
    assert stale_body.status_code == 409
    assert stale_body.data["error"]["current_version"] == 2
    initiative.refresh_from_db()
    assert (initiative.title, initiative.version) == ("First", 2)


def test_a_manager_changes_their_initiative_but_not_its_sponsor(manager, other_manager, executive):
    mine = InitiativeFactory(manager=manager, title="Mine", sponsor=executive)
    theirs = InitiativeFactory(manager=other_manager, title="Theirs", sponsor=executive)
    api = api_as(manager)
    assert api.patch(f"initiatives/{mine.pk}", {"title": "Mine, renamed", "version": 1}).status_code == 200
    refused = api.patch(f"initiatives/{theirs.pk}", {"title": "Taken", "version": 1})
    assert refused.status_code == 403
    other = UserFactory(username="cfo", roles=[roles.EXECUTIVE])
    sponsor = api.patch(f"initiatives/{mine.pk}", {"sponsor_id": other.pk, "version": 2})
    assert sponsor.status_code == 403
    assert sponsor.data["error"]["message"] == "Only the PMO can change the sponsor of an initiative."
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.title, mine.sponsor_id, mine.version, theirs.title) == (
        "Mine, renamed",
        executive.pk,
        2,
        "Theirs",
    )


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_only_the_pmo_and_admins_register_initiatives(persona):
    response = api_as(persona).post("initiatives", {"code": "NEW-1", "title": "New"})
    assert response.status_code == 403
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("persona", ["pmo", "admin_user"], indirect=True)
def test_the_pmo_and_admins_register_initiatives(persona):
    assert api_as(persona).post("initiatives", {"code": "NEW-1", "title": "New"}).status_code == 201


@pytest.mark.parametrize(
    "persona", ["executive", "pmo", "manager", "steering_member", "admin_user"], indirect=True
)
def test_every_role_reads(persona):
    initiative = InitiativeFactory(code="ECOM-1")
    response = api_as(persona, "read").get(f"initiatives/{initiative.pk}")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.data["code"] == "ECOM-1"


def test_nobody_reads_without_signing_in(db):
    response = Api(None).get("initiatives")
    assert response.status_code == 401
    assert (
        response.data["error"]["message"]
        == "Sign in, or send a personal API token: Authorization: Bearer brg_…"
    )


def test_a_stage_gate_refuses_through_the_api_as_on_the_page(pmo, executive):
    initiative = InitiativeFactory(stage=Stage.IN_DELIVERY, go_live_date=None, sponsor=executive)
    response = api_as(pmo).patch(
        f"initiatives/{initiative.pk}", {"stage": "live", "go_live_date": "2027-01-01", "version": 1}
    )
    assert response.status_code == 422
    assert response.data["error"]["fields"]["go_live_date"] == [
        "It goes live on 2027-01-01, in the future: move it to Live on or after that day, or enter the day it "
        "actually went live."
    ]
    initiative.refresh_from_db()
    assert (initiative.stage, initiative.version) == (Stage.IN_DELIVERY, 1)


def test_an_unknown_record_or_address_answers_404_in_the_one_shape(pmo):
    api = api_as(pmo)
    for path in ("initiatives/999999", "nothing-here", "initiatives/1/nothing"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.data["error"]["code"] == "not_found"
