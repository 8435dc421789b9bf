"""/metrics for Prometheus: what core.metrics measured, plus the job queue and the broker counted as the scrape
asks, so a slow page or a backed-up queue shows on a graph (and in an alert) before anyone reports it.

Only a caller with the bearer token (BEARING_METRICS_TOKEN) or a logged-in superuser may read it; anyone else
gets the site's ordinary 404, as for an address that does not exist. A scrape never fails because the
database or Redis is down: their gauges say so (bearing_database_up, bearing_broker_up) and the log says why.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponsePermanentRedirect,
)
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from redis.backoff import NoBackoff
from redis.retry import Retry

from core import metrics
from core.models import Job, JobStatus

log = logging.getLogger(__name__)
# Seconds to connect to the broker and to wait for its answer during a scrape: well within any scrape
# timeout, so a Redis that is down or hung costs the scrape at most this, twice.
BROKER_TIMEOUT = 0.5
# kombu's Redis transport keeps a message sent with a priority in a list of its own beside the queue's.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class QueueCollector:
    """The job queue from the Job table and the broker's queue lengths, counted at each scrape."""

    def collect(self) -> Iterable[Metric]:
        yield from self.jobs()
        yield from self.broker()

    def jobs(self) -> Iterator[Metric]:
        try:
            rows = list(
                Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
                .order_by()
                .values("status")
                .annotate(count=Count("pk"), oldest=Min("created_at"))
            )
        except DatabaseError as error:
            log.warning("Metrics: the job table did not answer (%s)", error)
            yield gauge("bearing_database_up", "1 when the database answered the scrape's query.", 0)
            return
        now = timezone.now()
        by_status = {row["status"]: row for row in rows}
        queued = by_status.get(JobStatus.QUEUED)
        running = by_status.get(JobStatus.RUNNING)
        yield gauge("bearing_database_up", "1 when the database answered the scrape's query.", 1)
        yield gauge(
            "bearing_jobs_queued", "Tracked jobs waiting for a worker.", queued["count"] if queued else 0
        )
        yield gauge("bearing_jobs_running", "Tracked jobs running now.", running["count"] if running else 0)
        age = max(0.0, (now - queued["oldest"]).total_seconds()) if queued else 0.0
        yield gauge(
            "bearing_jobs_oldest_queued_age_seconds",
            "How long the oldest queued job has waited for a worker (0 when none waits).",
            age,
        )

    def broker(self) -> Iterator[Metric]:
        url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return  # no broker (the embedded default runs jobs in-process)
        queues = broker_queues()
        try:
            depths = queue_depths(url, queues)
        except Exception as error:  # a broker down, hung or misnamed must not fail the scrape
            log.warning("Metrics: the broker did not answer (%s: %s)", type(error).__name__, error)
            yield gauge("bearing_broker_up", "1 when the broker (Redis) answered the scrape.", 0)
            return
        yield gauge("bearing_broker_up", "1 when the broker (Redis) answered the scrape.", 1)
        depth = GaugeMetricFamily(
            "bearing_broker_queue_depth",
            "Messages waiting in the broker's queue for a worker (not yet taken).",
            labels=["queue"],
        )
        for queue, count in depths.items():
            depth.add_metric([queue], count)
        yield depth


def broker_queues() -> list[str]:
    """The Celery queues the workers read: the default queue and any queue the settings declare."""
    names = [str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))]
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        name = str(getattr(queue, "name", queue))
        if name not in names:
            names.append(name)
    return names


def queue_depths(url: str, queues: list[str]) -> dict[str, int]:
    """Each queue's waiting messages (LLEN of its list and of its priority lists), in one round trip."""
    lists = [
        (queue, key)
        for queue in queues
        for key in (queue, *(f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS))
    ]
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=BROKER_TIMEOUT,
        socket_timeout=BROKER_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        pipeline = client.pipeline(transaction=False)
        for _, key in lists:
            pipeline.llen(key)
        lengths = pipeline.execute()
    finally:
        client.close()
    depths = dict.fromkeys(queues, 0)
    for (queue, _), length in zip(lists, lengths, strict=True):
        depths[queue] += int(length)
    return depths


# --------------------------------------------------------------------------------------- the endpoint


def may_read_metrics(request: HttpRequest) -> bool:
    """The bearer token (compared in constant time), or a logged-in superuser; nobody else."""
    token = str(getattr(settings, "BEARING_METRICS_TOKEN", "") or "")
    if token:
        scheme, _, offered = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
            return True
    user: Any = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_superuser)


@csrf_exempt  # a refused POST must be the same 404 as anywhere else, not a CSRF failure that shows a view
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus's text format, to the token's holder or a superuser; a 404 to anyone else.

    The path is exempt from the HTTPS redirect so that Prometheus may scrape the container over the private
    network; a caller without the token gets the redirect every other path gives, so it learns nothing."""
    if not may_read_metrics(request):
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            host = settings.SECURE_SSL_HOST or request.get_host()
            return HttpResponsePermanentRedirect(f"https://{host}{request.get_full_path()}")
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    source = metrics.scrape_source(QueueCollector(), settings.BEARING_METRICS_EXTRA_DIRS)
    response = HttpResponse(generate_latest(source), content_type=metrics.CONTENT_TYPE)
    add_never_cache_headers(response)
    return response
