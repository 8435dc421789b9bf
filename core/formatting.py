"""How Bearing shows a value to a person: money, numbers, dates, choices, people and related records.

One place for every page, the audit trail and the "what changed while you were editing" table: the template
filters in core.templatetags.bearing call these, and `field_display` picks the right one for a model field,
so "budget (capex): €1,400,000 → €1,450,000" reads the same in the history as on the initiative page.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import MoneyField

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "JPY": "¥"}
EMPTY = "—"
MAX_TEXT = 300


def currency_symbol() -> str:
    code = getattr(settings, "BEARING_CURRENCY", "EUR")
    return SYMBOLS.get(code, f"{code} ")


def money(value: Any) -> str:
    """Compact money for tables and tiles: €1.25M, €350k, €900."""
    if value is None or value == "":
        return EMPTY
    amount = Decimal(value)
    sign = "−" if round(amount) < 0 else ""
    amount = abs(amount)
    symbol = currency_symbol()
    # The unit follows the rounded figure, so 999,600 reads €1.00M rather than €1000k.
    if round(amount / 1000) >= 1000:
        return f"{sign}{symbol}{amount / 1_000_000:.2f}M"
    if round(amount / 1000, 1) >= 10:
        return f"{sign}{symbol}{amount / 1000:.0f}k"
    if round(amount) >= 1000:
        return f"{sign}{symbol}{amount / 1000:.1f}k"
    return f"{sign}{symbol}{amount:.0f}"


def money_full(value: Any, cents: bool = False) -> str:
    """Exact money for detail pages and the audit trail, to the unit: €1,250,000 (`cents`: €1,250,000.50)."""
    if value is None or value == "":
        return EMPTY
    amount = Decimal(value)
    if cents:
        sign = "−" if amount < 0 else ""
        return f"{sign}{currency_symbol()}{abs(amount):,.2f}"
    sign = "−" if round(amount) < 0 else ""
    return f"{sign}{currency_symbol()}{abs(amount):,.0f}"


def fixed(value: float, places: int) -> str:
    """`value` to `places` decimals, halves rounded up, as the floatformat filter writes it (0.5625 -> 0.563),
    for markup written in Python (the objective tree, the register's cells)."""
    return str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def number(value: Any, digits: int = 2) -> str:
    """A KPI value or a weight without trailing zeros: 12.5, 1,200, 0.35."""
    if value is None or value == "":
        return EMPTY
    amount = Decimal(value)
    text = f"{amount:,.{int(digits)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def iso_date(value: datetime.date | None) -> str:
    """A day as every page writes it: 2026-11-21."""
    return value.isoformat() if value is not None else EMPTY


def iso_datetime(value: datetime.datetime | None) -> str:
    """A moment in the site's time zone, to the minute: 2026-11-21 09:30."""
    if value is None:
        return EMPTY
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def person(user: Any) -> str:
    if user is None or user == "":
        return EMPTY
    full_name = getattr(user, "get_full_name", None)
    if callable(full_name):
        return full_name() or user.get_username()
    return str(user)


def field_display(
    field: models.Field[Any, Any], value: Any, *, related: Any = ..., exact: bool = False
) -> str:
    """A model field's value as the pages show it: choice labels, money with its currency, numbers without
    trailing zeros, ISO dates, people by name, related records by their name.

    `value` is the field's stored value (for a relation: the related record, or its id with `related`, the
    record looked up already, None when it is gone). `exact` shows money to the cent and numbers in full,
    for a change that would otherwise read "€1,250 → €1,250"."""
    if value is None or value == "":
        return EMPTY
    if field.is_relation:
        if related is not ...:
            return f"#{value} (deleted)" if related is None else person(related)
        return person(value) if isinstance(value, models.Model) else str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return iso_datetime(value)
    if isinstance(value, datetime.date):
        return iso_date(value)
    if isinstance(field, MoneyField):
        return money_full(value, cents=exact)
    if isinstance(value, Decimal | float):
        if exact:
            return f"{value:,f}" if isinstance(value, Decimal) else f"{value:,}"
        return number(value, field.decimal_places if isinstance(field, models.DecimalField) else 2)
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "…"
