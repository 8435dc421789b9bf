"""The portfolio's kinds of import: which fields each reads (the export's headers), its natural key, and the
rules of its service that go beyond its form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from core import sheets
from core.changes import portfolio_changed
from core.stages import Stage
from portfolio import forms
from portfolio.imports import registry
from portfolio.imports.base import FormKind, ImportFormMixin, Reference, choices_of, person_reference
from portfolio.imports.engine import ImportField, Row, chunks
from portfolio.models import Category, Initiative, Objective, ObjectiveStatus, Program
from portfolio.models.initiatives import WSJF_CHOICES
from portfolio.services.initiatives import check_stage_move


class InitiativeImportForm(ImportFormMixin, forms.InitiativeForm):
    resolved = ("program", "sponsor", "manager", "sustainment_owner")


CLARITY = (("1", "1: vague"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5: signed off"))
CRITICALITY = (("1", "1: nice to have"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5: business stops"))
URGENCY = (("1", "1: can wait"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5: needed now"))
WSJF = tuple((str(value), label) for value, label in WSJF_CHOICES)
YES_NO = (("true", "mandatory"), ("false", "optional"))


class InitiativeKind(FormKind):
    slug = "initiatives"
    order = 1
    label = "Initiatives"
    noun = "initiative"
    sheet = "Initiatives"
    model = Initiative
    key = ("code",)
    form_class = InitiativeImportForm
    extra_update_fields = ("stage_since",)
    # a row's checks read the programs and people it names and the initiative its code finds, none of which
    # another row of the file writes (a code appears once in a file)
    writes_beside = True
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
            choices=choices_of(Category.choices),
            example="grow",
        ),
        ImportField(
            "stage",
            "Stage",
            ("Status", "Lifecycle stage", "Phase"),
            choices=choices_of(Stage.choices),
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
        ImportField("urgency", "Urgency", choices=URGENCY),
        ImportField("mandatory", "Mandatory (regulatory)", ("Mandatory", "Regulatory"), choices=YES_NO),
        ImportField("mandatory_reason", "Why it is mandatory", ("Mandatory reason", "Obligation")),
        ImportField("wsjf_business_value", "WSJF business value", ("Business value",), choices=WSJF),
        ImportField("wsjf_time_criticality", "WSJF time criticality", ("Time criticality",), choices=WSJF),
        ImportField("wsjf_risk_reduction", "WSJF risk reduction", ("Risk reduction",), choices=WSJF),
        ImportField("wsjf_job_size", "WSJF job size", ("Job size",), choices=WSJF),
    )
    references = {  # noqa: RUF012 - read only
        "program": Reference(lambda: Program.objects.all(), "name", "No program is named “{value}”."),
        "sponsor": person_reference("No executive has the username “{value}”.", forms.executives),
        "manager": person_reference(
            "No initiative manager or PMO has the username “{value}”.", forms.managers
        ),
        "sustainment_owner": person_reference("No active person has the username “{value}”.", forms.people),
    }

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        codes = [code for (code,) in keys if code]
        # the people and programs they name are few: each read once per chunk and shared (prefetch), not
        # built again for every row as a join would
        rows = Initiative.objects.select_for_update(of=("self",)).prefetch_related(
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


class ObjectiveImportForm(ImportFormMixin, forms.ObjectiveForm):
    resolved = ("parent", "owner")


class ObjectiveKind(FormKind):
    slug = "objectives"
    order = 2
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
        ImportField("status", "Status", (), choices=choices_of(ObjectiveStatus.choices), example="active"),
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
        "owner": person_reference("No active person has the username “{value}”.", forms.people),
    }

    def batches(self, rows: Iterable[Row]) -> Iterator[list[Row]]:
        """Themes first, then the objectives under them, then theirs: a parent is written before the rows
        that name it (a parent that is neither here nor in the file is reported at the row)."""
        rows = list(rows)  # an objective tree is read whole to order it (a few hundred rows)
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

    def clash_keys(self, record: Any) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
        """Siblings' titles, and the themes' titles among themselves (a conditional constraint)."""
        keys = super().clash_keys(record)
        if record.parent_id is None:
            keys.append((("title",), (record.title,)))
        return keys

    def changed(self, records: list[Any]) -> None:
        """The objectives and their parents: a new or moved objective re-weights its siblings."""
        portfolio_changed(objective_ids=[id for r in records for id in (r.pk, r.parent_id)])


def register_kinds() -> None:
    registry.register(InitiativeKind())
    registry.register(ObjectiveKind())
