"""The Django admin shows entered records but never changes them: the app's forms and services keep each
record's version (no lost update), its audit trail and the scores computed from it. Every record's admin
page links to the page of Bearing where it is edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse

from core.admin import ReadOnlyInline, VersionedAdmin
from portfolio import models as m


def _initiative_url(obj: Any) -> str:
    return reverse("portfolio:initiative-detail", args=[obj.initiative_id])


def _kpi_url(obj: Any) -> str:
    return reverse("portfolio:kpi-detail", args=[obj.kpi_id])


class ReadingInline(ReadOnlyInline):
    model = m.Reading
    fields = ("date", "value", "source", "entered_by")


class InterimTargetInline(ReadOnlyInline):
    model = m.InterimTarget
    extra = 0
    fields = ("date", "value")


@admin.register(m.Objective)
class ObjectiveAdmin(VersionedAdmin):
    list_display = ("code", "title", "parent", "status", "local_weight", "owner")
    list_filter = ("status",)
    search_fields = ("code", "title")
    autocomplete_fields = ("parent", "owner")

    def app_url(self, obj: Any) -> str:
        return reverse("portfolio:objective-detail", args=[obj.pk])


@admin.register(m.KPI)
class KPIAdmin(VersionedAdmin):
    list_display = ("name", "objective", "unit", "direction", "baseline_value", "target_value", "target_date")
    list_filter = ("direction",)
    search_fields = ("name", "objective__code", "objective__title")
    autocomplete_fields = ("objective",)
    inlines = [InterimTargetInline, ReadingInline]

    def app_url(self, obj: Any) -> str:
        return reverse("portfolio:kpi-detail", args=[obj.pk])


@admin.register(m.InterimTarget)
class InterimTargetAdmin(VersionedAdmin):
    list_display = ("kpi", "date", "value")
    autocomplete_fields = ("kpi",)

    def app_url(self, obj: Any) -> str:
        return _kpi_url(obj)


@admin.register(m.Reading)
class ReadingAdmin(VersionedAdmin):
    list_display = ("kpi", "date", "value", "source", "entered_by")
    list_filter = ("date",)
    search_fields = ("kpi__name",)
    autocomplete_fields = ("kpi", "entered_by")
    date_hierarchy = "date"

    def app_url(self, obj: Any) -> str:
        return _kpi_url(obj)


@admin.register(m.Program)
class ProgramAdmin(VersionedAdmin):
    list_display = ("name", "owner")
    search_fields = ("name",)

    def app_url(self, obj: Any) -> str:
        return reverse("portfolio:program-edit", args=[obj.pk])


class ContributionInline(ReadOnlyInline):
    model = m.Contribution
    extra = 0
    fields = ("objective", "strength", "rationale", "kpi", "expected_change")
    autocomplete_fields = ("objective", "kpi")


class MilestoneInline(ReadOnlyInline):
    model = m.Milestone
    extra = 0
    fields = ("name", "baseline_date", "forecast_date", "actual_date")


@admin.register(m.Initiative)
class InitiativeAdmin(VersionedAdmin):
    list_display = (
        "code",
        "title",
        "stage",
        "category",
        "program",
        "sponsor",
        "manager",
        "budget_capex",
        "budget_opex",
    )
    list_filter = ("stage", "category", "program")
    search_fields = ("code", "title", "description")
    autocomplete_fields = ("sponsor", "manager", "sustainment_owner", "program")
    inlines = [ContributionInline, MilestoneInline]
    list_select_related = ("program", "sponsor", "manager")

    def app_url(self, obj: Any) -> str:
        return reverse("portfolio:initiative-detail", args=[obj.pk])


@admin.register(m.Contribution)
class ContributionAdmin(VersionedAdmin):
    list_display = ("initiative", "objective", "strength", "kpi")
    list_filter = ("strength",)
    search_fields = ("initiative__code", "objective__code", "rationale")
    autocomplete_fields = ("initiative", "objective", "kpi")
    list_select_related = ("initiative", "objective", "kpi")

    def app_url(self, obj: Any) -> str:
        return _initiative_url(obj)


@admin.register(m.Milestone)
class MilestoneAdmin(VersionedAdmin):
    list_display = ("initiative", "name", "baseline_date", "forecast_date", "actual_date")
    search_fields = ("initiative__code", "name")
    autocomplete_fields = ("initiative",)
    readonly_fields = (*VersionedAdmin.readonly_fields, "forecast_updated_at")

    def app_url(self, obj: Any) -> str:
        return _initiative_url(obj)


@admin.register(m.ScopeChange)
class ScopeChangeAdmin(VersionedAdmin):
    list_display = ("initiative", "date", "status", "cost_impact", "schedule_impact_days", "approved_by")
    list_filter = ("status",)
    search_fields = ("initiative__code", "description", "rationale")
    autocomplete_fields = ("initiative", "approved_by")

    def app_url(self, obj: Any) -> str:
        return _initiative_url(obj)


@admin.register(m.Artefact)
class ArtefactAdmin(VersionedAdmin):
    list_display = ("initiative", "kind", "title", "dated")
    list_filter = ("kind",)
    search_fields = ("initiative__code", "title")
    autocomplete_fields = ("initiative",)

    def app_url(self, obj: Any) -> str:
        return _initiative_url(obj)
