"""Bulk work: new records inserted at the speed of the database's own loader, and Python's cyclic garbage
collector paused while many objects are built.

Django's bulk_create builds one INSERT of a thousand rows with a parameter per value, each prepared by its
field: for an import of 100,000 initiatives that is as costly as checking them. On PostgreSQL `bulk_insert`
draws the ids from the table's sequence in one query and streams the rows with COPY (psycopg adapts each
Python value itself), so the records have their ids afterwards as with bulk_create; elsewhere it is
bulk_create. `WritesBeside` lets such writes run while the next batch is prepared.
"""

from __future__ import annotations

import datetime
import enum
import gc
import inspect
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, TypeVar

from django.db import connection, connections, models
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)

# fields whose Python value is written as it is (psycopg adapts str, int, bool, Decimal, date, datetime and
# None); any other field's value is prepared by the field (a JSON document, a UUID, ...)
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallAutoField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)


def _plain(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    return field.get_internal_type() in PLAIN


def _copyable(meta: Any, records: Sequence[models.Model]) -> bool:
    """Whether every value of a new row is known before it is written: an id from a sequence (or given, as a
    one-to-one key's), no column the database computes (a generated column, a database default) that
    bulk_create would read back."""
    keyed = isinstance(meta.pk, models.AutoField) or all(record.pk is not None for record in records)
    return (
        keyed
        and set(meta.db_returning_fields) <= {meta.pk}
        and all(field.db_default is models.NOT_PROVIDED for field in meta.concrete_fields)
    )


def bulk_insert(
    model: type[models.Model], records: Sequence[models.Model], *, batch_size: int = 1000
) -> None:
    """Insert `records` (new, without ids unless their key is not drawn from a sequence) and give each its
    id, as bulk_create does: auto_now and auto_now_add fields are stamped, the records are marked saved. On
    PostgreSQL by COPY (one statement for the ids, one for the rows); elsewhere by bulk_create in batches of
    `batch_size`."""
    if not records:
        return
    meta: Any = model._meta
    pk = meta.pk
    if connection.vendor != "postgresql" or not _copyable(meta, records):
        model._default_manager.bulk_create(records, batch_size=batch_size)
        return
    quote = connection.ops.quote_name
    db = connections[connection.alias]  # the connection itself: the proxy costs a lookup per use
    fields = list(meta.concrete_fields)
    for field in fields:  # as bulk_create: the dates auto_now and auto_now_add set, once per record
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for record in records:
                field.pre_save(record, add=True)
    with connection.cursor() as cursor:
        if isinstance(pk, models.AutoField):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(records)],
            )
            for record, (pk_value,) in zip(records, cursor.fetchall(), strict=True):
                record.pk = pk_value
        values = attrgetter(*(field.attname for field in fields))
        prepared = [(index, field) for index, field in enumerate(fields) if not _plain(field)]
        sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) FROM STDIN"

        def rows() -> Iterator[Any]:
            for record in records:
                row: Any = values(record)
                if prepared:
                    row = list(row)
                    for index, field in prepared:
                        row[index] = field.get_db_prep_save(row[index], db)
                yield row

        copy_in(cursor, sql, rows())
    for record in records:
        state = record._state
        state.adding = False
        state.db = db.alias


# the values a blank record may share with the records copied from it: none can be changed in place
IMMUTABLE = (type(None), str, int, float, bool, Decimal, datetime.date, datetime.time, uuid.UUID, enum.Enum)


