"""Imports of KPIs (keyed by objective code + name) and of their readings (keyed by objective code + KPI
name + date), checked by the KPI and reading forms."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.changes import portfolio_changed
from portfolio import forms
from portfolio.imports import registry
from portfolio.imports.base import FormKind, ImportFormMixin, Reference, choices_of
from portfolio.imports.engine import ImportField
from portfolio.models import KPI, Direction, Objective, Reading

OBJECTIVE = Reference(lambda: Objective.objects.all(), "code", "No objective has the code “{value}”.")


class KPIImportForm(ImportFormMixin, forms.KPIForm):
    resolved = ("objective",)


class KPIKind(FormKind):
    slug = "kpis"
    order = 3
    label = "KPIs"
    noun = "KPI"
    sheet = "KPIs"
    model = KPI
    key = ("objective", "name")
    form_class = KPIImportForm
    fields = (
        ImportField(
            "objective",
            "Objective",
            ("Objective code",),
            True,
            example="O1",
            accepts="the code of an existing objective",
        ),
        ImportField(
            "name", "Name", ("KPI", "KPI name", "Measure", "Metric"), True, example="Conversion rate"
        ),
        ImportField("description", "Description", ("Definition",)),
        ImportField("unit", "Unit", ("Unit of measure", "UoM"), True, example="%"),
        ImportField(
            "direction",
            "Direction",
            ("Better when",),
            choices=choices_of(Direction.choices),
            example="increase",
        ),
        ImportField("baseline_value", "Baseline value", ("Baseline",), True, example="2.1"),
        ImportField("baseline_date", "Baseline date", (), True, is_date=True, example="2025-01-01"),
        ImportField("target_value", "Target value", ("Target",), True, example="3.5"),
        ImportField("target_date", "Target date", (), True, is_date=True, example="2027-12-31"),
    )
    references = {"objective": OBJECTIVE}  # noqa: RUF012 - read only

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        rows = KPI.objects.select_for_update(of=("self",)).select_related("objective")
        rows = rows.filter(
            objective__code__in={objective for objective, _name in keys},
            name__in={name for _objective, name in keys},
        )
        return {(kpi.objective.code, kpi.name): kpi for kpi in rows}

    def changed(self, records: list[Any]) -> None:
        portfolio_changed(kpi_ids=[record.pk for record in records])


class ReadingImportForm(ImportFormMixin, forms.ReadingForm):
    pass


class ReadingKind(FormKind):
    slug = "readings"
    order = 4
    label = "KPI readings"
    noun = "reading"
    sheet = "Readings"
    model = Reading
    key = ("objective", "kpi", "date")
    form_class = ReadingImportForm
    fields = (
        ImportField(
            "objective",
            "Objective",
            ("Objective code",),
            True,
            example="O1",
            accepts="the code of the KPI's objective",
        ),
        ImportField(
            "kpi",
            "KPI",
            ("KPI name", "Measure", "Metric"),
            True,
            example="Conversion rate",
            accepts="the name of a KPI of that objective",
        ),
        ImportField(
            "date", "Date", ("Reading date", "As of", "Period"), True, is_date=True, example="2026-03-31"
        ),
        ImportField("value", "Value", ("Reading", "Actual", "Result"), True, example="2.4"),
        ImportField("source", "Source", ("Data source",), example="Web analytics"),
    )

    def __init__(self) -> None:
        self._kpis: dict[tuple[str, str], KPI] = {}

    def prefetch(self, rows: list[dict[str, str]]) -> None:
        """The chunk's KPIs, by objective code and name, in one query."""
        pairs = {(row.get("objective", ""), row.get("kpi", "")) for row in rows}
        found = KPI.objects.select_related("objective").filter(
            objective__code__in={o for o, _k in pairs}, name__in={k for _o, k in pairs}
        )
        self._kpis = {(kpi.objective.code, kpi.name): kpi for kpi in found}

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        kpis = [kpi.pk for kpi in self._kpis.values()]
        dates = {date for _o, _k, date in keys if date}
        rows = Reading.objects.select_for_update(of=("self",)).select_related("kpi__objective")
        found = rows.filter(Q(kpi_id__in=kpis) & Q(date__in=dates))
        return {(r.kpi.objective.code, r.kpi.name, r.date.isoformat()): r for r in found}

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        kpi = self._kpis.get((data.get("objective", ""), data.get("kpi", "")))
        if kpi is None:
            message = (
                f"No KPI is named “{data.get('kpi', '')}” under objective “{data.get('objective', '')}”."
            )
            return None, "kpi", message
        return Reading(kpi=kpi), "", ""

    def write(self, checked: list[Any], *, user: Any, reason: str) -> None:
        """As recorded on the page: a new reading is entered by whoever imports it."""
        person = user if getattr(user, "is_authenticated", False) else None
        for item in checked:
            if item.action == "create":
                item.record.entered_by = person
        super().write(checked, user=user, reason=reason)

    def changed(self, records: list[Any]) -> None:
        portfolio_changed(kpi_ids=[record.kpi_id for record in records])


def register_kinds() -> None:
    registry.register(KPIKind())
    registry.register(ReadingKind())
