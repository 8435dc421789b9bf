"""Browser benchmark harness (`manage.py bench_browser`): serve Bearing as production does and time pages in
headless chromium by the page's own clock.

Serving: the static files are collected into a temporary STATIC_ROOT with the manifest storage (hashed
names), debug is off, and Bearing's WSGI application (whitenoise in front, as under gunicorn) answers on a
free port of 127.0.0.1 from a thread of this process, against the benchmark's throwaway database.

Timing: every time is `performance.now()` in the page, i.e. milliseconds since the navigation started, so
neither Playwright nor the harness is counted. A dashboard is ready when charts.js announces that every
chart of the page is drawn (the `bearing:charts-drawn` event); a page without charts when its load event
has ended.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLite
from django.test import override_settings
from django.test.testcases import QuietWSGIRequestHandler

if TYPE_CHECKING:
    from playwright.sync_api import Page

HOST = "127.0.0.1"
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
IMMUTABLE = "immutable"
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.js$")

# Installed in every page before its own scripts: keeps the page-clock time of the first full draw.
DRAWN_LISTENER = """
document.addEventListener("bearing:charts-drawn", function (event) {
  if (window.bearingBenchDrawn === undefined) {
    window.bearingBenchDrawn = { at: performance.now(), charts: event.detail.count };
  }
});
"""
CHARTS_DRAWN = "() => window.bearingBenchDrawn !== undefined"
LOADED = "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
MEASURE = """
() => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const drawn = window.bearingBenchDrawn;
  return {
    type: navigation.type,
    responseEnd: navigation.responseEnd,
    htmlBytes: navigation.decodedBodySize,
    loaded: navigation.loadEventEnd,
    drawnAt: drawn ? drawn.at : null,
    chartsDrawn: drawn ? drawn.charts : 0,
    containers: document.querySelectorAll("[data-chart]").length,
    resources: performance.getEntriesByType("resource").map((entry) => ({
      name: entry.name,
      transferSize: entry.transferSize,
      encodedBodySize: entry.encodedBodySize,
      decodedBodySize: entry.decodedBodySize,
    })),
  };
}
"""


@dataclass(frozen=True)
class Samples:
    """Times of one measurement over the runs, in ms."""

    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def max(self) -> float:
        return max(self.samples_ms)


@dataclass(frozen=True)
class ScriptBytes:
    """The JavaScript files a page fetched, by the page's resource timing: bodies as sent (compressed) and as
    run (decoded), and what crossed the network, headers included (0 for a file served from the cache)."""

    files: int
    transferred: int
    encoded: int
    decoded: int


def script_bytes(resources: Iterable[Mapping[str, Any]]) -> ScriptBytes:
    """Sum the resource timing entries of JavaScript files (by the path's `.js` suffix)."""
    scripts = [entry for entry in resources if urlparse(str(entry["name"])).path.endswith(".js")]
    return ScriptBytes(
        files=len(scripts),
        transferred=sum(int(entry["transferSize"]) for entry in scripts),
        encoded=sum(int(entry["encodedBodySize"]) for entry in scripts),
        decoded=sum(int(entry["decodedBodySize"]) for entry in scripts),
    )


def is_immutable(cache_control: str | None) -> bool:
    """Whether a Cache-Control header lets browsers keep the file without ever asking again."""
    directives = {part.strip().split("=")[0].lower() for part in (cache_control or "").split(",")}
    return IMMUTABLE in directives


@dataclass(frozen=True)
class Visit:
    """One navigation: page-clock ms until ready (charts drawn, or load ended) and until the HTML arrived, the
    HTML's size (decoded), and what the page held and fetched."""

    ready_ms: float
    html_ms: float
    html_bytes: int
    navigation: str
    charts_drawn: int
    containers: int
    resources: list[dict[str, Any]]

    def scripts(self, name_contains: str = "") -> ScriptBytes:
        """The JavaScript files fetched (those whose URL contains `name_contains`)."""
        return script_bytes(entry for entry in self.resources if name_contains in str(entry["name"]))


def visit(page: Page, path: str, *, charts: bool, timeout_ms: float) -> Visit:
    """Navigate to `path` and wait until it is ready: every chart drawn when `charts`, otherwise the load event
    ended. Navigating again to the URL the page shows is still a navigation, not a reload (the caller checks
    `navigation`), in the same renderer process, as when a user comes back from another page of the site."""
    page.goto(path, wait_until="load", timeout=timeout_ms)
    page.wait_for_function(CHARTS_DRAWN if charts else LOADED, timeout=timeout_ms)
    measured = page.evaluate(MEASURE)
    return Visit(
        ready_ms=float(measured["drawnAt"] if charts else measured["loaded"]),
        html_ms=float(measured["responseEnd"]),
        html_bytes=int(measured["htmlBytes"]),
        navigation=str(measured["type"]),
        charts_drawn=int(measured["chartsDrawn"]),
        containers=int(measured["containers"]),
        resources=list(measured["resources"]),
    )


@contextmanager
def production_static_files() -> Iterator[None]:
    """Debug off, and the static files collected into a temporary STATIC_ROOT with the manifest storage, for
    whitenoise to serve from there as production does: hashed names, cached for good. The in-process
    schedule stays off so that no job runs while pages are timed."""
    with (
        tempfile.TemporaryDirectory(prefix="bearing-static-") as root,
        override_settings(
            DEBUG=False,
            STATIC_ROOT=root,
            STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}},
            WHITENOISE_USE_FINDERS=False,
            WHITENOISE_AUTOREFRESH=False,
            BEARING_IN_PROCESS_SCHEDULE=False,
        ),
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


@contextmanager
def serve_in_thread() -> Iterator[str]:
    """Serve Bearing's WSGI application, its whole middleware stack as under gunicorn, on a free port of
    127.0.0.1 from a thread; yields the base URL. An in-memory SQLite database is shared with the server's
    threads, as Django's live server tests share it; other databases are reached by connections of their own.
    """
    shared = [conn for conn in connections.all() if isinstance(conn, SQLite) and conn.is_in_memory_db()]
    for conn in shared:
        conn.inc_thread_sharing()
    server = ThreadedWSGIServer(
        (HOST, 0), QuietWSGIRequestHandler, connections_override={conn.alias: conn for conn in shared}
    )
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, name="bench-browser-server", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        for conn in shared:
            conn.dec_thread_sharing()
