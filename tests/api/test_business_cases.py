"""Business cases through the API: read with their figures, entered or replaced whole with If-Match or
version, refused at the line's field, and nothing changed by a refused request."""

from __future__ import annotations

from typing import Any

import pytest

from portfolio.models import BusinessCase
from tests.api.conftest import api_as
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.usefixtures("today")

WORKED: dict[str, Any] = {
    "first_year": 2027,
    "lines": [
        {"kind": "capex", "label": "Platform build", "amounts": {"2027": 250000, "2028": 40000}},
        {
            "kind": "opex",
            "label": "Run",
            "amounts": {"2028": 30000, "2029": 30000, "2030": 30000, "2031": 30000},
        },
        {
            "kind": "cost_saving",
            "label": "Legacy retired",
            "amounts": {"2028": 60000, "2029": 90000, "2030": 90000, "2031": 90000},
        },
        {
            "kind": "revenue",
            "label": "Online sales",
            "amounts": {"2028": 20000, "2029": 60000, "2030": 100000, "2031": 110000, "2032": 110000},
        },
    ],
}


def test_the_manager_enters_a_case_and_reads_its_figures(manager, executive):
    # given an initiative of the manager's
    initiative = InitiativeFactory(manager=manager)
    path = f"initiatives/{initiative.pk}/business-case"
    assert api_as(executive).get(path).status_code == 404

    # when the manager puts the worked example
    response = api_as(manager).call("put", path, WORKED)

    # then it is saved, version 1, with the figures of docs/business-case.md
    assert response.status_code == 200, response.data
    assert response["ETag"] == '"1"'
    assert response.data["figures"] == {
        "policy_version": 1,
        "npv": "114108.15",
        "irr": "0.226110",
        "payback_years": "2.7500",
        "discounted_payback_years": "3.0868",
        "roi": "0.512195",
        "total_cost": "410000.00",
        "total_benefit": "620000.00",
    }
    # and everyone reads it, and the initiative carries the stored figures
    read = api_as(executive).get(path)
    assert read.data["lines"][0] == {
        "kind": "capex",
        "label": "Platform build",
        "kpi_id": None,
        "amounts": {"2027": "250000.0000", "2028": "40000.0000"},
    }
    assert api_as(executive).get(f"initiatives/{initiative.pk}").data["business_case"]["npv"] == "114108.15"


def test_a_replace_needs_the_version_and_a_stale_one_is_refused(pmo):
    initiative = InitiativeFactory()
    path = f"initiatives/{initiative.pk}/business-case"
    api = api_as(pmo)
    assert api.call("put", path, WORKED).status_code == 200

    assert api.call("put", path, {**WORKED, "lines": WORKED["lines"][:1]}).status_code == 428
    assert (
        api.call("put", path, {**WORKED, "lines": WORKED["lines"][:1]}, **{"If-Match": '"7"'}).status_code
        == 412
    )
    assert api.call("put", path, {**WORKED, "lines": WORKED["lines"][:1], "version": 7}).status_code == 409
    assert BusinessCase.objects.get(pk=initiative.pk).lines.count() == 4

    replaced = api.call("put", path, {**WORKED, "lines": WORKED["lines"][:1]}, **{"If-Match": '"1"'})
    assert replaced.status_code == 200
    assert replaced["ETag"] == '"2"'
    assert BusinessCase.objects.get(pk=initiative.pk).lines.count() == 1


def test_bad_lines_are_refused_at_their_field(pmo):
    initiative = InitiativeFactory()
    body = {"first_year": 2027, "lines": [{"kind": "capex", "label": "", "amounts": {"2027": -5}}]}
    response = api_as(pmo).call("put", f"initiatives/{initiative.pk}/business-case", body)
    assert response.status_code == 422
    assert response.data["error"]["fields"] == {
        "lines-0-label": ["Give the line a label."],
        "lines-0-amount-2027": ["Enter a positive sum: the line's kind gives its sign."],
    }
    assert not BusinessCase.objects.exists()


def test_an_executive_may_not_put_a_case(executive):
    initiative = InitiativeFactory()
    response = api_as(executive).call("put", f"initiatives/{initiative.pk}/business-case", WORKED)
    assert response.status_code == 403
    assert not BusinessCase.objects.exists()
