from __future__ import annotations

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.round_list, name="round-list"),
    path("surveys/new/", views.round_create, name="round-create"),
    path("surveys/<id:pk>/", views.round_detail, name="round-detail"),
    path("surveys/<id:pk>/edit/", views.round_edit, name="round-edit"),
    path("surveys/<id:pk>/questions/add/", views.question_add, name="question-add"),
    path("surveys/questions/<id:pk>/edit/", views.question_edit, name="question-edit"),
    path("surveys/questions/<id:pk>/move/", views.question_move, name="question-move"),
    path("surveys/questions/<id:pk>/delete/", views.question_delete, name="question-delete"),
    path("surveys/<id:pk>/leaders/add/", views.respondent_add, name="respondent-add"),
    path("surveys/leaders/<id:pk>/revoke/", views.respondent_revoke, name="respondent-revoke"),
    path("surveys/<id:pk>/open/", views.round_open, name="round-open"),
    path("surveys/<id:pk>/remind/", views.round_remind, name="round-remind"),
    path("surveys/<id:pk>/close/", views.round_close, name="round-close"),
    path("surveys/<id:pk>/answer/", views.respond_signed_in, name="respond-signed-in"),
    path("survey/answer/<str:token>/", views.respond, name="respond"),
    path("surveys/<id:pk>/workshop/", views.workshop, name="workshop"),
    path("surveys/<id:pk>/clouds/<str:kind>.png", views.cloud_png, name="cloud"),
    path("surveys/<id:pk>/terms.csv", views.terms_csv, name="terms-csv"),
    path("surveys/<id:pk>/leaders.csv", views.leaders_csv, name="leaders-csv"),
    path("surveys/<id:pk>/agreement-trend.csv", views.trend_csv, name="trend-csv"),
    path("surveys/<id:pk>/pack/", views.pack_html, name="pack"),
    path("surveys/<id:pk>/pack.pdf", views.pack_pdf, name="pack-pdf"),
]
