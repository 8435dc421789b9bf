"""The risk register section of the initiative page and its forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import (
    InitiativeFactory,
    RiskFactory,
)

pytestmark = pytest.mark.django_db


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def alert(response: Any) -> str:
    match = re.search(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    assert match is not None, "no error alert on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def risks(initiative):
    other = InitiativeFactory(code="FIN-1")
    return {
        "severe": RiskFactory(
            initiative=initiative, title="Vendor collapse", probability=5, impact=4, category="vendor"
        ),
        "high": RiskFactory(
            initiative=other, title="Data breach", probability=2, impact=5, category="security"
        ),
        "medium": RiskFactory(initiative=initiative, title="Late testers", probability=3, impact=3),
        "medium2": RiskFactory(
            initiative=other, title="Key person leaves", probability=3, impact=3, category="people"
        ),
        "low": RiskFactory(
            initiative=initiative, title="Minor UI bugs", probability=1, impact=2, status="accepted"
        ),
        "closed": RiskFactory(
            initiative=other, title="Old licence issue", probability=5, impact=5, status="closed"
        ),
    }


RISK_ROW = re.compile(r"<tr>\s*<td>([^<]+)<div")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Vendor collapse", "Data breach", "Late testers", "Key person leaves", "Minor UI bugs"]),
        (
            {"status": ""},
            [
                "Old licence issue",
                "Vendor collapse",
                "Data breach",
                "Late testers",
                "Key person leaves",
                "Minor UI bugs",
            ],
        ),
        ({"status": "closed"}, ["Old licence issue"]),
        ({"status": "accepted"}, ["Minor UI bugs"]),
        ({"category": "security"}, ["Data breach"]),
        ({"level": "medium"}, ["Late testers", "Key person leaves"]),
        ({"level": "severe", "status": ""}, ["Old licence issue", "Vendor collapse"]),
        ({"probability": "3", "impact": "3"}, ["Late testers", "Key person leaves"]),
        ({"impact": "5"}, ["Data breach"]),
    ],
)
def test_risk_register_filters(logged_in, risks, params, expected):
    # when
    response = logged_in.get(reverse("risk:risk-list"), params)

    # then
    assert response.status_code == 200
    assert RISK_ROW.findall(response.content.decode()) == expected


def test_risk_register_heat_map_counts_active_risks_per_cell(logged_in, risks):
    # when
    page = logged_in.get(reverse("risk:risk-list")).content.decode()

    # then
    cells = re.findall(r'aria-label="(\d+) risks? with probability (\d) and impact (\d)"', page)
    assert sorted(cells) == [("1", "1", "2"), ("1", "2", "5"), ("1", "5", "4"), ("2", "3", "3")]


@pytest.mark.parametrize(
    "params", [{"status": "bogus"}, {"probability": "6"}, {"level": "extreme"}, {"page": "x"}]
)
def test_risk_register_answers_bad_filters_with_400(logged_in, risks, params):
    # when
    response = logged_in.get(reverse("risk:risk-list"), params)

    # then
    assert response.status_code == 400
    assert alert(response).startswith("These filters could not be applied.")


def test_risk_register_answers_htmx_with_the_results_only(logged_in, risks):
    # when
    response = logged_in.get(reverse("risk:risk-list"), {"category": "security"}, HTTP_HX_REQUEST="true")

    # then
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert RISK_ROW.findall(response.content.decode()) == ["Data breach"]
    assert "HX-Request" in vary(response)


def test_risks_of_one_exposure_are_listed_by_initiative_in_the_order_registered_then_by_title(logged_in, db):
    # given: three risks of exposure 9; the initiative registered first has the later code
    first = InitiativeFactory(code="ZED-1")
    second = InitiativeFactory(code="ALP-1")
    RiskFactory(initiative=second, title="Alpha risk", probability=3, impact=3)
    RiskFactory(initiative=first, title="Zulu risk", probability=3, impact=3)
    RiskFactory(initiative=first, title="Mike risk", probability=3, impact=3)
    RiskFactory(initiative=second, title="Worse risk", probability=4, impact=3)

    # when
    response = logged_in.get(reverse("risk:risk-list"))

    # then
    assert RISK_ROW.findall(response.content.decode()) == [
        "Worse risk",
        "Mike risk",
        "Zulu risk",
        "Alpha risk",
    ]
