"""Log lines for machines: one JSON object per line (BEARING_LOG_FORMAT=json), and the request id that ties a
request's lines together.

Each line has timestamp (ISO 8601, UTC), level, logger and message; a request's lines add request_id, and the
line that closes a request (core.middleware.RequestMetricsMiddleware, with BEARING_LOG_REQUESTS) or that
Django writes about an error answer adds method, route, status and duration_ms where known; an exception is
one "exc" string. json.dumps escapes line breaks, so a traceback never splits a line. Imported by the LOGGING
set-up before the apps are ready: nothing here may touch a model.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

# The id of the request being answered in this thread (or task, under ASGI); None outside a request.
REQUEST_ID: ContextVar[str | None] = ContextVar("bearing_request_id", default=None)
# An id sent by the proxy in front (X-Request-ID) is kept when it is plainly an id, so its log and ours agree.
OFFERED_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
REQUEST_FIELDS = ("request_id", "method", "route", "status", "duration_ms")


def request_id_for(offered: str | None) -> str:
    """The proxy's X-Request-ID when it looks like one, else a fresh random id."""
    if offered and OFFERED_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _route_of(request: Any) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        # Django's own request lines (django.request, django.server) carry the request and its status code.
        request = fields.get("request")
        known = {
            "request_id": getattr(request, "request_id", None) or REQUEST_ID.get(),
            "method": getattr(request, "method", None),
            "route": _route_of(request),
            "status": fields.get("status_code"),
        }
        for name in REQUEST_FIELDS:
            value = fields.get(name, known.get(name))
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
