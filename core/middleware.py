"""Middleware of core: start the in-process schedule with the first request the embedded default serves."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core import scheduler


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
