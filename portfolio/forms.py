"""Forms for what the PMO enters. Validation of the record itself lives on the models (clean, constraints)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.choices import ChoiceSource, person_matches, register_source
from core.extensions import registry
from core.formkit import (
    PERSON_LABEL_FIELDS,
    BearingForm,
    ListedModelChoiceField,
    VersionedModelForm,
    person_label,
)
from core.stages import STAGE_GROUPS, Stage
from portfolio import rationale as rationale_rule
from portfolio import selectors
from portfolio.models import (
    KPI,
    Artefact,
    Category,
    Contribution,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    ObjectiveStatus,
    Program,
    Reading,
    ScopeChange,
)
from portfolio.models.initiatives import KPI_OF_ANOTHER_OBJECTIVE

# lists a filter may name one of, which grow with the portfolio: shown in part, with a search box (core.choices)
PROGRAMS = register_source(
    ChoiceSource("programs", lambda: Program.objects.order_by("name", "pk"), ("name",), noun="programs")
)
SPONSORS = register_source(
    ChoiceSource(
        "sponsors",
        lambda: selectors.sponsors().order_by("first_name", "last_name", "pk"),
        PERSON_LABEL_FIELDS,
        person_label,
        noun="sponsors",
        matches=person_matches,
    )
)
OBJECTIVES = register_source(
    ChoiceSource(
        "objectives", lambda: Objective.objects.order_by("code", "pk"), ("code", "title"), noun="objectives"
    )
)

User = get_user_model()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def people() -> QuerySet[Any]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def executives() -> QuerySet[Any]:
    return people().filter(Q(groups__name=roles.EXECUTIVE) | Q(is_superuser=True)).distinct()


def managers() -> QuerySet[Any]:
    return people().filter(groups__name__in=[roles.MANAGER, roles.PMO]).distinct()


class InitiativeForm(VersionedModelForm):
    sponsor = PersonChoiceField(queryset=executives(), required=False, help_text="An executive.")
    manager = PersonChoiceField(queryset=managers(), required=False)
    sustainment_owner = PersonChoiceField(
        queryset=people(), required=False, help_text="Who owns the solution and its benefits after go-live."
    )

    class Meta:
        model = Initiative
        fields = [
            "code",
            "title",
            "description",
            "program",
            "category",
            "stage",
            "sponsor",
            "manager",
            "sustainment_owner",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "go_live_date",
            "budget_capex",
            "budget_opex",
            "actual_cost",
            "forecast_cost",
            "requirements_clarity",
            "criticality",
            "urgency",
            "mandatory",
            "mandatory_reason",
            "wsjf_business_value",
            "wsjf_time_criticality",
            "wsjf_risk_reduction",
            "wsjf_job_size",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["sponsor"]).queryset = executives()
        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = managers()
        owner = cast(forms.ModelChoiceField, self.fields["sustainment_owner"])
        owner.queryset = people()
        owner.empty_label = "Not named yet"
        cast(forms.ModelChoiceField, self.fields["program"]).empty_label = "No program"
        self.fields["requirements_clarity"].widget = forms.Select(
            choices=[
                ("", "Not assessed"),
                (1, "1: vague"),
                (2, "2"),
                (3, "3"),
                (4, "4"),
                (5, "5: signed off"),
            ]
        )
        self.fields["criticality"].widget = forms.Select(
            choices=[
                (1, "1: nice to have"),
                (2, "2"),
                (3, "3"),
                (4, "4"),
                (5, "5: business stops without it"),
            ]
        )
        self.fields["urgency"].widget = forms.Select(
            choices=[
                ("", "Not assessed"),
                (1, "1: can wait a year or more"),
                (2, "2"),
                (3, "3"),
                (4, "4"),
                (5, "5: needed now"),
            ]
        )
        if user is not None and not roles.can_edit_portfolio(user):
            for name in ("sponsor", "manager"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only the PMO reassigns this."


class SustainmentOwnerForm(VersionedModelForm):
    """Just the sustainment owner: what the worklist asks for, without the initiative's twenty other fields."""

    sustainment_owner = PersonChoiceField(
        queryset=people(),
        label="Sustainment owner",
        help_text="Who owns the solution and its benefits after go-live.",
        error_messages={"required": "Choose who owns the solution after go-live."},
    )

    class Meta:
        model = Initiative
        fields = ["sustainment_owner"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["sustainment_owner"])
        owner.queryset = people()
        owner.empty_label = "Choose a person"


class KPIChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.objective.code} · {obj.name} ({obj.unit})"


