"""What the kinds of import share: a row is checked by a model form of the pages, bound to the record its key
finds (or a new one), its references resolved from lookups made once per chunk, and written in bulk."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.forms import FileField
from django.forms.models import InlineForeignKeyField
from django.forms.widgets import ChoiceWidget, Widget
from django.utils import timezone

from core import bulk, cleaning, constraints, history, sheets
from core.errors import ApplicationError
from portfolio import forms
from portfolio.imports.engine import (
    CHUNK,
    Checked,
    ImportKind,
    KeyedChoiceField,
    Outcome,
    Problem,
    Row,
    changed_fields,
    form_problems,
    form_value,
)


@dataclass(frozen=True)
class Reference:
    """A field that names another record by its natural key: the records the form may choose from, the
    field that names them, and what a row is told when the name is not among them."""

    choices: Callable[[], models.QuerySet[Any]]
    key: str
    message: str
    keeps_current: bool = (
        False  # the record's current choice stays valid though no longer offered (a form's rule)
    )


class LookedUp(NamedTuple):
    """A chunk ready to be checked: each row's number, cells as form text and problems met reading them;
    the records the rows' keys found; and, for each reference, the records named, by name."""

    texts: list[tuple[int, dict[str, str], list[Problem]]]
    found_records: dict[tuple[str, ...], Any]
    found: dict[str, dict[str, Any]]


class FieldStep(NamedTuple):
    """A form field as the import's _clean_fields reads it: its name, the field, its key in the data, whether
    its widget reads the data's value as it is, whether its cleaning is pure (remembered), and the form class's
    own clean_<field> method, if any (called with the form)."""

    name: str
    field: Any
    key: str
    plain: bool
    pure: bool
    own: Callable[[Any], Any] | None


class ModelPlan(NamedTuple):
    """A model form's fields as its validation and construct_instance treat them, worked out once per form:
    the model fields left out of validation whatever the row (not on the form, or not in its Meta), those
    whose exclusion depends on the row, the latter that may not be blank, and those construct_instance writes
    (name, field, has a default, written by a plain setattr)."""

    static: frozenset[str]
    varying: frozenset[str]
    not_blank: tuple[str, ...]
    written: tuple[tuple[str, Any, bool, bool], ...]


