"""Interim targets are added and deleted on the KPI's page (the admin only shows them), by the PMO."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core import changes
from portfolio.models import InterimTarget
from tests.factories import KPIFactory
from tests.portfolio.utils import db_rows

pytestmark = pytest.mark.django_db  # the persona fixtures ask for the database only when called


@pytest.fixture
def kpi(db):
    return KPIFactory(name="Checkout time", baseline_date=datetime.date(2025, 1, 1))


def test_the_pmo_adds_an_interim_target_and_the_kpi_is_marked_for_rescoring(
    client, pmo, kpi, recorded_changes
):
    # given
    client.force_login(pmo)
    # when
    response = client.post(f"/kpis/{kpi.pk}/interim-targets/new/", {"date": "2026-06-30", "value": "15.5"})
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/kpis/{kpi.pk}/"
    target = InterimTarget.objects.get(kpi=kpi)
    assert (target.date, target.value, target.version) == (datetime.date(2026, 6, 30), Decimal("15.5"), 1)
    assert target.history.get().history_user == pmo
    assert recorded_changes == [changes.Change(kpi_ids=frozenset({kpi.pk}))]


def test_an_interim_target_outside_the_kpi_dates_is_refused_at_the_field(client, pmo, kpi):
    # given
    client.force_login(pmo)
    before = db_rows()
    # when
    response = client.post(f"/kpis/{kpi.pk}/interim-targets/new/", {"date": "2030-01-01", "value": "15"})
    # then
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "date": ["An interim target must fall between the baseline and target dates."]
    }
    assert db_rows() == before


def test_the_pmo_deletes_an_interim_target_of_the_version_they_saw(client, pmo, kpi):
    # given
    target = InterimTarget.objects.create(kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("15"))
    client.force_login(pmo)
    # when
    response = client.post(f"/interim-targets/{target.pk}/delete/", {"version": target.version})
    # then
    assert response.status_code == 302
    assert not InterimTarget.objects.filter(pk=target.pk).exists()


def test_a_stale_delete_of_an_interim_target_changes_nothing(client, pmo, kpi):
    # given
    target = InterimTarget.objects.create(
        kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("15"), version=2
    )
    client.force_login(pmo)
    before = db_rows()
    # when
    response = client.post(f"/interim-targets/{target.pk}/delete/", {"version": 1})
    # then
    assert response.status_code == 302
    assert db_rows() == before


@pytest.mark.parametrize("persona", ["executive", "manager"], indirect=True)
def test_only_the_pmo_changes_interim_targets(client, persona, kpi):
    # given
    target = InterimTarget.objects.create(kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("15"))
    before = db_rows()
    client.force_login(persona)
    # when
    added = client.post(f"/kpis/{kpi.pk}/interim-targets/new/", {"date": "2026-06-30", "value": "16"})
    deleted = client.post(f"/interim-targets/{target.pk}/delete/", {"version": target.version})
    # then
    assert (added.status_code, deleted.status_code) == (403, 403)
    assert db_rows() == before


def test_the_kpi_page_offers_the_pmo_to_add_and_delete_interim_targets(client, pmo, executive, kpi):
    # given
    target = InterimTarget.objects.create(kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("15"))
    # when
    client.force_login(pmo)
    as_pmo = client.get(f"/kpis/{kpi.pk}/").content.decode()
    client.force_login(executive)
    as_executive = client.get(f"/kpis/{kpi.pk}/").content.decode()
    # then
    for link in (
        f'href="/kpis/{kpi.pk}/interim-targets/new/"',
        f'action="/interim-targets/{target.pk}/delete/"',
    ):
        assert link in as_pmo
        assert link not in as_executive
