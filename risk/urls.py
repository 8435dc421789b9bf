from __future__ import annotations

from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("risks/", views.risk_list, name="risk-list"),
]
