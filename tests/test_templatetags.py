"""The formatting filters every page uses: money, percentages and KPI numbers, as exact strings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import override_settings

from core.templatetags.bearing import money, money_full, number, pct, person, signed_pct


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        ("", "—"),
        (0, "€0"),
        (Decimal("0.40"), "€0"),
        (950, "€950"),
        (Decimal("999.40"), "€999"),
        (Decimal("999.60"), "€1.0k"),
        (1000, "€1.0k"),
        (1260, "€1.3k"),
        (Decimal("9940"), "€9.9k"),
        (Decimal("9960"), "€10k"),
        (10_000, "€10k"),
        (350_000, "€350k"),
        (Decimal("349600.00"), "€350k"),
        (Decimal("999400"), "€999k"),
        (Decimal("999600"), "€1.00M"),
        (1_000_000, "€1.00M"),
        (1_250_000, "€1.25M"),
        (Decimal("12345678.90"), "€12.35M"),
        (-1500, "−€1.5k"),
        (Decimal("-2500000"), "−€2.50M"),
        ("4200", "€4.2k"),
    ],
)
def test_money_is_compact(value, expected):
    # when / then
    assert money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        ("", "—"),
        (0, "€0"),
        (Decimal("1250000"), "€1,250,000"),
        (Decimal("1234.56"), "€1,235"),
        (Decimal("999.49"), "€999"),
        (-5000, "−€5,000"),
        (Decimal("-0.4"), "€0"),
    ],
)
def test_money_full_is_exact_to_the_unit(value, expected):
    # when / then
    assert money_full(value) == expected


@override_settings(BEARING_CURRENCY="USD")
def test_money_uses_the_configured_currency():
    # when / then
    assert (money(1_500_000), money_full(1234)) == ("$1.50M", "$1,234")


@override_settings(BEARING_CURRENCY="SEK")
def test_money_spells_out_a_currency_without_a_known_symbol():
    # when / then
    assert (money(2500), money_full(2500)) == ("SEK 2.5k", "SEK 2,500")


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (None, 0, "—"),
        ("", 0, "—"),
        (0, 0, "0%"),
        (12.345, 0, "12%"),
        (12.345, 1, "12.3%"),
        (Decimal("99.96"), 1, "100.0%"),
        (Decimal("-7.25"), 2, "-7.25%"),
        ("55", 0, "55%"),
    ],
)
def test_pct(value, digits, expected):
    # when / then
    assert pct(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (None, 0, "—"),
        (0, 0, "0%"),
        (12.4, 0, "+12%"),
        (Decimal("-3.6"), 0, "−4%"),
        (Decimal("7.25"), 1, "+7.2%"),
        (0.4, 0, "0%"),
        (-0.4, 0, "0%"),
        (-0.04, 1, "0.0%"),
        (0.06, 1, "+0.1%"),
    ],
)
def test_signed_pct_signs_only_what_does_not_round_to_zero(value, digits, expected):
    # when / then
    assert signed_pct(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (None, 2, "—"),
        ("", 2, "—"),
        (Decimal("12.5000"), 2, "12.5"),
        (1200, 2, "1,200"),
        (Decimal("0.35"), 2, "0.35"),
        (Decimal("0.3456"), 2, "0.35"),
        (Decimal("1234567.891"), 2, "1,234,567.89"),
        (Decimal("100"), 2, "100"),
        (Decimal("2.5"), 0, "2"),
        (Decimal("3.14159"), 4, "3.1416"),
        (0, 2, "0"),
        (Decimal("-12.50"), 2, "-12.5"),
    ],
)
def test_number_drops_trailing_zeros(value, digits, expected):
    # when / then
    assert number(value, digits) == expected


@pytest.mark.django_db
def test_person_prefers_the_full_name():
    # given
    named = User(username="pat", first_name="Pat", last_name="Office")
    unnamed = User(username="svc-import")

    # when / then
    assert (person(named), person(unnamed), person(None), person("")) == (
        "Pat Office",
        "svc-import",
        "—",
        "—",
    )


def test_filters_work_in_templates_with_arguments():
    # given
    template = Template(
        "{% load bearing %}{{ a|money }} {{ a|money_full }} {{ b|pct:1 }} {{ c|signed_pct }} {{ d|number:1 }}"
    )

    # when
    text = template.render(Context({"a": Decimal("1500000"), "b": 33.333, "c": -12, "d": Decimal("4.25")}))

    # then
    assert text == "€1.50M €1,500,000 33.3% −12% 4.2"
