from __future__ import annotations

from django.urls import path

from capacity import views

app_name = "capacity"

urlpatterns = [
    path("capacity/", views.heat_map, name="heat-map"),
    path("capacity/export.<fmt:fmt>", views.heat_map_export, name="heat-map-export"),
    path("capacity/teams/<id:pk>/months/<str:month>/", views.cell_detail, name="cell-detail"),
    path("capacity/teams/", views.team_list, name="team-list"),
    path("capacity/teams/list.<fmt:fmt>", views.team_list_export, name="team-list-export"),
    path("capacity/teams/export.<fmt:fmt>", views.team_export, name="team-export"),
    path("capacity/overrides/export.<fmt:fmt>", views.override_export, name="override-export"),
    path("capacity/teams/new/", views.team_create, name="team-create"),
    path("capacity/teams/<id:pk>/", views.team_detail, name="team-detail"),
    path("capacity/teams/<id:pk>/edit/", views.team_edit, name="team-edit"),
    path("capacity/teams/<id:pk>/delete/", views.team_delete, name="team-delete"),
    path("capacity/teams/<id:pk>/run/fill/", views.run_fill, name="run-fill"),
    path("capacity/teams/<id:pk>/<slug:kind>/new/", views.team_record_create, name="team-record-create"),
    path("capacity/records/<slug:kind>/<id:pk>/edit/", views.team_record_edit, name="team-record-edit"),
    path("capacity/records/<slug:kind>/<id:pk>/delete/", views.team_record_delete, name="team-record-delete"),
    path("capacity/run/export.<fmt:fmt>", views.run_export, name="run-export"),
    path("capacity/effort/export.<fmt:fmt>", views.effort_export, name="effort-export"),
    path("capacity/effort/months.<fmt:fmt>", views.effort_month_export, name="effort-month-export"),
    path("capacity/effort/<id:pk>/months/", views.effort_months, name="effort-months"),
    path("capacity/effort/<id:pk>/reset/", views.effort_reset, name="effort-reset"),
    path("capacity/policy/", views.policy, name="policy"),
]