class ImportFormMixin:
    """What an import changes in a page's form: references named in `resolved` were looked up for the whole
    chunk from the form's own choices (KeyedChoiceField), so they are not read again one by one; the key the
    row was matched by is not checked against the record's own; every other rule is the form's and the
    model's, the uniqueness constraints over resolved references included. Django's own steps are walked by a
    quicker path that keeps their results (no bound fields, a chunk's repeated values cleaned once, what does
    not depend on the row worked out once per form): tests/portfolio/test_import_checks_equal.py compares the
    two."""

    resolved: tuple[str, ...] = ()
    cleaner: cleaning.FieldCleaner | None = None  # set by the kind for each chunk; a fresh one otherwise

    def _cleaner(self) -> cleaning.FieldCleaner:
        if self.cleaner is None:
            self.cleaner = cleaning.FieldCleaner()
        return self.cleaner

    def _clean_fields(self) -> None:
        """Django's Form._clean_fields, with each field's value read from its widget directly rather than
        through a bound field made for it (rows are never rendered), and the cleaning of a pure field
        remembered for the text it has seen (core.cleaning). A disabled field is cleaned as Django does."""
        form: Any = self
        plan = self._field_plan()
        if plan is None:
            super()._clean_fields()  # type: ignore[misc]
            return
        cleaner = self._cleaner()
        data, files, cleaned = form.data, form.files, form.cleaned_data
        for name, field, key, plain, pure, own in plan:
            try:
                value = data.get(key) if plain else field.widget.value_from_datadict(data, files, key)
                if pure and type(value) is str:
                    cleaned[name] = cleaner.clean_text(field, value)
                else:
                    cleaned[name] = field.clean(value)
                if own is not None:
                    cleaned[name] = own(form)
            except ValidationError as error:
                form.add_error(name, error)

    _fields_seen: tuple[Any, ...] = ()
    _fields_plan: tuple[FieldStep, ...] | None = None

    def _field_plan(self) -> tuple[FieldStep, ...] | None:
        """Each form field as _clean_fields reads and cleans it, worked out again only when the form's
        fields change (an import swaps a reference's field for its KeyedChoiceField once per form); None when
        a field is disabled or takes a file (then Django's own steps run)."""
        form: Any = self
        fields = tuple(form.fields.values())
        if fields == self._fields_seen:  # the same fields: compared by identity first
            return self._fields_plan
        cleaner = self._cleaner()
        own = own_cleaners(form.__class__)
        steps, django_steps = [], False
        for name, field in form.fields.items():
            if field.disabled or isinstance(field, FileField):
                django_steps = True
                break
            widget = field.widget
            reader = type(widget).value_from_datadict
            plain = reader is Widget.value_from_datadict or (  # both read data.get(name)
                reader is ChoiceWidget.value_from_datadict and not widget.allow_multiple_selected
            )
            steps.append(
                FieldStep(
                    name,
                    field,
                    form.add_prefix(name),
                    plain,
                    cleaner.is_pure(field),
                    # the class's method, not one bound to the form: a form must not hold itself in a cycle,
                    # which the paused collector would not free (nor, then, the chunk's remembered cleaning)
                    getattr(form.__class__, f"clean_{name}") if name in own else None,
                )
            )
        self._fields_seen, self._fields_plan = fields, None if django_steps else tuple(steps)
        return self._fields_plan

    _plan: ModelPlan | None = None

    def _model_plan(self) -> ModelPlan:
        """What does not change from row to row for a form bound again and again (as Django's ModelForm
        decides each): see ModelPlan."""
        if self._plan is None:
            form: Any = self
            opts = form._meta
            static, varying = set(), []
            for f in form.instance._meta.fields:
                if (
                    f.name not in form.fields
                    or (opts.fields and f.name not in opts.fields)
                    or (opts.exclude and f.name in opts.exclude)
                ):
                    static.add(f.name)
                else:
                    varying.append(f)
            written = [
                (f.name, f, f.has_default(), type(f).save_form_data is models.Field.save_form_data)
                for f in form.instance._meta.fields
                if f.editable
                and not isinstance(f, models.AutoField)
                and (opts.fields is None or f.name in opts.fields)
                and not (opts.exclude and f.name in opts.exclude)
            ]
            self._plan = ModelPlan(
                frozenset(static),
                frozenset(f.name for f in varying),
                tuple(f.name for f in varying if not f.blank),
                tuple(written),
            )
        return self._plan

    def _get_validation_exclusions(self) -> set[str]:
        """Django's ModelForm._get_validation_exclusions (the same fields, for the same reasons), with what
        does not depend on the row worked out once; and the resolved references."""
        form: Any = self
        plan = self._model_plan()
        exclude = {*plan.static, *self.resolved}
        if form._errors:
            exclude.update(name for name in form._errors if name in plan.varying)
        cleaned, fields = form.cleaned_data, form.fields
        for name in plan.not_blank:
            form_field = fields[name]
            if not form_field.required and cleaned.get(name) in form_field.empty_values:
                exclude.add(name)
        return exclude

    def _construct_instance(self) -> Any:
        """Django's construct_instance, reading each field's widget from the form's fields rather than
        through a bound field made for it (rows are never rendered)."""
        form: Any = self
        instance, cleaned, files = form.instance, form.cleaned_data, []
        for name, f, has_default, plain in self._model_plan().written:
            if name not in cleaned:
                continue
            if has_default:
                form_field = form.fields[name]
                if (
                    form_field.widget.value_omitted_from_data(form.data, form.files, form.add_prefix(name))
                    and cleaned.get(name) in form_field.empty_values
                ):
                    continue
            if plain:
                setattr(instance, name, cleaned[name])  # what Field.save_form_data does
            elif isinstance(f, models.FileField):
                files.append(f)
            else:
                f.save_form_data(instance, cleaned[name])
        for f in files:
            f.save_form_data(instance, cleaned[f.name])
        return instance

    def _post_clean(self) -> None:
        """Django's ModelForm._post_clean, with the model's check constraints evaluated without a query each
        (core.constraints: the constraints' own conditions), and the model's cleaning of a pure field
        remembered for the value it has seen (core.cleaning)."""
        form: Any = self
        instance: Any = form.instance
        instance.validate_constraints = partial(constraints.validate_constraints, instance)
        instance.clean_fields = partial(self._cleaner().clean_model_fields, instance)
        try:
            exclude = form._get_validation_exclusions()
            exclude.update(name for name, f in form.fields.items() if isinstance(f, InlineForeignKeyField))
            try:
                form.instance = self._construct_instance()
            except ValidationError as error:
                form._update_errors(error)
            try:
                form.instance.full_clean(exclude=exclude, validate_unique=False)
            except ValidationError as error:
                form._update_errors(error)
            if form._validate_unique:
                form.validate_unique()
        finally:
            del instance.validate_constraints
            del instance.clean_fields

    def validate_unique(self) -> None:
        form: Any = self
        instance = form.instance
        exclude = form._get_validation_exclusions() - set(self.resolved)
        for constraint in instance._meta.constraints:
            # every uniqueness constraint: the model's own check skips those that involve a resolved field
            if isinstance(constraint, models.UniqueConstraint):
                try:
                    constraint.validate(type(instance), instance, exclude=exclude)  # type: ignore[attr-defined]
                except ValidationError as error:
                    # at the last of its fields, as the services put it (core.records)
                    form._update_errors(ValidationError({constraint.fields[-1]: error.messages}))


