"""Benchmark harness: time pages server-side, in-process, against a floor measured in the same run.

Benchmarks run in a throwaway database (created like Django's test runner does, named test_<name>), so they
never touch real data. Server time is the time Django takes to answer a request through the whole
middleware stack, measured around the test client call; there is no network in between.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

FLOOR_PATH = "/bench/floor/"
# (the empty icon spares browsers a request for /favicon.ico: bench_browser loads the floor in chromium)
_FLOOR_TEMPLATE = (
    '<!doctype html><title>floor</title><link rel="icon" href="data:,"><p>{{ user.get_username }}</p>'
)


def floor_view(request: HttpRequest) -> HttpResponse:
    """The floor: a view that renders a one-line template for the logged-in user and does nothing else."""
    template = engines["django"].from_string(_FLOOR_TEMPLATE)
    return HttpResponse(template.render({"user": request.user}, request))


urlpatterns = [path("bench/floor/", floor_view), path("", include("config.urls"))]


@dataclass(frozen=True)
class Timing:
    label: str
    url: str
    samples_ms: list[float]
    queries: int
    status: int

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_get(
    client: Client,
    label: str,
    url: str,
    *,
    requests: int,
    headers: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> Timing:
    """GET `url` `requests` times after one warm-up, calling `before` (untimed) before each; the query count is
    that of the last request."""
    headers = headers or {}
    before = before or (lambda: None)
    before()
    client.get(url, headers=headers)
    samples: list[float] = []
    status = 0
    queries = 0
    gc.collect()
    for _ in range(requests):
        before()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        queries = len(captured.captured_queries)
    return Timing(label, url, samples, queries, status)


@contextmanager
def bench_database(*, verbosity: int = 0) -> Iterator[str]:
    """Create a throwaway database for the run and drop it afterwards; yields the vendor name."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False)
    try:
        # no scheduled jobs: they would run against the throwaway database while pages are timed (and after)
        with override_settings(
            ROOT_URLCONF="demo.bench",
            ALLOWED_HOSTS=["testserver", "127.0.0.1"],
            DEBUG=False,
            BEARING_IN_PROCESS_SCHEDULE=False,
        ):
            yield connection.vendor
    finally:
        test_name = connection.settings_dict["NAME"]
        try:
            creation.destroy_test_db(old_name, verbosity=verbosity, keepdb=False)
        except OperationalError:
            if connection.vendor != "postgresql":
                raise
            # a session still open on the throwaway database refused the drop: a server the benchmark started
            # (bench_throughput's gunicorn) that PostgreSQL has not seen leave yet, or a job the benchmark's
            # writes started in this process. They are ended and the drop is made again; the connection is
            # then given its own database's name back, as destroy_test_db would have.
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [test_name]
                )
            creation._destroy_test_db(test_name, verbosity)  # type: ignore[attr-defined]  # each backend has it
            settings.DATABASES[connection.alias]["NAME"] = old_name
            connection.settings_dict["NAME"] = old_name


def analyze() -> None:
    """Settle the tables after a bulk load, as autovacuum soon would (it may be off): planner statistics,
    and the visibility map and hint bits, so that the first timed read does not pay for rewriting every
    page of freshly loaded rows. VACUUM cannot run inside a transaction (a test, or a caller's atomic
    block), so there only the statistics are refreshed."""
    if connection.vendor == "postgresql":
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(statement)


def logged_in_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def print_table(
    write: Callable[[str], None],
    size: int,
    timings: list[Timing],
    floor: Timing,
    *,
    budgets: list[tuple[float, float]] | None = None,
) -> None:
    """The timings as a table: p50, p95, queries and p95 over the floor's p95; with budgets (p50, p95 per
    timing), the budget and whether the page meets it."""
    extra = f" {'budget ms':>11} {'':>4}" if budgets else ""
    write(f"  {'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'x floor p95':>12}{extra}")
    for n, timing in enumerate([floor, *timings]):
        ratio = timing.p95 / floor.p95 if floor.p95 else float("nan")
        line = f"  {timing.label:<38} {timing.p50:8.1f} {timing.p95:8.1f} {timing.queries:8d} {ratio:12.1f}"
        if budgets and n:
            p50, p95 = budgets[n - 1]
            ok = timing.p50 <= p50 and timing.p95 <= p95
            line += f" {f'{p50:.0f}/{p95:.0f}':>11} {'ok' if ok else 'MISS':>4}"
        write(line)
