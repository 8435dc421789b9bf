"""The decision log: every review, newest first, filtered by decision, committee, program, initiative and
dates; bad filters answered with 400; htmx gets the results only; a query count that does not grow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steering.models import SteeringMeeting
from tests.factories import CheckpointReviewFactory, CommitteeFactory, InitiativeFactory, ProgramFactory
from tests.steering.utils import HTMX, D, html, text, vary

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(committee, executive, pmo):
    other = CommitteeFactory(name="Security board")
    finance, commerce = ProgramFactory(name="Finance"), ProgramFactory(name="Commerce")
    rows = {}
    for code, title, program, on, decision, board_ in [
        ("FIN-1", "Ledger", finance, D(2026, 3, 1), "proceed", committee),
        ("FIN-2", "Payroll", finance, D(2026, 6, 1), "stop", other),
        ("COM-1", "Checkout", commerce, D(2026, 6, 1), "realign", committee),
        ("COM-2", "Ledger feed", commerce, D(2026, 9, 1), "proceed", other),
    ]:
        initiative = InitiativeFactory(code=code, title=title, program=program, sponsor=executive)
        meeting = SteeringMeeting.objects.get_or_create(
            committee=board_, held_on=on, defaults={"title": f"{board_} {on}"}
        )[0]
        rows[code] = CheckpointReviewFactory(
            initiative=initiative, meeting=meeting, held_on=on, decision=decision
        )
    return {"rows": rows, "other": other, "finance": finance}


def logged(response: Any) -> list[str]:
    return re.findall(
        r'<a href="/initiatives/\d+/#checkpoints" class="fw-semibold">([A-Z0-9-]+)</a>', html(response)
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["COM-2", "COM-1", "FIN-2", "FIN-1"]),
        ({"decision": "proceed"}, ["COM-2", "FIN-1"]),
        ({"committee": "other"}, ["COM-2", "FIN-2"]),
        ({"program": "finance"}, ["FIN-2", "FIN-1"]),
        ({"q": "ledger"}, ["COM-2", "FIN-1"]),
        ({"q": "fin ledger"}, ["FIN-1"]),
        ({"date_from": "2026-06-01", "date_to": "2026-06-30"}, ["COM-1", "FIN-2"]),
        ({"initiative": "FIN-2"}, ["FIN-2"]),
        ({"decision": "stop", "program": "finance"}, ["FIN-2"]),
    ],
)
def test_the_decision_log_filters(client, log, pmo, params, expected):
    # given
    resolved = {
        key: {"other": log["other"].pk, "finance": log["finance"].pk}.get(value, value)
        for key, value in params.items()
    }
    if "initiative" in resolved:
        resolved["initiative"] = log["rows"][resolved["initiative"]].initiative_id
    client.force_login(pmo)

    # when
    response = client.get(reverse("steering:decision-log"), resolved)

    # then
    assert response.status_code == 200
    assert logged(response) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"committee": "999999"},
        {"date_from": "2026-06-02", "date_to": "2026-06-01"},
        {"page": "0"},
    ],
    ids=["bad date", "unknown committee", "reversed range", "page 0"],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_the_decision_log_answers_bad_filters_with_400(client, log, pmo, params, htmx):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("steering:decision-log"), params, **(HTMX if htmx else {}))

    # then
    assert response.status_code == 400
    assert "These filters could not be applied." in text(response)
    assert ("<html" in html(response)) is not htmx


def test_the_decision_log_answers_htmx_with_the_results_only(client, log, pmo):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("steering:decision-log"), {"decision": "stop"}, **HTMX)

    # then
    assert "<html" not in html(response)
    assert "HX-Request" in vary(response)
    assert logged(response) == ["FIN-2"]


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(committee: Any, sponsor: Any, start: int, stop: int) -> None:
    program = ProgramFactory(name=f"Program {start}")
    meeting = SteeringMeeting.objects.create(
        committee=committee, title=f"Board {start}", held_on=D(2026, 9, 1)
    )
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"L-{n:03d}", sponsor=sponsor, program=program)
        review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=D(2026, 9, 1))
        review.attendees.set([sponsor])


def test_the_decision_log_and_meeting_list_query_counts_do_not_grow_with_the_data(
    client, committee, pmo, django_assert_max_num_queries
):
    # given
    client.force_login(pmo)
    urls = [reverse("steering:decision-log"), reverse("steering:meeting-list")]
    _grow(committee, pmo, 0, 5)
    small = [_count(client, url) for url in urls]

    # when
    _grow(committee, pmo, 5, 60)
    large = [_count(client, url) for url in urls]

    # then
    assert small == large
    for url in urls:
        with django_assert_max_num_queries(8):
            client.get(url)
