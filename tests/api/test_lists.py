"""Lists: a page at a time by cursor, with the pages' own filters, in a number of queries that does not grow
with the portfolio."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import InitiativeScore
from core.stages import Stage
from portfolio.models import Category
from tests.api.conftest import api_as
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, ProgramFactory

pytestmark = pytest.mark.usefixtures("today")


def _portfolio(size: int) -> None:
    objective = ObjectiveFactory()
    program = ProgramFactory()
    for n in range(size):
        initiative = InitiativeFactory(program=program if n % 2 else None)
        ContributionFactory(initiative=initiative, objective=objective)
        ContributionFactory(initiative=initiative)
        InitiativeScore.objects.create(initiative=initiative, alignment=50 + n % 10, fit=40, tier=1 + n % 4)


def test_a_cursor_reads_every_initiative_once_even_when_some_are_added_between_pages(executive):
    first = [InitiativeFactory(code=f"A-{n}").pk for n in range(5)]
    api = api_as(executive, "read")
    page = api.get("initiatives?limit=2")
    seen = [row["id"] for row in page.data["items"]]
    added = InitiativeFactory(code="B-1").pk
    while page.data["next_cursor"]:
        page = api.get(f"initiatives?limit=2&cursor={page.data['next_cursor']}")
        seen += [row["id"] for row in page.data["items"]]
    assert seen == [*first, added]


@pytest.mark.parametrize("cursor", ["garbage", "YWZ0ZXI6LTE", "YWZ0ZXI6eHh4", "%00"])
def test_a_cursor_the_api_did_not_give_is_refused(executive, cursor):
    response = api_as(executive, "read").get(f"initiatives?cursor={cursor}")
    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"cursor": ["Not a cursor of this list."]}


def test_the_registers_filters_select_the_same_initiatives(executive):
    match = InitiativeFactory(code="ECOM-1", title="Checkout", category=Category.TRANSFORM, stage=Stage.IDEA)
    InitiativeFactory(code="ECOM-2", title="Checkout", category=Category.RUN, stage=Stage.IDEA)
    InitiativeFactory(code="HR-1", title="Payroll", category=Category.TRANSFORM, stage=Stage.IDEA)
    response = api_as(executive, "read").get("initiatives?q=checkout&category=transform&stage=idea")
    assert [row["id"] for row in response.data["items"]] == [match.pk]


def test_a_filter_the_register_would_refuse_is_refused_at_its_name(executive):
    response = api_as(executive, "read").get("initiatives?stage=nowhere&program=999999")
    assert response.status_code == 400
    assert sorted(response.data["error"]["fields"]) == ["program", "stage"]


def test_an_initiative_lists_with_its_score_tier_and_objectives(executive):
    objective = ObjectiveFactory(code="GROW", title="Grow online")
    initiative = InitiativeFactory(code="ECOM-1")
    contribution = ContributionFactory(initiative=initiative, objective=objective)
    InitiativeScore.objects.create(
        initiative=initiative,
        alignment=71.5,
        fit=66.67,
        outcome=None,
        tier=2,
        missing={"outcome": "no KPI"},
        status="garg",
        status_review=datetime.date(2026, 11, 1),
        confidence="medium",
        unsure={"outcome": "missing"},
    )
    row = api_as(executive, "read").get("initiatives").data["items"][0]
    assert row["score"] == {
        "alignment": 71.5,
        "fit": 66.67,
        "outcome": None,
        "delivery": None,
        "governance": None,
        "tier": 2,
        "missing": ["outcome"],
        "stale": True,
        "computed_at": None,
        # the current RAG per dimension, from the review of 1 November
        "status": {
            "schedule": "green",
            "cost": "amber",
            "scope": "red",
            "benefits": "green",
            "review_held_on": "2026-11-01",
        },
        # how sure the score is: in delivery, judged on 3 components, the outcome missing
        "confidence": {
            "level": "medium",
            "gaps": {"outcome": "missing"},
            "words": "Medium confidence: 1 of 3 components missing or stale: outcome missing.",
        },
    }
    assert row["contributions"] == [
        {
            "id": contribution.pk,
            "objective": {"id": objective.pk, "code": "GROW", "title": "Grow online"},
            "strength": "moderate",
        }
    ]


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the token and its user, the user's roles, the page, and for initiatives their contributions and people
        ("initiatives?limit=100", 5),
        ("initiatives?limit=100&tier=2&category=grow", 5),
        ("contributions?limit=100", 3),
        ("scores?limit=100", 3),
    ],
)
def test_a_page_costs_the_same_queries_at_any_size(executive, path, queries):
    api = api_as(executive, "read")
    _portfolio(3)
    api.get(path)  # the token's use is stamped once a minute: not inside the measured requests
    with CaptureQueriesContext(connection) as small:
        assert api.get(path).status_code == 200
    _portfolio(40)
    with CaptureQueriesContext(connection) as large:
        assert api.get(path).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries) == queries
