"""The business case's edit grid: the case's first year, and one row per line (kind, label, KPI and an amount
per year), with a blank row to add a line and a box to remove one. Works without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory

from core.fields import DecimalInput
from portfolio.models import KPI, business_cases
from portfolio.services.business_cases import LineInput

KIND_CHOICES = [("", "Choose…"), *business_cases.KIND_CHOICES]
MAX_YEARS_SHOWN = 60


class CaseForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    first_year = forms.IntegerField(
        min_value=1900, max_value=2200, help_text="Year 0 of the case: the first calendar year it counts."
    )


class LineForm(forms.Form):
    line_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)  # the stored line
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
    label = forms.CharField(max_length=200, required=False)
    kpi = forms.ModelChoiceField(queryset=KPI.objects.none(), required=False, empty_label="—", label="KPI")

    def __init__(self, *args: Any, years: Sequence[int] = (), kpis: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years = list(years)
        field = self.fields["kpi"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = kpis if kpis is not None else KPI.objects.order_by("name")
        for year in self.years:
            self.fields[f"y{year}"] = forms.DecimalField(
                required=False,
                label=str(year),
                max_digits=18,
                decimal_places=4,
                widget=DecimalInput(
                    attrs={"step": "any", "inputmode": "decimal", "class": "form-control form-control-sm"}
                ),
            )

    def amount_fields(self) -> list[forms.BoundField]:
        return [self[f"y{year}"] for year in self.years]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            not data.get("kind")
            and not data.get("label")
            and all(data.get(f"y{year}") is None for year in self.years)
        )

    def line(self) -> LineInput:
        data = self.cleaned_data
        amounts = {year: data[f"y{year}"] for year in self.years if data.get(f"y{year}") is not None}
        kpi = data.get("kpi")
        return LineInput(
            kind=data.get("kind") or "",
            label=data.get("label") or "",
            amounts=amounts,
            kpi=kpi.pk if kpi else None,
            id=data.get("line_id"),
        )


class BaseLineFormSet(BaseFormSet):
    def entered(self) -> list[tuple[LineForm, LineInput]]:
        """The rows to save, in order: neither blank nor ticked for removal."""
        rows = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE") or form.is_blank():
                continue
            rows.append((form, form.line()))
        return rows


LineFormSet = formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


def parse_years(text: str) -> list[int]:
    """The grid's columns as the page posted them ("2027,2028"), sorted; nonsense is dropped."""
    years = sorted(
        {int(part) for part in text.split(",") if part.strip().isdigit() and 1900 <= int(part) <= 2200}
    )
    return years[:MAX_YEARS_SHOWN]


def put_errors(
    case_form: CaseForm, rows: list[tuple[LineForm, LineInput]], field_errors: dict[str, list[str]]
) -> None:
    """The service's errors (`first_year`, `lines-<n>-<field>`, `lines-<n>-amount-<year>`) at the form's field
    or row that caused them (n counts the rows saved, not the blank or removed ones)."""
    for key, messages in field_errors.items():
        parts = key.split("-")
        if parts[0] == "lines" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            form = rows[int(parts[1])][0]
            name = f"y{parts[3]}" if parts[2] == "amount" and len(parts) == 4 else parts[2]
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
        else:
            for message in messages:
                case_form.add_error(key if key in case_form.fields else None, message)
