"""Middleware of core: time every request for the metrics (and log it), and start the in-process schedule with
the first request the embedded default serves."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core import logs, metrics, scheduler

request_log = logging.getLogger("bearing.requests")


class RequestMetricsMiddleware:
    """First of all middleware, so it times the whole answer: observes each request in
    bearing_request_duration_seconds and bearing_requests_total under its route (the URL pattern's name, e.g.
    "portfolio:initiative-list"; "static" for a static file, "unmatched" when no pattern matched), method and
    status class; gives it a request id (the proxy's X-Request-ID, else a fresh one) that its log lines carry
    and its answer returns; and with BEARING_LOG_REQUESTS logs one line for it. About 13 microseconds a
    request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log_requests = bool(settings.BEARING_LOG_REQUESTS)
        static = str(settings.STATIC_URL or "")
        self.static_prefix = static if static.startswith("/") else None

    def route(self, request: HttpRequest) -> str:
        match = request.resolver_match
        if match is not None:
            return match.view_name
        if self.static_prefix and request.path_info.startswith(self.static_prefix):
            return metrics.STATIC
        return metrics.UNMATCHED

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = logs.request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]  # read by core.logs.JsonFormatter
        context = logs.REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            route = self.route(request)
            method = metrics.method_label(request.method)
            status = metrics.status_class(response.status_code)
            metrics.observe_request(route, method, status, seconds)
            if self.log_requests:
                duration_ms = round(seconds * 1000, 1)
                request_log.info(
                    "%s %s %s %.1f ms",
                    method,
                    route,
                    response.status_code,
                    duration_ms,
                    extra={
                        "request_id": request_id,
                        "method": method,
                        "route": route,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                    },
                )
            response["X-Request-ID"] = request_id
            return response
        finally:
            logs.REQUEST_ID.reset(context)


class InProcessScheduleMiddleware:
    """With no beat (the embedded default), the web process runs the scheduled jobs itself. It starts with
    the first request rather than at import, so management commands (migrate, seed_demo) never start it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = scheduler.runs_in_process()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.enabled:
            scheduler.start_in_process()
        return self.get_response(request)
