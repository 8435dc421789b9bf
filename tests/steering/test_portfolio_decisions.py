"""Portfolio decisions: the record service (who may, what is refused), the decision log's page, filters,
paging and export (inert cells), and the API's list."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
import time_machine

from core.errors import ApplicationError, NotAllowed
from steering.models import PortfolioDecision
from steering.services import portfolio_decision_record
from tests.api.conftest import api_as
from tests.factories import InitiativeFactory
from tests.planning.intake_support import browser

NOW = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("persona", ["steering_member", "pmo", "admin_user"], indirect=True)
def test_decision_makers_record_a_portfolio_decision(persona):
    initiative = InitiativeFactory(code="ECOM-1")
    decision = portfolio_decision_record(
        user=persona,
        kind="plan_approval",
        outcome="approved",
        subject="  Plan 2027: scenario “Balanced”  ",
        rationale=" Within budget ",
        initiative=initiative,
        link="/planning/scenarios/4/",
    )
    assert PortfolioDecision.objects.filter(pk=decision.pk).values_list(
        "kind", "outcome", "subject", "rationale", "initiative__code", "decided_by", "decided_at", "link"
    ).get() == (
        "plan_approval",
        "approved",
        "Plan 2027: scenario “Balanced”",
        "Within budget",
        "ECOM-1",
        persona.pk,
        NOW,
        "/planning/scenarios/4/",
    )


@pytest.mark.parametrize("persona", ["executive", "manager", "outsider"], indirect=True)
def test_others_may_not_record_one(persona):
    with pytest.raises(NotAllowed):
        portfolio_decision_record(
            user=persona, kind="plan_approval", outcome="approved", subject="Plan", rationale="Go"
        )
    assert PortfolioDecision.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "whim"}, "kind"),
        ({"outcome": "maybe"}, "outcome"),
        ({"subject": " "}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"rationale": ""}, "rationale"),
        ({"rationale": "x" * 5001}, "rationale"),
        ({"link": "https://evil.example/"}, "link"),
        ({"link": "//evil.example/"}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
    ],
)
def test_a_bad_value_is_refused_at_its_field(steering_member, changes, field):
    values = {"kind": "proposal_review", "outcome": "returned", "subject": "A", "rationale": "B", **changes}
    with pytest.raises(ApplicationError) as refused:
        portfolio_decision_record(user=steering_member, **values)
    assert list(refused.value.field_errors) == [field]
    assert PortfolioDecision.objects.count() == 0


@pytest.fixture
def decisions(steering_member, pmo):
    initiative = InitiativeFactory(code="ECOM-1", title="Checkout")
    first = portfolio_decision_record(
        user=steering_member,
        kind="proposal_review",
        outcome="returned",
        subject="ECOM-1 Checkout for Proposed",
        rationale='=HYPERLINK("http://x")<script>alert(1)</script>',
        initiative=initiative,
        link="/planning/proposals/1/",
    )
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        second = portfolio_decision_record(
            user=pmo, kind="plan_approval", outcome="approved", subject="Plan 2027", rationale="Funded"
        )
    return first, second


@pytest.mark.parametrize("htmx", [False, True])
def test_the_log_lists_them_newest_first(executive, decisions, htmx):
    headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = browser(executive).get("/steering/decisions/portfolio/", **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Plan 2027") < html.index("ECOM-1 Checkout for Proposed")
    assert ("<h1>" in html) is not htmx
    assert "<script>alert(1)</script>" not in html
    assert 'href="/planning/proposals/1/"' in html


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ("?kind=plan_approval", ["Plan 2027"]),
        ("?outcome=returned", ["ECOM-1 Checkout for Proposed"]),
        ("?q=checkout", ["ECOM-1 Checkout for Proposed"]),
        ("?date_from=2027-03-02", ["Plan 2027"]),
        ("?date_to=2027-03-01", ["ECOM-1 Checkout for Proposed"]),
    ],
)
def test_the_log_filters(executive, decisions, query, subjects):
    response = browser(executive).get("/steering/decisions/portfolio/" + query)
    assert [d.subject for d in response.context["page"].object_list] == subjects


@pytest.mark.parametrize("query", ["?kind=<x>", "?date_from=yesterday", "?page=0", "?initiative=abc"])
def test_bad_filters_answer_400_not_500(executive, decisions, query):
    assert browser(executive).get("/steering/decisions/portfolio/" + query).status_code == 400
    assert browser(executive).get("/steering/decisions/portfolio/export.csv" + query).status_code == 400


def test_the_log_is_paged(executive, steering_member, django_assert_max_num_queries):
    PortfolioDecision.objects.bulk_create(
        PortfolioDecision(
            kind="plan_approval",
            outcome="approved",
            subject=f"Plan {n}",
            rationale="Go",
            decided_at=NOW,
            decided_by=steering_member,
        )
        for n in range(60)
    )
    client = browser(executive)
    client.get("/steering/decisions/portfolio/")  # the session's first request reads more
    with django_assert_max_num_queries(8):
        response = client.get("/steering/decisions/portfolio/")
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 60


def test_the_export_has_every_decision_with_inert_cells(executive, decisions):
    response: Any = browser(executive).get("/steering/decisions/portfolio/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "decided_at",
        "kind",
        "outcome",
        "subject",
        "initiative",
        "initiative_title",
        "rationale",
        "decided_by",
        "link",
    ]
    assert [row[1:6] for row in rows[1:]] == [
        ["plan_approval", "approved", "Plan 2027", "", ""],
        ["proposal_review", "returned", "ECOM-1 Checkout for Proposed", "ECOM-1", "Checkout"],
    ]
    assert rows[2][6] == '\'=HYPERLINK("http://x")<script>alert(1)</script>'
    assert rows[2][7] == "steer"


def test_the_api_lists_them(executive, decisions):
    first, second = decisions
    response = api_as(executive, "read").get("portfolio-decisions?outcome=returned")
    assert response.status_code == 200
    assert response.data["items"] == [
        {
            "id": first.pk,
            "kind": "proposal_review",
            "outcome": "returned",
            "subject": "ECOM-1 Checkout for Proposed",
            "initiative": {"id": first.initiative_id, "code": "ECOM-1", "title": "Checkout"},
            "rationale": first.rationale,
            "decided_by": {"id": first.decided_by_id, "username": "steer", "name": "Sam Steering"},
            "decided_at": "2027-03-01T09:30:00Z",
            "link": "/planning/proposals/1/",
        }
    ]
    assert api_as(executive, "read").get("portfolio-decisions?kind=<x>").status_code == 400
