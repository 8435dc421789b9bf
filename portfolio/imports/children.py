"""Imports of what hangs off an initiative, each keyed by the initiative's code and its own natural key:
milestones (+ name) and contributions (+ objective code). The risk app imports risks the same way."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.changes import portfolio_changed
from portfolio import forms
from portfolio.imports import registry
from portfolio.imports.base import FormKind, ImportFormMixin, Reference, choices_of
from portfolio.imports.engine import ImportField, KeyedChoiceField
from portfolio.models import KPI, Contribution, Initiative, Milestone, Objective, Strength

INITIATIVE_FIELD = ImportField(
    "initiative",
    "Initiative",
    ("Initiative code", "Project", "Project code"),
    True,
    example="ECOM-12",
    accepts="the code of an existing initiative",
)


class InitiativeChildKind(FormKind):
    """A record of one initiative, keyed by the initiative's code and `own_key` (a field of the record)."""

    own_key = "name"

    def __init__(self) -> None:
        self._initiatives: dict[str, Initiative] = {}

    def prefetch(self, rows: list[dict[str, str]]) -> None:
        """The chunk's initiatives, by code, in one query."""
        codes = {row.get("initiative", "") for row in rows} - {""}
        self._initiatives = {i.code: i for i in Initiative.objects.filter(code__in=codes)}

    def own_value(self, record: Any) -> str:
        return str(getattr(record, self.own_key))

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        ids = [initiative.pk for initiative in self._initiatives.values()]
        rows: Any = self.model._default_manager.select_for_update(of=("self",)).select_related("initiative")
        found: dict[tuple[str, ...], Any] = {}
        for record in rows.filter(initiative_id__in=ids):
            found.setdefault((record.initiative.code, self.own_value(record)), record)
        return found

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        initiative = self._initiatives.get(data.get("initiative", ""))
        if initiative is None:
            return None, "initiative", f"No initiative has the code “{data.get('initiative', '')}”."
        return self.model(initiative=initiative), "", ""

    def changed(self, records: list[Any]) -> None:
        portfolio_changed(initiative_ids=[record.initiative_id for record in records])


class MilestoneImportForm(ImportFormMixin, forms.MilestoneForm):
    pass


class MilestoneKind(InitiativeChildKind):
    slug = "milestones"
    order = 5
    label = "Milestones"
    noun = "milestone"
    sheet = "Milestones"
    model = Milestone
    key = ("initiative", "name")
    form_class = MilestoneImportForm
    extra_update_fields = ("forecast_updated_at",)
    fields = (
        INITIATIVE_FIELD,
        ImportField("name", "Name", ("Milestone", "Title"), True, example="Go-live"),
        ImportField(
            "baseline_date",
            "Baseline date",
            ("Baseline", "Planned date", "Due"),
            True,
            is_date=True,
            example="2026-09-30",
        ),
        ImportField("forecast_date", "Forecast date", ("Forecast",), is_date=True),
        ImportField("actual_date", "Actual date", ("Actual", "Done"), is_date=True),
    )

    def after_clean(self, before: Any | None, record: Any) -> None:
        """As the milestone services do: a new forecast date is time-stamped."""
        if record.forecast_date and (before is None or before.forecast_date != record.forecast_date):
            record.forecast_updated_at = timezone.now()


class ContributionImportForm(ImportFormMixin, forms.ContributionForm):
    resolved = ("objective", "kpi")


class ContributionKind(InitiativeChildKind):
    slug = "contributions"
    order = 6
    label = "Contributions"
    noun = "contribution"
    sheet = "Contributions"
    model = Contribution
    key = ("initiative", "objective")
    own_key = "objective"
    form_class = ContributionImportForm
    reuse_form = False  # its form's choices depend on the record (its objective, that objective's KPIs)
    fields = (
        INITIATIVE_FIELD,
        ImportField(
            "objective",
            "Objective",
            ("Objective code",),
            True,
            example="O1",
            accepts="the code of an active objective",
        ),
        ImportField(
            "strength",
            "Strength",
            ("Contribution", "Alignment"),
            choices=choices_of(Strength.choices),
            example="strong",
        ),
        ImportField(
            "rationale",
            "Rationale",
            ("Why", "Reason", "Justification"),
            True,
            example="A one-page checkout removes the two steps where most shoppers give up.",
        ),
        ImportField(
            "kpi",
            "KPI",
            ("KPI name", "Measure"),
            accepts="the name of a KPI of that objective or of one below it, or empty",
        ),
        ImportField(
            "expected_change",
            "Expected change",
            ("Expected impact", "Target change"),
            accepts="a number in the KPI's unit (needs the KPI)",
        ),
    )
    references = {  # noqa: RUF012 - read only
        "objective": Reference(
            lambda: Objective.objects.active().order_by("code"),
            "code",
            "No active objective has the code “{value}”.",
            keeps_current=True,  # as the form: a contribution keeps its objective once that is retired
        ),
    }

    def own_value(self, record: Any) -> str:
        return str(record.objective.code)

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        ids = [initiative.pk for initiative in self._initiatives.values()]
        rows = Contribution.objects.select_for_update(of=("self",)).select_related(
            "initiative", "objective", "kpi"
        )
        codes = {objective for _initiative, objective in keys}
        return {
            (c.initiative.code, c.objective.code): c
            for c in rows.filter(initiative_id__in=ids, objective__code__in=codes)
        }

    def _as_form_text(self, record: Any, name: str) -> str:
        if name == "kpi":
            return record.kpi.name if record.kpi_id else ""
        return super()._as_form_text(record, name)

    def make_form(self, data: dict[str, str], record: Any) -> Any:
        """The contribution form, its KPI named within the chosen objective's branch (as its select offers)."""
        form = super().make_form(data, record)
        objective = Objective.objects.active().filter(code=data.get("objective", "")).first()
        if objective is None and record.objective_id and record.objective.code == data.get("objective"):
            objective = record.objective
        kpis = forms.ContributionForm.kpis_of(objective.pk if objective else None)
        options: dict[str, KPI] = {}
        for kpi in kpis:
            options.setdefault(kpi.name, kpi)
        form.fields["kpi"] = KeyedChoiceField(
            options,
            "The objective has no KPI named “{value}” (nor has any objective below it).",
            required=False,
        )
        return form


def register_kinds() -> None:
    registry.register(MilestoneKind())
    registry.register(ContributionKind())
