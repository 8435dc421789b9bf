from __future__ import annotations

from django.urls import path

from alignment import views

app_name = "alignment"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/data/<slug:chart>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("dashboard/refresh/", views.dashboard_refresh, name="dashboard-refresh"),
    path("initiatives/<id:pk>/why/", views.initiative_why, name="initiative-why"),
    path("signals/", views.signal_list, name="signal-list"),
    path("recompute/", views.recompute, name="recompute"),
    path("jobs/<id:pk>/", views.job_status, name="job-status"),
    path("scoring/", views.scoring_doc, name="scoring-doc"),
    path("objectives/<id:pk>/kpis.csv", views.objective_kpis_csv, name="objective-kpis-csv"),
    path("kpis/<id:pk>/chart.csv", views.kpi_chart_csv, name="kpi-chart-csv"),
    path("steering/meetings/<id:pk>/pack/", views.boardpack_html, name="boardpack-html"),
    path("steering/meetings/<id:pk>/pack/print/", views.boardpack_generate, name="boardpack-generate"),
    path("steering/meetings/<id:pk>/pack.pdf", views.boardpack_pdf, name="boardpack-pdf"),
]
