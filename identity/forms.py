from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from core import roles
from core.formkit import BearingForm, SubmissionMixin
from identity.models import EventKind

ROLE_CHOICES = [(name, name) for name in roles.ALL_ROLES]
ROLE_BOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
ROLE_HELP = (
    "Executives read everything; PMO edits the portfolio; an initiative manager edits their own initiatives; "
    "steering members record decisions; admins administer, accounts included."
)


class _Submission(SubmissionMixin, BearingForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []


class InviteForm(_Submission):
    email = forms.EmailField(label="E-mail", max_length=254, help_text="The one-time link is sent here.")
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use letters, digits and @ . + - _ only."},
        help_text="What they sign in with.",
    )
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=ROLE_BOXES, required=False, help_text=ROLE_HELP
    )


class RolesForm(_Submission):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=ROLE_BOXES, required=False, help_text=ROLE_HELP
    )


class AccountFilterForm(BearingForm):
    q = forms.CharField(label="Search", max_length=100, required=False)
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            ("active", "Active"),
            ("invited", "Invited, not yet accepted"),
            ("deactivated", "Deactivated"),
        ],
        required=False,
    )
    role = forms.ChoiceField(choices=[("", "Any role"), ("none", "No role"), *ROLE_CHOICES], required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(placeholder="Username, name or e-mail", type="search")


class AuditFilterForm(BearingForm):
    q = forms.CharField(label="Account", max_length=150, required=False)
    kind = forms.ChoiceField(label="Event", choices=[("", "Every event"), *EventKind.choices], required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(placeholder="Username", type="search")


class ChoosePasswordForm(BearingForm):
    """The invited person's first password, checked by the site's password validators."""

    new_password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_password2(self) -> str:
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2", "")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords differ.")
        password_validation.validate_password(second, self.user)
        return second
