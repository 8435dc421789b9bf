"""A benefit plan's edit form: owner, KPI and source of actuals, and one row per quarter (expected, actual).
The quarters' cells are named as the service names their errors (`q2027-1-expected`), so each error is shown
at its cell. Works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms

from portfolio.benefits import Quarter
from portfolio.forms import PersonChoiceField, people
from portfolio.models import KPI, ActualsSource
from portfolio.services.benefits import PeriodInput


def cell_name(quarter: Quarter, column: str) -> str:
    return f"q{quarter.year}-{quarter.quarter}-{column}"


class PlanForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    owner = PersonChoiceField(queryset=people(), required=False, label="Owner")
    kpi = forms.ModelChoiceField(queryset=KPI.objects.none(), required=False, label="Measured by KPI")
    source = forms.ChoiceField(choices=ActualsSource.choices, label="Actuals", widget=forms.RadioSelect)

    def __init__(self, *args: Any, quarters: list[Quarter], owner_default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quarters = quarters
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.empty_label = f"The sustainment owner ({owner_default})"
        kpi = self.fields["kpi"]
        assert isinstance(kpi, forms.ModelChoiceField)
        kpi.queryset = KPI.objects.select_related("objective").order_by("name")
        kpi.empty_label = "None"
        for name in ("owner", "kpi"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for quarter in quarters:
            for column in ("expected", "actual"):
                self.fields[cell_name(quarter, column)] = forms.CharField(
                    required=False, max_length=40, label=f"{column.capitalize()}, {quarter.label}"
                )

    def grid(self) -> list[tuple[Quarter, list[forms.BoundField]]]:
        return [(q, [self[cell_name(q, "expected")], self[cell_name(q, "actual")]]) for q in self.quarters]

    def periods(self) -> dict[Quarter, PeriodInput]:
        data = self.cleaned_data
        return {
            q: PeriodInput(
                (data.get(cell_name(q, "expected")) or "").strip(),
                (data.get(cell_name(q, "actual")) or "").strip(),
            )
            for q in self.quarters
        }

    def put_errors(self, field_errors: dict[str, list[str]]) -> None:
        for key, messages in field_errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
