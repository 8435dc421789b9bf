"""The contribution form: the KPI select offers only the chosen objective's KPIs (refreshed with htmx when the
objective changes) and a KPI of another objective is refused at the field; a rationale that says nothing
("tbd", "n/a", "...", too short, too few words) is refused at the field, with nothing saved."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portfolio.models import Contribution
from tests.factories import ContributionFactory, KPIFactory, ObjectiveFactory
from tests.portfolio.utils import db_rows, field_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(theme, objective):
    """O1 with its KPI and a sub-objective's KPI; another objective O2 with its own KPI."""
    sub = ObjectiveFactory(code="O1.1", title="Mobile checkout", parent=objective)
    other = ObjectiveFactory(code="O2", title="Cut cost to serve", parent=theme)
    return {
        "own": KPIFactory(objective=objective, name="Conversion rate"),
        "sub": KPIFactory(objective=sub, name="Mobile conversion"),
        "other": KPIFactory(objective=other, name="Cost per order", unit="EUR"),
        "other_objective": other,
    }


def kpi_options(html: str) -> list[str]:
    select = re.search(r'<select name="kpi"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, "no KPI select"
    return [
        re.sub(r"\s+", " ", label).strip()
        for label in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))
    ]


def test_the_kpi_select_offers_only_the_kpis_of_the_contributions_objective(
    client, pmo, initiative, objective, kpis
):
    # given
    contribution = ContributionFactory(initiative=initiative, objective=objective)
    client.force_login(pmo)

    # when
    html = client.get(
        reverse("portfolio:record-edit", args=["contributions", contribution.pk])
    ).content.decode()

    # then
    assert kpi_options(html) == ["None", "O1 · Conversion rate (%)", "O1.1 · Mobile conversion (%)"]


def test_a_new_contribution_asks_for_the_objective_before_its_kpi(client, pmo, initiative, kpis):
    # given
    client.force_login(pmo)

    # when
    html = client.get(
        reverse("portfolio:record-create", args=[initiative.pk, "contributions"])
    ).content.decode()

    # then
    assert kpi_options(html) == ["None (choose the objective first)"]
    objective_select = re.search(r'<select name="objective"[^>]*>', html)
    assert objective_select is not None
    assert objective_select.group(0) == (
        '<select name="objective" hx-get="/contributions/kpi-options/" hx-trigger="change" '
        'hx-target="next .field-kpi" hx-swap="outerHTML" hx-include="this, [name=&#x27;kpi&#x27;]" '
        'hx-params="objective,kpi" class="form-select" id="id_objective">'
    )


def test_changing_the_objective_fetches_its_kpis_and_keeps_a_kpi_that_still_fits(
    client, pmo, objective, kpis
):
    # given
    client.force_login(pmo)
    url = reverse("portfolio:contribution-kpi-options")

    # when
    other = client.get(
        url, {"objective": kpis["other_objective"].pk, "kpi": kpis["own"].pk}, HTTP_HX_REQUEST="true"
    )
    same = client.get(url, {"objective": objective.pk, "kpi": kpis["sub"].pk}, HTTP_HX_REQUEST="true")
    bogus = client.get(url, {"objective": "x"}, HTTP_HX_REQUEST="true")

    # then
    assert other.status_code == same.status_code == bogus.status_code == 200
    assert kpi_options(other.content.decode()) == ["None", "O2 · Cost per order (EUR)"]
    assert " selected" not in other.content.decode()  # the KPI of O1 does not fit O2: back to none
    assert kpi_options(same.content.decode()) == [
        "None",
        "O1 · Conversion rate (%)",
        "O1.1 · Mobile conversion (%)",
    ]
    assert f'<option value="{kpis["sub"].pk}" selected>' in same.content.decode()
    assert kpi_options(bogus.content.decode()) == ["None (choose the objective first)"]
    assert same.content.decode().lstrip().startswith('<div class="mb-3 field-kpi">')


def test_a_kpi_of_another_objective_is_refused_at_the_field(client, pmo, initiative, objective, kpis):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:record-create", args=[initiative.pk, "contributions"]),
        {
            "objective": objective.pk,
            "strength": "strong",
            "rationale": "A faster checkout converts more visitors.",
            "kpi": kpis["other"].pk,
        },
    )

    # then
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_kpi") == [
        "Pick a KPI of the objective chosen above (or of one of its sub-objectives)."
    ]
    assert db_rows() == before


@pytest.mark.parametrize(
    ("rationale", "message"),
    [
        ("tbd", "“tbd” is a placeholder, not a rationale. Say why this initiative moves this objective."),
        ("N/A", "“N/A” is a placeholder, not a rationale. Say why this initiative moves this objective."),
        ("todo", "“todo” is a placeholder, not a rationale. Say why this initiative moves this objective."),
        ("-", "“-” is a placeholder, not a rationale. Say why this initiative moves this objective."),
        ("...", "“...” is a placeholder, not a rationale. Say why this initiative moves this objective."),
        (
            "More sales",
            "Say why this initiative moves this objective, in at least 15 characters (this has 10).",
        ),
        (
            "Conversion-optimisation initiative",
            "Say why this initiative moves this objective, in at least 3 words.",
        ),
    ],
)
def test_a_rationale_that_says_nothing_is_refused_at_the_field(
    client, pmo, initiative, objective, rationale, message
):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:record-create", args=[initiative.pk, "contributions"]),
        {"objective": objective.pk, "strength": "strong", "rationale": rationale},
    )

    # then
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_rationale") == [message]
    assert db_rows() == before


def test_a_real_rationale_and_a_fitting_kpi_are_saved(client, pmo, initiative, objective, kpis):
    # given
    client.force_login(pmo)

    # when
    response = client.post(
        reverse("portfolio:record-create", args=[initiative.pk, "contributions"]),
        {
            "objective": objective.pk,
            "strength": "strong",
            "rationale": "Fewer steps at checkout convert more mobile visitors.",
            "kpi": kpis["sub"].pk,
            "expected_change": "1.5",
        },
    )

    # then
    assert response.status_code == 302
    saved = Contribution.objects.get(initiative=initiative, objective=objective)
    assert (saved.kpi, str(saved.expected_change), saved.strength) == (kpis["sub"], "1.5000", "strong")
