"""Writes the engine's results. Each table is written with one upsert whatever the portfolio size: on
PostgreSQL from one JSON document, or for many rows from a temporary table filled by COPY; other databases use
one executemany of the same upsert."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import marshal
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from django.db import connection, models, transaction

from alignment import events
from alignment.engine.compute import InitiativeResult, ObjectiveFacts, PortfolioResult
from alignment.engine.formulas import KPIAssessment
from alignment.engine.rules import SignalRow
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from core import bulk

PG_TYPES = {
    "bigint": "bigint",
    "integer": "integer",
    "smallint": "smallint",
    "double precision": "double precision",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "timestamptz",
}


def _field(model: type[models.Model], name: str) -> models.Field:
    """One of the model's own fields (get_field() also finds reverse relations, which have no column)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _column_type(field: models.Field) -> str:
    target = cast(models.ForeignKey, field).target_field if field.is_relation else field
    db_type = (target.db_type(connection) or "text").split(" CHECK")[0].strip()
    if field.is_relation and db_type in ("bigserial", "serial"):
        db_type = "bigint"
    return PG_TYPES.get(db_type, "text")


def _json_default(value: Any) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"Cannot store {type(value).__name__} as JSON")


def digest(payload: Any) -> str:
    """A short fingerprint of what a row says, to skip rewriting rows that did not change.

    The values the engine builds (always in the same key order) serialised by marshal's format 2, which
    writes no back-references, so equal values give equal bytes whichever objects hold them: stable across
    processes of one Python version and three to four times cheaper than repr() (a recompute fingerprints
    every row). Values marshal cannot encode (dates) fall back to repr(). A new Python version may change the
    bytes, which only means every row is rewritten once.
    """
    try:
        data = marshal.dumps(payload, 2)
    except ValueError:
        data = repr(payload).encode()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def upsert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    key: str | tuple[str, ...],
    update: Collection[str] | None = None,
    update_sql: dict[str, str] | None = None,
    update_params: Sequence[Any] = (),
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE for all rows in one statement.

    `update` names the fields overwritten from the new row (default: every field but the key);
    `update_sql` gives custom SQL for some columns (it may refer to the table as "t", to the new row as
    EXCLUDED, and to `update_params` as %s placeholders, in order).

    On PostgreSQL a few rows travel as one JSON document unpacked by jsonb_array_elements(): a single
    parameter, parsed in the server, instead of one escaped array per column. From COPY_ROWS rows on, they
    are streamed by COPY into a temporary table first (parsing a document of 300,000 signals took the
    server three times as long as inserting them).
    """
    if not rows:
        return
    names = list(rows[0])
    fields = [_field(model, name) for name in names]
    columns = [field.column for field in fields]
    table = model._meta.db_table
    quote = connection.ops.quote_name
    keys = (key,) if isinstance(key, str) else key
    key_columns = ", ".join(quote(_field(model, k).column) for k in keys)
    update_names = [n for n in (update if update is not None else names) if n not in keys]
    assignments = [
        f"{quote(_field(model, n).column)} = EXCLUDED.{quote(_field(model, n).column)}"
        for n in update_names
        if not update_sql or n not in update_sql
    ]
    assignments += [f"{quote(_field(model, n).column)} = {sql}" for n, sql in (update_sql or {}).items()]
    conflict = f"ON CONFLICT ({key_columns}) DO " + (
        f"UPDATE SET {', '.join(assignments)}" if assignments else "NOTHING"
    )
    is_json = [isinstance(f, models.JSONField) for f in fields]
    is_float = [isinstance(f, models.FloatField) for f in fields]
    column_list = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_ROWS:
            _copied_upsert(cursor, table, names, columns, is_json, conflict, rows, update_params)
        elif connection.vendor == "postgresql":
            # a value every row shares (the run's timestamp, a flag) travels once, as a parameter
            first = rows[0]
            shared = [
                len(rows) > 1 and not is_json[i] and all(row[name] is first[name] for row in rows)
                for i, name in enumerate(names)
            ]
            varying = [name for i, name in enumerate(names) if not shared[i]]
            select = []
            for i, field in enumerate(fields):
                if shared[i]:
                    select.append(f"%s::{_column_type(field)}")
                else:
                    e = varying.index(names[i])
                    select.append(f"e->{e}" if is_json[i] else f"(e->>{e})::{_column_type(field)}")
            document = json.dumps(
                [[row[name] for name in varying] for row in rows],
                separators=(",", ":"),
                default=_json_default,
            )
            sql = (
                f"INSERT INTO {quote(table)} AS t ({column_list}) SELECT {', '.join(select)} "
                f"FROM jsonb_array_elements(%s::jsonb) AS e {conflict}"
            )
            constants = [first[name] for i, name in enumerate(names) if shared[i]]
            cursor.execute(sql, [*constants, document, *update_params])
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {quote(table)} AS t ({column_list}) VALUES ({placeholders}) {conflict}"
            values = [
                [
                    json.dumps(row[name], separators=(",", ":"), sort_keys=True, default=_json_default)
                    if is_json[i]
                    else float(row[name])
                    if is_float[i] and row[name] is not None
                    else row[name]
                    for i, name in enumerate(names)
                ]
                + list(update_params)
                for row in rows
            ]
            cursor.executemany(sql, values)


COPY_ROWS = 2000  # from this many rows, upsert() streams them by COPY (PostgreSQL)


def _copied_upsert(
    cursor: Any,
    table: str,
    names: list[str],
    columns: list[str],
    is_json: list[bool],
    conflict: str,
    rows: Sequence[dict[str, Any]],
    update_params: Sequence[Any],
) -> None:
    """upsert() of many rows on PostgreSQL: COPY into a temporary table with the columns written (none of
    the table's indexes or constraints), then one INSERT ... SELECT ... ON CONFLICT from it, in the rows'
    order: three statements. The temporary table goes with the transaction (a failure rolls all three back;
    each call has a table of its own, so several in one transaction do not meet)."""
    quote = connection.ops.quote_name
    staged = quote(f"upsert_{table}_{next(_staged_tables)}")
    column_list = ", ".join(quote(c) for c in columns)
    dumped = [i for i, flag in enumerate(is_json) if flag]

    def staged_rows() -> Iterator[list[Any]]:
        for position, row in enumerate(rows):
            values = [row[name] for name in names]
            for i in dumped:
                values[i] = json.dumps(values[i], separators=(",", ":"), default=_json_default)
            values.append(position)
            yield values

    with transaction.atomic(savepoint=False):  # within a caller's transaction: no savepoint of its own
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS SELECT {column_list}, 0 AS upsert_position "
            f"FROM {quote(table)} WITH NO DATA"
        )
        bulk.copy_in(cursor, f"COPY {staged} ({column_list}, upsert_position) FROM STDIN", staged_rows())
        cursor.execute(
            f"INSERT INTO {quote(table)} AS t ({column_list}) SELECT {column_list} FROM {staged} "
            f"ORDER BY upsert_position {conflict}",
            list(update_params),
        )


_staged_tables = itertools.count(1)


DATE_VALUES = ("checkpoint_due", "status_review")  # the stored values that are dates


def score_rows(
    results: Iterable[InitiativeResult],
    *,
    now: datetime.datetime,
    policy_version: int,
    existing: Mapping[int, tuple[str, bool]],
    red_signals: Mapping[int, int],
) -> list[dict[str, Any]]:
    """The score rows to write: those whose values changed, or that were stale.

    `existing` maps initiative id to its stored (digest, stale); `red_signals` counts the red signals raised
    on each initiative in the same run.
    """
    rows = []
    for result in results:
        pk = result.id
        values = {"policy_version": policy_version, **result.stored(), "red_signals": red_signals.get(pk, 0)}
        # dates are fingerprinted as their ordinals, which marshal encodes
        fingerprint = digest(
            {
                **values,
                **{name: values[name].toordinal() if values[name] else None for name in DATE_VALUES},
            }
        )
        if existing.get(pk) == (fingerprint, False):
            continue
        rows.append(
            {
                "initiative": pk,
                **values,
                "digest": fingerprint,
                "stale": False,
                "stale_since": None,
                "computed_at": now,
                events.FIRST_SCORE: pk not in existing,
            }
        )
    return rows


def upsert_scores(rows: Sequence[dict[str, Any]], *, started: datetime.datetime) -> None:
    """Write score rows (score_rows()) in one statement. A row stays stale if its inputs changed after this
    computation started (its stale_since is later than `started`)."""
    stale_since = connection.ops.quote_name("stale_since")
    changed = f"t.{stale_since} IS NOT NULL AND t.{stale_since} > %s"
    cutoff = connection.ops.adapt_datetimefield_value(started)
    before: dict[int, tuple[float, str, str, int | None]] = {}
    first = [row.pop(events.FIRST_SCORE, False) for row in rows]
    if not all(first):  # a first score is no move: a run that only scores anew does not read them
        ids = [row["initiative"] for row in rows]
        # one range query (the rows come in initiative order, a chunk at a time): what the scores were, with
        # what an event about a move needs to say
        stored = InitiativeScore.objects.filter(initiative_id__gte=min(ids), initiative_id__lte=max(ids))
        before = {
            pk: (alignment, code, title, program)
            for pk, alignment, code, title, program in stored.values_list(
                "initiative_id",
                "alignment",
                "initiative__code",
                "initiative__title",
                "initiative__program_id",
            )
        }
    upsert(
        InitiativeScore,
        rows,
        key="initiative",
        update_sql={
            "stale": f"({changed})",
            "stale_since": f"CASE WHEN {changed} THEN t.{stale_since} ELSE NULL END",
        },
        update_params=[cutoff, cutoff],
    )
    events.scores_moved(before, rows)


def write_initiative_scores(
    results: dict[int, InitiativeResult],
    *,
    now: datetime.datetime,
    started: datetime.datetime,
    policy_version: int,
    existing: dict[int, tuple[str, bool]],
    red_signals: Mapping[int, int],
) -> int:
    """Store the scores that changed (or were stale); returns how many rows were written."""
    rows = score_rows(
        results.values(), now=now, policy_version=policy_version, existing=existing, red_signals=red_signals
    )
    upsert_scores(rows, started=started)
    return len(rows)


def write_kpi_scores(
    assessments: dict[int, KPIAssessment],
    *,
    now: datetime.datetime,
    existing: Mapping[int, tuple[Any, ...]] | None = None,
) -> int:
    """Store the KPIs' statuses; with `existing` (each KPI's stored values, KPI_VALUES), only those that
    changed. Returns how many rows were written."""
    rows = []
    for pk, a in assessments.items():
        values = {
            "status": a.status,
            "latest_value": a.latest_value,
            "latest_date": a.latest_date,
            "progress": _round(a.progress),
            "expected": _round(a.expected),
            "forecast_value": _round(a.forecast_value),
            "forecast_progress": _round(a.forecast_progress),
            "slope_per_year": _round(a.slope_per_year),
            "readings_used": a.readings_used,
            "forecast_low": _round(a.forecast_low),
            "forecast_high": _round(a.forecast_high),
            "confidence": a.confidence,
        }
        if existing is not None and existing.get(pk) == tuple(values.values()):
            continue
        rows.append({"kpi": pk, **values, "computed_at": now})
    upsert(KPIScore, rows, key="kpi")
    return len(rows)


# The stored values of a KPI's status, in the order write_kpi_scores() compares them.
KPI_VALUES = (
    "status",
    "latest_value",
    "latest_date",
    "progress",
    "expected",
    "forecast_value",
    "forecast_progress",
    "slope_per_year",
    "readings_used",
    "forecast_low",
    "forecast_high",
    "confidence",
)


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def write_objective_scores(
    facts: dict[int, ObjectiveFacts],
    *,
    now: datetime.datetime,
    existing: Mapping[int, tuple[Any, ...]] | None = None,
) -> int:
    """Store the objectives' facts; with `existing` (each objective's stored values, OBJECTIVE_VALUES), only
    those that changed. Returns how many rows were written."""
    rows = []
    for pk, o in facts.items():
        values = {
            "global_weight": round(o.global_weight, 6),
            "relative_weight": round(o.relative_weight, 6),
            "lookback_relative_weight": _round(o.lookback_relative_weight),
            "is_unit": o.is_unit,
            "unit_id": o.unit_id,
            "spend": round(o.spend, 2),
            "spend_share": round(o.spend_share, 6),
            "weight_share": round(o.weight_share, 6),
            "contributing": o.contributing,
        }
        if existing is not None and existing.get(pk) == tuple(values.values()):
            continue
        rows.append({"objective": pk, **values, "computed_at": now})
    upsert(ObjectiveScore, rows, key="objective")
    return len(rows)


# The stored facts of an objective, in the order write_objective_scores() compares them.
OBJECTIVE_VALUES = (
    "global_weight",
    "relative_weight",
    "lookback_relative_weight",
    "is_unit",
    "unit_id",
    "spend",
    "spend_share",
    "weight_share",
    "contributing",
)


def signal_rows(
    signals: Iterable[SignalRow], *, now: datetime.datetime, existing: Mapping[str, tuple[int, str]]
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The signals to write (new, or saying something new) and those in `existing` (each stored key in
    scope -> (id, digest)) no longer raised, as (id, digest)."""
    rows = []
    raised = set()
    for s in signals:
        raised.add(s.key)
        values = {
            "rule": s.rule,
            "severity": s.severity,
            "initiative": s.initiative_id,
            "objective": s.objective_id,
            "kpi": s.kpi_id,
            "program": s.program_id,
            "owner": s.owner_id,
            "message": s.message[:400],
            "measured": s.measured,
            "threshold": s.threshold,
            "evidence": s.evidence,
        }
        fingerprint = digest(values)
        stored = existing.get(s.key)
        if stored is not None and stored[1] == fingerprint:
            continue
        row = {"key": s.key, **values, "digest": fingerprint, "first_seen": now, "last_seen": now}
        if stored is None:
            row[events.RAISED] = True
        rows.append(row)
    vanished = [(pk, fp) for key, (pk, fp) in existing.items() if key not in raised]
    return rows, vanished


