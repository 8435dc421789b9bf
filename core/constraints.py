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


Test = Callable[[models.Model], "bool | None"]
_compiled: dict[tuple[type[models.Model], int], tuple[Q, Test]] = {}


def _attname(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise Unsupported(name) from None
    if not isinstance(field, models.Field) or field.many_to_many:
        raise Unsupported(name)
    return field.attname


def _leaf(model: type[models.Model], lookup: str, expected: Any) -> Test:
    name, _, kind = lookup.partition(LOOKUP_SEP)
    kind = kind or "exact"
    if LOOKUP_SEP in kind:
        raise Unsupported(lookup)
    attname = _attname(model, name)
    if kind == "isnull":
        wanted = bool(expected)
        return lambda instance: (getattr(instance, attname) is None) == wanted
    if kind not in COMPARISONS:
        raise Unsupported(lookup)
    compare = COMPARISONS[kind]
    if isinstance(expected, F):
        other = _attname(model, expected.name)

        def against_field(instance: models.Model) -> bool | None:
            value, bound = getattr(instance, attname), getattr(instance, other)
            if value is None or bound is None:
                return None  # SQL: a comparison with NULL is unknown
            return compare(value, bound)

        return against_field
    if hasattr(expected, "resolve_expression"):
        raise Unsupported(lookup)
    if expected is None:
        return lambda instance: None

    def against_value(instance: models.Model) -> bool | None:
        value = getattr(instance, attname)
        return None if value is None else compare(value, expected)

    return against_value


def _compile(condition: Q, model: type[models.Model]) -> Test:
    """The condition as a function of an instance, in SQL's three-valued logic (None: unknown); raises
    Unsupported for what it does not read."""
    tests: list[Test] = []
    for child in condition.children:
        if isinstance(child, Q):
            tests.append(_compile(child, model))
        elif isinstance(child, tuple) and len(child) == 2:
            tests.append(_leaf(model, child[0], child[1]))
        else:
            raise Unsupported(repr(child))
    if condition.connector not in (Q.AND, Q.OR):
        raise Unsupported(condition.connector)
    conjunction, negated = condition.connector == Q.AND, condition.negated

    def test(instance: models.Model) -> bool | None:
        results = [each(instance) for each in tests]
        if conjunction:
            result: bool | None = False if False in results else (None if None in results else True)
        else:
            result = True if True in results else (None if None in results else False)
        if negated:
            return None if result is None else not result
        return result

    return test


def evaluate(condition: Q, instance: models.Model) -> bool | None:
    """The condition's truth for the instance, in SQL's three-valued logic (None: unknown). The condition
    is read once per model and kept (a model's constraints live as long as the process)."""
    model = type(instance)
    known = _compiled.get((model, id(condition)))
    if known is None or known[0] is not condition:
        known = _compiled[model, id(condition)] = (condition, _compile(condition, model))
    return known[1](instance)


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


_names_of: dict[int, tuple[Q, frozenset[str]]] = {}


def _names(condition: Q) -> frozenset[str]:
    known = _names_of.get(id(condition))
    if known is None or known[0] is not condition:
        known = _names_of[id(condition)] = (condition, frozenset(_read_names(condition)))
    return known[1]


def _read_names(condition: Q) -> set[str]:
    names: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _read_names(child)
        elif isinstance(child, tuple):
            names.add(child[0].split(LOOKUP_SEP, 1)[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
    return names
