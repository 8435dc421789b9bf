"""Objective and initiative codes follow a rule a spreadsheet cannot read as a formula: they start with a letter
or a digit. The rule is checked by the form (a message at the field) and by the services (the same message), and
an objective stored with a bad code before the rule existed still shows and can be corrected."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from portfolio import services
from portfolio.forms import ObjectiveForm
from portfolio.models import Initiative, Objective
from tests.factories import ObjectiveFactory
from tests.portfolio.utils import db_rows, field_error, form_data

pytestmark = pytest.mark.django_db

OBJECTIVE_MESSAGE = "Start with a letter or a digit, then use only letters, digits and . - _ / (e.g. O1.2)."
INITIATIVE_MESSAGE = "Use 2 to 20 capital letters, digits or dashes, e.g. ECOM-12."


@pytest.mark.parametrize(
    "code", ["=1+1", "+1", "-1", "@SUM(1)", "1\t2", "O1 2", "O1;2", '"O1"', "<b>", "É1", ".O1", "/O1"]
)
def test_the_objective_form_refuses_a_code_outside_the_rule_at_the_field(client, pmo, code):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:objective-create"),
        form_data(ObjectiveForm(), code=code, title="Theme", local_weight=Decimal("1")),
    )

    # then
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_code") == [OBJECTIVE_MESSAGE]
    assert db_rows() == before


@pytest.mark.parametrize("code", ["T1", "O1.2", "O1.1.1", "2026-A", "fin_ops", "EU/NL-3", "a"])
def test_the_objective_service_accepts_codes_within_the_rule(pmo, code):
    objective = services.objective_create(user=pmo, data={"code": code, "title": f"Theme {code}"})
    assert Objective.objects.get(pk=objective.pk).code == code


@pytest.mark.parametrize("code", ["=1+1", "-1+2", "@A1", "O1 2", "O1\n"])
def test_the_objective_service_refuses_a_code_outside_the_rule(pmo, code):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.objective_create(user=pmo, data={"code": code, "title": "Theme"})

    # then
    assert refused.value.field_errors == {"code": [OBJECTIVE_MESSAGE]}
    assert db_rows() == before


@pytest.mark.parametrize("code", ["=1+1", "-ECOM", "+ECOM", "@ECOM", "ECOM-1\n"])
def test_initiative_codes_that_a_spreadsheet_would_run_are_refused(pmo, code):
    with pytest.raises(ApplicationError) as refused:
        services.initiative_create(user=pmo, data={"code": code, "title": "Checkout"})
    assert refused.value.field_errors["code"] == [INITIATIVE_MESSAGE]
    assert not Initiative.objects.exists()


def test_an_objective_stored_with_a_bad_code_shows_and_is_corrected_through_its_form(client, pmo):
    # given an objective saved before the rule existed
    objective = ObjectiveFactory(code="=1+1", title="Legacy")
    client.force_login(pmo)
    edit = reverse("portfolio:objective-edit", args=[objective.pk])

    # when it is shown, and saved with its code unchanged, then corrected
    shown = client.get(reverse("portfolio:objective-detail", args=[objective.pk]))
    unchanged = client.post(edit, form_data(ObjectiveForm(instance=objective)))
    corrected = client.post(edit, form_data(ObjectiveForm(instance=objective), code="O-1"))

    # then
    assert shown.status_code == 200
    assert unchanged.status_code == 422
    assert field_error(unchanged.content.decode(), "id_code") == [OBJECTIVE_MESSAGE]
    assert corrected.status_code == 302
    assert Objective.objects.get(pk=objective.pk).code == "O-1"
