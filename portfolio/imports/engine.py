"""The import engine: a file's columns mapped to a kind's fields, each row checked by the kind's own form (the
validation of the pages, not a copy), problems reported at their row and column, and the rows written in
chunks, upserted by the kind's natural key, all or none (or, by explicit choice, only the valid ones).

A kind (`ImportKind`) says which fields it reads, its key, how it looks up what rows refer to (one query per
chunk and per kind of reference, never one per row), and how it writes a chunk. Rows whose values equal
what is stored are left alone: importing the same file twice changes nothing and adds no history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import models, transaction

from core import bulk, sheets
from core.errors import NotAllowed
from core.roles import can_edit_portfolio
from core.tabular import FORMULA_TRIGGERS

CHUNK = 1000  # rows checked and written per round of lookups and bulk writes
PROBLEM_LIMIT = 10_000  # problems kept for the page and the error report (the counts stay exact)


@dataclass(frozen=True)
class ImportField:
    """A column an import reads: its field name (the export's header), what people also call it, and what
    it accepts (for the template's notes and the mapping page)."""

    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    is_date: bool = False
    example: Any = ""
    accepts: str = ""


@dataclass
class Problem:
    row: int
    column: str
    value: str
    message: str

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.value, self.message]


@dataclass
class Checked:
    """One row after its check: the record to write (None when it has problems or changes nothing)."""

    row: int
    record: models.Model | None = None
    action: str = ""  # "create", "update", "unchanged", or "" for a row with problems
    changed_fields: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What a dry run or an import found and did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    written: bool = False

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid_rows": self.invalid_rows,
            "problem_count": self.problem_count,
            "written": self.written,
            "problems": [problem.as_list() for problem in self.problems],
        }


Row = tuple[int, dict[str, Any]]  # (row number, field name -> cell as read)


