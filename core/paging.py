"""Pages of long lists at a cost that does not grow with the list: rows are counted up to a bound, and a page
is read as one slice of the ordered rows (plus one row, to know whether another page follows).

Counting every one of 100,000 filtered rows to say "Page 1 of 2,000" would cost more than the page itself.
So a list says exactly how many rows it holds up to COUNT_BOUND ("9,998 initiatives", "Page 3 of 100") and
beyond it says so ("more than 10,000 initiatives"; for a whole table on PostgreSQL, the planner's estimate:
"about 100,000"), with numbered pages forward and back but no last page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connection
from django.db.models import Count, Field, Model, QuerySet, Sum, Value

COUNT_BOUND = 10_000


def about(number: int) -> int:
    """`number` to two significant figures: an estimate says no more than it knows."""
    digits = len(str(abs(number))) - 2
    return round(number, -digits) if digits > 0 else number


@dataclass(frozen=True)
class Tally:
    """How many rows a list holds: `count` exactly, or (`capped`) more than `count`, the bound; then perhaps
    `estimate`, the planner's guess of a whole table's size."""

    count: int
    capped: bool = False
    estimate: int | None = None

    def __str__(self) -> str:
        if not self.capped:
            return f"{self.count:,}"
        if self.estimate is not None and self.estimate > self.count:
            return f"about {about(self.estimate):,}"
        return f"more than {self.count:,}"

    @property
    def short(self) -> str:
        """The count for a tile or a badge: "1,234", or "10,000+" beyond the bound."""
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"

    @property
    def plural(self) -> str:
        """The "s" of a noun after this number."""
        return "" if self.count == 1 else "s"  # "1 risk", "more than 1 risk", "more than 10,000 risks"

    @property
    def exact(self) -> bool:
        return not self.capped


@dataclass
class CappedPage:
    """One page of a list and what its pager shows; `num_pages` is None when the rows were not all counted.
    `totals` holds the sums asked for, over every row: only when the count is exact. `rows` is the whole
    list (a queryset, unevaluated)."""

    object_list: list[Any]
    number: int
    per_page: int
    tally: Tally
    has_next: bool
    totals: dict[str, Any] = field(default_factory=dict)
    rows: QuerySet[Any] | None = None  # every row of the list, in order (not read unless asked for)

    @property
    def num_pages(self) -> int | None:
        if self.tally.capped:
            return None
        return max(1, -(-self.tally.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0


def table_estimate(model: type[Model]) -> int | None:
    """The planner's estimate of how many rows `model`'s table holds (PostgreSQL keeps it up to date as it
    vacuums and analyses); None elsewhere, or before the table was ever analysed. One query on PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def tally(
    rows: QuerySet[Any], *, bound: int | None = None, sums: Sequence[str] = (), exact: bool = False
) -> tuple[Tally, dict[str, Any]]:
    """Count `rows` up to `bound` (COUNT_BOUND), with the sums of the annotations or fields named in `sums`
    (given only when the count is exact): one query reading at most bound + 1 rows, or all of them when
    `exact`."""
    bound = COUNT_BOUND if bound is None else bound
    # a constant to count (with what to sum): the rows may then be counted from an index alone
    selected = rows.order_by().annotate(row=Value(1)).values("row", *sums)
    limited = selected if exact else selected[: bound + 1]
    values = limited.aggregate(rows_counted=Count("row"), **{f"sum_of_{name}": Sum(name) for name in sums})
    counted = values["rows_counted"]
    if counted > bound and not exact:
        return Tally(bound, capped=True), {}
    return Tally(counted), {name: values[f"sum_of_{name}"] for name in sums}


def capped_counts(rows: QuerySet[Any], groups: Sequence[dict[str, Any]], *, bound: int) -> list[Tally]:
    """How many of `rows` fall in each group (values of the same fields, compared exactly), each counted up
    to `bound` (beyond it, Tally says "more than"): one query of one subquery per group, each reading at
    most bound + 1 rows. The subquery is compiled once, with placeholders for the groups' values: building
    a queryset per group would cost more than the counting."""
    if not groups:
        return []
    fields = list(groups[0])
    placeholders: dict[Any, str] = {_marker(rows.model, field, n): field for n, field in enumerate(fields)}
    limited = rows.filter(**{field: marker for marker, field in placeholders.items()})
    try:
        sql, params = (
            limited.order_by().annotate(row=Value(1)).values("row")[: bound + 1].query.sql_with_params()
        )
    except EmptyResultSet:  # the rows' own filters match nothing (an empty list of ids, say)
        return [Tally(0) for _group in groups]
    slots = [
        placeholders.get(param) if isinstance(param, str | int) and not isinstance(param, bool) else None
        for param in params
    ]
    if sorted(field for field in slots if field) != sorted(fields):
        raise ValueError(f"capped_counts compares {fields} exactly; these lookups change the values")
    parts: list[str] = []
    values: list[Any] = []
    for n, group in enumerate(groups):
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{n})")
        values.extend(
            param if field is None else group[field] for param, field in zip(params, slots, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), values)
        row = cursor.fetchone()
    return [Tally(bound, capped=True) if counted > bound else Tally(counted) for counted in row]


