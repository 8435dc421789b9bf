from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portfolio import models as m


class VersionedAdmin(SimpleHistoryAdmin):
    readonly_fields: tuple[str, ...] = ("version", "created_at", "updated_at")


class ReadingInline(admin.TabularInline):
    model = m.Reading
    extra = 0
    fields = ("date", "value", "source", "entered_by")


class InterimTargetInline(admin.TabularInline):
    model = m.InterimTarget
    extra = 0
    fields = ("date", "value")


@admin.register(m.Objective)
class ObjectiveAdmin(VersionedAdmin):
    list_display = ("code", "title", "parent", "status", "local_weight", "owner")
    list_filter = ("status",)
    search_fields = ("code", "title")
    autocomplete_fields = ("parent", "owner")


@admin.register(m.KPI)
class KPIAdmin(VersionedAdmin):
    list_display = ("name", "objective", "unit", "direction", "baseline_value", "target_value", "target_date")
    list_filter = ("direction",)
    search_fields = ("name", "objective__code", "objective__title")
    autocomplete_fields = ("objective",)
    inlines = [InterimTargetInline, ReadingInline]


@admin.register(m.InterimTarget)
class InterimTargetAdmin(VersionedAdmin):
    list_display = ("kpi", "date", "value")
    autocomplete_fields = ("kpi",)


@admin.register(m.Reading)
class ReadingAdmin(VersionedAdmin):
    list_display = ("kpi", "date", "value", "source", "entered_by")
    list_filter = ("date",)
    search_fields = ("kpi__name",)
    autocomplete_fields = ("kpi", "entered_by")
    date_hierarchy = "date"


@admin.register(m.Program)
class ProgramAdmin(VersionedAdmin):
    list_display = ("name", "owner")
    search_fields = ("name",)


class ContributionInline(admin.TabularInline):
    model = m.Contribution
    extra = 0
    fields = ("objective", "strength", "rationale", "kpi", "expected_change")
    autocomplete_fields = ("objective", "kpi")


class MilestoneInline(admin.TabularInline):
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


@admin.register(m.Contribution)
class ContributionAdmin(VersionedAdmin):
    list_display = ("initiative", "objective", "strength", "kpi")
    list_filter = ("strength",)
    search_fields = ("initiative__code", "objective__code", "rationale")
    autocomplete_fields = ("initiative", "objective", "kpi")
    list_select_related = ("initiative", "objective", "kpi")


@admin.register(m.Milestone)
class MilestoneAdmin(VersionedAdmin):
    list_display = ("initiative", "name", "baseline_date", "forecast_date", "actual_date")
    search_fields = ("initiative__code", "name")
    autocomplete_fields = ("initiative",)
    readonly_fields = (*VersionedAdmin.readonly_fields, "forecast_updated_at")


@admin.register(m.ScopeChange)
class ScopeChangeAdmin(VersionedAdmin):
    list_display = ("initiative", "date", "status", "cost_impact", "schedule_impact_days", "approved_by")
    list_filter = ("status",)
    search_fields = ("initiative__code", "description", "rationale")
    autocomplete_fields = ("initiative", "approved_by")


@admin.register(m.Artefact)
class ArtefactAdmin(VersionedAdmin):
    list_display = ("initiative", "kind", "title", "dated")
    list_filter = ("kind",)
    search_fields = ("initiative__code", "title")
    autocomplete_fields = ("initiative",)


@admin.register(m.Committee)
class CommitteeAdmin(VersionedAdmin):
    list_display = ("name", "chair")
    search_fields = ("name",)
    filter_horizontal = ("members",)


class AgendaItemInline(admin.TabularInline):
    model = m.AgendaItem
    extra = 0
    fields = ("position", "initiative", "status", "review", "note")
    autocomplete_fields = ("initiative", "review")
    ordering = ("position", "pk")


@admin.register(m.SteeringMeeting)
class SteeringMeetingAdmin(VersionedAdmin):
    list_display = ("title", "committee", "held_on", "status")
    list_filter = ("status", "committee")
    search_fields = ("title",)
    filter_horizontal = ("attendees",)
    inlines = [AgendaItemInline]


@admin.register(m.AgendaItem)
class AgendaItemAdmin(VersionedAdmin):
    list_display = ("meeting", "position", "initiative", "status", "review")
    list_filter = ("status", "meeting__committee")
    search_fields = ("initiative__code", "meeting__title", "note")
    autocomplete_fields = ("meeting", "initiative", "review")
    list_select_related = ("meeting", "initiative", "review")
    readonly_fields = (*VersionedAdmin.readonly_fields, "reasons")


@admin.register(m.CheckpointReview)
class CheckpointReviewAdmin(VersionedAdmin):
    list_display = (
        "initiative",
        "held_on",
        "decision",
        "rag_schedule",
        "rag_cost",
        "rag_scope",
        "rag_benefits",
    )
    list_filter = ("decision",)
    search_fields = ("initiative__code", "rationale")
    autocomplete_fields = ("initiative", "meeting", "recorded_by")
    filter_horizontal = ("attendees",)
    readonly_fields = (*VersionedAdmin.readonly_fields, "snapshot", "suggested")


@admin.register(m.ActionItem)
class ActionItemAdmin(VersionedAdmin):
    list_display = ("title", "initiative", "owner", "due_date", "status")
    list_filter = ("status",)
    search_fields = ("title", "initiative__code")
    autocomplete_fields = ("initiative", "review", "owner")