@cache
def unique_together(model: type[models.Model]) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Each unconditional uniqueness constraint of a model: (its fields, their attribute names)."""
    return tuple(
        (tuple(constraint.fields), tuple(_attname(model, name) for name in constraint.fields))
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None
    )


def _attname(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(field.attname)


@cache
def own_cleaners(form_class: type) -> frozenset[str]:
    """The fields a form class cleans with a clean_<field> method of its own (as Django looks them up)."""
    return frozenset(name.removeprefix("clean_") for name in dir(form_class) if name.startswith("clean_"))


def person_reference(message: str, choices: Callable[[], models.QuerySet[Any]]) -> Reference:
    return Reference(choices, "username", message)


def choices_of(values: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in values)


class FormKind(ImportKind):
    """A kind whose rows are checked by a model form of the pages: each row binds the form to the record its
    key finds (or a new one), with the columns the file does not have taken from that record."""

    form_class: type[forms.VersionedModelForm]
    references: dict[str, Reference] = {}  # noqa: RUF012 - read only

    # ------------------------------------------------------------------ hooks

    def key_of(self, values: dict[str, str]) -> tuple[str, ...]:
        return tuple(values.get(name, "") for name in self.key)

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        raise NotImplementedError

    def prefetch(self, rows: list[dict[str, str]]) -> None:
        """Look up, once per chunk, what new records hang from (a milestone's initiative, a reading's KPI)."""

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        """A new record for a row whose key found none: (record, "", "") or (None, field, problem) when
        what it hangs from does not exist."""
        return self.blank_record(), "", ""

    _blank: bulk.BlankRecords[Any] | None = None  # the chunk's blank records

    def blank_record(self) -> Any:
        """A new record with the model's defaults, as self.model() makes it: a copy of one made per chunk
        (core.bulk.BlankRecords)."""
        if self._blank is None:
            self._blank = bulk.BlankRecords(self.model)
        return self._blank()

    reuse_form = True  # the form's __init__ depends on nothing of the record: bind one form per chunk
    _form: Any = None
    _cleaner: cleaning.FieldCleaner | None = None

    def make_form(self, data: dict[str, str], record: Any) -> Any:
        """The form bound to the row. Building a page's form costs a millisecond (its fields deep-copied,
        its choices' querysets made), so one form per chunk is bound again to each row, as a fresh one
        would be: new data and instance, no errors, no bound fields kept."""
        form: Any = self._form
        if form is None or not self.reuse_form:
            form = self._form = self.form_class(data, instance=record)
            # a form made for one record may differ from the next one's: it remembers only its own cleaning
            form.cleaner = self._cleaner if self.reuse_form else cleaning.FieldCleaner()
            return form
        form.data = data
        form.instance = record
        form._errors = None
        form._bound_fields_cache = {}
        return form

    def clash_keys(self, record: Any) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
        """What must be unique among the records a chunk writes: each unconditional uniqueness constraint's
        fields and values (a database check made before the chunk is written cannot see the chunk's other
        rows); none with an empty value, which the database does not compare either."""
        keys = []
        model: type[models.Model] = type(record)
        for fields, attnames in unique_together(model):
            values = tuple(getattr(record, attname) for attname in attnames)
            if None not in values:
                keys.append((fields, values))
        return keys

    def after_clean(self, before: Any | None, record: Any) -> None:
        """Service rules beyond the form's (raise ApplicationError with field errors)."""

    def changed(self, records: list[Any]) -> None:
        """Tell the engine what changed (portfolio_changed)."""

    # ------------------------------------------------------------------ checking

    @cached_property
    def _clearable(self) -> frozenset[str]:
        """The fields an empty cell clears (they may be empty); an empty cell of any other keeps the record's
        value."""
        names = []
        for name in self.form_fields():
            model_field: Any = self.model._meta.get_field(name)
            if model_field.blank or not model_field.has_default():
                names.append(name)
        return frozenset(names)

    def _blank_text(self, name: str) -> str:
        """The form text of a field of a new record made by blank_record: the same for every row of a chunk,
        so worked out once per chunk."""
        texts = self._blank_texts
        if texts is None:
            texts = self._blank_texts = {}
        text = texts.get(name)
        if text is None:
            text = texts[name] = self._as_form_text(self.blank_record(), name)
        return text

    _blank_texts: dict[str, str] | None = None

    @cached_property
    def _plain_new_records(self) -> bool:
        """Whether new_record makes its records with blank_record alone (not hung from the row's parent)."""
        return type(self).new_record is FormKind.new_record

    def form_fields(self) -> tuple[str, ...]:
        return self._form_fields

    @cached_property
    def _form_fields(self) -> tuple[str, ...]:
        return tuple(self.form_class._meta.fields)  # type: ignore[attr-defined,arg-type]  # every form here lists them

    def _as_form_text(self, record: Any, name: str) -> str:
        value = getattr(record, name)
        if name in self.references:
            return "" if value is None else str(getattr(value, self.references[name].key))
        return sheets.as_text(value)

    def check_chunk(self, rows: list[Row], columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        return self.check_looked_up(self.look_up(rows, columns), columns, outcome)

    def look_up(self, rows: list[Row], columns: dict[str, str]) -> LookedUp:
        """A chunk's cells read as the form reads them, and what its rows refer to, read from the database
        once for the chunk; the kind is made ready to check these rows."""
        texts: list[tuple[int, dict[str, str], list[Problem]]] = []
        dates: dict[str, tuple[str, str | None]] = {}  # a chunk's dates repeat: each text read once
        for number, raw in rows:
            data: dict[str, str] = {}
            problems: list[Problem] = []
            for name, value in raw.items():
                spec = self.field(name)
                if spec.is_date and type(value) is str:
                    known = dates.get(value)
                    if known is None:
                        known = dates[value] = form_value(spec, value)
                    text, problem = known
                else:
                    text, problem = form_value(spec, value)
                data[name] = text
                if problem:
                    problems.append(Problem(number, columns.get(name, name), text, problem))
            texts.append((number, data, problems))
        self._form = self._blank = self._blank_texts = None
        self._cleaner = cleaning.FieldCleaner()  # what a chunk's rows repeat is cleaned once
        self.prefetch([data for _n, data, _p in texts])
        found_records = self.existing({self.key_of(data) for _n, data, _p in texts})
        found: dict[str, dict[str, Any]] = {}
        for name, reference in self.references.items():
            names = {data[name] for _n, data, _p in texts if data.get(name)}
            found[name] = {
                str(getattr(record, reference.key)): record
                for record in reference.choices().filter(**{f"{reference.key}__in": names})
            }
        return LookedUp(texts, found_records, found)

    def check_looked_up(self, looked_up: Any, columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        """Each row of a chunk checked against what look_up found (the chunk's lookups are not made again)."""
        texts, found_records, found = looked_up
        results = []
        seen: dict[tuple[tuple[str, ...], tuple[Any, ...]], int] = {}
        for number, data, problems in texts:
            result = self._check_row(number, data, problems, columns, found_records, found, outcome)
            if result.record is not None and result.action in {"create", "update"}:
                clashes = self.clash_keys(result.record)
                for what, values in clashes:
                    if (what, values) in seen:
                        last = what[-1]
                        outcome.add(
                            Problem(
                                number,
                                columns.get(last, last),
                                data.get(last, ""),
                                f"Row {seen[what, values]} has the same {' + '.join(what)}; each may appear once.",
                            )
                        )
                        result = Checked(number)
                        break
                else:
                    for what, values in clashes:
                        seen[what, values] = number
            results.append(result)
        return results

    def _check_row(
        self,
        number: int,
        data: dict[str, str],
        problems: list[Problem],
        columns: dict[str, str],
        found_records: dict[tuple[str, ...], Any],
        found: dict[str, dict[str, Any]],
        outcome: Outcome,
    ) -> Checked:
        before = found_records.get(self.key_of(data))
        if before is not None:
            record = copy.copy(before)
        else:
            record, field, missing = self.new_record(data)
            if record is None:
                outcome.add(Problem(number, columns.get(field, field), data.get(field, ""), missing))
                for other in problems:
                    outcome.add(other)
                return Checked(number)
        # a column the file lacks keeps the record's value (a new record's default); so does an empty cell
        # of a field that cannot be empty (a budget of a new initiative is 0, not "required")
        clearable = self._clearable
        blank = before is None and self._plain_new_records
        form_data = {}
        for name in self.form_fields():
            text = data.get(name)
            if text or (text is not None and name in clearable):
                form_data[name] = text
            else:
                form_data[name] = self._blank_text(name) if blank else self._as_form_text(record, name)
        if before is not None:
            form_data["version"] = str(before.version)
            for name, reference in self.references.items():  # what the record names already stays valid
                current = getattr(before, name)
                current_key = None if current is None else str(getattr(current, reference.key))
                if current is not None and (
                    name not in data or reference.keeps_current and data[name] == current_key
                ):
                    # for this row only: another row naming that record must qualify on its own
                    found = {**found, name: {**found[name], str(current_key): current}}
        form = self.make_form(form_data, record)
        for name, reference in self.references.items():
            original = form.fields[name]
            if isinstance(original, KeyedChoiceField):
                original.found = found[name]
            else:
                form.fields[name] = KeyedChoiceField(
                    found[name], reference.message, required=original.required, label=original.label
                )
        valid = form.is_valid() and not problems
        if valid:
            try:
                self.after_clean(before, form.instance)
            except ApplicationError as error:
                for name, messages in (error.field_errors or {"": [error.message]}).items():
                    problems.extend(
                        Problem(number, columns.get(name, name), form_data.get(name, ""), message)
                        for message in messages
                    )
                valid = False
        reported = {problem.column for problem in problems}  # a date already said not to be one
        problems.extend(
            problem
            for problem in form_problems(form, number, columns, form_data, self)
            if problem.column not in reported
        )
        if problems or not valid:
            for problem in problems:
                outcome.add(problem)
            return Checked(number)
        values = form.model_values()
        if before is None:
            return Checked(number, form.instance, "create", tuple(values))
        fields = changed_fields(before, values)
        if not fields:
            return Checked(number, before, "unchanged")
        return Checked(number, form.instance, "update", fields)

    # ------------------------------------------------------------------ writing

    def write(self, checked: list[Checked], *, user: Any, reason: str) -> None:
        """New records in one bulk insert (core.bulk: COPY on PostgreSQL), changed ones in one bulk update of the fields that changed (their
        version bumped), each with a history row whose reason is the import, copied from the rows written
        (core.history)."""
        new: list[Any] = [item.record for item in checked if item.action == "create"]
        updated = [item for item in checked if item.action == "update"]
        user = user if getattr(user, "is_authenticated", False) else None
        if new:
            bulk.bulk_insert(self.model, new, batch_size=CHUNK)
            history.bulk_history_copy(self.model, new, history_type="+", user=user, reason=reason)
        if updated:
            now = timezone.now()
            fields = {"version", "updated_at", *self.extra_update_fields}
            for item in updated:
                record: Any = item.record
                record.version += 1
                record.updated_at = now
                fields.update(item.changed_fields)
            records: list[Any] = [item.record for item in updated]
            self.model._default_manager.bulk_update(records, sorted(fields), batch_size=CHUNK)
            history.bulk_history_copy(self.model, records, history_type="~", user=user, reason=reason)
        if new or updated:
            self.changed([*new, *(item.record for item in updated)])

    extra_update_fields: tuple[str, ...] = ()
