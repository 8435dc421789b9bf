"""Quick entry and deletion of KPI readings on the KPI page, with and without htmx."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from portfolio.models import Reading
from tests.factories import (
    ReadingFactory,
)
from tests.portfolio.utils import db_rows, field_error

pytestmark = pytest.mark.django_db

D = datetime.date


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def test_quick_reading_entry_with_htmx_returns_the_page_body_with_the_new_value(logged_in, pmo, kpi):
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
    assert (reading.value, reading.source, reading.entered_by) == (Decimal("13.25"), "Web analytics", pmo)


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
    assert "Reading of 13.25 % on 2026-02-28 recorded." in page


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
    before = db_rows()

    # when
    response = logged_in.post(
        reverse("portfolio:reading-create", args=[kpi.pk]), data, HTTP_HX_REQUEST="true"
    )

    # then
    fragment = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in fragment
    assert field_error(fragment, f"id_{field}") == [message]
    assert db_rows() == before


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
