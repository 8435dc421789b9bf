"""Forms for teams, members, capacity overrides, run demand, effort estimates and the capacity policy. Months
are typed as YYYY-MM (a MonthField) and stored as their first day."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms

from capacity.models import (
    MAX_PERSON_DAYS,
    CapacityOverride,
    ChangeDemand,
    RunCategory,
    RunDemand,
    Team,
    TeamMember,
)
from capacity.months import parse_month, short
from core.formkit import BearingForm, VersionedModelForm
from portfolio.forms import PersonChoiceField, people

MONTH_HELP = "A month, written YYYY-MM (e.g. 2027-03)."


class MonthField(forms.Field):
    """A month typed as YYYY-MM, cleaned to the date of its first day."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", MONTH_HELP)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric", "maxlength": 7}),
        )
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            return short(value)
        return value

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        month = parse_month(str(value)) if len(str(value)) <= 10 else None
        if month is None:
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2027-03 (years 2000 to 2100).")
        return month

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.prepare_value(initial) != (data or "")


def person_days_field(label: str = "Person-days", **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=MAX_PERSON_DAYS,
        max_digits=9,
        decimal_places=1,
        **kwargs,
    )


class TeamForm(VersionedModelForm):
    manager = PersonChoiceField(queryset=people(), required=False)

    class Meta:
        model = Team
        fields = ["name", "description", "manager"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = people()


class TeamMemberForm(VersionedModelForm):
    user = PersonChoiceField(queryset=people(), required=False, help_text="Or give the person's name above.")
    start_month = MonthField(required=False, help_text="First month in the team; empty: always.")
    end_month = MonthField(required=False, help_text="Last month in the team; empty: open-ended.")

    class Meta:
        model = TeamMember
        fields = ["name", "user", "availability", "start_month", "end_month"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = people()


class CapacityOverrideForm(VersionedModelForm):
    month = MonthField()
    person_days = person_days_field("Capacity (person-days)")

    class Meta:
        model = CapacityOverride
        fields = ["month", "person_days", "reason"]


class RunDemandForm(VersionedModelForm):
    month = MonthField()
    person_days = person_days_field()

    class Meta:
        model = RunDemand
        fields = ["month", "category", "person_days", "note"]


class RunFillForm(BearingForm):
    """Run demand of one category, the same every month over a range of months."""

    category = forms.ChoiceField(choices=RunCategory.choices)
    first_month = MonthField(label="From month")
    last_month = MonthField(label="To month")
    person_days = person_days_field("Person-days each month")
    note = forms.CharField(max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and last < first:
            self.add_error("last_month", "The last month cannot come before the first.")
        return data


class ChangeDemandForm(VersionedModelForm):
    person_days = person_days_field("Effort (person-days over the whole plan)")

    class Meta:
        model = ChangeDemand
        fields = ["team", "person_days", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast(forms.ModelChoiceField, self.fields["team"])
        team.queryset = Team.objects.order_by("name")
        if self.instance.pk:
            team.disabled = True
            team.help_text = "An estimate stays with its team; delete it and add another to move it."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        initiative_id = getattr(self.instance, "initiative_id", None)
        team = data.get("team")
        if (
            team is not None
            and initiative_id is not None
            and ChangeDemand.objects.filter(initiative_id=initiative_id, team=team)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("team", "This initiative already has an estimate for this team; edit that one.")
        return data


class MonthsForm(BearingForm):
    """An estimate's months, one field per month (month_YYYY_MM), plus its version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, months: dict[datetime.date, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for month, days in sorted(months.items()):
            self.fields[f"month_{month:%Y_%m}"] = person_days_field(
                short(month), initial=days.quantize(Decimal("0.1")), required=False
            )
        self.stale = False
        self.stale_rows: list[tuple[str, str, str]] = []

    def months(self) -> dict[datetime.date, Decimal]:
        found: dict[datetime.date, Decimal] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("month_") and value is not None:
                year, month = name[6:].split("_")
                found[datetime.date(int(year), int(month), 1)] = value
        return found


class PolicyForm(BearingForm):
    change_share_target = forms.DecimalField(
        label="Change share target (%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        help_text="The share of capacity that run demand should leave for change.",
    )
    overload_threshold = forms.DecimalField(
        label="Over-allocation threshold (%)",
        min_value=Decimal("50"),
        max_value=Decimal("200"),
        max_digits=4,
        decimal_places=1,
        help_text="A team-month whose utilisation passes this is over-allocated.",
    )
    max_shift_months = forms.IntegerField(
        label="Start shift allowed (months)",
        min_value=0,
        max_value=12,
        help_text="How many months a scenario may move an initiative's start later to fit team capacity "
        "(0: none); a scenario may set its own.",
    )
    note = forms.CharField(
        max_length=300, required=False, help_text="Why this version: who decided, and when."
    )


WINDOW_CHOICES = [(6, "6 months"), (12, "12 months"), (18, "18 months"), (24, "24 months"), (36, "36 months")]


class HeatMapForm(BearingForm):
    """The heat map's window and layers, from the query string."""

    start = MonthField(required=False, label="From month", help_text="")
    months = forms.TypedChoiceField(choices=WINDOW_CHOICES, coerce=int, required=False, label="Window")
    proposals = forms.BooleanField(required=False, label="Include proposals (ideas and proposed)")
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)
