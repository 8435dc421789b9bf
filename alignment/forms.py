from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from alignment.dashboard import DashboardFilters
from alignment.engine.rules import RULES
from alignment.models import Severity, Signal
from alignment.selectors import signal_rows
from alignment.track_record import DIMENSIONS
from core.choices import ChoiceSource, person_matches, register_source
from core.formkit import PERSON_LABEL_FIELDS, BearingForm, ListedModelChoiceField, person_label
from core.stages import STAGE_GROUPS, Stage
from portfolio.forms import PROGRAMS
from portfolio.models import Category, Objective

User = get_user_model()

PEOPLE = register_source(
    ChoiceSource(
        "people",
        lambda: User.objects.filter(is_active=True).order_by("first_name", "last_name", "pk"),
        PERSON_LABEL_FIELDS,
        person_label,
        noun="people",
        matches=person_matches,
    )
)


class TrackRecordForm(BearingForm):
    by = forms.ChoiceField(label="Record of each", choices=list(DIMENSIONS.items()), required=False)


class SinceForm(BearingForm):
    since = forms.DateField(label="Changes since", required=False)


class SignalFilterForm(BearingForm):
    rule = forms.ChoiceField(choices=[], required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    owner = ListedModelChoiceField.of(PEOPLE, required=False, empty_label="Any owner")
    program = ListedModelChoiceField.of(PROGRAMS, required=False, empty_label="All programs")
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["rule"]).choices = [
            ("", "All rules"),
            *((name, rule.title) for name, rule in RULES.items()),
        ]

    def rows(self) -> QuerySet[Signal]:
        """The signals these filters select, unordered (the list's page and its export)."""
        values = self.cleaned_data
        return signal_rows(
            rule=values["rule"], severity=values["severity"], owner=values["owner"], program=values["program"]
        )


class DashboardFilterForm(BearingForm):
    """The dashboard's filters, read from the query string so a filtered view can be shared."""

    program = ListedModelChoiceField.of(PROGRAMS, required=False, empty_label="All programs")
    theme = forms.ModelChoiceField(
        queryset=Objective.objects.none(), required=False, empty_label="All themes", label="Strategic theme"
    )
    tier = forms.TypedChoiceField(
        choices=[("", "All tiers"), ("1", "Tier 1"), ("2", "Tier 2"), ("3", "Tier 3")],
        coerce=int,
        required=False,
        empty_value=None,
    )
    stage = forms.ChoiceField(
        choices=[
            ("", "All stages"),
            *((key, label) for key, (label, _) in STAGE_GROUPS.items()),
            *Stage.choices,
        ],
        required=False,
    )
    category = forms.ChoiceField(choices=[("", "All categories"), *Category.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        themes = Objective.objects.filter(parent__isnull=True).order_by("code")
        cast(forms.ModelChoiceField, self.fields["theme"]).queryset = themes

    def filters(self) -> DashboardFilters:
        data = self.cleaned_data
        return DashboardFilters(
            program=data["program"].pk if data.get("program") else None,
            theme=data["theme"].pk if data.get("theme") else None,
            tier=data.get("tier"),
            stage=data.get("stage") or "",
            category=data.get("category") or "",
        )
