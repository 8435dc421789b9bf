"""The kinds of import: which fields each reads (the export's headers), its natural key, and how a row is
checked (the page's form, its references resolved from lookups made once per chunk) and written."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core import sheets
from core.changes import portfolio_changed
from core.errors import ApplicationError
from core.stages import Stage
from portfolio import forms
from portfolio.imports.engine import (
    CHUNK,
    Checked,
    ImportField,
    ImportKind,
    KeyedChoiceField,
    Outcome,
    Problem,
    Row,
    chunks,
    form_problems,
    form_value,
    unchanged,
)
from portfolio.models import Category, Initiative, Objective, ObjectiveStatus, Program
from portfolio.services.initiatives import check_stage_move

User = forms.User


@dataclass(frozen=True)
class Reference:
    """A field that names another record by its natural key: the records the form may choose from, the
    field that names them, and what a row is told when the name is not among them."""

    choices: Callable[[], models.QuerySet[Any]]
    key: str
    message: str


def _person(message: str, choices: Callable[[], models.QuerySet[Any]]) -> Reference:
    return Reference(choices, "username", message)


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

    def record_key(self, record: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def after_clean(self, before: Any | None, record: Any) -> None:
        """Service rules beyond the form's (raise ApplicationError with field errors)."""

    def changed(self, records: list[Any]) -> None:
        """Tell the engine what changed (portfolio_changed)."""

    # ------------------------------------------------------------------ checking

    def _may_be_empty(self, name: str, data: dict[str, str]) -> bool:
        """An empty cell clears the field when the field may be empty; else the record's value is kept."""
        model_field: Any = self.model._meta.get_field(name)
        return name in data and (model_field.blank or not model_field.has_default())

    def form_fields(self) -> list[str]:
        return list(self.form_class._meta.fields)  # type: ignore[attr-defined,arg-type]  # every form here lists them

    def _as_form_text(self, record: Any, name: str) -> str:
        value = getattr(record, name)
        if name in self.references:
            return "" if value is None else str(getattr(value, self.references[name].key))
        return sheets.as_text(value)

    def check_chunk(self, rows: list[Row], columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        texts: list[tuple[int, dict[str, str], list[Problem]]] = []
        for number, raw in rows:
            data: dict[str, str] = {}
            problems: list[Problem] = []
            for name, value in raw.items():
                text, problem = form_value(self.field(name), value)
                data[name] = text
                if problem:
                    problems.append(Problem(number, columns.get(name, name), text, problem))
            texts.append((number, data, problems))
        found_records = self.existing({self.key_of(data) for _n, data, _p in texts})
        found: dict[str, dict[str, Any]] = {}
        for name, reference in self.references.items():
            names = {data[name] for _n, data, _p in texts if data.get(name)}
            found[name] = {
                str(getattr(record, reference.key)): record
                for record in reference.choices().filter(**{f"{reference.key}__in": names})
            }
        results = []
        for number, data, problems in texts:
            results.append(self._check_row(number, data, problems, columns, found_records, found, outcome))
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
        record = copy.copy(before) if before is not None else self.model()
        # a column the file lacks keeps the record's value (a new record's default); so does an empty cell
        # of a field that cannot be empty (a budget of a new initiative is 0, not "required")
        form_data = {
            name: data[name]
            if data.get(name) or self._may_be_empty(name, data)
            else self._as_form_text(record, name)
            for name in self.form_fields()
        }
        if before is not None:
            form_data["version"] = str(before.version)
            for name, reference in self.references.items():  # what the record names already stays valid
                current = getattr(before, name)
                if current is not None and name not in data:
                    found[name].setdefault(str(getattr(current, reference.key)), current)
        form = self.form_class(form_data, instance=record)
        for name, reference in self.references.items():
            original = form.fields[name]
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
        fields = unchanged(before, values)
        if not fields:
            return Checked(number, before, "unchanged")
        return Checked(number, form.instance, "update", fields)

    # ------------------------------------------------------------------ writing

    def write(self, checked: list[Checked], *, user: Any, reason: str) -> None:
        """New records in one bulk insert, changed ones in one bulk update of the fields that changed (their
        version bumped), each with a history row whose reason is the import."""
        new = [item.record for item in checked if item.action == "create"]
        updated = [item for item in checked if item.action == "update"]
        user = user if getattr(user, "is_authenticated", False) else None
        if new:
            bulk_create_with_history(
                new, self.model, batch_size=CHUNK, default_user=user, default_change_reason=reason
            )
        if updated:
            now = timezone.now()
            fields = {"version", "updated_at", *self.extra_update_fields}
            for item in updated:
                record: Any = item.record
                record.version += 1
                record.updated_at = now
                fields.update(item.changed_fields)
            bulk_update_with_history(
                [item.record for item in updated],
                self.model,
                sorted(fields),
                batch_size=CHUNK,
                default_user=user,
                default_change_reason=reason,
            )
        if new or updated:
            self.changed([*new, *(item.record for item in updated)])

    extra_update_fields: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------- initiatives


class InitiativeImportForm(forms.InitiativeForm):
    """The initiative form as an import binds it: the code is the key the row was matched by (so it is
    not checked against the record's own), and references were resolved from the same choices the form
    offers, so they are not read again one by one."""

    def _get_validation_exclusions(self) -> set[str]:
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]  # Django's, untyped in the stubs
        return {*exclusions, "program", "sponsor", "manager", "sustainment_owner"}

    def validate_unique(self) -> None:
        """The code is the key the row was matched by: the row updates the record that has it."""


