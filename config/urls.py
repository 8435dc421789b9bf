from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from config import views
from config.converters import IdConverter

register_converter(IdConverter, "id")

admin.site.site_header = "Bearing administration"
admin.site.site_title = "Bearing admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("portfolio.urls")),
    path("", include("risk.urls")),
    path("", include("alignment.urls")),
]