def upsert_signals(rows: Sequence[dict[str, Any]]) -> None:
    """Write signal rows (signal_rows()) in one statement; when a signal was first raised is kept. Those
    raised for the first time are recorded as events."""
    raised = [row for row in rows if row.pop(events.RAISED, False)]
    upsert(
        Signal, rows, key="key", update=[name for name in rows[0] if name != "first_seen"] if rows else None
    )
    events.signals_raised(raised)


def delete_signals(vanished: Collection[tuple[int, str]]) -> None:
    """Delete signals no longer raised: (id, digest) as read. A row whose digest is no longer the one read
    was written since, by the same run (a signal that moved to an initiative scored in another chunk): it
    stays."""
    if vanished:
        gone = Signal.objects.filter(pk__in=[pk for pk, _ in vanished], digest__in={fp for _, fp in vanished})
        cleared = list(
            gone.values(
                "key", "rule", "severity", "initiative", "objective", "kpi", "program", "owner", "message"
            )
        )
        gone.delete()
        events.signals_cleared(cleared)


def write_signals(
    signals: list[SignalRow], *, now: datetime.datetime, existing: dict[str, tuple[int, str]]
) -> tuple[int, int]:
    """Write the signals that are new or say something new, and delete those in scope no longer raised.

    `existing` maps each stored signal key in the computed scope to (id, digest). Returns (written, deleted).
    When a signal was first raised is kept across recomputes.
    """
    rows, vanished = signal_rows(signals, now=now, existing=existing)
    delete_signals(vanished)
    upsert_signals(rows)
    return len(rows), len(vanished)


def write_portfolio_indices(
    results: dict[str, tuple[PortfolioResult, int, int]],
    *,
    today: datetime.date,
    now: datetime.datetime,
    policy_version: int,
) -> None:
    """Today's indices for each scope ("all", "program:<id>"): (result, red signals, amber signals)."""

    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    upsert(
        PortfolioIndex,
        [
            {
                "date": today,
                "scope": scope,
                "computed_at": now,
                "policy_version": policy_version,
                "funded_budget": round(result.funded_budget, 2),
                "alignment_index": r(result.alignment_index),
                "top_share": r(result.top_share),
                "misallocation": r(result.misallocation),
                "coverage": r(result.coverage),
                "predictability": r(result.predictability),
                "red_signals": red,
                "amber_signals": amber,
                "details": result.details,
            }
            for scope, (result, red, amber) in sorted(results.items())
        ],
        key=("date", "scope"),
    )
