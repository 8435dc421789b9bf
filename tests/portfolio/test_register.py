"""The initiative register: search, filters, sorting and pages, with and without htmx."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from portfolio.models import Initiative
from tests.factories import (
    InitiativeFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTER = "/initiatives/"
CODE_CELL = re.compile(
    r'<td class="text-nowrap"><a href="/initiatives/\d+/" class="fw-semibold">([A-Z0-9-]+)</a></td>'
)


def codes(response: Any) -> list[str]:
    """Initiative codes in the order the register lists them."""
    return CODE_CELL.findall(response.content.decode())


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def alert(response: Any) -> str:
    match = re.search(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    assert match is not None, "no error alert on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


ALL_CODES = ["ECOM-1", "ECOM-2", "FIN-1", "HR-1", "OPS-1", "SEC-1"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("gift", ["ECOM-1", "ECOM-2"]),
        ("GIFT", ["ECOM-1", "ECOM-2"]),
        ("card pilot", ["ECOM-1", "ECOM-2"]),
        ('"card pilot"', ["ECOM-2"]),
        ("gift -checkout", ["ECOM-2"]),
        ('-"gift card"', ["FIN-1", "HR-1", "OPS-1", "SEC-1"]),
        ("ecom", ["ECOM-1", "ECOM-2"]),
        ("finance", ["FIN-1", "SEC-1"]),
        ("ledger cloud", ["FIN-1"]),
        ("ledger payroll", []),
        ("-", ALL_CODES),
        ("", ALL_CODES),
    ],
)
def test_register_search(logged_in, register, q, expected):
    # when
    response = logged_in.get(REGISTER, {"q": q})

    # then
    assert response.status_code == 200
    assert codes(response) == expected


def test_register_filters(logged_in, register):
    # given
    ids = {
        "program": register["finance"].pk,
        "sponsor": register["adams"].pk,
        "objective": register["conversion"].pk,
    }
    cases = [
        ({"stage": "in_delivery"}, ["ECOM-1"]),
        ({"stage": "cancelled"}, []),
        ({"category": "run"}, ["HR-1", "SEC-1"]),
        ({"program": ids["program"]}, ["FIN-1", "SEC-1"]),
        ({"sponsor": ids["sponsor"]}, ["ECOM-2", "HR-1"]),
        ({"objective": ids["objective"]}, ["ECOM-1", "ECOM-2"]),
        ({"category": "grow", "stage": "proposed"}, ["ECOM-2"]),
        ({"category": "transform", "q": "ledger"}, ["FIN-1"]),
        ({"program": ids["program"], "sponsor": ids["sponsor"]}, []),
    ]

    for params, expected in cases:
        # when
        response = logged_in.get(REGISTER, params)

        # then
        assert response.status_code == 200, params
        assert codes(response) == expected, params


SORTS = {
    "code": ["ECOM-1", "ECOM-2", "FIN-1", "HR-1", "OPS-1", "SEC-1"],
    "-code": ["SEC-1", "OPS-1", "HR-1", "FIN-1", "ECOM-2", "ECOM-1"],
    "title": ["ECOM-1", "OPS-1", "ECOM-2", "SEC-1", "FIN-1", "HR-1"],
    "-title": ["HR-1", "FIN-1", "SEC-1", "ECOM-2", "OPS-1", "ECOM-1"],
    "stage": ["OPS-1", "ECOM-2", "FIN-1", "ECOM-1", "HR-1", "SEC-1"],
    "-stage": ["SEC-1", "HR-1", "ECOM-1", "FIN-1", "ECOM-2", "OPS-1"],
    "category": ["ECOM-1", "ECOM-2", "HR-1", "SEC-1", "FIN-1", "OPS-1"],
    "-category": ["FIN-1", "OPS-1", "HR-1", "SEC-1", "ECOM-1", "ECOM-2"],
    "program": ["ECOM-1", "ECOM-2", "FIN-1", "SEC-1", "HR-1", "OPS-1"],
    "-program": ["FIN-1", "SEC-1", "ECOM-1", "ECOM-2", "HR-1", "OPS-1"],
    "sponsor": ["ECOM-2", "HR-1", "ECOM-1", "SEC-1", "FIN-1", "OPS-1"],
    "-sponsor": ["FIN-1", "ECOM-1", "SEC-1", "ECOM-2", "HR-1", "OPS-1"],
    "budget": ["OPS-1", "ECOM-2", "SEC-1", "HR-1", "ECOM-1", "FIN-1"],
    "-budget": ["FIN-1", "ECOM-1", "HR-1", "SEC-1", "ECOM-2", "OPS-1"],
    "end": ["SEC-1", "ECOM-2", "HR-1", "ECOM-1", "FIN-1", "OPS-1"],
    "-end": ["FIN-1", "ECOM-1", "HR-1", "ECOM-2", "SEC-1", "OPS-1"],
}


@pytest.mark.parametrize(("sort", "expected"), SORTS.items(), ids=list(SORTS))
def test_register_sorts_by_each_column_both_ways_with_blanks_last(logged_in, register, sort, expected):
    # when
    response = logged_in.get(REGISTER, {"sort": sort})

    # then
    assert response.status_code == 200
    assert codes(response) == expected


def test_register_without_a_sort_lists_by_code(logged_in, register):
    # when
    response = logged_in.get(REGISTER)

    # then
    assert codes(response) == SORTS["code"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_register_shows_the_count_and_total_budget_of_the_filtered_rows(logged_in, register):
    # when
    response = logged_in.get(REGISTER, {"category": "grow"})

    # then
    page = response.content.decode()
    assert (
        '<strong class="text-body">2</strong> initiatives · total budget <strong class="text-body">€150k</strong>'
        in page
    )


@pytest.fixture
def sixty(db) -> list[Initiative]:
    return [InitiativeFactory(code=f"P-{n:03d}", title=f"Project {n:03d}") for n in range(1, 61)]


@pytest.mark.parametrize(
    ("params", "expected", "page_label"),
    [
        ({}, [f"P-{n:03d}" for n in range(1, 51)], "Page 1 of 2"),
        ({"page": "2"}, [f"P-{n:03d}" for n in range(51, 61)], "Page 2 of 2"),
        ({"per_page": "25", "page": "2"}, [f"P-{n:03d}" for n in range(26, 51)], "Page 2 of 3"),
        ({"per_page": "25", "page": "3"}, [f"P-{n:03d}" for n in range(51, 61)], "Page 3 of 3"),
        ({"per_page": "25", "page": "99"}, [f"P-{n:03d}" for n in range(51, 61)], "Page 3 of 3"),
        ({"per_page": "100"}, [f"P-{n:03d}" for n in range(1, 61)], None),
    ],
)
def test_register_pages(logged_in, sixty, params, expected, page_label):
    # when
    response = logged_in.get(REGISTER, params)

    # then
    assert response.status_code == 200
    assert codes(response) == expected
    page = response.content.decode()
    if page_label:
        assert f"<div>{page_label}</div>" in page
    else:
        assert "Page 1 of" not in page
    assert '<strong class="text-body">60</strong> initiatives' in page


def test_register_keeps_its_state_in_the_url(logged_in, sixty):
    # when
    response = logged_in.get(
        REGISTER, {"q": "project", "stage": "in_delivery", "sort": "-title", "per_page": "25", "page": "2"}
    )

    # then: the form shows the state, and sort and page links keep the rest of it
    page = response.content.decode()
    assert codes(response) == [f"P-{n:03d}" for n in range(35, 10, -1)]
    assert 'name="q" id="id_q" class="form-control" value="project"' in page
    assert '<option value="in_delivery" selected>In delivery</option>' in page
    assert '<input type="hidden" name="sort" id="register-sort" value="-title">' in page
    assert 'aria-sort="descending"' in page
    title_sort = "?q=project&amp;stage=in_delivery&amp;sort=title&amp;per_page=25"
    assert f'<a href="{title_sort}" hx-get="{title_sort}"' in page
    budget_sort = "?q=project&amp;stage=in_delivery&amp;sort=budget&amp;per_page=25"
    assert f'<a href="{budget_sort}"' in page
    assert 'href="?q=project&amp;stage=in_delivery&amp;sort=-title&amp;per_page=25&amp;page=3"' in page
    assert 'href="?q=project&amp;stage=in_delivery&amp;sort=-title&amp;per_page=25&amp;page=1"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stage": "bogus"}, "Stage: Select a valid choice. bogus is not one of the available choices."),
        ({"category": "Grow"}, "Category: Select a valid choice. Grow is not one of the available choices."),
        ({"sort": "bogus"}, "Sort: Select a valid choice. bogus is not one of the available choices."),
        ({"sort": "--code"}, "Sort: Select a valid choice. --code is not one of the available choices."),
        ({"q": "x" * 201}, "Search: Ensure this value has at most 200 characters (it has 201)."),
        ({"q": "a\x00b"}, "Search: Null characters are not allowed."),
        ({"page": "abc"}, "Page: Enter a whole number."),
        ({"page": "0"}, "Page: Ensure this value is greater than or equal to 1."),
        ({"per_page": "7"}, "Per page: Select a valid choice. 7 is not one of the available choices."),
        (
            {"program": "abc"},
            "Program: Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"program": "9" * 20},
            "Program: Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"sponsor": "1e3"},
            "Sponsor: Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"objective": "-1"},
            "Objective: Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_register_answers_bad_parameters_with_400_and_says_why(logged_in, register, params, message, htmx):
    # when
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = logged_in.get(REGISTER, params, **headers)

    # then
    assert response.status_code == 400
    assert alert(response) == f"These filters could not be applied. {message}"
    assert codes(response) == []
    assert ("<html" in response.content.decode()) is not htmx
    assert "HX-Request" in vary(response)


def test_register_answers_htmx_with_the_results_only(logged_in, register):
    # when
    fragment = logged_in.get(REGISTER, {"stage": "live"}, HTTP_HX_REQUEST="true")
    page = logged_in.get(REGISTER, {"stage": "live"})

    # then
    assert fragment.status_code == page.status_code == 200
    assert codes(fragment) == codes(page) == ["HR-1"]
    assert "<html" not in fragment.content.decode()
    assert 'id="register-filters"' not in fragment.content.decode()
    assert '<input type="hidden" name="sort" id="register-sort" value="code" hx-swap-oob="true">' in (
        fragment.content.decode()
    )
    assert "<html" in page.content.decode()
    assert 'id="register-filters"' in page.content.decode()
    assert "HX-Request" in vary(fragment)
    assert "HX-Request" in vary(page)


def test_register_offers_new_initiative_only_to_the_pmo(client, register, pmo, executive):
    # given
    new = f'href="{reverse("portfolio:initiative-create")}"'

    # when
    client.force_login(pmo)
    as_pmo = client.get(REGISTER).content.decode()
    client.force_login(executive)
    as_executive = client.get(REGISTER).content.decode()

    # then
    assert new in as_pmo
    assert new not in as_executive


def test_register_beyond_the_bound_says_more_than_and_pages_without_a_last_page(
    logged_in, sixty, monkeypatch
):
    # given: a bound of 40 rows counted, and sixty initiatives
    monkeypatch.setattr("core.paging.COUNT_BOUND", 40)

    # when
    first = logged_in.get(REGISTER, {"per_page": "25"})
    second = logged_in.get(REGISTER, {"per_page": "25", "page": "2"})
    last = logged_in.get(REGISTER, {"per_page": "25", "page": "3"})

    # then: the count and the pages say what is known, and the budget is not totalled over a part
    page = first.content.decode()
    assert (
        '<strong class="text-body">more than 40</strong> initiatives · narrow the filters to total their budget'
        in page
    )
    assert "<div>Page 1</div>" in page
    assert "Last »" not in page
    assert codes(second) == [f"P-{n:03d}" for n in range(26, 51)]
    assert 'rel="next"' in second.content.decode()
    assert codes(last) == [f"P-{n:03d}" for n in range(51, 61)]
    assert 'rel="next"' not in last.content.decode()


def test_register_within_the_bound_totals_the_budget_of_every_filtered_row(logged_in, register, monkeypatch):
    # given: a bound just above the two rows of the filter
    monkeypatch.setattr("core.paging.COUNT_BOUND", 2)

    # when
    response = logged_in.get(REGISTER, {"category": "grow"})

    # then
    assert (
        '<strong class="text-body">2</strong> initiatives · total budget <strong class="text-body">€150k</strong>'
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("sort", "expected"), [("-budget", ["B-3", "B-1", "B-2"]), ("budget", ["B-2", "B-1", "B-3"])]
)
def test_register_sorts_by_total_budget_capex_and_opex(logged_in, db, sort, expected):
    # given
    InitiativeFactory(code="B-1", budget_capex=100, budget_opex=50)
    InitiativeFactory(code="B-2", budget_capex=10, budget_opex=0)
    InitiativeFactory(code="B-3", budget_capex=0, budget_opex=900)

    # when
    response = logged_in.get(REGISTER, {"sort": sort})

    # then
    assert codes(response) == expected


def test_register_row_shows_each_cell_and_escapes_what_was_typed(logged_in, db):
    # given: an initiative whose code, title, program and sponsor hold markup, without scores yet
    sponsor = UserFactory(username="eve", first_name="<b>Eve</b>", last_name="O'Neil & Co")
    program = ProgramFactory(name='<script>alert("p")</script>')
    initiative = InitiativeFactory(
        code="SEC-9",
        title='<img src=x onerror="alert(1)">',
        program=program,
        sponsor=sponsor,
        stage="approved",
        category="run",
        budget_capex=Decimal("1200000"),
        budget_opex=Decimal("50000"),
        planned_end=datetime.date(2027, 3, 31),
    )
    # when: the register lists it
    body = logged_in.get(REGISTER).content.decode()
    # then: its row is exactly this, every typed value escaped, the extension columns' cells in between
    row = re.search(r"<tr>\s*<td class=\"text-nowrap\"><a href=\"/initiatives/\d+/\".*?</tr>", body, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>.*?</td>", row.group(0), re.S)
    href = f"/initiatives/{initiative.pk}/"
    assert cells[:5] == [
        f'<td class="text-nowrap"><a href="{href}" class="fw-semibold">SEC-9</a></td>',
        f'<td class="title-cell"><a href="{href}" class="link-body-emphasis text-decoration-none">'
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a>"
        '<div class="muted">&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;</div></td>',
        '<td><span class="badge rounded-pill text-bg-primary stage-badge">Approved</span></td>',
        "<td>Run</td>",
        '<td class="text-nowrap">&lt;b&gt;Eve&lt;/b&gt; O&#x27;Neil &amp; Co</td>',
    ]
    assert cells[-2:] == ['<td class="num">€1.25M</td>', '<td class="text-nowrap">2027-03-31</td>']
    assert "<script>" not in row.group(0)
    assert "<img" not in row.group(0)


def test_register_names_a_sponsor_without_a_name_by_username_and_no_sponsor_by_a_dash(logged_in, db):
    # given: one initiative sponsored by a person with no name on record, one with no sponsor, one by name
    InitiativeFactory(code="NAME-1", sponsor=UserFactory(username="j.doe", first_name="", last_name=""))
    InitiativeFactory(code="NAME-2", sponsor=None, program=None)
    InitiativeFactory(code="NAME-3", sponsor=UserFactory(username="ann", first_name="Ann", last_name=""))
    # when: the register lists them
    body = logged_in.get(REGISTER, {"q": "NAME"}).content.decode()
    # then: the sponsor cell (after the stage and category cells) names each as the rest of Bearing does
    sponsors = re.findall(r'<td>[A-Z][a-z]+</td>\s*<td class="text-nowrap">([^<]*)</td>', body)
    assert sponsors == ["j.doe", "—", "Ann"]
