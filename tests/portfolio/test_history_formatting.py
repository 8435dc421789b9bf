"""The audit trail shows values as the pages do (core.formatting): money with its currency and separators,
ISO dates, choice labels, people by name, KPI values without trailing zeros."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core.stages import Stage
from portfolio import services
from tests.factories import KPIFactory, ReadingFactory

pytestmark = pytest.mark.django_db


def changes_shown(html: str) -> list[str]:
    """Each change line of the history card, as a person reads it."""
    items = re.findall(r'<ul class="changes list-unstyled">(.*?)</ul>', html, re.S)
    lines = [li for block in items for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip() for line in lines]


def test_the_initiative_history_formats_money_dates_choices_and_people(
    client, pmo, manager, initiative, time_machine
):
    # given
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC))
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version,
        data={
            "budget_capex": Decimal("1400000"),
            "go_live_date": datetime.date(2027, 3, 31),
            "planned_start": datetime.date(2026, 1, 5),
            "planned_end": datetime.date(2027, 6, 30),
        },
    )
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version + 1,
        data={
            "budget_capex": Decimal("1450000"),
            "go_live_date": datetime.date(2027, 4, 30),
            "stage": Stage.APPROVED,
            "sustainment_owner": manager,
        },
    )
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()

    # then: newest first
    assert changes_shown(html)[:5] == [
        "Stage: In delivery → Approved",
        "Stage since: — → 2026-11-21",
        "Budget (capex): €1,400,000 → €1,450,000",
        "Sustainment owner: — → Mo Manager",
        "Go live date: 2027-03-31 → 2027-04-30",
    ]


def test_a_change_of_cents_shows_the_cents(client, pmo, initiative):
    # given
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version,
        data={"budget_opex": Decimal("1250")},
    )
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version + 1,
        data={"budget_opex": Decimal("1250.40")},
    )
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()

    # then
    assert changes_shown(html)[:2] == [
        "Budget (opex): €1,250.00 → €1,250.40",
        "Budget (opex): €20,000 → €1,250",
    ]


def test_the_kpi_history_shows_values_as_the_kpi_page_does(client, pmo):
    # given
    kpi = KPIFactory(name="Orders per week", unit="orders")
    reading = ReadingFactory(kpi=kpi, date=datetime.date(2026, 2, 1), value=Decimal("1200.50"))
    services.reading_update(
        user=pmo,
        reading_id=reading.pk,
        version=1,
        data={"value": Decimal("1250.25"), "date": datetime.date(2026, 2, 2)},
    )
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:kpi-detail", args=[kpi.pk])).content.decode()

    # then
    assert changes_shown(html) == ["Date: 2026-02-01 → 2026-02-02", "Value: 1,200.5 → 1,250.25"]
    assert '<td>2026-02-02</td><td class="num">1,250.25</td>' in html
