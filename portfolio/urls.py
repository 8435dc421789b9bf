from __future__ import annotations

from django.urls import path

from portfolio.views import initiatives, objectives, steering, worklist

app_name = "portfolio"

urlpatterns = [
    path("initiatives/", initiatives.initiative_list, name="initiative-list"),
    path("initiatives/new/", initiatives.initiative_create, name="initiative-create"),
    path("initiatives/<id:pk>/", initiatives.initiative_detail, name="initiative-detail"),
    path("initiatives/<id:pk>/edit/", initiatives.initiative_edit, name="initiative-edit"),
    path("initiatives/<id:pk>/<slug:kind>/new/", initiatives.record_create, name="record-create"),
    path("records/<slug:kind>/<id:pk>/edit/", initiatives.record_edit, name="record-edit"),
    path("records/<slug:kind>/<id:pk>/delete/", initiatives.record_delete, name="record-delete"),
    path("milestones/", initiatives.milestone_list, name="milestone-list"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("objectives/", objectives.objective_list, name="objective-list"),
    path("objectives/new/", objectives.objective_create, name="objective-create"),
    path("objectives/<id:pk>/", objectives.objective_detail, name="objective-detail"),
    path("objectives/<id:pk>/edit/", objectives.objective_edit, name="objective-edit"),
    path("kpis/new/", objectives.kpi_create, name="kpi-create"),
    path("kpis/<id:pk>/", objectives.kpi_detail, name="kpi-detail"),
    path("kpis/<id:pk>/edit/", objectives.kpi_edit, name="kpi-edit"),
    path("kpis/<id:pk>/readings/", objectives.reading_create, name="reading-create"),
    path("readings/<id:pk>/delete/", objectives.reading_delete, name="reading-delete"),
    path("programs/", objectives.program_list, name="program-list"),
    path("programs/new/", objectives.program_create, name="program-create"),
    path("programs/<id:pk>/edit/", objectives.program_edit, name="program-edit"),
    path("steering/", steering.meeting_list, name="meeting-list"),
    path("steering/meetings/new/", steering.meeting_create, name="meeting-create"),
    path("steering/meetings/<id:pk>/", steering.meeting_detail, name="meeting-detail"),
    path("steering/meetings/<id:pk>/edit/", steering.meeting_edit, name="meeting-edit"),
    path("steering/meetings/<id:pk>/attendance/", steering.meeting_attendance, name="meeting-attendance"),
    path("steering/meetings/<id:pk>/agenda/propose/", steering.agenda_propose, name="agenda-propose"),
    path("steering/meetings/<id:pk>/agenda/add/", steering.agenda_add, name="agenda-add"),
    path("steering/agenda/<id:pk>/move/", steering.agenda_move, name="agenda-move"),
    path("steering/agenda/<id:pk>/remove/", steering.agenda_remove, name="agenda-remove"),
    path("steering/agenda/<id:pk>/review/", steering.checkpoint_decide, name="checkpoint-decide"),
    path("steering/reviews/<id:pk>/", steering.review_detail, name="review-detail"),
    path("steering/decisions/", steering.decision_log, name="decision-log"),
    path("steering/actions/", steering.action_list, name="action-list"),
    path("steering/actions/<id:pk>/edit/", steering.action_edit, name="action-edit"),
    path("steering/actions/<id:pk>/status/", steering.action_status, name="action-status"),
]
