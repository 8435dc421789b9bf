"""core.cleaning: a field's cleaning remembered only where it is a pure function of its value, a failure
raised afresh each time it is met, and Model.clean_fields' results (errors at the same fields) kept."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from core.cleaning import FieldCleaner, form_field_is_pure, model_field_is_pure
from portfolio.models import Initiative, Program


def test_a_text_number_date_or_choice_field_is_pure_and_a_query_or_callable_choices_is_not():
    assert form_field_is_pure(forms.CharField(max_length=5))
    assert form_field_is_pure(forms.DecimalField(max_digits=5, decimal_places=2, min_value=0))
    assert form_field_is_pure(forms.DateField())
    assert form_field_is_pure(forms.TypedChoiceField(choices=[(1, "1")], coerce=int))
    assert not form_field_is_pure(forms.ModelChoiceField(queryset=Program.objects.all()))
    assert not form_field_is_pure(forms.ChoiceField(choices=lambda: [("a", "A")]))
    assert not form_field_is_pure(forms.TypedChoiceField(choices=[(1, "1")], coerce=lambda value: value))
    assert not form_field_is_pure(forms.JSONField())
    assert not form_field_is_pure(forms.CharField(validators=[lambda value: None]))
    assert not form_field_is_pure(forms.CharField(disabled=True))


def test_a_model_field_is_pure_unless_it_is_a_relation_or_has_a_validator_of_its_own():
    assert model_field_is_pure(Initiative._meta.get_field("code"))  # a RegexValidator
    assert model_field_is_pure(Initiative._meta.get_field("budget_capex"))
    assert not model_field_is_pure(Initiative._meta.get_field("sponsor"))
    assert not model_field_is_pure(models.CharField(max_length=5, validators=[lambda value: None]))


def test_a_pure_fields_cleaning_is_remembered_and_a_failure_is_raised_each_time():
    # given a decimal field whose cleaning is counted
    field = forms.DecimalField(max_digits=5, decimal_places=2)
    calls: list[str] = []
    clean = field.clean

    def counted(value: str) -> object:
        calls.append(value)
        return clean(value)

    field.clean = counted  # type: ignore[method-assign]
    cleaner = FieldCleaner()

    # when a good value is cleaned twice and a bad one twice
    results = [cleaner.clean_form_field(field, "1.50"), cleaner.clean_form_field(field, "1.50")]
    messages = []
    for _ in range(2):
        with pytest.raises(ValidationError) as error:
            cleaner.clean_form_field(field, "1.505")
        messages.append(error.value.messages)

    # then the good one was cleaned once, and the bad one each time, with the field's own message
    assert results == [Decimal("1.50"), Decimal("1.50")]
    assert calls == ["1.50", "1.505", "1.505"]
    assert messages == [["Ensure that there are no more than 2 decimal places."]] * 2


def test_a_fields_impure_cleaning_is_done_every_time():
    field = forms.ChoiceField(choices=lambda: [("a", "A")])
    calls: list[str] = []
    clean = field.clean

    def counted(value: str) -> object:
        calls.append(value)
        return clean(value)

    field.clean = counted  # type: ignore[method-assign]
    cleaner = FieldCleaner()

    assert [cleaner.clean_form_field(field, "a"), cleaner.clean_form_field(field, "a")] == ["a", "a"]
    assert calls == ["a", "a"]


@pytest.mark.parametrize(
    "values",
    [
        {
            "code": "A-1",
            "title": "Fine",
            "budget_capex": Decimal("1.0"),
            "planned_start": datetime.date(2026, 1, 1),
        },
        {"code": "a 1", "title": "x" * 201, "budget_capex": Decimal("1.005"), "category": "someday"},
        {"code": "A-1", "title": "", "budget_capex": Decimal("-1E+20"), "criticality": 9},
    ],
)
def test_model_fields_are_cleaned_as_model_clean_fields_cleans_them(values):
    # given the same values cleaned by Django and by the cleaner, which has seen other values before
    cleaner = FieldCleaner()
    cleaner.clean_model_fields(Initiative(code="B-2", title="Seen", budget_capex=Decimal("1.00")))
    mine, djangos = Initiative(**values), Initiative(**values)

    # when each cleans its instance
    outcomes: list[dict[str, list[str]]] = []
    for clean in (lambda: cleaner.clean_model_fields(mine), lambda: djangos.clean_fields()):
        try:
            clean()
            outcomes.append({})
        except ValidationError as error:
            outcomes.append(error.message_dict)

    # then the errors and the cleaned values are the same
    assert outcomes[0] == outcomes[1]
    assert [getattr(mine, f.attname) for f in Initiative._meta.fields] == [
        getattr(djangos, f.attname) for f in Initiative._meta.fields
    ]


def test_decimals_equal_in_value_but_not_in_digits_are_cleaned_apart():
    # Decimal("1.0") == Decimal("1.000"), but only the first fits two decimal places
    cleaner = FieldCleaner()
    cleaner.clean_model_fields(Initiative(code="A-1", title="x", budget_capex=Decimal("1.0")))

    with pytest.raises(ValidationError) as error:
        cleaner.clean_model_fields(Initiative(code="A-1", title="x", budget_capex=Decimal("1.000")))

    assert error.value.message_dict == {
        "budget_capex": ["Ensure that there are no more than 2 decimal places."]
    }
