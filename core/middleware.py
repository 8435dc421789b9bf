"""Middleware of core: refuse a NUL character in an address, and start the in-process schedule with the first
request the embedded default serves."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
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


class NulCharacterInQuery(SuspiciousOperation):
    """A query parameter holds a NUL character, which no field accepts and PostgreSQL cannot compare."""


class RefuseNulMiddleware:
    """Answer 400 to a query string with a NUL character in a name or a value, before any view (ours or the
    admin's filters) passes it to the database, which would fail on it. Forms refuse NUL in a posted field
    themselves, at the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise NulCharacterInQuery("A query parameter holds a NUL character.")
        return self.get_response(request)