class ContributionForm(VersionedModelForm):
    """A contribution: the KPI select offers only the KPIs of the objective chosen (and of its sub-objectives),
    refreshed by htmx when the objective changes. The model's validation (run by the form, so the messages
    come at the fields before anything is saved) refuses a rationale that is not a real one
    (portfolio.rationale) and a KPI of another objective."""

    kpi = KPIChoiceField(
        queryset=KPI.objects.none(),
        required=False,
        label="KPI",
        error_messages={"invalid_choice": KPI_OF_ANOTHER_OBJECTIVE},
    )

    class Meta:
        model = Contribution
        fields = ["objective", "strength", "rationale", "kpi", "expected_change"]
        widgets = {"rationale": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        objectives = Objective.objects.active()
        if self.instance.pk:
            objectives = Objective.objects.filter(
                Q(status=ObjectiveStatus.ACTIVE) | Q(pk=self.instance.objective_id)
            )
        objective = cast(forms.ModelChoiceField, self.fields["objective"])
        objective.queryset = objectives.order_by("code")
        objective.widget.attrs.update(
            {
                "hx-get": reverse("portfolio:contribution-kpi-options"),
                "hx-trigger": "change",
                "hx-target": "next .field-kpi",
                "hx-swap": "outerHTML",
                "hx-include": "this, [name='kpi']",
                "hx-params": "objective,kpi",
            }
        )
        kpi = cast(forms.ModelChoiceField, self.fields["kpi"])
        chosen = self.chosen_objective()
        kpi.queryset = self.kpis_of(chosen)
        if chosen is None:
            kpi.empty_label = "None (choose the objective first)"
        elif not kpi.queryset.exists():
            kpi.empty_label = "None (this objective has no KPI)"
        else:
            kpi.empty_label = "None"
        self.fields["rationale"].help_text = (
            "How this initiative moves this objective: the mechanism, not a slogan "
            f"(at least {rationale_rule.MIN_LENGTH} characters and {rationale_rule.MIN_WORDS} words)."
        )

    def chosen_objective(self) -> int | None:
        """The objective the form is about: the one posted, else the record's, else the initial one."""
        value = self.data.get(self.add_prefix("objective")) if self.is_bound else None
        if value is None:
            value = self.initial.get("objective") or self.instance.objective_id
        text = str(getattr(value, "pk", value) or "")
        return int(text) if text.isdigit() and len(text) < 19 else None

    @staticmethod
    def kpis_of(objective_id: int | None) -> QuerySet[KPI]:
        """The KPIs a contribution to this objective may name: its own and its sub-objectives'."""
        if objective_id is None:
            return KPI.objects.none()
        return (
            KPI.objects.filter(objective_id__in=Objective.subtree_ids(objective_id))
            .select_related("objective")
            .order_by("objective__code", "name")
        )

    def clean_objective(self) -> Objective:
        objective = self.cleaned_data["objective"]
        taken = Contribution.objects.filter(initiative_id=self.instance.initiative_id, objective=objective)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                "This initiative already contributes to this objective; edit that one."
            )
        return objective


