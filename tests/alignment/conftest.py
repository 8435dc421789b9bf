"""Fixtures for the alignment tests: for the Celery worker tests, this process's Celery sending through Redis
and a real `celery worker` subprocess that consumes from it and writes to the pytest test database; the
dashboards' portfolios; the shipped tier policies and the quiet portfolio the early-warning rule tests start
from."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from config.celery import app
from tests.conftest import require_service

if TYPE_CHECKING:
    from portfolio.models import Objective

T = TypeVar("T")

# The worker tests flush their broker database, so they use a Redis database number of their own on the
# server REDIS_URL names, never the database REDIS_URL itself names (other processes may use it). Each
# xdist worker gets its own number, so one worker's flush cannot empty another's queue.
# BEARING_TEST_BROKER_DB moves the first of those numbers, so two checkouts can run these tests side by side.
BROKER_DB = int(os.environ.get("BEARING_TEST_BROKER_DB", "5")) + int(
    os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0
)
QUEUE = "celery"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
STOP_TIMEOUT = 15  # seconds a warm shutdown may take before the worker is killed


def poll(
    condition: Callable[[], T | None], *, timeout: float, check: Callable[[], None] | None = None
) -> T | None:
    """Poll `condition` until it returns something truthy and return that, or None after `timeout` seconds.

    `check` runs before each poll (e.g. to fail at once when the worker died instead of waiting it out).
    """
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


# seconds for a worker to start and finish a small job: a worker's start alone took over 30 s on a two-core
# machine running two other test processes and a browser
RESULT_TIMEOUT = 90


def wait_for(
    condition: Callable[[], T | None], *, timeout: float, what: str, check: Callable[[], None] | None = None
) -> T:
    """Like poll(), but a condition still false at the deadline fails the test."""
    value = poll(condition, timeout=timeout, check=check)
    if not value:
        pytest.fail(f"timed out after {timeout:g} s waiting for {what}", pytrace=False)
    return value


def broker_url(redis_url: str) -> str:
    """REDIS_URL with the tests' own database number."""
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{BROKER_DB}"))


def redis_available(url: str) -> bool:
    if not url:
        return False
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def worker_database_url() -> str:
    """DATABASE_URL naming pytest-django's test database, so a worker writes where the test reads."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


class Broker:
    """The Redis database the tests' Celery messages go through, and what is in it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url)

    def queued(self) -> list[tuple[str, list[Any]]]:
        """(task name, positional arguments) of each message waiting in the queue, oldest first."""
        # kombu publishes with LPUSH and consumes with BRPOP: the oldest message is the last in the list
        messages = [json.loads(raw) for raw in reversed(self.client.lrange(QUEUE, 0, -1))]
        return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]

    def unacked_ages(self) -> list[float]:
        """Seconds since each delivered but unacknowledged message was handed to a worker."""
        now = time.time()
        return [
            now - float(entry[1]) for entry in self.client.zrange("unacked_index", 0, -1, withscores=True)
        ]

    def flush(self) -> None:
        self.client.flushdb()


class Worker:
    """A real `celery worker` subprocess (solo pool, one task at a time); its output goes to a log file."""

    def __init__(self, *, broker: Broker, log_path: Path) -> None:
        self.broker = broker
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, **extra_env: str) -> None:
        assert not self.running, "the worker is already running"
        self.starts += 1
        env = {
            **os.environ,
            # the production settings module, so BEARING_JOB_RUNNER and CELERY_VISIBILITY_TIMEOUT apply
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "test-only-secret-key",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": self.broker.url,
            "BEARING_JOB_RUNNER": "celery",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-Q",
            QUEUE,
            "--loglevel",
            "INFO",
            "--hostname",
            f"bearing-test-{uuid.uuid4().hex[:8]}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
        with self.log_path.open("a") as log:
            log.write(f"\n===== worker start {self.starts} {extra_env or ''}\n")
            log.flush()
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        """Fail at once, with the end of the worker's log, if the worker exited."""
        if not self.running:
            pytest.fail(
                f"the Celery worker is not running; its log ends with:\n{self.log_tail()}", pytrace=False
            )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost host would: no warm shutdown, nothing acknowledged."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if the current task does not finish in time."""
        if not self.running:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()


def _forget_broker_connections() -> None:
    """Drop the app's cached connection and producer pools, so the next send uses the current broker_url."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def redis_worker(request: pytest.FixtureRequest, settings: Any) -> Iterator[Worker]:
    """A Celery worker subprocess, not started yet, and this process's Celery sending to it through Redis.

    Needs Redis (REDIS_URL) and PostgreSQL: an in-memory SQLite test database cannot be shared with
    another process. The broker database is flushed before and after; the worker is always stopped.
    """
    redis_url = os.environ.get("REDIS_URL", "")
    require_service(redis_available(redis_url), "Redis (set REDIS_URL)")
    request.getfixturevalue("postgres")
    broker = Broker(broker_url(redis_url))
    broker.flush()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = broker.url
    settings.BEARING_JOB_RUNNER = "celery"
    # the portfolio refresh lock lives in the cache the worker shares: the broker database, empty now
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker.url}
    }
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=broker.url)
    _forget_broker_connections()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-worker-{re.sub(r'[^A-Za-z0-9_.-]+', '-', request.node.name)}.log"
    log_path.write_text("")
    worker = Worker(broker=broker, log_path=log_path)
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.update(saved)
        _forget_broker_connections()
        broker.flush()
        broker.client.close()


# ------------------------------------------------------------------------------------------ dashboards


@pytest.fixture
def small(db: None) -> dict[str, Any]:
    """Six initiatives in two programs (and one in none), scored at three dates: see build_small()."""
    from tests.alignment.dashboard_support import build_small

    return build_small()


@pytest.fixture
def demo(db: None) -> None:
    """The demo portfolio with six months of history."""
    from alignment import services
    from demo.northwind import build_demo
    from tests.alignment.dashboard_support import today

    build_demo(as_of=today())
    services.backfill_history(today=today(), months=6)


@pytest.fixture
def exec_client(client: Client, executive: Any) -> Client:
    client.force_login(executive)
    return client


# ------------------------------------------------------------------------------------------ engine and signals


@pytest.fixture
def tier_policies(db: None) -> None:
    """The shipped tier policies (a flushing test elsewhere may have removed the migration's rows)."""
    from risk.models import TierPolicy
    from tests.alignment.engine_support import TIER_POLICIES

    for tier, cadence, artefacts in TIER_POLICIES:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={
                "name": f"Tier {tier}",
                "checkpoint_cadence_days": cadence,
                "required_artefacts": artefacts,
            },
        )


@pytest.fixture
def themes(db: None) -> dict[str, Objective]:
    """T1 (weight 3, r 1) and T2 (weight 1, r 1/3), both served strongly by a healthy initiative."""
    from decimal import Decimal

    from tests.alignment.signal_support import healthy
    from tests.factories import ObjectiveFactory

    t1 = ObjectiveFactory(code="T1", title="Grow digital sales", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Cut operating cost", local_weight=Decimal("1"))
    healthy(code="OK-1", contributions=[(t1, "strong"), (t2, "strong")])
    return {"t1": t1, "t2": t2}
