"""The import of risks, keyed by initiative code + title and checked by the risk form (see portfolio.imports)."""

from __future__ import annotations

from typing import Any

from portfolio import forms as portfolio_forms
from portfolio.imports import registry
from portfolio.imports.base import ImportFormMixin, choices_of, person_reference
from portfolio.imports.children import INITIATIVE_FIELD, InitiativeChildKind
from portfolio.imports.engine import ImportField
from risk.forms import IMPACT_CHOICES, PROBABILITY_CHOICES, RiskForm
from risk.models import Risk, RiskCategory, RiskStatus


class RiskImportForm(ImportFormMixin, RiskForm):
    resolved = ("owner",)


class RiskKind(InitiativeChildKind):
    slug = "risks"
    order = 7
    label = "Risks"
    noun = "risk"
    sheet = "Risks"
    model = Risk
    key = ("initiative", "title")
    own_key = "title"
    form_class = RiskImportForm
    fields = (
        INITIATIVE_FIELD,
        ImportField("title", "Title", ("Risk", "Name"), True, example="Payment provider late"),
        ImportField("description", "Description", ("Details",)),
        ImportField(
            "category", "Category", ("Type",), choices=choices_of(RiskCategory.choices), example="vendor"
        ),
        ImportField(
            "probability",
            "Probability",
            ("Likelihood", "P"),
            True,
            choices=choices_of(PROBABILITY_CHOICES),
            example="3",
        ),
        ImportField(
            "impact", "Impact", ("Severity", "I"), True, choices=choices_of(IMPACT_CHOICES), example="4"
        ),
        ImportField("owner", "Owner", ("Risk owner",), accepts="the username of a person"),
        ImportField(
            "mitigation", "Mitigation", ("Response", "Action"), example="Second provider on standby."
        ),
        ImportField("status", "Status", (), choices=choices_of(RiskStatus.choices), example="open"),
        ImportField("review_date", "Review date", ("Next review",), is_date=True),
    )
    references = {  # noqa: RUF012 - read only
        "owner": person_reference("No active person has the username “{value}”.", portfolio_forms.people),
    }

    def __init__(self) -> None:
        super().__init__()
        self._ambiguous: set[tuple[str, ...]] = set()

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        """Risks by initiative code and title; a title used twice on one initiative matches neither (the row
        says so), since either could be meant."""
        ids = [initiative.pk for initiative in self._initiatives.values()]
        found: dict[tuple[str, ...], Any] = {}
        self._ambiguous = set()
        rows = Risk.objects.select_for_update(of=("self",)).select_related("initiative", "owner")
        for risk in rows.filter(initiative_id__in=ids, title__in={title for _code, title in keys}):
            key = (risk.initiative.code, risk.title)
            if key in found:
                self._ambiguous.add(key)
            found[key] = risk
        return {key: risk for key, risk in found.items() if key not in self._ambiguous}

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        if self.key_of(data) in self._ambiguous:
            return (
                None,
                "title",
                (
                    f"Initiative {data.get('initiative', '')} has more than one risk with this title: rename one "
                    "of them on its page first."
                ),
            )
        return super().new_record(data)


def register_kinds() -> None:
    registry.register(RiskKind())
