from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
