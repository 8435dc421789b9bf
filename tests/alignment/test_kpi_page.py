"""The KPI page after a reading is recorded: its status tiles, chart, readings and history show the new
reading as the engine scored it (the engine runs inline after the commit), with and without htmx."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from alignment import services
from tests.factories import KPIFactory, ObjectiveFactory, ReadingFactory

D = datetime.date
# a real commit: the engine scores the reading after the service's transaction commits, before the page is
# rendered, as it does in production (the test database's outer transaction would hold the commit back)
COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def kpi(time_machine):
    """Baseline 10 on 2026-01-01, target 20 on 2027-01-01; readings of 11 and 12, scored on 2026-03-31."""
    time_machine.move_to(datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC))
    kpi = KPIFactory(
        objective=ObjectiveFactory(code="O1", title="Faster checkout"),
        name="Checkout conversion",
        unit="%",
        baseline_value=Decimal("10"),
        baseline_date=D(2026, 1, 1),
        target_value=Decimal("20"),
        target_date=D(2027, 1, 1),
    )
    ReadingFactory(kpi=kpi, date=D(2026, 2, 1), value=Decimal("11"))
    ReadingFactory(kpi=kpi, date=D(2026, 3, 1), value=Decimal("12"))
    services.recompute(initiative_ids=[], kpi_ids=[kpi.pk])
    return kpi


def tiles(html: str) -> dict[str, str]:
    """The status tiles: label -> value, as the page shows them."""
    found = re.findall(
        r'<div class="small text-body-secondary">([^<]+)</div><div class="component-value">(.*?)</div>', html
    )
    return {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in found}


def chart_readings(html: str, kpi_id: int) -> list[tuple[str, float]]:
    match = re.search(r'<script type="application/json" id="figure-[a-z-]+">(.*?)</script>', html, re.S)
    assert match is not None, "no chart on the page"
    figure = json.loads(match.group(1))
    trace = next(t for t in figure["data"] if t.get("name") == "Readings")
    return list(zip(trace["x"], trace["y"], strict=True))


def history_subjects(html: str) -> list[str]:
    section = html.split('id="history"', 1)[1]
    return re.findall(r"<strong>([^<]+)</strong> created", section)


def post_reading(client: Any, kpi: Any, **headers: str) -> Any:
    return client.post(
        reverse("portfolio:reading-create", args=[kpi.pk]),
        {"date": "2026-03-31", "value": "14", "source": "Web analytics"},
        **headers,
    )


HISTORY = [
    "Reading of 2026-03-31",
    "Reading of 2026-03-01",
    "Reading of 2026-02-01",
    "KPI “Checkout conversion”",
]
BEFORE = {
    "Status": "On track",
    "Progress at the latest reading": "20%",
}
# the trend through (Feb 1, 11), (Mar 1, 12), (Mar 31, 14): 87.33 / 1682.67 = 0.0519 a day, 18.96 a year
# (365.25 days); on 2027-01-01, 334 days after Feb 1: 12.33 + 0.0519 x (334 - 28.67) = 28.18
AFTER = {
    "Status": "On track",
    "Progress at the latest reading": "40%",
    "Forecast on 2027-01-01": "28.18 %",
    "Trend": "18.96",
}


@COMMITTED
def test_recording_a_reading_with_htmx_answers_with_the_rescored_tiles_chart_and_history(client, pmo, kpi):
    # given
    client.force_login(pmo)
    page = client.get(reverse("portfolio:kpi-detail", args=[kpi.pk])).content.decode()
    assert {k: tiles(page)[k] for k in BEFORE} == BEFORE

    # when
    response = post_reading(client, kpi, HTTP_HX_REQUEST="true")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert tiles(html) == AFTER
    assert chart_readings(html, kpi.pk) == [("2026-02-01", 11.0), ("2026-03-01", 12.0), ("2026-03-31", 14.0)]
    assert history_subjects(html) == HISTORY
    assert "Recorded 14 % on 2026-03-31." in html


@COMMITTED
def test_recording_a_reading_without_htmx_redirects_to_the_rescored_page(client, pmo, kpi):
    # given
    client.force_login(pmo)

    # when
    response = post_reading(client, kpi)

    # then
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert tiles(html) == AFTER
    assert chart_readings(html, kpi.pk) == [("2026-02-01", 11.0), ("2026-03-01", 12.0), ("2026-03-31", 14.0)]
    assert history_subjects(html) == HISTORY


@COMMITTED
def test_deleting_a_reading_with_htmx_answers_with_the_rescored_tiles(client, pmo, kpi):
    # given
    client.force_login(pmo)
    latest = ReadingFactory(kpi=kpi, date=D(2026, 3, 31), value=Decimal("14"))
    services.recompute(initiative_ids=[], kpi_ids=[kpi.pk])

    # when
    response = client.post(
        reverse("portfolio:reading-delete", args=[latest.pk]), {"version": "1"}, HTTP_HX_REQUEST="true"
    )

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert {k: tiles(html)[k] for k in BEFORE} == BEFORE
    assert chart_readings(html, kpi.pk) == [("2026-02-01", 11.0), ("2026-03-01", 12.0)]
