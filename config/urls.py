from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from api.urls import api_urlpatterns
from config import accounts, views
from config.converters import ExportFormatConverter, IdConverter
from core import monitoring
from identity import signin, signout

register_converter(IdConverter, "id")
register_converter(ExportFormatConverter, "fmt")

handler404 = "config.views.page_not_found"

admin.site.site_header = "Bearing administration"
admin.site.site_title = "Bearing admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("metrics", monitoring.metrics_view, name="metrics"),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/logout/", signout.SignOutView.as_view(), name="logout"),
    path("accounts/password/change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("accounts/password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("", include("identity.urls")),
    path("", include("portfolio.urls")),
    path("", include("risk.urls")),
    path("", include("capacity.urls")),
    path("", include("surveys.urls")),
    path("", include("alignment.urls")),
    path("", include("steering.urls")),
    path("", include("planning.urls")),
    path("", include("events.urls")),
    path("", include("api.urls")),
    *api_urlpatterns,
]
