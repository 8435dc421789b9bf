"""The survey's forms: a round's settings, a question, a leader to ask, and the answer form built from a round's
questions. Each refused service call puts its message at the field that caused it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from core.formkit import BearingForm, SubmissionMixin, VersionedModelForm
from portfolio.models import Program
from surveys.models import ANSWER_MAX_LENGTH, Question, QuestionKind, Side, SurveyRound


class RoundForm(VersionedModelForm):
    class Meta:
        model = SurveyRound
        fields = ["title", "program", "anonymised", "closes_on"]
        widgets = {"closes_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.fields["program"]
        assert isinstance(program, forms.ModelChoiceField)
        program.queryset = Program.objects.order_by("name")
        program.empty_label = "Whole portfolio"
        program.help_text = "The program whose leaders are asked; the default questions name its objectives."
        self.fields["title"].widget.attrs.setdefault(
            "placeholder", "Checkout program, leadership alignment Q1"
        )
        if self.instance.pk and not self.instance.is_draft:
            program.disabled = True


class QuestionForm(SubmissionMixin, BearingForm):
    kind = forms.ChoiceField(choices=QuestionKind.choices, initial=QuestionKind.TEXT)
    text = forms.CharField(max_length=500, label="Question")
    help_text = forms.CharField(max_length=500, required=False, label="Hint for the leaders")
    items = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Scale items",
        help_text="For a scale question: one item a line, each rated 1-5.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []

    def item_lines(self) -> list[str]:
        return str(self.cleaned_data.get("items") or "").splitlines()


class QuestionEditForm(SubmissionMixin, BearingForm):
    """Reword a question: its text and hint, with the wording the user saw (so a change meanwhile is caught)."""

    text = forms.CharField(max_length=500, label="Question")
    help_text = forms.CharField(max_length=500, required=False, label="Hint for the leaders")
    was_text = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    was_help_text = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, question: Question | None = None, **kwargs: Any) -> None:
        if question is not None and (not args or args[0] is None) and kwargs.get("data") is None:
            kwargs["initial"] = {
                "text": question.text,
                "help_text": question.help_text,
                "was_text": question.text,
                "was_help_text": question.help_text,
            }
        # in place of a question, next to the form that adds one: ids of its own
        kwargs.setdefault("auto_id", "id_edit_%s")
        super().__init__(*args, **kwargs)
        self.stale_rows = []

    def expected(self) -> tuple[str, str] | None:
        """The wording the user saw, when the form carried it."""
        if not self.data.get(self.add_prefix("was_text")):
            return None
        return (self.cleaned_data.get("was_text") or "", self.cleaned_data.get("was_help_text") or "")


class RespondentForm(SubmissionMixin, BearingForm):
    side = forms.ChoiceField(choices=Side.choices)
    name = forms.CharField(max_length=120)
    email = forms.EmailField(label="E-mail")
    account = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Bearing account (optional)",
        help_text="Lets the leader answer signed in, as well as through the link.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []
        account = self.fields["account"]
        assert isinstance(account, forms.ModelChoiceField)
        account.queryset = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        account.label_from_instance = _person  # type: ignore[method-assign,assignment]


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


RATINGS = [(str(n), str(n)) for n in range(1, 6)]


class AnswerForm(SubmissionMixin, BearingForm):
    """A leader's answers: a text field per free-text question (q<id>), a 1-5 choice per scale item (i<id>)."""

    def __init__(self, *args: Any, questions: list[Question], initial_answers: dict[str, Any], **kwargs: Any):
        super().__init__(*args, initial=initial_answers, **kwargs)
        self.stale_rows = []
        self.questions = questions
        for question in questions:
            if question.kind == QuestionKind.TEXT:
                self.fields[f"q{question.pk}"] = forms.CharField(
                    label=question.text,
                    help_text=question.help_text,
                    max_length=ANSWER_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
            else:
                for item in question.items.all():
                    self.fields[f"i{item.pk}"] = forms.TypedChoiceField(
                        label=item.label,
                        choices=RATINGS,
                        coerce=int,
                        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    )
        self._style_widgets()

    def sections(self) -> list[tuple[Question, list[Any]]]:
        """Each question with the bound fields it shows (one for a text question, one per scale item)."""
        out = []
        for question in self.questions:
            if question.kind == QuestionKind.TEXT:
                out.append((question, [self[f"q{question.pk}"]]))
            else:
                out.append((question, [self[f"i{item.pk}"] for item in question.items.all()]))
        return out

    def answers(self) -> dict[int, str]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items() if name.startswith("q")}

    def ratings(self) -> dict[int, int]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items() if name.startswith("i")}
