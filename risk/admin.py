from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse

from portfolio.admin import VersionedAdmin
from risk.models import Risk, TierPolicy


@admin.register(Risk)
class RiskAdmin(VersionedAdmin):
    list_display = ("title", "initiative", "category", "probability", "impact", "status", "owner")
    list_filter = ("status", "category", "probability", "impact")
    search_fields = ("title", "initiative__code", "mitigation")
    autocomplete_fields = ("initiative", "owner")
    list_select_related = ("initiative", "owner")

    def app_url(self, obj: Any) -> str:
        return reverse("portfolio:initiative-detail", args=[obj.initiative_id])


@admin.register(TierPolicy)
class TierPolicyAdmin(VersionedAdmin):
    list_display = ("tier", "name", "checkpoint_cadence_days", "required_artefacts")

    def app_url(self, obj: Any) -> str:
        return reverse("risk:tier-policy-edit", args=[obj.pk])
