from __future__ import annotations

from django.urls import path

from alignment import views

app_name = "alignment"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/data/<slug:chart>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("dashboard/capacity/", views.dashboard_capacity, name="dashboard-capacity"),
    path("dashboard/capacity.csv", views.dashboard_capacity_csv, name="dashboard-capacity-csv"),
    path("dashboard/refresh/", views.dashboard_refresh, name="dashboard-refresh"),
    path("dashboard/spend/<id:pk>/", views.objective_spend, name="dashboard-spend"),
    path("dashboard/spend/no-objective/", views.unaligned_spend, name="dashboard-spend-unaligned"),
    path("initiatives/<id:pk>/why/", views.initiative_why, name="initiative-why"),
    path("signals/", views.signal_list, name="signal-list"),
    path("signals/export.<fmt:fmt>", views.signal_export, name="signal-export"),
    path("recompute/", views.recompute, name="recompute"),
    path("benefits/", views.benefits_overview, name="benefits"),
    path("benefits/groups.csv", views.benefits_csv, name="benefits-csv"),
    path("benefits/cumulative.csv", views.benefits_cumulative_csv, name="benefits-cumulative-csv"),
    path("benefits/rules/", views.benefits_doc, name="benefits-doc"),
    path("benefits/track-record/", views.track_record, name="track-record"),
    path("benefits/track-record.csv", views.track_record_csv, name="track-record-csv"),
    path("scoring/", views.scoring_doc, name="scoring-doc"),
    path("objectives/<id:pk>/kpi-chart/", views.objective_kpi_chart, name="objective-kpi-chart"),
    path("objectives/<id:pk>/kpis.csv", views.objective_kpis_csv, name="objective-kpis-csv"),
    path("kpis/<id:pk>/chart.csv", views.kpi_chart_csv, name="kpi-chart-csv"),
]
