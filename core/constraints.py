"""A model's check constraints evaluated on an unsaved instance in Python, with no query.

Django validates a CheckConstraint by asking the database (`SELECT 1 WHERE <condition>`): one query per
constraint per record. An import checks thousands of records, so it evaluates each constraint's own
condition here instead, for the simple lookups our constraints use (comparisons, isnull, exact, F() of another
field, AND/OR/NOT), with SQL's rule that an unknown (NULL) result passes. Anything else falls back to
Django's own check. The rule stays the constraint's: nothing is restated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP


class Unsupported(Exception):
    """A condition this evaluator does not read: Django's own check is used."""


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _value(instance: models.Model, name: str) -> Any:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        raise Unsupported(name) from None
    if not isinstance(field, models.Field) or field.many_to_many:
        raise Unsupported(name)
    return getattr(instance, field.attname)


def _leaf(instance: models.Model, lookup: str, expected: Any) -> bool | None:
    name, _, kind = lookup.partition(LOOKUP_SEP)
    kind = kind or "exact"
    if LOOKUP_SEP in kind:
        raise Unsupported(lookup)
    value = _value(instance, name)
    if kind == "isnull":
        return (value is None) == bool(expected)
    if isinstance(expected, F):
        expected = _value(instance, expected.name)
    elif hasattr(expected, "resolve_expression"):
        raise Unsupported(lookup)
    if kind not in COMPARISONS:
        raise Unsupported(lookup)
    if value is None or expected is None:
        return None  # SQL: a comparison with NULL is unknown
    return COMPARISONS[kind](value, expected)


def evaluate(condition: Q, instance: models.Model) -> bool | None:
    """The condition's truth for the instance, in SQL's three-valued logic (None: unknown)."""
    results: list[bool | None] = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(evaluate(child, instance))
        elif isinstance(child, tuple) and len(child) == 2:
            results.append(_leaf(instance, child[0], child[1]))
        else:
            raise Unsupported(repr(child))
    if condition.connector == Q.AND:
        result: bool | None = False if False in results else (None if None in results else True)
    elif condition.connector == Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        raise Unsupported(condition.connector)
    if condition.negated:
        return None if result is None else not result
    return result


def validate_constraints(instance: models.Model, exclude: set[str] | None = None) -> None:
    """As Model.validate_constraints (the same errors, at the same places), with check constraints
    evaluated here rather than by the database."""
    errors: dict[str, Any] = {}
    for model_class, model_constraints in instance.get_constraints():
        for constraint in model_constraints:
            try:
                _validate(constraint, model_class, instance, exclude)
            except ValidationError as error:
                fields: tuple[str, ...] = tuple(getattr(constraint, "fields", ()))
                if getattr(error, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _validate(
    constraint: Any, model: type[models.Model], instance: models.Model, exclude: set[str] | None
) -> None:
    if isinstance(constraint, models.CheckConstraint):
        condition = constraint.condition
        if isinstance(condition, Q) and exclude and _names(condition) & exclude:
            return  # as Django: a condition over a field left out of the validation is not checked
        if isinstance(condition, Q):
            try:
                passed = evaluate(condition, instance)
            except Unsupported:
                pass
            else:
                if passed is False:
                    raise ValidationError(
                        constraint.get_violation_error_message(), code=constraint.violation_error_code
                    )
                return
    constraint.validate(model, instance, exclude=exclude)


def _names(condition: Q) -> set[str]:
    names: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _names(child)
        elif isinstance(child, tuple):
            names.add(child[0].split(LOOKUP_SEP, 1)[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
    return names
