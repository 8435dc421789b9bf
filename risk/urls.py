from __future__ import annotations

from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("risks/", views.risk_list, name="risk-list"),
    path("risks/export.<fmt:fmt>", views.risk_export, name="risk-export"),
    path("tiers/", views.tier_policy_list, name="tier-policy-list"),
    path("tiers/<id:pk>/edit/", views.tier_policy_edit, name="tier-policy-edit"),
]
