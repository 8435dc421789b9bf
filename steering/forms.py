"""Forms of the steering pages: meetings, attendance, the agenda, reviews, actions and the filters of the
decision log and the action list."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core import roles
from core.formkit import BearingForm, ListedModelChoiceField, SubmissionMixin, VersionedModelForm
from portfolio.forms import PROGRAMS, PersonChoiceField, people
from portfolio.models import Initiative, ScopeChangeStatus
from steering.models import (
    DEFAULT_MEETING_MINUTES,
    RAG,
    RAG_DIMENSIONS,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Committee,
    Decision,
    DecisionKind,
    DecisionOutcome,
    SteeringMeeting,
)
from steering.services import Condition, can_run_action

User = get_user_model()


class PeopleMultipleChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def _choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def committees_for(user: Any) -> QuerySet[Committee]:
    """The committees whose meetings `user` may plan: all for the PMO and admins, otherwise those they chair."""
    committees = Committee.objects.order_by("name")
    if roles.can_edit_portfolio(user):
        return committees
    return committees.filter(chair_id=user.pk)


class MeetingForm(VersionedModelForm):
    class Meta:
        model = SteeringMeeting
        fields = ["committee", "title", "held_on", "duration_minutes", "location", "status", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committees = committees_for(user)
        if self.instance.pk:
            committees = Committee.objects.filter(Q(pk__in=committees) | Q(pk=self.instance.committee_id))
        _choice(self, "committee").queryset = committees.order_by("name")
        _choice(self, "committee").empty_label = None if committees.count() == 1 else "---------"
        self.fields["title"].widget.attrs.setdefault("placeholder", "Portfolio steering, December 2026")
        self.fields["duration_minutes"].required = False
        self.fields["duration_minutes"].help_text = (
            "How long the meeting runs (two hours if left blank): the agenda proposes reviews up to this "
            "length, the rest for noting."
        )

    def clean_duration_minutes(self) -> int:
        return self.cleaned_data.get("duration_minutes") or DEFAULT_MEETING_MINUTES


class AttendanceForm(SubmissionMixin, BearingForm):
    """Who attended a meeting: the committee's members and anyone already recorded or invited for an item."""

    attendees = PeopleMultipleChoiceField(queryset=User.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, meeting: SteeringMeeting, invited: list[int], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"version": meeting.version, "attendees": [user.pk for user in meeting.attendees.all()]},
        )
        super().__init__(*args, **kwargs)
        self.stale_rows = []
        _choice(self, "attendees").queryset = (
            people()
            .filter(
                Q(committees=meeting.committee_id) | Q(pk__in=meeting.attendees.all()) | Q(pk__in=invited)
            )
            .distinct()
        )


