from __future__ import annotations

from django.urls import path

from steering import views

app_name = "steering"

urlpatterns = [
    path("steering/", views.meeting_list, name="meeting-list"),
    path("steering/meetings/new/", views.meeting_create, name="meeting-create"),
    path("steering/meetings/<id:pk>/", views.meeting_detail, name="meeting-detail"),
    path("steering/meetings/<id:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("steering/meetings/<id:pk>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path("steering/meetings/<id:pk>/agenda/propose/", views.agenda_propose, name="agenda-propose"),
    path("steering/meetings/<id:pk>/agenda/add/", views.agenda_add, name="agenda-add"),
    path("steering/agenda/<id:pk>/move/", views.agenda_move, name="agenda-move"),
    path("steering/agenda/<id:pk>/remove/", views.agenda_remove, name="agenda-remove"),
    path("steering/agenda/<id:pk>/plan/", views.agenda_plan, name="agenda-plan"),
    path("steering/agenda/<id:pk>/review/", views.review_create, name="review-create"),
    path(
        "steering/agenda/<id:pk>/review/scope-changes/<id:change>/",
        views.review_scope_change,
        name="review-scope-change",
    ),
    path("steering/reviews/<id:pk>/", views.review_detail, name="review-detail"),
    path("steering/decisions/", views.decision_log, name="decision-log"),
    path("steering/decisions/export.<fmt:fmt>", views.decision_log_export, name="decision-log-export"),
    path("steering/decisions/portfolio/", views.portfolio_decision_log, name="portfolio-decision-log"),
    path(
        "steering/decisions/portfolio/export.<fmt:fmt>",
        views.portfolio_decision_export,
        name="portfolio-decision-export",
    ),
    path("steering/actions/", views.action_list, name="action-list"),
    path("steering/actions/export.<fmt:fmt>", views.action_export, name="action-export"),
    path("steering/actions/<id:pk>/edit/", views.action_edit, name="action-edit"),
    path("steering/actions/<id:pk>/status/", views.action_status, name="action-status"),
    path("steering/meetings/<id:pk>/pack/", views.boardpack_html, name="boardpack-html"),
    path("steering/meetings/<id:pk>/pack/print/", views.boardpack_generate, name="boardpack-generate"),
    path("steering/meetings/<id:pk>/pack.pdf", views.boardpack_pdf, name="boardpack-pdf"),
]
