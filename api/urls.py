from __future__ import annotations

from django.urls import path

from api import views
from api.main import api

app_name = "api"

# the API itself is included by config.urls under its own namespace (api-v1); these are its pages
urlpatterns = [
    path("api/tokens/", views.token_list, name="token-list"),
    path("api/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]

# any other address under /api/v1/ answers the API's 404 (config.views.page_not_found)
api_urlpatterns = [path("api/v1/", api.urls)]
