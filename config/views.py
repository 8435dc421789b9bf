from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from api.errors import not_found as api_not_found
from core.views import HtmxHttpRequest

logger = logging.getLogger(__name__)


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    return redirect("alignment:dashboard")


@never_cache
@require_GET
def health(request: HtmxHttpRequest) -> HttpResponse:
    """Liveness and readiness for load balancers and docker-compose: answers 200 when the database does.

    Anyone may call it, so a failure says only "unavailable"; the database's own words go to the log."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # the check reports any database failure rather than crashing
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def page_not_found(request: HtmxHttpRequest, exception: Exception) -> HttpResponse:
    """No such address: the API's own answer under /api/v1/ (its one error shape, in JSON), else the page."""
    if request.path.startswith("/api/v1/"):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)