class AgendaAddForm(BearingForm):
    """An initiative to put on the agenda by hand, by its code: a portfolio of thousands does not fit in a
    drop-down (the data proposes the flagged ones; the chair adds by code what the data does not flag)."""

    initiative = forms.CharField(
        label="Add an initiative",
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "Initiative code, e.g. ECOM-01", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, meeting: SteeringMeeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def clean_initiative(self) -> Initiative:
        code = self.cleaned_data["initiative"].strip()
        initiative = Initiative.objects.filter(code__iexact=code).only("pk", "code", "title", "stage").first()
        if initiative is None:
            raise forms.ValidationError(f"No initiative has the code {code}.")
        if not Initiative.objects.open().filter(pk=initiative.pk).exists():
            raise forms.ValidationError(
                f"{initiative.code} is {initiative.get_stage_display().lower()}: only open initiatives go on an "
                "agenda."
            )
        if AgendaItem.objects.filter(meeting=self.meeting, initiative=initiative).exists():
            raise forms.ValidationError(f"{initiative.code} is already on this agenda.")
        return initiative


class AgendaMoveForm(BearingForm):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")], required=False)
    position = forms.IntegerField(min_value=0, max_value=1000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("direction") and data.get("position") is None:
            raise forms.ValidationError("Say where to move the item: up, down, or to a position.")
        return data


class AgendaPlanForm(BearingForm):
    """An item's time box, or whether it is reviewed or listed for noting."""

    minutes = forms.IntegerField(min_value=0, max_value=240, required=False, label="Time box (minutes)")
    plan = forms.ChoiceField(
        choices=[("review", "Review"), ("noting", "For noting")], required=False, label="Plan"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("minutes") is None and not data.get("plan") and not self.has_error("minutes"):
            raise forms.ValidationError("Give a time box in minutes, or say whether to review or note it.")
        return data


class ScopeChangeDecisionForm(SubmissionMixin, BearingForm):
    """Approve or reject a scope change, on the version the page showed."""

    status = forms.ChoiceField(
        choices=[(ScopeChangeStatus.APPROVED, "Approve"), (ScopeChangeStatus.REJECTED, "Reject")]
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []


class VersionForm(SubmissionMixin, BearingForm):
    """Confirms an action on the version of a record the user saw (removing an agenda item)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []


RAG_CHOICES = [("", "Choose…"), *RAG.choices]


class ReviewForm(SubmissionMixin, BearingForm):
    """The committee's ratings, decision, rationale and who took part; conditions come in a formset."""

    rag_schedule = forms.ChoiceField(label="Schedule", choices=RAG_CHOICES)
    rag_cost = forms.ChoiceField(label="Cost", choices=RAG_CHOICES)
    rag_scope = forms.ChoiceField(label="Scope", choices=RAG_CHOICES)
    rag_benefits = forms.ChoiceField(label="Benefits", choices=RAG_CHOICES)
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Why the committee decided this: what it weighed, what would change its mind.",
    )
    attendees = PeopleMultipleChoiceField(queryset=User.objects.none(), label="Who took part")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    seen = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args: Any,
        item: AgendaItem,
        suggested: dict[str, dict[str, str]],
        digest: str,
        **kwargs: Any,
    ) -> None:
        meeting = item.meeting
        initial = {
            "version": item.version,
            "seen": digest,
            "attendees": [user.pk for user in meeting.attendees.all()],
            **{f"rag_{dimension}": suggested[dimension]["rag"] for dimension in suggested},
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.stale_rows = []
        initiative = item.initiative
        _choice(self, "attendees").queryset = (
            people()
            .filter(
                Q(committees=meeting.committee_id)
                | Q(pk__in=meeting.attendees.all())
                | Q(pk__in=[pk for pk in (initiative.sponsor_id, initiative.manager_id) if pk])
            )
            .distinct()
        )
        self.fields["attendees"].error_messages["required"] = "Tick who took part in the decision."
        self.fields["decision"].error_messages["required"] = "Pick the committee's decision."
        self.fields["rationale"].error_messages["required"] = "Record why the committee decided this."
        for dimension in RAG_DIMENSIONS:
            self.fields[f"rag_{dimension}"].error_messages["required"] = f"Rate {dimension}."

    def rags(self) -> dict[str, str]:
        return {dimension: self.cleaned_data[f"rag_{dimension}"] for dimension in RAG_DIMENSIONS}

    def rag_fields(self) -> list[tuple[str, Any]]:
        return [(dimension, self[f"rag_{dimension}"]) for dimension in RAG_DIMENSIONS]


class ConditionForm(BearingForm):
    title = forms.CharField(max_length=300, required=False, label="Condition")
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Initiative manager")
    due_date = forms.DateField(required=False, label="Due")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "owner").queryset = people()
        self.fields["title"].widget.attrs["placeholder"] = (
            "What must be done, e.g. present the revised business case"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("title") or "").strip() and (data.get("owner") or data.get("due_date")):
            self.add_error("title", "Say what the condition is, or clear the row.")
        return data


class BaseConditionFormSet(forms.BaseFormSet):
    def conditions(self) -> list[Condition]:
        return [
            Condition(
                title=form.cleaned_data["title"].strip(),
                owner=form.cleaned_data.get("owner"),
                due_date=form.cleaned_data.get("due_date"),
            )
            for form in self.forms
            if form.cleaned_data.get("title", "").strip()
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=3, max_num=20, validate_max=True, absolute_max=20
)


class ActionForm(VersionedModelForm):
    owner = PersonChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due_date", "status", "completed_on", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "owner").queryset = people()
        self.fields["completed_on"].help_text = "Today if left blank when you mark it done."
        self.fields["note"].help_text = "What was done, or why it is cancelled: required for either."
        if not can_run_action(user, self.instance):
            for name in ("title", "owner", "due_date"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Set by the steering committee."


class ActionStatusForm(SubmissionMixin, BearingForm):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    note = forms.CharField(max_length=2000, required=False, strip=True)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []


class DateRangeFilter(BearingForm):
    """A filter form with a range of days (date_from, date_to): an end before the start is refused."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
            self.add_error("date_to", "The end of the range is before its start.")
        return data


class DecisionLogFilterForm(DateRangeFilter):
    q = forms.CharField(label="Initiative", max_length=200, required=False, strip=True)
    decision = forms.ChoiceField(choices=[("", "All decisions"), *Decision.choices], required=False)
    committee = forms.ModelChoiceField(
        queryset=Committee.objects.none(), required=False, empty_label="All committees"
    )
    program = ListedModelChoiceField.of(PROGRAMS, required=False, empty_label="All programs")
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.all(), required=False, widget=forms.HiddenInput
    )
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "committee").queryset = Committee.objects.order_by("name")
        self.fields["q"].widget.attrs.update(placeholder="Code or title", type="search")


class PortfolioDecisionFilterForm(DateRangeFilter):
    """The filters of the decision log's portfolio decisions: what about, the outcome, an initiative's code
    or title or the subject, and the days decided."""

    q = forms.CharField(label="Subject or initiative", max_length=200, required=False, strip=True)
    kind = forms.ChoiceField(choices=[("", "All kinds"), *DecisionKind.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "All outcomes"), *DecisionOutcome.choices], required=False)
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.all(), required=False, widget=forms.HiddenInput
    )
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(placeholder="Subject, code or title", type="search")


ACTION_STATUS_FILTER = [("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled"), ("all", "All")]


class ActionFilterForm(BearingForm):
    q = forms.CharField(label="Initiative", max_length=200, required=False, strip=True)
    mine = forms.BooleanField(label="Mine only", required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)
    status = forms.ChoiceField(choices=ACTION_STATUS_FILTER, required=False)
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "owner").queryset = (
            User.objects.filter(action_items__isnull=False)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["q"].widget.attrs.update(placeholder="Code or title", type="search")