class ImportKind:
    """One kind of import. Subclasses set the class attributes and implement check_chunk and write."""

    slug: str = ""
    label: str = ""
    noun: str = ""
    fields: Sequence[ImportField] = ()
    key: tuple[str, ...] = ()
    model: type[models.Model]
    sheet: str = ""
    order: int = 0
    # whether a chunk may be written while the next is checked (core.bulk.WritesBeside): only when no chunk's
    # checks read what an earlier chunk of the same file writes
    writes_beside: bool = False

    _fields_by_name: dict[str, ImportField] | None = None

    def field(self, name: str) -> ImportField:
        if self._fields_by_name is None:
            self._fields_by_name = {f.name: f for f in self.fields}
        return self._fields_by_name[name]

    def batches(self, rows: Iterable[Row]) -> Iterator[list[Row]]:
        """The rows in the batches they are checked and written in (objectives: parents first)."""
        return chunks(rows)

    def check_chunk(self, rows: list[Row], columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        raise NotImplementedError

    def look_up(self, rows: list[Row], columns: dict[str, str]) -> Any:
        """A kind that writes beside: the chunk read, with every query its checks need made (see
        check_looked_up)."""
        return rows

    def check_looked_up(self, looked_up: Any, columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        """A kind that writes beside: the rows look_up prepared, checked without its lookups, so that they
        are checked while the database writes the chunk before them."""
        return self.check_chunk(looked_up, columns, outcome)

    def write(self, checked: list[Checked], *, user: Any, reason: str) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------------------- mapping


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def suggest_mapping(kind: ImportKind, header: Sequence[str]) -> dict[str, str]:
    """Each column of the file -> the field it most plausibly holds (its field name, its label, or a
    synonym, ignoring case, spaces and punctuation), or "" when none; no field is taken twice."""
    names: dict[str, str] = {}
    for candidate in kind.fields:
        for alias in (candidate.name, candidate.label, *candidate.synonyms):
            names.setdefault(_norm(alias), candidate.name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        target = names.get(_norm(column), "")
        if target in taken:
            target = ""
        if target:
            taken.add(target)
        mapping[column] = target
    return mapping


def mapping_problems(kind: ImportKind, mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping: a field chosen for two columns, a required field not chosen."""
    problems = []
    chosen = [target for target in mapping.values() if target]
    for name in sorted({t for t in chosen if chosen.count(t) > 1}):
        problems.append(f"“{kind.field(name).label}” is chosen for more than one column.")
    known = {f.name for f in kind.fields}
    problems.extend(f"“{t}” is not a field of this import." for t in chosen if t not in known)
    for needed in kind.fields:
        if needed.required and needed.name not in chosen:
            problems.append(f"Choose the column that holds “{needed.label}” (it is required).")
    return problems


def mapped_rows(table: sheets.Table, mapping: dict[str, str]) -> tuple[dict[str, str], Iterator[Row]]:
    """(field -> the file's column name, the rows as field -> cell) under a mapping."""
    where = {target: index for index, column in enumerate(table.header) if (target := mapping.get(column))}
    columns = {target: table.header[index] for target, index in where.items()}

    def rows() -> Iterator[Row]:
        for number, cells in table.rows:
            yield (
                number,
                {target: cells[index] if index < len(cells) else None for target, index in where.items()},
            )

    return columns, rows()


# --------------------------------------------------------------------------------------- form plumbing


class KeyedChoiceField(forms.ModelChoiceField):
    """A reference written by its natural key (a username, a program's name, an objective's code), resolved
    from records looked up for the whole chunk beforehand (`found`), so a row costs no query. Only records
    of the form's own queryset are looked up, so the form's rule (a sponsor is an executive) still holds."""

    def __init__(self, found: dict[str, Any], message: str, **kwargs: Any) -> None:
        super().__init__(queryset=None, **kwargs)  # type: ignore[arg-type]  # never queried
        self.found = found
        self.message = message

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        key = str(value).strip()
        if key in self.found:
            return self.found[key]
        raise forms.ValidationError(self.message.format(value=key), code="invalid_choice")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return True

    # to_python gives None or a record, never another empty value: Django's checks of `value in empty_values`
    # compare a record with each empty value in turn (Model.__eq__), which here is `value is None`
    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value: Any) -> None:
        if value is not None and self.validators:
            super().run_validators(value)


def form_value(spec: ImportField, value: Any) -> tuple[str, str | None]:
    """(the cell as a form field reads it, a problem or None): dates in any of the accepted forms become ISO
    text; everything else is text as typed (numbers without a spurious .0)."""
    if spec.is_date:
        date = sheets.as_date(value)
        if date is None:
            return sheets.as_text(value), f"Not a date: enter {sheets.DATE_HELP}."
        return date, None
    text = sheets.as_text(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]  # the quote an export put before text that starts like a formula (core.tabular.inert)
    return text, None


def form_problems(
    form: forms.BaseForm, number: int, columns: dict[str, str], data: dict[str, Any], kind: ImportKind
) -> list[Problem]:
    """A refused form's errors as problems at the row, in the file's column with the value it held."""
    problems = []
    for name, messages in form.errors.items():
        if name == "version":
            continue
        column = columns.get(name, "" if name == "__all__" else name)
        value = str(data.get(name, "")) if name in data else ""
        accepts = ""
        if name in {f.name for f in kind.fields}:
            spec = kind.field(name)
            if spec.choices:
                accepts = " Allowed: " + ", ".join(value for value, _label in spec.choices) + "."
        for message in messages:
            problems.append(Problem(number, column, value, f"{message}{accepts}"))
    return problems


def changed_fields(record: models.Model, values: dict[str, Any]) -> tuple[str, ...]:
    """The fields whose new value differs from the record's (compared as the model stores them)."""
    changed = []
    for name, value in values.items():
        model_field = record._meta.get_field(name)
        attname = getattr(model_field, "attname", name)
        new = getattr(value, "pk", value) if isinstance(model_field, models.ForeignKey) else value
        if getattr(record, attname) != new:
            changed.append(name)
    return tuple(changed)


# --------------------------------------------------------------------------------------- run


def chunks(rows: Iterable[Row], size: int | None = None) -> Iterator[list[Row]]:
    size = size or CHUNK
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(
    kind: ImportKind,
    table: sheets.Table,
    mapping: dict[str, str],
    *,
    user: Any,
    filename: str,
    write: bool,
    only_valid: bool = False,
    progress: Callable[[int, str], None] | None = None,
    total: int = 0,
) -> Outcome:
    """Check every row (a dry run), and when `write`, import them in one transaction: all rows, or none when
    any has a problem, unless `only_valid` (then the valid rows, and the others are reported). The file's
    own duplicate keys are problems too. Only the PMO imports."""
    if not can_edit_portfolio(user) and user is not None:
        raise NotAllowed("Only the PMO imports data.")
    kind = type(kind)()  # a kind keeps a chunk's lookups while it checks it: one of its own per run
    outcome = Outcome()
    columns, rows = mapped_rows(table, mapping)
    reason = f"Imported from {filename}"[:100]
    seen: dict[tuple[Any, ...], int] = {}

    def unique_rows() -> Iterator[Row]:
        """The rows as they are read (never all held at once), each key's first; a repeat is a problem."""
        for number, values in rows:
            outcome.rows += 1
            key = tuple(form_value(kind.field(name), values.get(name))[0].casefold() for name in kind.key)
            if all(key) and key in seen:
                column = columns.get(kind.key[-1], kind.key[-1])
                outcome.add(
                    Problem(
                        number,
                        column,
                        sheets.as_text(values.get(kind.key[-1])),
                        f"Row {seen[key]} has the same {' + '.join(kind.key)}; each may appear once in a file.",
                    )
                )
                outcome.invalid_rows += 1
                continue
            seen[key] = number
            yield number, values

    # the collector paused: a row leaves no cycle behind (the form and the cleaner are reused; a row's record,
    # form data and problems are freed by reference counting), and its full collections cost a tenth of a
    # 100,000-row import
    with (
        transaction.atomic(),
        bulk.collector_paused(collect_after=True),
        bulk.WritesBeside(enabled=kind.writes_beside) as writes,
    ):
        done = 0
        deferred: list[Checked] | None = None  # a chunk checked, to be written while the next is checked
        for batch in kind.batches(unique_rows()):
            if kind.writes_beside:
                looked_up = kind.look_up(batch, columns)  # its queries, before the chunk before is written
                if deferred is not None:
                    writes.submit(kind.write, deferred, user=user, reason=reason)
                checked = kind.check_looked_up(looked_up, columns, outcome)
            else:
                checked = kind.check_chunk(batch, columns, outcome)
            for item in checked:
                if item.action == "create":
                    outcome.created += 1
                elif item.action == "update":
                    outcome.updated += 1
                elif item.action == "unchanged":
                    outcome.unchanged += 1
                else:
                    outcome.invalid_rows += 1
            # valid rows are written as they are checked, so later rows see them (a parent objective made
            # earlier in the file), or beside the next chunk's checks for a kind whose rows read nothing another
            # row writes; a dry run, or an import with problems, rolls them all back below
            valid = [c for c in checked if c.action in {"create", "update"}]
            if kind.writes_beside:
                deferred = valid
            else:
                kind.write(valid, user=user, reason=reason)
            done += len(batch)
            if progress:
                share = done / total if total else 0
                progress(5 + int(90 * min(1, share)), f"{done:,} of {total or done:,} rows checked")
        if deferred is not None:
            writes.submit(kind.write, deferred, user=user, reason=reason)
        writes.wait()
        outcome.written = write and (only_valid or outcome.problem_count == 0)
        if not outcome.written:
            transaction.set_rollback(True)  # a dry run (or a refused import) leaves nothing behind
    outcome.problems.sort(key=lambda problem: problem.row)
    return outcome


def import_table(
    kind: ImportKind,
    content: bytes,
    filename: str,
    mapping: dict[str, str] | None,
    *,
    user: Any,
    write: bool,
    only_valid: bool = False,
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Read an uploaded file (core.sheets: its size, kind and contents checked first) and run it through
    the kind's checks: see run(). A mapping of None maps the columns automatically (suggest_mapping)."""
    if user is not None and not can_edit_portfolio(user):
        raise NotAllowed("Only the PMO imports data.")
    table = sheets.read_table(content, filename)
    chosen = mapping if mapping is not None else suggest_mapping(kind, table.header)
    problems = mapping_problems(kind, chosen)
    if problems:
        raise sheets.FileRefused(" ".join(problems))
    total = 0
    if progress is not None:  # a first pass, reading only, so the progress bar knows the whole
        total = sum(1 for _row in sheets.read_table(content, filename).rows)
    return run(
        kind,
        table,
        chosen,
        user=user,
        filename=filename,
        write=write,
        only_valid=only_valid,
        progress=progress,
        total=total,
    )
