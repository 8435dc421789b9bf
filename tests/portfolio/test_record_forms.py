"""The create and edit forms of initiatives and their records: saved exactly, refused at the field with
422 and nothing saved."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from portfolio.forms import InitiativeForm
from portfolio.models import Initiative
from tests.factories import (
    ArtefactFactory,
    MilestoneFactory,
    ObjectiveFactory,
)
from tests.portfolio.utils import db_rows, field_error, form_data, initiative_post, input_tag

pytestmark = pytest.mark.django_db


def alert(response: Any) -> str:
    match = re.search(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    assert match is not None, "no error alert on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


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
    before = db_rows()

    # when
    response = logged_in.post(reverse("portfolio:initiative-create"), initiative_post(**changes))

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == [message]
    tag = input_tag(page, field)
    assert "is-invalid" in tag
    assert 'aria-invalid="true"' in tag
    assert "Please correct the 1 field marked below. Nothing was saved." in page
    assert db_rows() == before


def test_an_approved_initiative_without_dates_shows_both_date_errors(logged_in):
    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"), initiative_post(stage="approved", sponsor="", code="NEW-2")
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
            {"strength": "strong", "rationale": "Because it shortens the checkout."},
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
            {
                "objective": "{objective}",
                "strength": "weak",
                "rationale": "Because it shortens the checkout.",
                "expected_change": "2",
            },
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
    before = db_rows()

    # when
    response = logged_in.post(reverse("portfolio:record-create", args=[initiative.pk, kind]), data)

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == (message if isinstance(message, list) else [message])
    assert "is-invalid" in input_tag(page, field)
    assert db_rows() == before


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
            "This name is already used by program “Digital commerce”.",
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
    before = db_rows()

    # when
    response = logged_in.post(reverse(url_name), data)

    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == [message]
    assert "is-invalid" in input_tag(page, field)
    assert db_rows() == before


def test_edit_form_without_its_version_is_refused(logged_in, initiative):
    # given
    data = form_data(InitiativeForm(instance=initiative), title="No version", version=None)
    before = db_rows()

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
    assert db_rows() == before


def test_delete_form_without_its_version_is_refused_with_a_message(logged_in, initiative):
    # given
    milestone = MilestoneFactory(initiative=initiative)
    before = db_rows()

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
    assert db_rows() == before


def test_a_valid_initiative_form_saves_and_redirects_to_the_initiative(logged_in, executive, program):
    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"),
        initiative_post(
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