class MilestoneForm(VersionedModelForm):
    class Meta:
        model = Milestone
        fields = ["name", "baseline_date", "forecast_date", "actual_date"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        taken = Milestone.objects.filter(initiative_id=self.instance.initiative_id, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This initiative already has a milestone with this name.")
        return name


class ScopeChangeForm(VersionedModelForm):
    approved_by = PersonChoiceField(queryset=people(), required=False, label="Approved or rejected by")

    class Meta:
        model = ScopeChange
        fields = [
            "date",
            "description",
            "rationale",
            "cost_impact",
            "schedule_impact_days",
            "status",
            "approved_by",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["approved_by"]).queryset = people()
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()


class ArtefactForm(VersionedModelForm):
    class Meta:
        model = Artefact
        fields = ["kind", "title", "reference", "dated"]

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        taken = Artefact.objects.filter(initiative_id=self.instance.initiative_id, kind=kind)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This initiative already has this artefact; update the existing one.")
        return kind


class ObjectiveForm(VersionedModelForm):
    owner = PersonChoiceField(queryset=people(), required=False)

    class Meta:
        model = Objective
        fields = [
            "parent",
            "code",
            "title",
            "description",
            "owner",
            "horizon_start",
            "horizon_end",
            "status",
            "local_weight",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = people()
        parents = Objective.objects.order_by("code")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parent.queryset = parents
        parent.empty_label = "None: this is a strategic theme"


class KPIForm(VersionedModelForm):
    class Meta:
        model = KPI
        fields = [
            "objective",
            "name",
            "description",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = Objective.objects.order_by("code")


class ReadingForm(VersionedModelForm):
    class Meta:
        model = Reading
        fields = ["date", "value", "source"]

    def __init__(self, *args: Any, kpi: KPI | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kpi is not None:
            self.instance.kpi = kpi
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()
        if self.instance.kpi_id:
            self.fields["value"].help_text = f"In {self.instance.kpi.unit}."

    def clean_date(self) -> Any:
        date = self.cleaned_data["date"]
        taken = Reading.objects.filter(kpi_id=self.instance.kpi_id, date=date)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a reading on this date; edit that one instead.")
        return date


class InterimTargetForm(VersionedModelForm):
    class Meta:
        model = InterimTarget
        fields = ["date", "value"]
        help_texts = {"date": "Between the KPI's baseline and target dates."}

    def __init__(self, *args: Any, kpi: KPI, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.kpi = kpi


class ProgramForm(VersionedModelForm):
    class Meta:
        model = Program
        fields = ["name", "description", "owner"]


PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]


class RegisterFilterForm(BearingForm):
    """The register's search, filters, sort and page, read from the query string (so URLs can be shared)."""

    q = forms.CharField(label="Search", max_length=200, required=False, strip=True)
    stage = forms.ChoiceField(
        choices=[
            ("", "All stages"),
            *((key, label) for key, (label, _) in STAGE_GROUPS.items()),
            *Stage.choices,
        ],
        required=False,
    )
    category = forms.ChoiceField(choices=[("", "All categories"), *Category.choices], required=False)
    program = ListedModelChoiceField.of(PROGRAMS, required=False, empty_label="All programs")
    sponsor = ListedModelChoiceField.of(SPONSORS, required=False, empty_label="All sponsors")
    objective = ListedModelChoiceField.of(OBJECTIVES, required=False, empty_label="All objectives")
    sort = forms.ChoiceField(choices=[], required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)
    per_page = forms.TypedChoiceField(
        choices=PER_PAGE_CHOICES,
        coerce=int,
        required=False,
        empty_value=50,  # type: ignore[arg-type]  # stubs say str | None; Django takes any value
    )

    def __init__(self, *args: Any, sort_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sort_choices = [("", "")] + [(k, k) for key in sort_keys for k in (key, f"-{key}")]
        cast(forms.ChoiceField, self.fields["sort"]).choices = sort_choices
        for column in registry.ordered_columns():
            if column.filter_choices:
                self.fields[column.key] = forms.ChoiceField(
                    label=column.label,
                    choices=[("", f"Any {column.label.lower()}"), *column.filter_choices],
                    required=False,
                )

    def filters(self) -> selectors.RegisterFilters:
        data = self.cleaned_data
        return selectors.RegisterFilters(
            q=data.get("q") or "",
            stage=data.get("stage") or "",
            category=data.get("category") or "",
            program=data["program"].pk if data.get("program") else None,
            sponsor=data["sponsor"].pk if data.get("sponsor") else None,
            objective=data["objective"].pk if data.get("objective") else None,
            sort=data.get("sort") or "code",
            extra={
                column.key: data[column.key]
                for column in registry.ordered_columns()
                if column.filter_choices and data.get(column.key)
            },
        )


MILESTONE_STATES = [
    ("due", "Due: baseline date passed"),
    ("late", "Due and not delivered on time"),
    ("on_time", "Delivered by the baseline date"),
    ("upcoming", "Not due yet"),
    ("", "All milestones"),
]


class MilestoneFilterForm(BearingForm):
    state = forms.ChoiceField(choices=MILESTONE_STATES, required=False)
    stage = RegisterFilterForm.base_fields["stage"]
    category = RegisterFilterForm.base_fields["category"]
    program = RegisterFilterForm.base_fields["program"]
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def rows(self, today: datetime.date) -> QuerySet[Milestone]:
        """The milestones these filters select, as the list shows them (its page and its export)."""
        values = self.cleaned_data
        return selectors.milestone_list(
            state=values["state"],
            stage=values["stage"],
            category=values["category"],
            program=values["program"].pk if values["program"] else None,
            today=today,
        )


def _record_field(model: type[Any]) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=model.objects.all(), required=False, widget=forms.HiddenInput)


class ObjectiveExportForm(BearingForm):
    """What the objective tree's export takes from the page's query string: the branch shown (`root`)."""

    root = _record_field(Objective)


class KPIExportForm(BearingForm):
    """The KPI export's filter: one objective's KPIs, or every KPI."""

    objective = _record_field(Objective)


class BenefitExportForm(BearingForm):
    """The benefit plan exports' filter: one initiative's plans (by its code), or every plan."""

    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.all(), to_field_name="code", required=False, widget=forms.HiddenInput
    )


class ReadingExportForm(BearingForm):
    """The reading export's filters: one objective's or one KPI's readings, or every reading."""

    objective = _record_field(Objective)
    kpi = _record_field(KPI)
