from __future__ import annotations

from typing import Any, cast

from django import forms

from core.formkit import VersionedModelForm
from portfolio.forms import PersonChoiceField, people
from portfolio.models import ArtefactKind
from risk.models import Risk, TierPolicy

PROBABILITY_CHOICES = [
    (1, "1: rare"),
    (2, "2: unlikely"),
    (3, "3: possible"),
    (4, "4: likely"),
    (5, "5: almost certain"),
]
IMPACT_CHOICES = [
    (1, "1: minor"),
    (2, "2: moderate"),
    (3, "3: significant"),
    (4, "4: major"),
    (5, "5: severe"),
]


class RiskForm(VersionedModelForm):
    owner = PersonChoiceField(queryset=people(), required=False)

    class Meta:
        model = Risk
        fields = [
            "title",
            "description",
            "category",
            "probability",
            "impact",
            "owner",
            "mitigation",
            "status",
            "review_date",
        ]
        widgets = {
            "probability": forms.Select(choices=PROBABILITY_CHOICES),
            "impact": forms.Select(choices=IMPACT_CHOICES),
            "description": forms.Textarea(attrs={"rows": 2}),
            "mitigation": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = people()


class TierPolicyForm(VersionedModelForm):
    required_artefacts = forms.MultipleChoiceField(
        choices=ArtefactKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TierPolicy
        fields = ["name", "description", "checkpoint_cadence_days", "required_artefacts"]
