"""A form's and a model's field cleaning, the same calls with the same results, remembered for values seen
before: for checking thousands of rows with one form (an import), where most columns repeat a few values
(a stage, a category, a sponsor, a date).

A field's cleaning is remembered only when it is a pure function of the text it reads: Django's own text,
number, date and choice fields with validators of Django's own plain kinds (no query, no callable choices, no
coercion of our own). A value that fails is cleaned again each time it is met, so its message is the field's
own, raised afresh. Anything else is cleaned as Django cleans it. The rules stay the fields': nothing is
restated.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import DatabaseDefault
from django.utils.choices import CallableChoiceIterator

PLAIN_VALIDATORS = (
    validators.RegexValidator,
    validators.MaxLengthValidator,
    validators.MinLengthValidator,
    validators.MaxValueValidator,
    validators.MinValueValidator,
    validators.DecimalValidator,
    validators.ProhibitNullCharactersValidator,
    validators.StepValueValidator,
)
PURE_FORM_FIELDS = (
    forms.CharField,
    forms.IntegerField,  # DecimalField and FloatField too
    forms.DateField,
    forms.ChoiceField,
    forms.BooleanField,
)
PURE_MODEL_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,  # the small, big and positive kinds too
    models.DecimalField,
    models.FloatField,
    models.DateField,  # DateTimeField too
    models.BooleanField,
)
_MISSING = object()


def _plain_validators(field: Any) -> bool:
    return all(isinstance(validator, PLAIN_VALIDATORS) for validator in field.validators)


def form_field_is_pure(field: forms.Field) -> bool:
    """Whether the field's clean() depends on nothing but the text it is given."""
    if not isinstance(field, PURE_FORM_FIELDS) or field.disabled:
        return False
    if isinstance(
        field, forms.ModelChoiceField | forms.FileField | forms.JSONField | forms.MultipleChoiceField
    ):
        return False  # a query, a file, or a value that can be changed in place
    if isinstance(field, forms.ChoiceField):
        if isinstance(field.choices, CallableChoiceIterator):
            return False
        if isinstance(field, forms.TypedChoiceField) and not _model_coercion(field.coerce):
            return False
    return _plain_validators(field)


def _model_coercion(coerce: Any) -> bool:
    """A typed choice's coercion is a model field's to_python (as a model form makes it) or a plain type."""
    owner = getattr(coerce, "__self__", None)
    if isinstance(owner, PURE_MODEL_FIELDS) and getattr(coerce, "__name__", "") == "to_python":
        return True
    return coerce in (str, int, Decimal)


def model_field_is_pure(field: models.Field[Any, Any]) -> bool:
    """Whether the model field's clean() depends on nothing but the value (no query, no other field)."""
    return (
        isinstance(field, PURE_MODEL_FIELDS)
        and not field.is_relation
        and not field.generated
        and _plain_validators(field)
    )


class FieldCleaner:
    """Remembers the cleaned value of each pure field for each text (form) or value (model) it has cleaned.
    Keep one per batch of rows: it grows with the distinct values it meets."""

    def __init__(self) -> None:
        self._form_results: dict[tuple[int, str], Any] = {}
        self._model_results: dict[tuple[int, type, Any], Any] = {}
        self._pure_form: dict[int, tuple[forms.Field, bool]] = {}

    def clean_form_field(self, field: forms.Field, value: Any) -> Any:
        """field.clean(value), remembered for text values of a pure field."""
        if type(value) is not str or not self.is_pure(field):
            return field.clean(value)
        return self.clean_text(field, value)

    def is_pure(self, field: forms.Field) -> bool:
        """form_field_is_pure(field), worked out once per field (which is kept, so its id is never another's)."""
        known = self._pure_form.get(id(field))
        if known is None or known[0] is not field:
            known = self._pure_form[id(field)] = (field, form_field_is_pure(field))
        return known[1]

    def clean_text(self, field: forms.Field, text: str) -> Any:
        """field.clean(text) for a field is_pure said is pure, remembered (a failure is not)."""
        key = (id(field), text)
        result = self._form_results.get(key, _MISSING)
        if result is _MISSING:
            result = self._form_results[key] = field.clean(text)
        return result

    def clean_model_fields(self, instance: models.Model, exclude: set[str] | None = None) -> None:
        """Model.clean_fields (the same fields skipped, the same errors at the same fields), with the
        cleaning of pure fields remembered by value."""
        exclude = exclude or set()
        errors: dict[str, Any] = {}
        for f, name, attname, blank, pure, standard_empty in _model_plan(type(instance)):
            if name in exclude:
                continue
            raw_value = getattr(instance, attname)
            kind = type(raw_value)
            if blank and (
                # what `in f.empty_values` finds for a value of a keyed type, without comparing it to each
                raw_value == "" if standard_empty and kind in KEYED_TYPES else raw_value in f.empty_values
            ):
                continue
            if isinstance(raw_value, DatabaseDefault):
                continue
            key = None
            if pure and kind in KEYED_TYPES:
                # Decimal("1.0") == Decimal("1.00"), but their digits differ for a DecimalValidator
                key = (id(f), kind, str(raw_value) if kind is Decimal else raw_value)
                cleaned = self._model_results.get(key, _MISSING)
                if cleaned is not _MISSING:
                    setattr(instance, attname, cleaned)
                    continue
            try:
                cleaned = f.clean(raw_value, instance)
            except ValidationError as error:
                errors[name] = error.error_list
                continue
            if key is not None:
                self._model_results[key] = cleaned
            setattr(instance, attname, cleaned)
        if errors:
            raise ValidationError(errors)


# the kinds of value whose cleaning is remembered (not a datetime, nor a float: NaN is not equal to itself)
KEYED_TYPES = frozenset({str, int, bool, Decimal, datetime.date})


@functools.cache
def _model_plan(model: type[models.Model]) -> tuple[tuple[Any, str, str, bool, bool, bool], ...]:
    """Each field Model.clean_fields cleans (not a generated one): (field, name, attname, may be blank,
    pure, its empty values are Django's usual ones), in the model's order; worked out once per model."""
    return tuple(
        (
            f,
            f.name,
            f.attname,
            bool(f.blank),
            model_field_is_pure(f),
            list(f.empty_values) == list(validators.EMPTY_VALUES),
        )
        for f in model._meta.fields
        if not f.generated
    )
