from __future__ import annotations

from django.urls import path, re_path

from api import views
from api.errors import not_found
from api.main import api

app_name = "api"

# the API itself is included by config.urls under its own namespace (api-v1); these are its pages
urlpatterns = [
    path("api/tokens/", views.token_list, name="token-list"),
    path("api/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]

api_urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", not_found),
]
