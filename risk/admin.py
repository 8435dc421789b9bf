from __future__ import annotations

from django.contrib import admin

from portfolio.admin import VersionedAdmin
from risk.models import Risk, TierPolicy


@admin.register(Risk)
class RiskAdmin(VersionedAdmin):
    list_display = ("title", "initiative", "category", "probability", "impact", "status", "owner")
    list_filter = ("status", "category", "probability", "impact")
    search_fields = ("title", "initiative__code", "mitigation")
    autocomplete_fields = ("initiative", "owner")
    list_select_related = ("initiative", "owner")


@admin.register(TierPolicy)
class TierPolicyAdmin(VersionedAdmin):
    list_display = ("tier", "name", "checkpoint_cadence_days", "required_artefacts")
