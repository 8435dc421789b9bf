"""The PMO pages: the register, the initiative page, forms and their errors, readings, the objective tree,
the risk register, bad requests, and query budgets that do not grow with the data."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.forms import InitiativeForm
from portfolio.models import KPI, Initiative, Milestone, Reading
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
)
from tests.portfolio.utils import field_error, form_data, input_tag, snapshot, version_in

pytestmark = pytest.mark.django_db

D = datetime.date
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


@pytest.fixture
def logged_in(client, pmo):
    client.force_login(pmo)
    return client


# ------------------------------------------------------------------------------------------------ register


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


# ------------------------------------------------------------------------------------------------ initiative page

PORTFOLIO_SECTIONS = [
    "overview",
    "contributions",
    "milestones",
    "risks",
    "scope-changes",
    "artefacts",
    "checkpoints",
    "history",
]


@pytest.fixture
def full_initiative(initiative, objective, kpi, pmo, executive):
    """The shared initiative with one record in every section."""
    ContributionFactory(
        initiative=initiative,
        objective=objective,
        strength="strong",
        rationale="A faster checkout converts more visitors.",
        kpi=kpi,
        expected_change=Decimal("2.5"),
    )
    MilestoneFactory(
        initiative=initiative,
        name="Design signed off",
        baseline_date=D(2026, 3, 31),
        actual_date=D(2026, 4, 10),
    )
    RiskFactory(initiative=initiative, title="Payment vendor late", probability=4, impact=5, mitigation="")
    ScopeChangeFactory(initiative=initiative, description="Add gift cards to checkout.", rationale="")
    ArtefactFactory(initiative=initiative, title="Business case v1")
    CheckpointReviewFactory(initiative=initiative, decision="realign", rationale="Scope creep.")
    return initiative


def test_initiative_page_shows_every_section_with_its_records(client, full_initiative, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse("portfolio:initiative-detail", args=[full_initiative.pk]))

    # then
    page = response.content.decode()
    assert response.status_code == 200
    sections = re.findall(r'<section id="([^"]+)" class="detail-section', page)
    assert [key for key in sections if key in PORTFOLIO_SECTIONS] == PORTFOLIO_SECTIONS
    assert "Sponsor Erin Executive · Manager Mo Manager · Budget €120k" in page
    assert "<dt>Budget</dt><dd>€120,000" in page
    assert "A faster checkout converts more visitors." in page
    assert ": 2.5 %</td>" in page
    assert "Done 10 days late" in page
    assert "4 × 5 = 20" in page
    assert "Add gift cards to checkout." in page
    assert "No rationale given" in page
    assert "No mitigation" in page
    assert "Business case v1" in page
    assert "<strong>Realign</strong>" in page
    assert "<strong>Initiative “Checkout rebuild”</strong> created by system" in page


EDIT_BUTTONS = {
    "edit initiative": lambda i: reverse("portfolio:initiative-edit", args=[i.pk]),
    "add contribution": lambda i: reverse("portfolio:record-create", args=[i.pk, "contributions"]),
    "edit contribution": lambda i: reverse(
        "portfolio:record-edit", args=["contributions", i.contributions.get().pk]
    ),
    "add milestone": lambda i: reverse("portfolio:record-create", args=[i.pk, "milestones"]),
    "edit milestone": lambda i: reverse("portfolio:record-edit", args=["milestones", i.milestones.get().pk]),
    "delete milestone": lambda i: reverse(
        "portfolio:record-delete", args=["milestones", i.milestones.get().pk]
    ),
    "add risk": lambda i: reverse("portfolio:record-create", args=[i.pk, "risks"]),
    "edit risk": lambda i: reverse("portfolio:record-edit", args=["risks", i.risks.get().pk]),
    "log scope change": lambda i: reverse("portfolio:record-create", args=[i.pk, "scope-changes"]),
    "delete scope change": lambda i: reverse(
        "portfolio:record-delete", args=["scope-changes", i.scope_changes.get().pk]
    ),
    "add artefact": lambda i: reverse("portfolio:record-create", args=[i.pk, "artefacts"]),
    "edit artefact": lambda i: reverse("portfolio:record-edit", args=["artefacts", i.artefacts.get().pk]),
}
CONTRIBUTION_BUTTONS = {"add contribution", "edit contribution"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("pmo", set(EDIT_BUTTONS)),
        ("admin_user", set(EDIT_BUTTONS)),
        ("manager", set(EDIT_BUTTONS) - CONTRIBUTION_BUTTONS),
        ("other_manager", set()),
        ("executive", set()),
        ("steering_member", set()),
    ],
    indirect=["persona"],
)
def test_initiative_page_offers_the_edit_buttons_the_role_may_use(client, full_initiative, persona, expected):
    # given
    client.force_login(persona)

    # when
    page = client.get(reverse("portfolio:initiative-detail", args=[full_initiative.pk])).content.decode()

    # then
    shown = {name for name, url in EDIT_BUTTONS.items() if f'href="{url(full_initiative)}"' in page}
    assert shown == expected


# ------------------------------------------------------------------------------------------------ forms


def _initiative_post(**changes: Any) -> dict[str, Any]:
    data = {
        "code": "NEW-1",
        "title": "Self-service returns",
        "category": "grow",
        "stage": "idea",
        "budget_capex": "0",
        "budget_opex": "0",
        "actual_cost": "0",
        "expected_annual_benefit": "0",
        "criticality": "3",
    }
    return data | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"planned_start": "2026-06-01", "planned_end": "2026-05-31"},
            "planned_end",
            "The planned end cannot be before the planned start.",
        ),
        ({"budget_capex": "-5"}, "budget_capex", "Ensure this value is greater than or equal to 0."),
        ({"budget_opex": "lots"}, "budget_opex", "Enter a number."),
        (
            {"requirements_clarity": "6"},
            "requirements_clarity",
            "Ensure this value is less than or equal to 5.",
        ),
        (
            {"stage": "proposed"},
            "sponsor",
            "Every initiative past the idea stage needs an executive sponsor.",
        ),
        ({"code": "new 1"}, "code", "Use 2 to 20 capital letters, digits or dashes, e.g. ECOM-12."),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "Check\x00out"}, "title", "Null characters are not allowed."),
        ({"description": "line one\x00line two"}, "description", "Null characters are not allowed."),
        ({"planned_start": "2026-02-30"}, "planned_start", "Enter a valid date."),
    ],
)
def test_invalid_initiative_form_is_shown_again_with_422_and_the_error_at_the_field(
    logged_in, changes, field, message
):
    # given
    before = snapshot()

    # when
    response = logged_in.post(reverse("portfolio:initiative-create"), _initiative_post(**changes))

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == [message]
    tag = input_tag(page, field)
    assert "is-invalid" in tag
    assert 'aria-invalid="true"' in tag
    assert "Please correct the 1 field marked below. Nothing was saved." in page
    assert snapshot() == before


def test_an_approved_initiative_without_dates_shows_both_date_errors(logged_in):
    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"), _initiative_post(stage="approved", sponsor="", code="NEW-2")
    )

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, "id_planned_start") == ["An approved initiative needs a planned start."]
    assert field_error(page, "id_planned_end") == ["An approved initiative needs a planned end."]
    assert field_error(page, "id_sponsor") == [
        "Every initiative past the idea stage needs an executive sponsor."
    ]
    assert "Please correct the 3 fields marked below. Nothing was saved." in page
    assert not Initiative.objects.filter(code="NEW-2").exists()


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        (
            "contributions",
            {"strength": "strong", "rationale": "Because."},
            "objective",
            "This field is required.",
        ),
        (
            "contributions",
            {"objective": "{objective}", "strength": "strong"},
            "rationale",
            [
                "This field is required.",
                "Say why this initiative moves this objective; a contribution needs a rationale.",
            ],
        ),
        (
            "contributions",
            {"objective": "{objective}", "strength": "weak", "rationale": "Because.", "expected_change": "2"},
            "expected_change",
            "An expected change needs the KPI it applies to.",
        ),
        (
            "milestones",
            {"name": "Go-live", "baseline_date": "2026-12-01", "actual_date": "2099-01-01"},
            "actual_date",
            "A milestone cannot be achieved in the future.",
        ),
        (
            "scope-changes",
            {
                "date": "2026-05-01",
                "description": "Add Apple Pay.",
                "cost_impact": "0",
                "schedule_impact_days": "0",
                "status": "approved",
            },
            "approved_by",
            "Say who approved or rejected this change.",
        ),
        (
            "artefacts",
            {"kind": "business_case", "title": "Business case v2", "dated": "2026-05-01"},
            "kind",
            "This initiative already has this artefact; update the existing one.",
        ),
        (
            "risks",
            {"title": "Outage", "category": "technical", "probability": "7", "impact": "3", "status": "open"},
            "probability",
            "Ensure this value is less than or equal to 5.",
        ),
    ],
)
def test_invalid_record_form_is_shown_again_with_422_and_the_error_at_the_field(
    logged_in, initiative, objective, kind, data, field, message
):
    # given
    ArtefactFactory(initiative=initiative, kind="business_case")
    data = {key: (str(objective.pk) if value == "{objective}" else value) for key, value in data.items()}
    before = snapshot()

    # when
    response = logged_in.post(reverse("portfolio:record-create", args=[initiative.pk, kind]), data)

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == (message if isinstance(message, list) else [message])
    assert "is-invalid" in input_tag(page, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url_name", "data", "field", "message"),
    [
        (
            "portfolio:kpi-create",
            {
                "objective": "{objective}",
                "name": "Bounce rate",
                "unit": "%",
                "direction": "decrease",
                "baseline_value": "40",
                "baseline_date": "2025-01-01",
                "target_value": "45",
                "target_date": "2024-01-01",
            },
            "target_date",
            "The target date must be after the baseline date.",
        ),
        (
            "portfolio:objective-create",
            {
                "parent": "{sub}",
                "code": "O1.1.1",
                "title": "Too deep",
                "status": "active",
                "local_weight": "1",
            },
            "parent",
            "The tree is three levels deep at most: theme, objective, sub-objective.",
        ),
        (
            "portfolio:objective-create",
            {"code": "T9", "title": "Zero weight", "status": "active", "local_weight": "0"},
            "local_weight",
            "Ensure this value is greater than or equal to 0.01.",
        ),
        (
            "portfolio:program-create",
            {"name": "Digital commerce"},
            "name",
            "Program with this Name already exists.",
        ),
    ],
)
def test_invalid_strategy_form_is_shown_again_with_422_and_the_error_at_the_field(
    logged_in, objective, program, url_name, data, field, message
):
    # given
    sub = ObjectiveFactory(code="O1.1", title="Mobile", parent=objective)
    ids = {"{objective}": str(objective.pk), "{sub}": str(sub.pk)}
    data = {key: ids.get(value, value) for key, value in data.items()}
    before = snapshot()

    # when
    response = logged_in.post(reverse(url_name), data)

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == [message]
    assert "is-invalid" in input_tag(page, field)
    assert snapshot() == before


def test_edit_form_without_its_version_is_refused(logged_in, initiative):
    # given
    data = form_data(InitiativeForm(instance=initiative), title="No version", version=None)
    before = snapshot()

    # when
    response = logged_in.post(reverse("portfolio:initiative-edit", args=[initiative.pk]), data)

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert (
        '<div class="alert alert-danger" role="alert"><div>This form is missing its version; reload the page and try again.</div></div>'
        in page
    )
    assert "Please correct" not in page
    assert snapshot() == before


def test_delete_form_without_its_version_is_refused_with_a_message(logged_in, initiative):
    # given
    milestone = MilestoneFactory(initiative=initiative)
    before = snapshot()

    # when
    response = logged_in.post(
        reverse("portfolio:record-delete", args=["milestones", milestone.pk]), {"version": ""}
    )

    # then
    assert response.status_code == 422
    assert (
        '<div class="alert alert-danger" role="alert"><div>This field is required.</div></div>'
        in response.content.decode()
    )
    assert snapshot() == before


def test_a_valid_initiative_form_saves_and_redirects_to_the_initiative(logged_in, executive, program):
    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"),
        _initiative_post(
            stage="proposed", sponsor=str(executive.pk), program=str(program.pk), budget_capex="1250.50"
        ),
    )

    # then
    created = Initiative.objects.get(code="NEW-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:initiative-detail", args=[created.pk])
    assert (created.sponsor, created.program, created.budget_capex, created.stage) == (
        executive,
        program,
        Decimal("1250.50"),
        "proposed",
    )


# ------------------------------------------------------------------------------------------------ bad requests


@pytest.mark.parametrize(
    "url",
    [
        "/initiatives/99999999999999999999/",
        "/initiatives/99999999999999999999/edit/",
        "/initiatives/99999999999999999999/milestones/new/",
        "/records/milestones/99999999999999999999/edit/",
        "/records/risks/99999999999999999999/delete/",
        "/objectives/99999999999999999999/",
        "/kpis/99999999999999999999/",
        "/programs/99999999999999999999/edit/",
        "/initiatives/999999999999999999/",
        "/initiatives/0/",
        "/records/horoscopes/1/edit/",
    ],
)
def test_oversized_unknown_or_malformed_ids_give_404(logged_in, url):
    # when
    response = logged_in.get(url)

    # then
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_posting_to_an_oversized_id_gives_404(logged_in):
    # when
    response = logged_in.post("/kpis/99999999999999999999/readings/", {"date": "2026-01-01", "value": "1"})

    # then
    assert response.status_code == 404


def test_a_3_mb_post_body_is_refused_with_400_and_saves_nothing(logged_in):
    # given
    before = snapshot()

    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"), _initiative_post(description="x" * 3_000_000)
    )

    # then
    assert response.status_code == 400
    assert "That request could not be understood" in response.content.decode()
    assert snapshot() == before


def test_a_nul_byte_in_a_record_text_field_is_a_form_error(logged_in, initiative):
    # when
    response = logged_in.post(
        reverse("portfolio:record-create", args=[initiative.pk, "risks"]),
        {"title": "Out\x00age", "category": "technical", "probability": "2", "impact": "2", "status": "open"},
    )

    # then
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_title") == ["Null characters are not allowed."]
    assert initiative.risks.count() == 0


# ------------------------------------------------------------------------------------------------ readings


def test_quick_reading_entry_with_htmx_returns_the_readings_with_the_new_value(logged_in, kpi):
    # given
    ReadingFactory(kpi=kpi, date=D(2026, 1, 31), value=Decimal("12"))

    # when
    response = logged_in.post(
        reverse("portfolio:reading-create", args=[kpi.pk]),
        {"date": "2026-02-28", "value": "13.25", "source": "Web analytics"},
        HTTP_HX_REQUEST="true",
    )

    # then
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert "Recorded 13.25 % on 2026-02-28." in fragment
    rows = re.findall(r'<td>(\d{4}-\d\d-\d\d)</td><td class="num">([^<]+)</td>', fragment)
    assert rows == [("2026-02-28", "13.25"), ("2026-01-31", "12")]
    assert "HX-Request" in vary(response)
    reading = Reading.objects.get(kpi=kpi, date=D(2026, 2, 28))
    assert reading.entered_by is not None
    assert (reading.value, reading.source, reading.entered_by.username) == (
        Decimal("13.25"),
        "Web analytics",
        "pmo",
    )


def test_quick_reading_entry_without_htmx_redirects_to_the_kpi(logged_in, kpi):
    # when
    response = logged_in.post(
        reverse("portfolio:reading-create", args=[kpi.pk]), {"date": "2026-02-28", "value": "13.25"}
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:kpi-detail", args=[kpi.pk])
    assert Reading.objects.filter(kpi=kpi, date=D(2026, 2, 28), value=Decimal("13.25")).count() == 1
    page = logged_in.get(response["Location"]).content.decode()
    assert "Reading of 13.25 on 2026-02-28 recorded." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"date": "2026-01-31", "value": "14"},
            "date",
            "There is already a reading on this date; edit that one instead.",
        ),
        ({"date": "2099-01-01", "value": "14"}, "date", "A reading cannot be dated in the future."),
        ({"date": "2026-02-28", "value": "fourteen"}, "value", "Enter a number."),
        ({"date": "2026-02-28"}, "value", "This field is required."),
    ],
)
def test_an_invalid_quick_reading_shows_the_error_in_the_fragment(logged_in, kpi, data, field, message):
    # given
    ReadingFactory(kpi=kpi, date=D(2026, 1, 31), value=Decimal("12"))
    before = snapshot()

    # when
    response = logged_in.post(
        reverse("portfolio:reading-create", args=[kpi.pk]), data, HTTP_HX_REQUEST="true"
    )

    # then
    fragment = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in fragment
    assert field_error(fragment, f"id_{field}") == [message]
    assert snapshot() == before


def test_deleting_a_reading_with_htmx_returns_the_readings_without_it(logged_in, kpi):
    # given
    keep = ReadingFactory(kpi=kpi, date=D(2026, 1, 31), value=Decimal("12"))
    drop = ReadingFactory(kpi=kpi, date=D(2026, 2, 28), value=Decimal("13"))

    # when
    response = logged_in.post(
        reverse("portfolio:reading-delete", args=[drop.pk]), {"version": "1"}, HTTP_HX_REQUEST="true"
    )

    # then
    fragment = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<td>(\d{4}-\d\d-\d\d)</td><td class="num">([^<]+)</td>', fragment) == [
        ("2026-01-31", "12")
    ]
    assert list(Reading.objects.values_list("pk", flat=True)) == [keep.pk]


def test_deleting_a_reading_without_htmx_redirects_to_the_kpi_with_a_message(logged_in, kpi):
    # given
    reading = ReadingFactory(kpi=kpi, date=D(2026, 1, 31), value=Decimal("12"))

    # when
    response = logged_in.post(reverse("portfolio:reading-delete", args=[reading.pk]), {"version": "1"})

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:kpi-detail", args=[kpi.pk])
    assert not Reading.objects.filter(pk=reading.pk).exists()
    assert "Reading of 2026-01-31 deleted." in logged_in.get(response["Location"]).content.decode()


def test_deleting_a_reading_that_changed_meanwhile_is_refused(logged_in, kpi):
    # given
    reading = ReadingFactory(kpi=kpi, date=D(2026, 1, 31), value=Decimal("12"))
    Reading.objects.filter(pk=reading.pk).update(version=2, value=Decimal("12.5"))

    # when
    response = logged_in.post(
        reverse("portfolio:reading-delete", args=[reading.pk]), {"version": "1"}, HTTP_HX_REQUEST="true"
    )

    # then
    assert response.status_code == 409
    assert "was changed by someone else while you were editing" in response.content.decode()
    assert Reading.objects.filter(pk=reading.pk).exists()


# ------------------------------------------------------------------------------------------------ objective tree


def test_objective_tree_shows_global_weights(logged_in):
    # given: themes weighted 3 : 1 (and a retired one), objectives 1 : 3 under the first, 1 : 1 under the second
    t1 = ObjectiveFactory(code="T1", title="Grow", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Run", local_weight=Decimal("1"))
    t3 = ObjectiveFactory(code="T3", title="Old", local_weight=Decimal("5"), status="retired")
    ObjectiveFactory(code="O1", title="Convert", parent=t1, local_weight=Decimal("1"))
    o2 = ObjectiveFactory(code="O2", title="Retain", parent=t1, local_weight=Decimal("3"))
    ObjectiveFactory(code="O3", title="Cut cost", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O4", title="Stay up", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O5", title="Legacy", parent=t3)
    ObjectiveFactory(code="S1", title="Loyalty", parent=o2, local_weight=Decimal("1"))
    ObjectiveFactory(code="S2", title="Service", parent=o2, local_weight=Decimal("4"))
    ObjectiveFactory(code="S3", title="Dropped", parent=o2, local_weight=Decimal("10"), status="retired")
    # by hand: T1 = 3/4, T2 = 1/4; O1 = 3/4 * 1/4, O2 = 3/4 * 3/4; O3 = O4 = 1/4 * 1/2; S1 = 9/16 * 1/5, S2 = 9/16 * 4/5
    expected = {
        "T1": "0.750",
        "T2": "0.250",
        "T3": "0.000",
        "O1": "0.188",
        "O2": "0.563",
        "O3": "0.125",
        "O4": "0.125",
        "O5": "0.000",
        "S1": "0.113",
        "S2": "0.450",
        "S3": "0.000",
    }

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    shown = dict(
        re.findall(
            r'<span class="text-body-secondary small fw-semibold">([A-Z0-9.]+)</span>.*?Global <strong>([0-9.]+)</strong>',
            page,
            re.S,
        )
    )
    assert shown == expected
    assert "Local 4 → 0.80 of parent" in page


# ------------------------------------------------------------------------------------------------ risk register


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


# ------------------------------------------------------------------------------------------------ query budgets


def _count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_initiatives(start: int, stop: int, program: Any, objective: Any, sponsor: Any) -> None:
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"Q-{n:03d}", program=program, sponsor=sponsor)
        ContributionFactory(initiative=initiative, objective=objective)


def test_register_query_count_does_not_grow_with_the_data(
    logged_in, executive, django_assert_max_num_queries
):
    # given
    program = ProgramFactory()
    objective = ObjectiveFactory()
    _add_initiatives(0, 5, program, objective, executive)
    small = _count_queries(logged_in, REGISTER)

    # when
    _add_initiatives(5, 60, program, objective, executive)
    large = _count_queries(logged_in, REGISTER)

    # then
    assert small == large
    with django_assert_max_num_queries(12):
        logged_in.get(REGISTER, {"q": "Q-0", "sort": "-budget", "per_page": "100"})


def _fill_initiative(initiative: Any, objectives: list[Any], n: int, offset: int) -> None:
    for i in range(offset, offset + n):
        MilestoneFactory(initiative=initiative, name=f"Milestone {i}")
        RiskFactory(initiative=initiative, title=f"Risk {i}")
        ScopeChangeFactory(
            initiative=initiative,
            description=f"Change {i}",
            approved_by=initiative.sponsor,
            status="approved",
        )
        CheckpointReviewFactory(initiative=initiative, rationale=f"Review {i}")
        ContributionFactory(initiative=initiative, objective=objectives[i])


def test_initiative_page_query_count_does_not_grow_with_its_records(
    logged_in, initiative, pmo, django_assert_max_num_queries
):
    # given
    objectives = [ObjectiveFactory() for _ in range(60)]
    ArtefactFactory(initiative=initiative)
    _fill_initiative(initiative, objectives, 5, 0)
    url = reverse("portfolio:initiative-detail", args=[initiative.pk])
    small = _count_queries(logged_in, url)

    # when
    _fill_initiative(initiative, objectives, 55, 5)
    for n in range(10):
        Milestone.objects.filter(initiative=initiative, name=f"Milestone {n}").update(name=f"Milestone {n}!")
    large = _count_queries(logged_in, url)

    # then
    assert small == large
    with django_assert_max_num_queries(35):
        logged_in.get(url)


def test_objective_tree_query_count_does_not_grow_with_the_data(logged_in, django_assert_max_num_queries):
    # given
    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            theme = ObjectiveFactory(code=f"T{n}", title=f"Theme {n}")
            objective = ObjectiveFactory(code=f"O{n}", title=f"Objective {n}", parent=theme)
            kpi = KPIFactory(objective=objective)
            ReadingFactory(kpi=kpi)
            ContributionFactory(objective=objective)

    grow(0, 5)
    small = _count_queries(logged_in, reverse("portfolio:objective-list"))

    # when
    grow(5, 60)
    large = _count_queries(logged_in, reverse("portfolio:objective-list"))

    # then
    assert small == large
    assert KPI.objects.count() == 60
    with django_assert_max_num_queries(8):
        logged_in.get(reverse("portfolio:objective-list"))


def test_stale_record_edit_in_the_browser_shows_the_new_version(logged_in, initiative, manager):
    # given: the PMO opened the milestone form, then the manager moved the forecast
    from portfolio import services
    from portfolio.forms import MilestoneForm

    milestone = MilestoneFactory(initiative=initiative, name="Pilot")
    url = reverse("portfolio:record-edit", args=["milestones", milestone.pk])
    opened = logged_in.get(url).content.decode()
    assert version_in(opened) == 1
    services.milestone_update(
        user=manager, milestone_id=milestone.pk, version=1, data={"forecast_date": D(2026, 8, 1)}
    )

    # when
    response = logged_in.post(url, form_data(MilestoneForm(instance=milestone), name="Pilot (all stores)"))

    # then
    page = response.content.decode()
    assert response.status_code == 409
    assert "<tr><td>Forecast date</td><td>—</td><td><strong>2026-08-01</strong></td></tr>" in page
    assert "<tr><td>Name</td><td>Pilot (all stores)</td><td><strong>Pilot</strong></td></tr>" in page
    assert version_in(page) == 2
    assert Milestone.objects.get(pk=milestone.pk).name == "Pilot"
