from __future__ import annotations

from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/<id:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/watching/", views.watching, name="watching"),
    path("notifications/watch/", views.watch, name="watch"),
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<id:pk>/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<id:pk>/secret/", views.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<id:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<id:pk>/log/", views.webhook_log, name="webhook-log"),
]
