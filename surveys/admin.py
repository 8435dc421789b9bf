"""Survey rounds in the Django admin: view only (rounds are run in Bearing). Answers are not listed here: they
are private until a round closes, and then shown in the workshop view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse

from core.admin import ReadOnlyInline, VersionedAdmin
from surveys.models import Question, Respondent, SurveyRound


class QuestionInline(ReadOnlyInline):
    model = Question
    extra = 0
    fields = ("position", "kind", "text")


class RespondentInline(ReadOnlyInline):
    model = Respondent
    extra = 0
    fields = ("side", "name", "email", "invited_at", "answered_at", "revoked_at")
    readonly_fields = ("invited_at", "answered_at", "revoked_at")


@admin.register(SurveyRound)
class SurveyRoundAdmin(VersionedAdmin):
    list_display = ("title", "program", "status", "agreement", "closed_at")
    list_filter = ("status",)
    search_fields = ("title",)
    exclude = ("results",)
    inlines = [QuestionInline, RespondentInline]

    def app_url(self, obj: Any) -> str:
        return reverse("surveys:round-detail", args=[obj.pk])