class BlankRecords(Generic[M]):
    """New records of `model` with its defaults, as model() makes them. Model.__init__ works out every field's
    default (some 45 of an initiative's, 13 µs); a copy of one blank record's values costs a tenth of that.
    The records are copies when every default is immutable and nothing listens to the model's init signals
    (else each is model()); a default computed by a callable (the time of day) is then computed once, when
    this is made: a loader makes one per batch."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        blank = model()
        values = {name: value for name, value in vars(blank).items() if name != "_state"}
        copyable = not (pre_init.has_listeners(model) or post_init.has_listeners(model)) and all(
            isinstance(value, IMMUTABLE) for value in values.values()
        )
        self.values = values if copyable else None

    def __call__(self) -> M:
        if self.values is None:
            return self.model()
        record = self.model.__new__(self.model)
        record.__dict__.update(self.values)
        record._state = ModelState()
        return record

    def plain(self, names: Iterable[str]) -> bool:
        """Whether the records' attributes `names` (attribute names, such as `line_id`) may be set by writing
        their __dict__: each is a field's plain attribute, or a foreign key's id, whose setter does no more on
        a record that has cached no related record. Never when the records are not copies."""
        return self.values is not None and all(
            type(inspect.getattr_static(self.model, name, None)) in PLAIN_ATTRIBUTES for name in names
        )


PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


def copy_in(cursor: Any, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """Stream `rows` with `sql` (a COPY ... FROM STDIN) on a Django cursor, through the connection's execute
    wrappers, so that a count of the statements run sees this one too (PostgreSQL); returns how many rows."""
    count = 0

    def copy(sql: str, params: Any, many: bool, context: Any) -> None:
        nonlocal count
        with cursor.cursor.copy(sql) as stream:
            write = stream.write_row
            for row in rows:
                write(row)
                count += 1

    cursor._execute_with_wrappers(sql, None, False, copy)
    return count


def new_records(model: type[M], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[M]:
    """Unsaved records of `model` for bulk_insert, one per row of values for `columns` (attribute names, such
    as `line_id`), the other fields at their defaults: copies of a blank record (BlankRecords) given the row's
    values, or, when the model does not allow copies, built from positional values, Django's fast path (a
    loader building 600,000 amounts by keyword would spend seconds matching names). A field left out whose
    default is computed per record (a callable) is refused: it would be computed once for all."""
    fields = list(model._meta.concrete_fields)
    given = {name: n for n, name in enumerate(columns)}
    unknown = set(columns) - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
    # each field's value: (the row's index of it, None), or (None, the field's default)
    plan: list[tuple[int | None, Any]] = []
    for field in fields:
        if field.attname in given:
            plan.append((given[field.attname], None))
        elif field.primary_key:
            plan.append((None, None))  # drawn by bulk_insert
        elif field.has_default() and callable(field.default):
            raise ValueError(f"{model.__name__}.{field.name} has a default computed per record; give it.")
        else:
            plan.append((None, field.get_default()))
    blank = BlankRecords(model)
    if blank.plain(columns):
        records = []
        for row in rows:
            record = blank()
            record.__dict__.update(zip(columns, row, strict=True))
            records.append(record)
        return records
    return [model(*[default if i is None else row[i] for i, default in plan]) for row in rows]


@contextmanager
def collector_paused(*, collect_after: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector paused while hundreds of thousands of small objects are built (a
    recompute's inputs, an import's rows), none of them cyclic: each automatic full collection would walk every
    object alive, a cost that grows with the work. With `collect_after`, what was made while it was paused (and
    only that: the youngest generation, not every object of the process) is collected at the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if collect_after:
            gc.collect(0)


class WritesBeside:
    """Writes run one at a time in a thread of their own, on this thread's database connection and inside its
    transaction, so that PostgreSQL (another process) works through one chunk while Python checks the next.

    On PostgreSQL with `enabled`; otherwise each write runs in place, at once. A write waits for the one
    before it; wait() waits for the last. Leaving the block always waits for the pending write first, so no
    write outlives the transaction it belongs to; a write's error is raised by the call that meets it (the
    next submit or wait, or the block's end, where it is raised in place of the error that ended the block,
    which the failed write caused). Only for writes that the work done meanwhile does not depend on: the
    reads made beside a write may not see it."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and connection.vendor == "postgresql"
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[Any] | None = None
        self._shared: Any = None

    def __enter__(self) -> WritesBeside:
        if self.enabled:
            self._shared = connections[connection.alias]
            self._shared.inc_thread_sharing()
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="writes-beside", initializer=self._adopt)
        return self

    def _adopt(self) -> None:
        """The writing thread's connection is this thread's (as Django's live test server shares one)."""
        connections[self._shared.alias] = self._shared

    def submit(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.wait()
        if self._pool is None:
            write(*args, **kwargs)
        else:
            self._pending = self._pool.submit(write, *args, **kwargs)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        pending, self._pending = self._pending, None
        try:
            failed = pending.exception() if pending is not None else None  # waits for it
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._shared.dec_thread_sharing()
        if failed is not None:
            raise failed from error
