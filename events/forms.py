from __future__ import annotations

from typing import Any

from django import forms

from core import outbox
from core.formkit import BearingForm
from events.models import EXECUTIVE_DIGEST, WATCHABLE, Channel

STATE_CHOICES = [("", "All"), ("unread", "Unread"), ("read", "Read")]


def kind_choices() -> list[tuple[str, str]]:
    return list(outbox.KINDS.items())


class NotificationFilterForm(BearingForm):
    kind = forms.ChoiceField(label="Kind", required=False)
    state = forms.ChoiceField(label="Read or not", choices=STATE_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Every kind"), *kind_choices()]  # type: ignore[attr-defined]


class PreferencesForm(BearingForm):
    """One choice per kind of event: how the person hears of it."""

    def __init__(self, *args: Any, current: dict[str, str], executive: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in kind_choices():
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=Channel.choices, initial=current.get(kind, Channel.IN_APP)
            )
        if executive:
            self.fields[EXECUTIVE_DIGEST] = forms.ChoiceField(
                label="The weekly executive digest",
                choices=[(Channel.WEEKLY, "By e-mail on Mondays"), (Channel.NONE, "Not at all")],
                initial=current.get(EXECUTIVE_DIGEST, Channel.WEEKLY),
            )


class WatchForm(BearingForm):
    subject_type = forms.ChoiceField(choices=[(w, w) for w in WATCHABLE])
    subject_id = forms.IntegerField(min_value=1, max_value=2**62)
    watching = forms.TypedChoiceField(choices=[("1", "Watch"), ("0", "Unwatch")], coerce=lambda v: v == "1")


class WebhookForm(BearingForm):
    name = forms.CharField(max_length=120, help_text="What it feeds, e.g. “PMO chat channel”.")
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where the events are POSTed (https, on a public address).",
    )
    kinds = forms.MultipleChoiceField(
        label="Events", choices=kind_choices, widget=forms.CheckboxSelectMultiple, help_text="The kinds sent."
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Use an http or https URL.")
        return url
