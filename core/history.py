"""History rows for records written in bulk, copied by the database from the rows just written.

django-simple-history's bulk helpers build one historical object per record in Python and insert them: as
costly as inserting the records themselves. `bulk_history_copy` writes the same rows (every tracked field as
stored, the date, the user, the reason, the type) with one INSERT ... SELECT per batch. A history model with
fields of its own beyond those (extra fields, a relation to the history) is written by simple-history's own
helper instead.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

HISTORY_FIELDS = frozenset(
    {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
)


def _copyable(history_model: Any) -> bool:
    tracked = {field.name for field in history_model.tracked_fields}
    own = {field.name for field in history_model._meta.concrete_fields}
    return own == tracked | HISTORY_FIELDS


def bulk_history_copy(
    model: type[models.Model],
    records: Sequence[models.Model],
    *,
    history_type: str,
    user: Any,
    reason: str | None,
    date: datetime.datetime | None = None,
) -> None:
    """Write a history row ("+" created, "~" changed) for each of `records`, already saved, as it is now
    stored, with the user (or none) and the reason, all at one date (`date`, else now); in the order of the
    records' ids."""
    if not records or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history_model: Any = model.history.model  # type: ignore[attr-defined]  # simple-history's descriptor
    if not _copyable(history_model):
        history_model.objects.bulk_history_create(
            records,
            update=history_type == "~",
            default_user=user,
            default_change_reason=reason,
            default_date=date,
        )
        return
    quote = connection.ops.quote_name
    meta = history_model._meta
    targets = [meta.get_field(field.name).column for field in history_model.tracked_fields]
    source: Any = model._meta
    sources = [quote(source.get_field(field.name).column) for field in history_model.tracked_fields]
    extra = {
        "history_date": date or timezone.now(),
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user": getattr(user, "pk", None),
    }
    values = []
    for name, value in extra.items():
        field = meta.get_field(name)
        targets.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
        # PostgreSQL cannot type a bare parameter in a SELECT list; SQLite would give a cast its own meaning
        cast = f"CAST(%s AS {field.db_type(connection)})" if connection.vendor == "postgresql" else "%s"
        sources.append(cast)
    pk = quote(str(model._meta.pk.column))  # type: ignore[union-attr]  # every model has one
    head = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(t) for t in targets)}) "
        f"SELECT {', '.join(sources)} "
        f"FROM {quote(model._meta.db_table)} "
    )
    ids = [record.pk for record in records]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{head} WHERE {pk} = ANY(%s) ORDER BY {pk}", [*values, ids])
            return
        size = (connection.features.max_query_params or 1000) - len(values)
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(f"{head} WHERE {pk} IN ({marks}) ORDER BY {pk}", [*values, *batch])
