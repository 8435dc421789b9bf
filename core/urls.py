from __future__ import annotations

from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("jobs/<id:pk>/", views.job_status, name="job-status"),
    path("choices/<slug:key>/", views.choice_options, name="choice-options"),
]
