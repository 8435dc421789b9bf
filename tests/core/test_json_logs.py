"""JSON logs (BEARING_LOG_FORMAT=json): one object per line with timestamp, level, logger and message, a
request's id, route, status and duration where known, and an exception as one "exc" string; and the one line
per request that BEARING_LOG_REQUESTS asks for. Text stays the default."""

from __future__ import annotations

import datetime
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core import logs, middleware
from core.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]
AT = datetime.datetime(2026, 3, 9, 14, 5, 7, 250000, tzinfo=datetime.UTC)


def record(message: str, *args: Any, exc_info: Any = None, **extra: Any) -> logging.LogRecord:
    entry = logging.LogRecord("bearing.jobs", logging.ERROR, __file__, 42, message, args, exc_info)
    entry.created = AT.timestamp()
    entry.__dict__.update(extra)
    return entry


def test_a_record_with_an_exception_is_one_line_of_json():
    # given
    try:
        raise ValueError('bad "value"\non two lines')
    except ValueError:
        exc_info = sys.exc_info()
    # when
    line = JsonFormatter().format(record("Job %s failed", 7, exc_info=exc_info))
    # then
    assert "\n" not in line
    entry = json.loads(line)
    exc = entry.pop("exc")
    assert entry == {
        "timestamp": "2026-03-09T14:05:07.250Z",
        "level": "ERROR",
        "logger": "bearing.jobs",
        "message": "Job 7 failed",
    }
    assert exc.startswith("Traceback (most recent call last):\n")
    assert exc.endswith('ValueError: bad "value"\non two lines')
    assert exc == logging.Formatter().formatException(exc_info)


def test_the_request_fields_of_a_record_are_kept():
    # when
    line = JsonFormatter().format(
        record("GET x 200", request_id="r-1", method="GET", route="health", status=200, duration_ms=12.5)
    )
    # then
    assert json.loads(line) == {
        "timestamp": "2026-03-09T14:05:07.250Z",
        "level": "ERROR",
        "logger": "bearing.jobs",
        "message": "GET x 200",
        "request_id": "r-1",
        "method": "GET",
        "route": "health",
        "status": 200,
        "duration_ms": 12.5,
    }


def test_a_line_logged_during_a_request_carries_its_id():
    # given
    context = logs.REQUEST_ID.set("abc123")
    try:
        # when
        line = JsonFormatter().format(record("Something"))
    finally:
        logs.REQUEST_ID.reset(context)
    # then
    assert json.loads(line)["request_id"] == "abc123"
    assert "request_id" not in json.loads(JsonFormatter().format(record("Something")))


@pytest.mark.django_db
def test_djangos_line_about_an_error_answer_names_its_route_and_status(client, caplog):
    # when: a page that exists refuses the method (405)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post("/healthz", headers={"X-Request-ID": "proxy-id-7"})
    # then
    [warning] = [r for r in caplog.records if r.name == "django.request"]
    entry = json.loads(JsonFormatter().format(warning))
    assert {k: entry[k] for k in ("level", "message", "request_id", "method", "route", "status")} == {
        "level": "WARNING",
        "message": "Method Not Allowed (POST): /healthz",
        "request_id": "proxy-id-7",
        "method": "POST",
        "route": "health",
        "status": 405,
    }
    assert response["X-Request-ID"] == "proxy-id-7"


@pytest.mark.django_db
def test_one_line_per_request_with_route_status_and_duration(client, settings, caplog, monkeypatch):
    # given: the request takes 12.5 ms
    settings.BEARING_LOG_REQUESTS = True
    readings = iter([50.0, 50.0125])
    monkeypatch.setattr(middleware, "time", SimpleNamespace(perf_counter=lambda: next(readings)))
    # when
    with caplog.at_level(logging.INFO, logger="bearing.requests"):
        response = client.get("/healthz")
    # then
    [line] = [r for r in caplog.records if r.name == "bearing.requests"]
    entry = json.loads(JsonFormatter().format(line))
    assert entry.pop("timestamp").endswith("Z")
    assert entry == {
        "level": "INFO",
        "logger": "bearing.requests",
        "message": "GET health 200 12.5 ms",
        "request_id": response["X-Request-ID"],
        "method": "GET",
        "route": "health",
        "status": 200,
        "duration_ms": 12.5,
    }
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_requests_are_not_logged_by_default(client, caplog):
    # when
    with caplog.at_level(logging.INFO, logger="bearing.requests"):
        client.get("/healthz")
    # then
    assert [r for r in caplog.records if r.name == "bearing.requests"] == []


@pytest.mark.parametrize("offered", ["", "a" * 101, "<script>", "id with spaces", "x\ny"])
def test_an_offered_request_id_that_is_not_plainly_an_id_is_replaced(offered):
    # when
    request_id = logs.request_id_for(offered)
    # then
    assert (len(request_id), set(request_id) <= set("0123456789abcdef")) == (32, True)


# --------------------------------------------------------------------------------------- the settings

LOGGING_CODE = """
import logging
from celery.signals import setup_logging
logging.getLogger("django.request").warning("Not Found: /somewhere")
logging.getLogger("celery.worker.consumer").info("Connected")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("bearing.jobs").exception("Job %s failed", 3)
print(len(setup_logging.receivers))
"""
# django-axes says how it blocks when the apps are ready (its version follows)
AXES_BEGIN = "AXES: BEGIN version "


def run_shell(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BEARING_", "LOG_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "json-logs-test-secret-key-0123456789-abcdefghijklmnop",
            "DATABASE_URL": "sqlite://:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_format_sends_django_celery_and_our_lines_as_json():
    # when
    result = run_shell({"BEARING_LOG_FORMAT": "json"}, LOGGING_CODE)
    # then: every line on stderr is one JSON object; Celery leaves logging to Django's settings
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert entries[0]["message"].startswith(AXES_BEGIN)
    assert [(e["level"], e["logger"], e["message"]) for e in entries[1:]] == [
        ("WARNING", "django.request", "Not Found: /somewhere"),
        ("INFO", "celery.worker.consumer", "Connected"),
        ("ERROR", "bearing.jobs", "Job 3 failed"),
    ]
    assert entries[-1]["exc"].splitlines()[-1] == "ZeroDivisionError: division by zero"
    assert result.stdout.strip() == "1"


def test_text_stays_the_default():
    # when
    result = run_shell({}, LOGGING_CODE)
    # then
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(AXES_BEGIN)
    assert lines[1:4] == ["Not Found: /somewhere", "Connected", "Job 3 failed"]
    assert lines[-1] == "ZeroDivisionError: division by zero"
    assert result.stdout.strip() == "0"


def test_an_unknown_log_format_stops_bearing_with_a_message():
    # when
    result = run_shell({"BEARING_LOG_FORMAT": "xml"}, "print(1)")
    # then
    assert result.returncode != 0
    assert "BEARING_LOG_FORMAT='xml' is not a log format; use text or json" in result.stderr
