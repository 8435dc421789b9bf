"""How the forms ask for money and dates: money inputs carry the site's currency in front, date inputs are
native date pickers holding ISO dates, on every form of the portfolio and risk pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    ArtefactFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
INPUT = re.compile(r"<input\b[^>]*>")


def inputs(html: str) -> dict[str, str]:
    """name -> the opening tag of each input of the page's form."""
    found = {}
    for tag in INPUT.findall(html):
        name = re.search(r'\bname="([^"]+)"', tag)
        if name:
            found[name.group(1)] = tag
    return found


def money_prefix(html: str, name: str) -> str | None:
    """The input-group prefix in front of the input named `name`, if any."""
    match = re.search(
        rf'<div class="input-group[^"]*"><span class="input-group-text">([^<]+)</span><input\b[^>]*\bname="{name}"',
        html,
    )
    return match.group(1) if match else None


@pytest.fixture
def dated(db):
    """An initiative and one record of each kind that has a date, every date filled in."""
    initiative = InitiativeFactory(
        code="ECOM-1",
        stage="in_delivery",
        planned_start=D(2026, 1, 5),
        planned_end=D(2026, 12, 18),
        actual_start=D(2026, 1, 12),
        go_live_date=D(2026, 11, 30),
    )
    kpi = KPIFactory(baseline_date=D(2025, 1, 1), target_date=D(2027, 1, 1))
    return {
        "initiative": initiative,
        "kpi": kpi,
        "objective": ObjectiveFactory(horizon_start=D(2026, 1, 1), horizon_end=D(2028, 12, 31)),
        "milestone": MilestoneFactory(
            initiative=initiative, baseline_date=D(2026, 6, 1), forecast_date=D(2026, 6, 15)
        ),
        "scope_change": ScopeChangeFactory(initiative=initiative, date=D(2026, 3, 2)),
        "artefact": ArtefactFactory(initiative=initiative, dated=D(2026, 2, 3)),
        "risk": RiskFactory(initiative=initiative, review_date=D(2026, 4, 30)),
        "reading": ReadingFactory(kpi=kpi, date=D(2026, 5, 31)),
    }


def form_pages(d: dict) -> list[tuple[str, dict[str, str]]]:
    """Each form page with its date inputs and the ISO value each must hold."""
    i = d["initiative"]
    return [
        (
            reverse("portfolio:initiative-edit", args=[i.pk]),
            {
                "planned_start": "2026-01-05",
                "planned_end": "2026-12-18",
                "actual_start": "2026-01-12",
                "actual_end": "",
                "go_live_date": "2026-11-30",
            },
        ),
        (
            reverse("portfolio:objective-edit", args=[d["objective"].pk]),
            {"horizon_start": "2026-01-01", "horizon_end": "2028-12-31"},
        ),
        (
            reverse("portfolio:kpi-edit", args=[d["kpi"].pk]),
            {"baseline_date": "2025-01-01", "target_date": "2027-01-01"},
        ),
        (reverse("portfolio:interim-target-create", args=[d["kpi"].pk]), {"date": ""}),
        (
            reverse("portfolio:record-edit", args=["milestones", d["milestone"].pk]),
            {"baseline_date": "2026-06-01", "forecast_date": "2026-06-15", "actual_date": ""},
        ),
        (
            reverse("portfolio:record-edit", args=["scope-changes", d["scope_change"].pk]),
            {"date": "2026-03-02"},
        ),
        (reverse("portfolio:record-edit", args=["artefacts", d["artefact"].pk]), {"dated": "2026-02-03"}),
        (reverse("portfolio:record-edit", args=["risks", d["risk"].pk]), {"review_date": "2026-04-30"}),
    ]


def test_every_date_input_is_a_date_picker_holding_an_iso_date(client, pmo, dated):
    # given
    client.force_login(pmo)

    for url, expected in form_pages(dated):
        # when
        html = client.get(url).content.decode()

        # then
        tags = inputs(html)
        for name, value in expected.items():
            assert 'type="date"' in tags[name], (url, tags[name])
            shown = re.search(r'\bvalue="([^"]*)"', tags[name])
            assert (shown.group(1) if shown else "") == value, (url, name)


def test_the_quick_reading_date_is_a_date_picker_with_today(client, pmo, dated, time_machine):
    # given
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC))
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:kpi-detail", args=[dated["kpi"].pk])).content.decode()

    # then
    assert re.search(r'<input type="date" name="date" value="2026-11-21"', html)


MONEY_FIELDS = ["budget_capex", "budget_opex", "actual_cost", "forecast_cost"]


@pytest.mark.parametrize(("currency", "symbol"), [("EUR", "€"), ("USD", "$"), ("SEK", "SEK")])
def test_money_inputs_show_the_currency_in_front(client, pmo, dated, settings, currency, symbol):
    # given
    settings.BEARING_CURRENCY = currency
    client.force_login(pmo)
    initiative = dated["initiative"]

    # when
    form = client.get(reverse("portfolio:initiative-edit", args=[initiative.pk])).content.decode()
    scope = client.get(
        reverse("portfolio:record-edit", args=["scope-changes", dated["scope_change"].pk])
    ).content.decode()

    # then
    assert {name: money_prefix(form, name) for name in MONEY_FIELDS} == dict.fromkeys(MONEY_FIELDS, symbol)
    assert money_prefix(scope, "cost_impact") == symbol
    assert money_prefix(form, "requirements_clarity") is None
    assert re.search(r'name="budget_capex" value="100000" step="any"', form)  # not 100000.00


def test_a_refused_money_input_keeps_its_prefix_and_its_message(client, pmo, dated):
    # given
    client.force_login(pmo)
    initiative = dated["initiative"]
    url = reverse("portfolio:initiative-edit", args=[initiative.pk])

    # when
    response = client.post(
        url,
        {
            "code": "ECOM-1",
            "title": initiative.title,
            "category": "grow",
            "stage": "in_delivery",
            "planned_start": "2026-01-05",
            "planned_end": "2026-12-18",
            "budget_capex": "-5",
            "budget_opex": "0",
            "actual_cost": "0",
            "criticality": "3",
            "version": "1",
        },
    )

    # then
    html = response.content.decode()
    assert response.status_code == 422
    assert re.search(
        r'<div class="input-group has-validation"><span class="input-group-text">€</span><input type="number" '
        r'name="budget_capex" value="-5"',
        html,
    )
    assert response.context["form"].errors["budget_capex"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    initiative.refresh_from_db()
    assert (initiative.budget_capex, initiative.version) == (Decimal("100000"), 1)