INTEGER_TYPES = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
}


def _marker(model: type[Model], field: str, n: int) -> str | int:
    """A value that no real query parameter is, standing for `field`'s value in the compiled subquery: a string,
    or for an integer column (which would refuse a string) the largest values its type holds, far beyond any
    count, rank or score. (A value outside the type's range would not do: Django knows no row can match it and
    compiles nothing.)"""
    try:
        found = model._meta.get_field(field)
    except FieldDoesNotExist:  # an annotation, or a lookup through a relation: compared as given
        found = None
    internal_type = found.get_internal_type() if isinstance(found, Field) else ""
    if internal_type in INTEGER_TYPES:
        return connection.ops.integer_field_range(internal_type)[1] - n
    return f"\x00{field}\x00"


def capped_page(
    rows: QuerySet[Any],
    number: int,
    per_page: int,
    *,
    bound: int | None = None,
    sums: Sequence[str] = (),
    estimate: type[Model] | None = None,
    count: int | Tally | None = None,
    narrow: bool = True,
    load: Callable[[list[Any]], list[Any]] | None = None,
) -> CappedPage:
    """Page `number` of `rows` (ordered), `per_page` rows, counted up to `bound` (see tally; `estimate`, a
    model whose whole table the rows are, adds the planner's estimate of its size). A page past the end is
    the last page, as Django's Paginator.get_page does.

    `narrow`: order and slice the primary keys alone, then load only the rows shown with what they display
    (their joins and wide columns): sorting thousands of joined rows to keep fifty costs several times
    more. Otherwise the page's rows are read in one query. `load` turns the rows into what the page shows.

    `count`, when the caller already knows how many rows there are (or more than how many: a Tally), spares
    the tally.

    Four queries (one fewer without `narrow`, and one fewer with `count`; one more with `estimate` on
    PostgreSQL), whatever the size of the list, except when a stale link asks for a page past the end of a
    list longer than the bound; only the count when it finds no row.
    """
    totals: dict[str, Any] = {}
    if count is not None:  # the caller counted the rows (and there is nothing to sum): no tally
        counted = count if isinstance(count, Tally) else Tally(count)
    else:
        counted, totals = tally(rows, bound=bound, sums=sums)
    if estimate is not None:
        counted = Tally(counted.count, counted.capped, table_estimate(estimate))
    number = max(1, number)
    if not counted.capped:
        number = min(number, max(1, -(-counted.count // per_page)))
    shown: list[Any]
    if counted.count == 0 and not counted.capped:
        shown, has_next = [], False  # counted empty: nothing to read
    else:
        shown, has_next = _slice(rows, number, per_page, narrow=narrow)
    if not shown and number > 1 and counted.capped:
        # a stale link past the end of a long list: count it all, once, to show its last page instead
        counted, totals = tally(rows, bound=None, sums=sums, exact=True)
        number = max(1, -(-counted.count // per_page))
        shown, has_next = _slice(rows, number, per_page, narrow=narrow)
    return CappedPage(
        object_list=load(shown) if load is not None else shown,
        number=number,
        per_page=per_page,
        tally=counted,
        has_next=has_next,
        totals=totals,
        rows=rows,
    )


def _slice(rows: QuerySet[Any], number: int, per_page: int, *, narrow: bool) -> tuple[list[Any], bool]:
    """The rows of page `number`, and whether another page follows (one more row is read to know)."""
    start = (number - 1) * per_page
    if not narrow:
        found = list(rows[start : start + per_page + 1])
        return found[:per_page], len(found) > per_page
    keys = list(rows.values_list("pk", flat=True)[start : start + per_page + 1])
    loaded = rows.in_bulk(keys[:per_page])
    return [loaded[pk] for pk in keys[:per_page]], len(keys) > per_page
