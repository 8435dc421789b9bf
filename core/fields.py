"""Model and form fields shared by every app."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import models

MONEY_DIGITS = {"max_digits": 14, "decimal_places": 2}


class DecimalInput(forms.NumberInput):
    """A number input that shows a stored decimal without trailing zeros: 140000, not 140000.00; -6, not
    -6.0000 (what the user typed, on a refused form, is shown as typed)."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            text = f"{value:f}"
            return text.rstrip("0").rstrip(".") if "." in text else text
        return super().format_value(value)


class MoneyInput(DecimalInput):
    """A number input with the currency as a Bootstrap input-group prefix (BEARING_CURRENCY)."""

    template_name = "forms/widgets/money.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"step": "any", "inputmode": "decimal", **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        from core.formatting import currency_symbol

        context = super().get_context(name, value, attrs)
        context["widget"]["currency"] = currency_symbol().strip()
        return context


class MoneyFormField(forms.DecimalField):
    widget = MoneyInput


class MoneyField(models.DecimalField):
    """An amount in the site's currency (BEARING_CURRENCY): pages and the audit trail show it with its symbol,
    forms with the symbol in front of the input. Stored as a plain decimal (14 digits, 2 decimals); in
    migrations it is a DecimalField, so adopting it changes no schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key, value in MONEY_DIGITS.items():
            kwargs.setdefault(key, value)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs

    def formfield(  # type: ignore[override]  # the stubs' signature; Django takes form_class in kwargs
        self, **kwargs: Any
    ) -> Any:
        return super().formfield(**{"form_class": MoneyFormField, **kwargs})
