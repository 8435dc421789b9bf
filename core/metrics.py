"""Prometheus metrics measured as Bearing works: how long each page takes, how long each job runs, which jobs
were given up. What is counted at scrape time (the job queue, the broker) is in core.monitoring.

Every label has a bounded set of values: a page is named by its URL pattern's name, never its path.

Several processes (gunicorn's workers, Celery's pool) each count their own: with PROMETHEUS_MULTIPROC_DIR set
(before the process starts) prometheus_client keeps each process's counts in a file of that directory, and a
scrape adds up the files of every directory listed by multiprocess_dirs(); without it each process keeps its
counts in memory and a scrape shows the answering process's own. This module needs no Django set-up, so a
worker process can import it early.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# The text format every Prometheus reads (what generate_latest writes).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds. The pages' budgets (README, Performance) are 50 ms for a stored dashboard, 100 ms for the
# register and 300 ms for a filtered dashboard: the buckets are fine below a second and coarse above.
REQUEST_BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.12, 0.25, 0.5, 1.0, 2.5)
# Seconds. One initiative's recompute takes tens of milliseconds, the full recompute seconds, a board pack
# up to a minute; the longest task's hard limit is 15 minutes.
JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0)

UNMATCHED = "unmatched"  # a request no URL pattern matched (a 404 before any view, a refusal by middleware)
STATIC = "static"  # a static file served by whitenoise
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

REQUEST_SECONDS = Histogram(
    "bearing_request_duration_seconds",
    "Time to answer a request, by route (URL pattern name), method and status class.",
    ["route", "method", "status_class"],
    buckets=REQUEST_BUCKETS,
)
REQUESTS = Counter(
    "bearing_requests",
    "Requests answered, by route (URL pattern name), method and status class.",
    ["route", "method", "status_class"],
)
JOB_SECONDS = Histogram(
    "bearing_job_duration_seconds",
    "Time a tracked job ran, from its claim by a worker to its end, by kind and outcome (done, failed).",
    ["kind", "outcome"],
    buckets=JOB_BUCKETS,
)
JOBS_LOST = Counter(
    "bearing_jobs_lost",
    "Jobs marked failed as lost, by kind and the status they had: queued (no worker took them in time) "
    "or running (their worker fell silent).",
    ["kind", "status"],
)


def method_label(method: str | None) -> str:
    """The request's method, or "other" for a method no page answers (the client chooses it)."""
    return method if method in METHODS else OTHER_METHOD


def status_class(status_code: int) -> str:
    """200 -> "2xx", 404 -> "4xx"."""
    return f"{status_code // 100}xx"


def observe_request(route: str, method: str, status: str, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method, status).observe(seconds)
    REQUESTS.labels(route, method, status).inc()


def observe_job(kind: str, outcome: str, seconds: float) -> None:
    JOB_SECONDS.labels(kind, outcome).observe(max(0.0, seconds))


def job_lost(kind: str, status: str) -> None:
    JOBS_LOST.labels(kind, status).inc()


# --------------------------------------------------------------------------------------- scraping


def multiprocess_dirs(extra: Sequence[str] = ()) -> list[str]:
    """The directories whose files hold the counts, when this process runs in multiprocess mode: its own
    PROMETHEUS_MULTIPROC_DIR, then `extra` (other services' directories, e.g. the Celery worker's on a shared
    volume). Empty in single-process mode, where the counts are this process's registry's."""
    own = os.environ.get(MULTIPROC_ENV, "")
    return [own, *(path for path in extra if path and path != own)] if own else []


class MergedFiles:
    """The counts in the multiprocess files of several directories, added up as one (prometheus_client's
    MultiProcessCollector reads one directory; two would repeat each metric). A directory that is missing
    (a service not started yet) counts as empty."""

    def __init__(self, directories: Sequence[str]) -> None:
        self.directories = list(directories)

    def files(self) -> list[str]:
        return sorted(path for folder in self.directories for path in glob.glob(os.path.join(folder, "*.db")))

    def collect(self) -> Iterable[Metric]:
        try:
            return MultiProcessCollector.merge(self.files(), accumulate=True)
        except FileNotFoundError:  # a service emptied its directory at start while we read it: read it again
            return MultiProcessCollector.merge(self.files(), accumulate=True)


class Chain:
    """Several collectors read as one, in order."""

    def __init__(self, *collectors: Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def scrape_source(scrape_time: Collector, extra_dirs: Sequence[str] = ()) -> Chain:
    """What a scrape reads: the measured counts (every process's files in multiprocess mode, else this
    process's registry, with its process and Python metrics), then what `scrape_time` counts as it is asked."""
    directories = multiprocess_dirs(extra_dirs)
    measured: Collector = MergedFiles(directories) if directories else REGISTRY
    return Chain(measured, scrape_time)