def _choices(values: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in values)


CLARITY = (("1", "1: vague"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5: signed off"))
CRITICALITY = (("1", "1: nice to have"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5: business stops"))


class InitiativeKind(FormKind):
    slug = "initiatives"
    label = "Initiatives"
    noun = "initiative"
    sheet = "Initiatives"
    model = Initiative
    key = ("code",)
    form_class = InitiativeImportForm
    extra_update_fields = ("stage_since",)
    fields = (
        ImportField("code", "Code", ("ID", "Reference", "Ref", "Initiative code"), True, example="ECOM-12"),
        ImportField(
            "title",
            "Title",
            ("Name", "Initiative", "Project", "Project name"),
            True,
            example="Checkout rebuild",
        ),
        ImportField("description", "Description", ("Summary", "Details"), example="One-page checkout."),
        ImportField(
            "program",
            "Program",
            ("Programme", "Program name"),
            example="",
            accepts="the name of an existing program, or empty",
        ),
        ImportField(
            "category",
            "Category",
            ("Type", "Run/Grow/Transform"),
            choices=_choices(Category.choices),
            example="grow",
        ),
        ImportField(
            "stage",
            "Stage",
            ("Status", "Lifecycle stage", "Phase"),
            choices=_choices(Stage.choices),
            example="idea",
        ),
        ImportField(
            "sponsor", "Sponsor", ("Executive sponsor",), example="", accepts="the username of an executive"
        ),
        ImportField(
            "manager",
            "Manager",
            ("Owner", "Project manager", "Initiative manager", "PM"),
            example="",
            accepts="the username of an initiative manager or PMO",
        ),
        ImportField(
            "planned_start", "Planned start", ("Start", "Start date"), is_date=True, example="2026-01-15"
        ),
        ImportField(
            "planned_end", "Planned end", ("End", "End date", "Finish"), is_date=True, example="2026-09-30"
        ),
        ImportField("actual_start", "Actual start", is_date=True),
        ImportField("actual_end", "Actual end", is_date=True),
        ImportField(
            "budget_capex", "Budget (capex)", ("Budget CapEx", "Capex", "Capital budget"), example="250000"
        ),
        ImportField(
            "budget_opex", "Budget (opex)", ("Budget OpEx", "Opex", "Operating budget"), example="40000"
        ),
        ImportField(
            "actual_cost", "Actual cost to date", ("Actual cost", "Spent", "Cost to date"), example="0"
        ),
        ImportField("forecast_cost", "Forecast cost at completion", ("Forecast cost", "Forecast", "EAC")),
        ImportField(
            "expected_annual_benefit",
            "Expected annual benefit",
            ("Annual benefit", "Benefit"),
            example="120000",
        ),
        ImportField("requirements_clarity", "Requirements clarity", ("Clarity",), choices=CLARITY),
        ImportField(
            "criticality", "Business criticality", ("Criticality",), choices=CRITICALITY, example="3"
        ),
        ImportField(
            "sustainment_owner",
            "Sustainment owner",
            ("Service owner", "Business owner"),
            accepts="the username of a person",
        ),
        ImportField("go_live_date", "Go-live date", ("Go live", "Go-live", "Launch date"), is_date=True),
    )
    references = {  # noqa: RUF012 - read only
        "program": Reference(lambda: Program.objects.all(), "name", "No program is named “{value}”."),
        "sponsor": _person("No executive has the username “{value}”.", forms.executives),
        "manager": _person("No initiative manager or PMO has the username “{value}”.", forms.managers),
        "sustainment_owner": _person("No active person has the username “{value}”.", forms.people),
    }

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        codes = [code for (code,) in keys if code]
        rows = Initiative.objects.select_for_update(of=("self",)).select_related(
            "program", "sponsor", "manager", "sustainment_owner"
        )
        return {(record.code,): record for record in rows.filter(code__in=codes)}

    def after_clean(self, before: Any | None, record: Any) -> None:
        """The service's rules: a new initiative, or one whose stage changes, is dated in its stage and must
        pass the stage gates (check_stage_move)."""
        if before is None:
            record.stage_since = record.inferred_stage_since() or timezone.localdate()
            check_stage_move(record, record)
        elif before.stage != record.stage:
            record.stage_since = timezone.localdate()
            check_stage_move(before, record)

    def changed(self, records: list[Any]) -> None:
        portfolio_changed(initiative_ids=[record.pk for record in records])


# --------------------------------------------------------------------------------------- objectives


class ObjectiveImportForm(forms.ObjectiveForm):
    def _get_validation_exclusions(self) -> set[str]:
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]  # Django's, untyped in the stubs
        return {*exclusions, "parent", "owner"}

    def validate_unique(self) -> None:
        """The code is the key the row was matched by; the titles' uniqueness is a constraint, checked by
        the model's validation."""


class ObjectiveKind(FormKind):
    slug = "objectives"
    label = "Objectives"
    noun = "objective"
    sheet = "Objectives"
    model = Objective
    key = ("code",)
    form_class = ObjectiveImportForm
    fields = (
        ImportField("code", "Code", ("ID", "Reference", "Objective code"), True, example="T1"),
        ImportField(
            "parent",
            "Parent",
            ("Parent code", "Theme", "Parent objective"),
            example="",
            accepts="the code of the objective above it (in the file or already here); empty for a "
            "strategic theme",
        ),
        ImportField("title", "Title", ("Name", "Objective"), True, example="Grow online sales"),
        ImportField("description", "Description", ("Summary",)),
        ImportField("owner", "Owner", ("Objective owner", "Accountable"), accepts="the username of a person"),
        ImportField("horizon_start", "Horizon start", ("Start", "From"), is_date=True, example="2026-01-01"),
        ImportField("horizon_end", "Horizon end", ("End", "To", "Until"), is_date=True, example="2028-12-31"),
        ImportField("status", "Status", (), choices=_choices(ObjectiveStatus.choices), example="active"),
        ImportField(
            "local_weight", "Local weight", ("Weight",), example="1", accepts="a number from 0.01 to 1000"
        ),
    )
    references = {  # noqa: RUF012 - read only
        "parent": Reference(
            lambda: Objective.objects.select_related("parent__parent"),
            "code",
            "No objective has the code “{value}”, here or in a valid row of the file.",
        ),
        "owner": _person("No active person has the username “{value}”.", forms.people),
    }

    def batches(self, rows: list[Row]) -> Iterator[list[Row]]:
        """Themes first, then the objectives under them, then theirs: a parent is written before the rows
        that name it (a parent that is neither here nor in the file is reported at the row)."""
        parent_of = {sheets.as_text(v.get("code")): sheets.as_text(v.get("parent")) for _n, v in rows}

        def level(code: str) -> int:
            depth, seen = 0, {code}
            while (parent := parent_of.get(code, "")) and parent in parent_of and parent not in seen:
                seen.add(parent)
                code = parent
                depth += 1
            return depth

        levels: dict[int, list[Row]] = {}
        for row in rows:
            levels.setdefault(level(sheets.as_text(row[1].get("code"))), []).append(row)
        for depth in sorted(levels):
            yield from chunks(levels[depth])

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        codes = [code for (code,) in keys if code]
        rows = Objective.objects.select_for_update(of=("self",)).select_related("parent__parent", "owner")
        return {(record.code,): record for record in rows.filter(code__in=codes)}

    def changed(self, records: list[Any]) -> None:
        portfolio_changed(objective_ids=[record.pk for record in records])


KINDS: dict[str, ImportKind] = {kind.slug: kind for kind in (InitiativeKind(), ObjectiveKind())}


def kind_choices() -> list[tuple[str, str]]:
    return [(slug, kind.label) for slug, kind in KINDS.items()]


def field_choices(kind: ImportKind) -> list[tuple[str, str]]:
    return [("", "(ignore this column)"), *((f.name, f"{f.label} ({f.name})") for f in kind.fields)]
