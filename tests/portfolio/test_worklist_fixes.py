"""Fixing a worklist row: each fix link opens its form with the worklist as `next`, the form returns there
after saving (and its Cancel goes there); "Name the owner" is a one-field form saved with its version."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from portfolio.forms import ContributionForm, MilestoneForm
from portfolio.models import KPI, Initiative, Reading
from tests.portfolio.utils import days, db_rows, form_data

pytestmark = pytest.mark.django_db

BACK = "/worklist/?mine=1"
FIX_LINK = re.compile(r'<a class="btn btn-sm btn-outline-primary dq-fix" href="([^"]+)">([^<]+)</a>')


def fix_links(client: Any, query: str = "?mine=1") -> dict[str, str]:
    """Fix label -> the first link with that label, as the worklist shows it."""
    html = client.get("/worklist/" + query).content.decode()
    links: dict[str, str] = {}
    for href, label in FIX_LINK.findall(html):
        links.setdefault(label, href.replace("&amp;", "&"))
    return links


def cancel_link(html: str) -> str:
    match = re.search(r'<a class="btn btn-outline-secondary" href="([^"]+)">Cancel</a>', html)
    assert match is not None, "no Cancel link"
    return match.group(1).replace("&amp;", "&")


def test_the_rationale_fix_returns_to_the_worklist_after_saving(client, pmo, one_of_each, today):
    # given
    client.force_login(pmo)
    contribution = one_of_each["contribution"]
    url = fix_links(client, "?mine=")["Edit the rationale"]
    assert url == f"/records/contributions/{contribution.pk}/edit/?next=%2Fworklist%2F%3Fmine%3D"

    # when
    form = client.get(url)
    response = client.post(
        url,
        form_data(
            ContributionForm(instance=contribution),
            rationale="Cuts the cost to serve each order by routing returns to stores.",
        ),
    )

    # then
    assert cancel_link(form.content.decode()) == "/worklist/?mine="
    assert response.status_code == 302
    assert response["Location"] == "/worklist/?mine="


def test_the_forecast_fix_returns_to_the_worklist_with_its_filters(client, manager, one_of_each, today):
    # given
    client.force_login(manager)
    milestone = one_of_each["milestone"]
    url = fix_links(client)["Update the forecast"]

    # when
    response = client.post(url, form_data(MilestoneForm(instance=milestone), forecast_date=days(today, 9)))

    # then
    assert response.status_code == 302
    assert response["Location"] == BACK
    milestone.refresh_from_db()
    assert (milestone.forecast_date, milestone.version) == (days(today, 9), 2)


def test_adding_the_missing_kpi_returns_to_the_worklist(client, pmo, one_of_each):
    # given
    client.force_login(pmo)
    objective = one_of_each["objective"]
    url = fix_links(client, "")["Add a KPI"]
    assert url == f"/kpis/new/?objective={objective.pk}&next=%2Fworklist%2F"

    # when
    response = client.post(
        url,
        {
            "objective": objective.pk,
            "name": "Staff engagement",
            "unit": "points",
            "direction": "increase",
            "baseline_value": "60",
            "baseline_date": "2026-01-01",
            "target_value": "75",
            "target_date": "2027-12-31",
        },
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == "/worklist/"
    assert KPI.objects.get(objective=objective).name == "Staff engagement"


def test_a_reading_entered_from_the_worklist_offers_the_way_back(client, pmo, one_of_each, today):
    # given
    client.force_login(pmo)
    kpi = one_of_each["kpi"]
    url = fix_links(client, "")["Enter a reading"]
    assert url == f"/kpis/{kpi.pk}/?next=%2Fworklist%2F#readings"

    # when
    page = client.get(url).content.decode()
    response = client.post(
        reverse("portfolio:reading-create", args=[kpi.pk]),
        {"date": today.isoformat(), "value": "41", "next": "/worklist/"},
    )

    # then
    assert (
        '<a class="btn btn-sm btn-outline-secondary" href="/worklist/">‹ Back to the data-quality worklist</a>'
        in page
    )
    assert '<input type="hidden" name="next" value="/worklist/">' in page
    assert response.status_code == 302
    assert response["Location"] == "/worklist/"
    assert Reading.objects.filter(kpi=kpi, date=today).count() == 1


@pytest.mark.parametrize("foreign", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_foreign_next_is_ignored(client, manager, one_of_each, foreign):
    # given
    client.force_login(manager)
    initiative = one_of_each["mine"]
    url = reverse("portfolio:initiative-sustainment-owner", args=[initiative.pk])

    # when
    form = client.get(url, {"next": foreign})
    response = client.post(
        f"{url}?next={foreign}", {"sustainment_owner": manager.pk, "version": initiative.version}
    )

    # then
    assert cancel_link(form.content.decode()) == f"/initiatives/{initiative.pk}/"
    assert response.status_code == 302
    assert response["Location"] == f"/initiatives/{initiative.pk}/"


# ------------------------------------------------------------------------------------- name the owner


def fields_of(html: str) -> list[str]:
    form = html.split('id="record-form"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', form)


def test_name_the_owner_is_one_field_and_returns_to_the_worklist(client, manager, one_of_each):
    # given
    client.force_login(manager)
    initiative = one_of_each["mine"]
    url = fix_links(client)["Name the owner"]
    assert url == f"/initiatives/{initiative.pk}/sustainment-owner/?next=%2Fworklist%2F%3Fmine%3D1"

    # when
    form = client.get(url)
    response = client.post(url, {"sustainment_owner": manager.pk, "version": "1"})

    # then
    assert form.status_code == 200
    assert fields_of(form.content.decode()) == ["csrfmiddlewaretoken", "sustainment_owner", "version"]
    assert response.status_code == 302
    assert response["Location"] == BACK
    initiative.refresh_from_db()
    assert (initiative.sustainment_owner, initiative.version) == (manager, 2)
    assert initiative.history.latest().history_user == manager
    assert fix_links(client) == {
        "Update the forecast": f"/records/milestones/{one_of_each['milestone'].pk}/edit/?next=%2Fworklist%2F%3Fmine%3D1"
    }


def test_naming_the_owner_of_an_initiative_changed_meanwhile_is_refused(client, manager, one_of_each):
    # given
    client.force_login(manager)
    initiative = one_of_each["mine"]
    Initiative.objects.filter(pk=initiative.pk).update(version=2, title="Checkout rebuild, phase 2")
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:initiative-sustainment-owner", args=[initiative.pk]),
        {"sustainment_owner": manager.pk, "version": "1"},
    )

    # then
    assert response.status_code == 409
    assert db_rows() == before


def test_the_owner_must_be_chosen(client, manager, one_of_each):
    # given
    client.force_login(manager)
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:initiative-sustainment-owner", args=[one_of_each["mine"].pk]), {"version": "1"}
    )

    # then
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "sustainment_owner": ["Choose who owns the solution after go-live."]
    }
    assert db_rows() == before


def test_a_manager_cannot_name_the_owner_of_someone_elses_initiative(client, manager, one_of_each):
    # given
    client.force_login(manager)
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:initiative-sustainment-owner", args=[one_of_each["theirs"].pk]),
        {"sustainment_owner": manager.pk, "version": "1"},
    )

    # then
    assert response.status_code == 403
    assert db_rows() == before
