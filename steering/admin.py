"""Steering records in the Django admin: committees are set up here; the rest is view-only (see core.admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyInline, VersionedAdmin
from steering.models import ActionItem, AgendaItem, CheckpointReview, Committee, SteeringMeeting


@admin.register(Committee)
class CommitteeAdmin(SimpleHistoryAdmin):
    """Committees are set up here (Bearing has no form for them): who chairs and who sits on each. Nothing
    is computed from them, so an edit here only needs the history this admin records."""

    readonly_fields = ("version", "created_at", "updated_at")
    list_display = ("name", "chair")
    search_fields = ("name",)
    filter_horizontal = ("members",)


class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    extra = 0
    fields = ("position", "initiative", "status", "review", "note")
    autocomplete_fields = ("initiative", "review")
    ordering = ("position", "pk")


@admin.register(SteeringMeeting)
class SteeringMeetingAdmin(VersionedAdmin):
    list_display = ("title", "committee", "held_on", "status")
    list_filter = ("status", "committee")
    search_fields = ("title",)
    filter_horizontal = ("attendees",)
    inlines = [AgendaItemInline]

    def app_url(self, obj: Any) -> str:
        return reverse("steering:meeting-detail", args=[obj.pk])


@admin.register(AgendaItem)
class AgendaItemAdmin(VersionedAdmin):
    list_display = ("meeting", "position", "initiative", "status", "review")
    list_filter = ("status", "meeting__committee")
    search_fields = ("initiative__code", "meeting__title", "note")
    autocomplete_fields = ("meeting", "initiative", "review")
    list_select_related = ("meeting", "initiative", "review")
    readonly_fields = (*VersionedAdmin.readonly_fields, "reasons")

    def app_url(self, obj: Any) -> str:
        return reverse("steering:meeting-detail", args=[obj.meeting_id])


@admin.register(CheckpointReview)
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
    readonly_fields = (*VersionedAdmin.readonly_fields, "figures", "suggested")

    def app_url(self, obj: Any) -> str:
        return reverse("steering:review-detail", args=[obj.pk])


@admin.register(ActionItem)
class ActionItemAdmin(VersionedAdmin):
    list_display = ("title", "initiative", "owner", "due_date", "status")
    list_filter = ("status",)
    search_fields = ("title", "initiative__code")
    autocomplete_fields = ("initiative", "review", "owner")

    def app_url(self, obj: Any) -> str:
        return reverse("steering:action-edit", args=[obj.pk])
