from __future__ import annotations

from django.urls import path

from tests.saml_idp import views

urlpatterns = [
    path("metadata", views.metadata),
    path("sso", views.sign_in),
    path("slo", views.single_logout),
    path("test/seed", views.seed),
    path("test/log", views.log),
]
