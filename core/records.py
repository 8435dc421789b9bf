"""Versioned writes shared by every entered model: create, update with a version check, delete.

Each call runs in one transaction and validates the whole record (fields, clean(), constraints) before
anything is written, so a refused write leaves the database exactly as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.models import VersionedModel

M = TypeVar("M", bound=VersionedModel)
logger = logging.getLogger(__name__)
CONFLICT = (
    "This could not be saved: it conflicts with a change someone saved at the same moment. "
    "Nothing was changed; reload the page and try again."
)
Authorize = Callable[[Any, Any], bool]


def _validate(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        field_errors = _field_errors(error)
        message = "; ".join(field_errors.get(NON_FIELD_ERRORS, [])) or "Please correct the errors below."
        raise ApplicationError(message, field_errors=field_errors) from None


def _field_errors(error: ValidationError) -> dict[str, list[str]]:
    """The errors by field. A uniqueness over several fields (a KPI's reading per date, a contribution per
    objective) is put at the last of them: the one the user chose within the others."""
    if not hasattr(error, "error_dict"):
        return {NON_FIELD_ERRORS: error.messages}
    errors: dict[str, list[str]] = {}
    for field, items in error.error_dict.items():
        for item in items:
            check = (item.params or {}).get("unique_check") if item.code == "unique_together" else None
            target = check[-1] if field == NON_FIELD_ERRORS and check else field
            errors.setdefault(target, []).extend(item.messages)
    return errors


def _save(instance: models.Model, user: Any) -> None:
    """Save, in a savepoint: when a constraint refuses the row (another transaction saved the same code
    between our validation and our insert), validate again, now that its row is visible, to refuse with the
    same message at the same field as if it had come first. The database's own words are never shown."""
    instance._history_user = user  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        logger.info("A save of %s raced past validation", instance._meta.label, exc_info=True)
        _validate(instance)
        raise ApplicationError(CONFLICT) from None


def _set_m2m(instance: models.Model, m2m: Mapping[str, Iterable[Any]] | None) -> None:
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)


def record_create(
    model: type[M],
    *,
    user: Any,
    values: Mapping[str, Any],
    allowed: bool,
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> M:
    """Create one record after checking the caller's right (`allowed`) and validating it completely."""
    if not allowed:
        raise NotAllowed(f"You may not add a {model._meta.verbose_name}.")
    with transaction.atomic():
        instance = model(**values)
        _validate(instance)
        _save(instance, user)
        _set_m2m(instance, m2m)
    return instance


def record_update(
    model: type[M],
    *,
    pk: int,
    version: int,
    user: Any,
    values: Mapping[str, Any],
    authorize: Authorize,
    prepare: Callable[[M, M], None] | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> M:
    """Apply `values` to the record only if it is still at `version` (the one the user saw).

    The version bump is a single conditional UPDATE, so of two overlapping edits exactly one wins and the
    other gets StaleEdit carrying the current record. `authorize(user, current)` is checked against the
    record as stored, and `prepare(before, after)` may derive fields before validation.
    """
    with transaction.atomic():
        current = model._default_manager.filter(pk=pk).first()
        if current is None:
            raise ApplicationError(f"This {model._meta.verbose_name} no longer exists.")
        if not authorize(user, current):
            raise NotAllowed(f"You may not change this {model._meta.verbose_name}.")
        bumped = model._default_manager.filter(pk=pk, version=version).update(version=F("version") + 1)
        if not bumped:
            # Read again: `current` may predate the edit that won the race (read committed sees it now).
            raise StaleEdit(model._default_manager.filter(pk=pk).first() or current)
        instance = model._default_manager.get(pk=pk)
        for field, value in values.items():
            setattr(instance, field, value)
        if prepare is not None:
            prepare(current, instance)
        _validate(instance)
        _save(instance, user)
        _set_m2m(instance, m2m)
    return instance


def record_put(
    model: type[M],
    *,
    pk: int,
    version: int | None,
    user: Any,
    values: Mapping[str, Any],
    make: Callable[[], M],
) -> M:
    """Create or change the record whose primary key is `pk`, one that shares its owner's key (an initiative's
    business case, a benefit line's plan): made by `make()` when the user saw none (`version` None or 0),
    else changed only if still at `version`, by one conditional UPDATE of the version. Call it inside the
    caller's transaction, with `values` already validated. A record someone else made or changed meanwhile
    raises StaleEdit carrying it as stored."""
    current = model._default_manager.filter(pk=pk).first()
    if current is None:
        if version:
            raise ApplicationError(f"This {model._meta.verbose_name} no longer exists.")
        record = make()
        for name, value in values.items():
            setattr(record, name, value)
        record._history_user = user  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:  # someone else made it since the page was opened
            raise StaleEdit(model._default_manager.get(pk=pk)) from None
        return record
    bumped = model._default_manager.filter(pk=pk, version=version or 0).update(version=F("version") + 1)
    if not bumped:
        raise StaleEdit(current)
    current.refresh_from_db()
    for name, value in values.items():
        setattr(current, name, value)
    current._history_user = user  # type: ignore[attr-defined]
    current.save()
    return current


def record_delete(model: type[M], *, pk: int, version: int, user: Any, authorize: Authorize) -> None:
    """Delete the record if it is still at `version`; the audit trail keeps a deletion entry."""
    with transaction.atomic():
        current = model._default_manager.select_for_update().filter(pk=pk).first()
        if current is None:
            return
        if not authorize(user, current):
            raise NotAllowed(f"You may not delete this {model._meta.verbose_name}.")
        if current.version != version:
            raise StaleEdit(current)
        current._history_user = user  # type: ignore[attr-defined]
        try:
            current.delete()
        except models.ProtectedError:
            raise ApplicationError(
                f"This {model._meta.verbose_name} is still referenced by other records and cannot be deleted."
            ) from None
