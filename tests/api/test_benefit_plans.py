"""Benefit plans through the API: each plan's quarters (derived actuals computed as on the pages) and its
realisation as of today, the worked example of docs/benefits.md exactly; read by every role, refused to an
account without one; a page costs the same queries whatever the number of plans."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portfolio.models import Initiative
from tests.api.conftest import Api, api_as
from tests.benefit_support import EXAMPLE_NOW, plan, worked_example
from tests.factories import InitiativeFactory, KPIFactory

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
ROLES = ["executive", "pmo", "manager", "steering_member", "admin_user"]


@pytest.fixture
def example(time_machine):
    time_machine.move_to(EXAMPLE_NOW, tick=False)
    ecom, crm = worked_example(ecom_label="Fewer support calls", crm_label=FORMULA)
    Initiative.objects.filter(pk=ecom.pk).update(sustainment_owner=ecom.sponsor)
    Initiative.objects.filter(pk=crm.pk).update(title=SCRIPT)
    return ecom, crm


def test_a_derived_plan_answers_the_worked_examples_quarters_and_figures(executive, example):
    # given ECOM-1's plan, derived from the readings, on 10 January 2027
    ecom, _crm = example
    kpi = ecom.business_case.lines.get().benefit_plan.kpi

    # when
    response = api_as(executive, "read").get("benefit-plans?initiative_code=ECOM-1")

    # then
    assert response.status_code == 200
    assert response.data["next_cursor"] is None
    [found] = response.data["items"]
    assert found == {
        "id": ecom.business_case.lines.get().pk,
        "initiative": {"id": ecom.pk, "code": "ECOM-1", "title": ecom.title},
        "line": "Fewer support calls",
        "kind": "cost_saving",
        "financial": True,
        "owner": {"id": ecom.sponsor.pk, "username": "erin", "name": "Erin Exec"},
        "owner_is_default": True,
        "kpi": {"id": kpi.pk, "name": "Support calls per 1,000 orders", "unit": "%"},
        "source": "derived",
        "version": 1,
        "quarters": found["quarters"],
        "realisation": {
            "as_of": "2027-01-10",
            "expected_to_date": "72345.67",
            "realised_to_date": "35703.70",
            "variance": "-36641.97",
            "variance_fraction": "-0.506485",
            "realisation_rate": "0.493515",
            "total_expected": "152345.67",
            "forecast": "75184.93",
            "forecast_variance": "-77160.74",
            "quarters_lacking_actual": ["2026 Q3"],
            "forecast_confidence": {
                "level": "medium",
                "words": "Medium confidence: 3 quarters measured; 47% of the planned value to date; 1 quarter to date lacking an actual.",
            },
        },
    }
    assert [
        (q["year"], q["quarter"], q["expected"], q["actual"], q["actual_from"]) for q in found["quarters"]
    ] == [
        (2026, 1, "12345.67", "3703.70", "derived"),
        (2026, 2, "20000.00", "12000.00", "derived"),
        (2026, 3, "20000.00", None, ""),
        (2026, 4, "20000.00", "20000.00", "derived"),
        (2027, 1, "20000.00", None, ""),
        (2027, 2, "20000.00", None, ""),
        (2027, 3, "20000.00", None, ""),
        (2027, 4, "20000.00", None, ""),
    ]
    assert found["quarters"][1]["note"] == "Reading 32: moved 6 of 10 claimed, 60.0 % realised."
    assert found["quarters"][2]["note"] == "No reading in the quarter."


def test_an_initiatives_plans_come_in_line_order_with_typed_text_as_typed(executive, example):
    # given CRM-2 (a title with markup) with an entered revenue plan (a formula for a label) and a
    # non-financial one
    _ecom, crm = example

    # when
    response = api_as(executive, "read").get(f"initiatives/{crm.pk}/benefit-plans")

    # then JSON carries the text as it was typed (it is data, not a page or a sheet)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.data["initiative"] == {"id": crm.pk, "code": "CRM-2", "title": SCRIPT}
    revenue, kpi = response.data["items"]
    assert (revenue["line"], revenue["kind"], revenue["financial"], revenue["owner"]) == (
        FORMULA,
        "revenue",
        True,
        None,
    )
    assert revenue["realisation"]["realised_to_date"] == "12000.00"
    assert revenue["realisation"]["forecast"] == "18000.00"
    assert [(q["expected"], q["actual"], q["actual_from"]) for q in revenue["quarters"]] == [
        ("10000.00", "5000.00", "entered"),
        ("10000.00", "7000.00", "entered"),
        ("10000.00", None, ""),
    ]
    assert (kpi["financial"], kpi["quarters"][0]["expected"], kpi["quarters"][0]["actual"]) == (
        False,
        "3.0000",
        "2.0000",
    )
    assert kpi["realisation"]["variance_fraction"] == "-0.333333"


def test_one_plan_reads_with_its_version_as_etag(executive, example):
    ecom, _crm = example
    line = ecom.business_case.lines.get()
    response = api_as(executive, "read").get(f"benefit-plans/{line.pk}")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.data["line"] == "Fewer support calls"
    assert api_as(executive, "read").get("benefit-plans/999999").status_code == 404


def test_the_list_filters_by_initiative_id_or_code_and_refuses_an_unknown_code(executive, example):
    ecom, crm = example
    api = api_as(executive, "read")
    assert [p["initiative"]["code"] for p in api.get(f"benefit-plans?initiative={crm.pk}").data["items"]] == [
        "CRM-2",
        "CRM-2",
    ]
    assert len(api.get("benefit-plans").data["items"]) == 3
    refused = api.get("benefit-plans?initiative_code=NOPE-9")
    assert refused.status_code == 400
    assert refused.data["error"]["fields"] == {"initiative_code": ["No initiative has this code."]}


@pytest.mark.parametrize("persona", ROLES, indirect=True)
@pytest.mark.parametrize(
    "path", ["benefit-plans", "benefit-plans/{plan}", "initiatives/{initiative}/benefit-plans"]
)
def test_every_role_reads_benefit_plans(persona, path, example):
    ecom, _crm = example
    address = path.format(plan=ecom.business_case.lines.get().pk, initiative=ecom.pk)
    response = api_as(persona, "read").get(address)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["benefit-plans", "benefit-plans/{plan}", "initiatives/{initiative}/benefit-plans"]
)
def test_no_role_or_no_credentials_reads_nothing(path, example, pmo, outsider):
    # given a token whose owner lost every role, and no credentials at all, and a session without a role
    ecom, _crm = example
    address = path.format(plan=ecom.business_case.lines.get().pk, initiative=ecom.pk)
    roleless = api_as(pmo, "read")
    pmo.groups.clear()
    session = Client()
    session.force_login(outsider)

    # when / then
    assert roleless.get(address).status_code == 403
    assert Api(None).get(address).status_code == 401
    assert session.get(f"/api/v1/{address}").status_code == 403


def test_a_page_of_plans_costs_the_same_queries_at_any_size(executive, example):
    # given
    api = api_as(executive, "read")
    kpi = KPIFactory()
    path = "benefit-plans?limit=200"
    api.get(path)  # the token's use is stamped once a minute: not inside the measured requests
    with CaptureQueriesContext(connection) as small:
        assert api.get(path).status_code == 200
    for n in range(15):
        initiative = InitiativeFactory(go_live_date=example[0].go_live_date)
        plan(initiative, kpi=kpi, source="derived", periods=[((2026, 2), "100", None)])
        plan(initiative, kind="revenue", position=1, periods=[((2026, 2), "100", str(n))])

    # when
    with CaptureQueriesContext(connection) as large:
        response = api.get(path)

    # then: the token and its user, the roles, the page of plans, their quarters, and the contributions and
    # readings of the derived plans' KPIs
    assert len(response.data["items"]) == 33
    assert len(large.captured_queries) == len(small.captured_queries) == 6
