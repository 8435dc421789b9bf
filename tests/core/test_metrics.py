"""/metrics: only the token's holder or a superuser reads it (anyone else gets the ordinary 404); pages are
timed under their route's name, jobs under their kind and outcome; the job queue, its oldest waiting job and
the broker's queue are counted at the scrape, which never fails when Redis or the database is down; and the
counts of several processes add up in multiprocess mode."""

from __future__ import annotations

import datetime
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core import jobs, metrics, middleware, monitoring
from core.models import Job, JobStatus
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-the-tests-0123456789"
NOW = datetime.datetime(2026, 3, 9, 14, 0, 0, tzinfo=datetime.UTC)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def token(settings: Any) -> str:
    settings.BEARING_METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = "memory://"  # no broker unless a test names one
    return TOKEN


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def scrape(client: Client) -> Samples:
    """Every sample of one scrape with the token, by name and labels."""
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.status_code
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    """A sample of this process's registry, 0 when not there yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return (name, frozenset(labels.items()))


def clock(monkeypatch: pytest.MonkeyPatch, *readings: float) -> None:
    """The request timer reads these values of perf_counter, in order."""
    monkeypatch.setattr(middleware, "time", SimpleNamespace(perf_counter=iter(readings).__next__))


# --------------------------------------------------------------------------------------- who may read it


@pytest.mark.django_db
def test_anonymous_callers_get_the_ordinary_not_found_page(client, token):
    # when
    refused = client.get("/metrics")
    posted = client.post("/metrics")
    missing = client.get("/no-such-page")
    # then: the same answer as an address that does not exist, whatever the method
    assert (refused.status_code, posted.status_code) == (404, 404)
    assert unmasked(refused.content) == unmasked(missing.content)
    assert b"bearing_" not in refused.content


def unmasked(page: bytes) -> bytes:
    """The page with its CSRF token (masked afresh for every answer) taken out."""
    return re.sub(rb'"X-CSRFToken": "\w+"', b'"X-CSRFToken": ""', page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN, "Bearer é"],
    ids=["longer", "shorter", "empty", "basic", "no-scheme", "non-ascii"],
)
def test_a_wrong_token_gets_not_found(client, token, authorization):
    # when
    response = client.get("/metrics", headers={"Authorization": authorization})
    # then
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_logged_in_user_who_is_not_a_superuser_gets_not_found(client, token, pmo):
    # given: even staff
    pmo.is_staff = True
    pmo.save()
    client.force_login(pmo)
    # when
    response = client.get("/metrics")
    # then
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_token_holder_reads_the_metrics(client, token):
    # when
    response = client.get("/metrics", headers=bearer(TOKEN))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "bearing_request_duration_seconds",
        "bearing_requests",
        "bearing_jobs_queued",
        "bearing_jobs_running",
        "bearing_jobs_oldest_queued_age_seconds",
        "bearing_database_up",
    } <= names


@pytest.mark.django_db
def test_a_superuser_reads_the_metrics_without_a_token(client, admin_user, settings):
    # given: no token configured
    settings.BEARING_METRICS_TOKEN = ""
    client.force_login(admin_user)
    # when
    response = client.get("/metrics")
    # then
    assert response.status_code == 200
    assert b"bearing_request_duration_seconds" in response.content


@pytest.mark.django_db
def test_without_a_configured_token_no_token_opens_it(client, settings):
    # given
    settings.BEARING_METRICS_TOKEN = ""
    # when
    responses = [client.get("/metrics", headers={"Authorization": a}) for a in ("Bearer ", "Bearer x")]
    # then
    assert [r.status_code for r in responses] == [404, 404]


@pytest.mark.django_db
def test_a_plain_http_scrape_is_served_and_a_stranger_redirected_like_anywhere_else(client, token, settings):
    # given: HTTPS only; Prometheus scrapes the container over the private network
    settings.SECURE_SSL_REDIRECT = True
    # when
    scraped = client.get("/metrics", headers=bearer(TOKEN))
    stranger = client.get("/metrics")
    elsewhere = client.get("/no-such-page")
    # then
    assert scraped.status_code == 200
    assert (stranger.status_code, stranger["Location"]) == (301, "https://testserver/metrics")
    assert (elsewhere.status_code, elsewhere["Location"]) == (301, "https://testserver/no-such-page")


def test_a_short_token_stops_bearing_with_a_message():
    # when
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BEARING_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": "sqlite://:memory:",
            "BEARING_METRICS_TOKEN": "guessable",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then
    assert result.returncode != 0
    assert "BEARING_METRICS_TOKEN is too short: use at least 20 random characters" in result.stderr


# --------------------------------------------------------------------------------------- pages


@pytest.mark.django_db
def test_a_page_is_timed_once_under_its_route_name(client, token, executive, monkeypatch):
    # given
    client.force_login(executive)
    labels = {"route": "portfolio:initiative-list", "method": "GET", "status_class": "2xx"}
    before = {
        "count": value("bearing_request_duration_seconds_count", **labels),
        "sum": value("bearing_request_duration_seconds_sum", **labels),
        "le_0.04": value("bearing_request_duration_seconds_bucket", le="0.04", **labels),
        "le_0.02": value("bearing_request_duration_seconds_bucket", le="0.02", **labels),
        "total": value("bearing_requests_total", **labels),
    }
    clock(monkeypatch, 100.0, 100.0375)  # the page takes 37.5 ms
    # when
    response = client.get(reverse("portfolio:initiative-list"))
    # then
    assert response.status_code == 200
    after = {
        "count": value("bearing_request_duration_seconds_count", **labels),
        "sum": value("bearing_request_duration_seconds_sum", **labels),
        "le_0.04": value("bearing_request_duration_seconds_bucket", le="0.04", **labels),
        "le_0.02": value("bearing_request_duration_seconds_bucket", le="0.02", **labels),
        "total": value("bearing_requests_total", **labels),
    }
    assert {name: after[name] - before[name] for name in before} == pytest.approx(
        {"count": 1.0, "sum": 0.0375, "le_0.04": 1.0, "le_0.02": 0.0, "total": 1.0}, abs=1e-9
    )


@pytest.mark.django_db
def test_the_scrape_shows_the_count_of_a_route(client, token):
    # given
    labels = {"route": "health", "method": "GET", "status_class": "2xx"}
    before = scrape(client).get(key("bearing_request_duration_seconds_count", **labels), 0.0)
    # when
    client.get("/healthz")
    # then
    assert scrape(client)[key("bearing_request_duration_seconds_count", **labels)] == before + 1


@pytest.mark.django_db
def test_an_unknown_address_is_labelled_unmatched_never_by_its_path(client, token):
    # given
    labels = {"route": "unmatched", "method": "GET", "status_class": "4xx"}
    before = value("bearing_request_duration_seconds_count", **labels)
    path = f"/no-such-page-{uuid.uuid4().hex}"
    # when
    response = client.get(path)
    # then
    assert response.status_code == 404
    assert value("bearing_request_duration_seconds_count", **labels) == before + 1
    assert path.encode() not in client.get("/metrics", headers=bearer(TOKEN)).content


@pytest.mark.django_db
def test_an_unusual_method_is_labelled_other(client, token):
    # given
    labels = {"route": "health", "method": "other", "status_class": "4xx"}
    before = value("bearing_requests_total", **labels)
    # when
    response = client.generic("BREW", "/healthz")
    # then
    assert response.status_code == 405
    assert value("bearing_requests_total", **labels) == before + 1


# --------------------------------------------------------------------------------------- jobs


def work_for(time_machine: Any, seconds: float, *, fail: bool = False) -> Any:
    def work(progress: Any) -> dict[str, int]:
        time_machine.shift(datetime.timedelta(seconds=seconds))
        if fail:
            raise RuntimeError("the job broke")
        return {"rows": 3}

    return work


@pytest.mark.django_db
def test_a_finished_and_a_failed_job_are_timed_under_their_kind_and_outcome(time_machine):
    # given
    time_machine.move_to(NOW, tick=False)
    kind = f"metrics-test-{uuid.uuid4().hex[:6]}"
    done = {"kind": kind, "outcome": "done"}
    failed = {"kind": kind, "outcome": "failed"}
    first, second = jobs.job_start(kind, target="a"), jobs.job_start(kind, target="b")
    # when: one runs 12.5 s, the other fails after 3 s
    jobs.run_job(first.pk, work_for(time_machine, 12.5), lambda r: "Done", lambda r: r)
    with pytest.raises(RuntimeError):
        jobs.run_job(second.pk, work_for(time_machine, 3.0, fail=True), lambda r: "Done", lambda r: r)
    # then
    assert [
        value("bearing_job_duration_seconds_count", **done),
        value("bearing_job_duration_seconds_sum", **done),
        value("bearing_job_duration_seconds_bucket", le="10.0", **done),
        value("bearing_job_duration_seconds_bucket", le="30.0", **done),
        value("bearing_job_duration_seconds_count", **failed),
        value("bearing_job_duration_seconds_sum", **failed),
        value("bearing_job_duration_seconds_bucket", le="2.5", **failed),
        value("bearing_job_duration_seconds_bucket", le="5.0", **failed),
    ] == [1.0, 12.5, 0.0, 1.0, 1.0, 3.0, 0.0, 1.0]
    assert list(Job.objects.filter(kind=kind).order_by("target").values_list("status", flat=True)) == [
        JobStatus.DONE,
        JobStatus.FAILED,
    ]


@pytest.mark.django_db
def test_a_late_message_for_a_finished_job_is_not_timed(time_machine):
    # given: a job that already ran
    time_machine.move_to(NOW, tick=False)
    kind = f"metrics-test-{uuid.uuid4().hex[:6]}"
    job = jobs.job_start(kind)
    jobs.run_job(job.pk, work_for(time_machine, 1.0), lambda r: "Done", lambda r: r)
    # when: its message comes again
    jobs.run_job(job.pk, work_for(time_machine, 1.0), lambda r: "Done", lambda r: r)
    # then
    assert value("bearing_job_duration_seconds_count", kind=kind, outcome="done") == 1.0


@pytest.mark.django_db
def test_a_job_given_up_as_lost_is_counted_with_the_status_it_had(time_machine, settings):
    # given: one queued and one running job, both silent past the limit
    time_machine.move_to(NOW, tick=False)
    kind = f"metrics-test-{uuid.uuid4().hex[:6]}"
    queued = Job.objects.create(kind=kind, target="q")
    running = Job.objects.create(kind=kind, target="r", status=JobStatus.RUNNING)
    long_ago = NOW - datetime.timedelta(seconds=settings.BEARING_JOB_SILENCE_LIMIT + 1)
    Job.objects.filter(pk=queued.pk).update(created_at=long_ago)
    Job.objects.filter(pk=running.pk).update(created_at=long_ago, started_at=long_ago, heartbeat_at=long_ago)
    # when
    lost = jobs.fail_lost_jobs(now=NOW)
    # then
    assert sorted(lost) == sorted([queued.pk, running.pk])
    assert [
        value("bearing_jobs_lost_total", kind=kind, status="queued"),
        value("bearing_jobs_lost_total", kind=kind, status="running"),
    ] == [1.0, 1.0]


# --------------------------------------------------------------------------------------- the queue


@pytest.mark.django_db
def test_the_queue_and_its_oldest_waiting_job_are_counted_at_the_scrape(client, token, time_machine):
    # given: three queued jobs (the oldest waiting 93.25 s), one running, one done, one failed
    time_machine.move_to(NOW, tick=False)
    ages = {"q1": 93.25, "q2": 40.0, "q3": 0.0}
    for target, age in ages.items():
        job = Job.objects.create(kind="metrics-test", target=target)
        Job.objects.filter(pk=job.pk).update(created_at=NOW - datetime.timedelta(seconds=age))
    Job.objects.create(kind="metrics-test", target="r", status=JobStatus.RUNNING)
    Job.objects.create(kind="metrics-test", target="d", status=JobStatus.DONE)
    Job.objects.create(kind="metrics-test", target="f", status=JobStatus.FAILED)
    # when
    samples = scrape(client)
    # then
    assert [
        samples[key("bearing_database_up")],
        samples[key("bearing_jobs_queued")],
        samples[key("bearing_jobs_running")],
        samples[key("bearing_jobs_oldest_queued_age_seconds")],
    ] == [1.0, 3.0, 1.0, 93.25]
    # and once the clock moves on, so does the age
    time_machine.shift(datetime.timedelta(seconds=30))
    assert scrape(client)[key("bearing_jobs_oldest_queued_age_seconds")] == 123.25


@pytest.mark.django_db
def test_an_empty_queue_is_zero(client, token):
    # when
    samples = scrape(client)
    # then
    assert [
        samples[key("bearing_jobs_queued")],
        samples[key("bearing_jobs_running")],
        samples[key("bearing_jobs_oldest_queued_age_seconds")],
    ] == [0.0, 0.0, 0.0]


@pytest.mark.django_db
def test_the_scrape_survives_a_database_that_does_not_answer(client, token, monkeypatch, caplog):
    # given: the job table's query fails with the database's own words
    secret = 'connection to server at "10.9.8.7", port 5432 failed'
    real = CursorWrapper.execute

    def refuse(self, sql, params=None):
        if "core_job" in sql:
            raise OperationalError(secret)
        return real(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    # when
    response = client.get("/metrics", headers=bearer(TOKEN))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "bearing_database_up 0.0" in body.splitlines()
    assert ("10.9.8.7" in body, "bearing_jobs_queued" in body) == (False, False)
    assert [r.getMessage() for r in caplog.records if r.name == "core.monitoring"] == [
        f"Metrics: the job table did not answer ({secret})"
    ]


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_a_broker_that_is_down_reports_broker_up_0_without_failing_the_scrape(client, token, settings):
    # given
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    # when
    response = client.get("/metrics", headers=bearer(TOKEN))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "bearing_broker_up 0.0" in body.splitlines()
    assert ("bearing_broker_queue_depth" in body, "127.0.0.1" in body, "refused" in body) == (
        False,
        False,
        False,
    )
    assert "bearing_jobs_queued 0.0" in body.splitlines()  # the rest of the scrape is there


class FakeRedis:
    """Answers LLEN from a dict, as a pipeline would, and remembers that it was closed."""

    def __init__(self, lengths: dict[str, int]) -> None:
        self.lengths = lengths
        self.asked: list[str] = []
        self.closed = False

    def pipeline(self, transaction: bool = True) -> FakeRedis:
        return self

    def llen(self, name: str) -> None:
        self.asked.append(name)

    def execute(self) -> list[int]:
        return [self.lengths.get(name, 0) for name in self.asked]

    def close(self) -> None:
        self.closed = True


@pytest.mark.django_db
def test_the_broker_queue_depth_adds_the_priority_lists(client, token, settings, monkeypatch):
    # given: 4 messages in the queue's list and 2 in one of its priority lists; another queue declared
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    settings.CELERY_TASK_QUEUES = [SimpleNamespace(name="celery"), SimpleNamespace(name="slow")]
    fake = FakeRedis({"celery": 4, "celery\x06\x166": 2, "slow": 1})
    opened: list[tuple[str, dict[str, Any]]] = []

    def from_url(url: str, **options: Any) -> FakeRedis:
        opened.append((url, options))
        return fake

    monkeypatch.setattr(monitoring.redis.Redis, "from_url", from_url)
    # when
    samples = scrape(client)
    # then
    assert [
        samples[key("bearing_broker_up")],
        samples[key("bearing_broker_queue_depth", queue="celery")],
        samples[key("bearing_broker_queue_depth", queue="slow")],
    ] == [1.0, 6.0, 1.0]
    assert [
        (url, options["socket_timeout"], options["socket_connect_timeout"]) for url, options in opened
    ] == [("redis://broker.invalid:6379/0", 0.5, 0.5)]
    assert fake.closed


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    require_service(bool(url), "Redis (set REDIS_URL)")
    return url


@pytest.mark.django_db
@pytest.mark.redis
def test_the_broker_queue_depth_of_a_real_redis(client, token, settings, redis_url):
    # given: a queue of its own holding three messages
    queue = f"bearing-metrics-test-{uuid.uuid4().hex}"
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    server = redis.Redis.from_url(redis_url)
    try:
        server.rpush(queue, "a", "b", "c")
        # when
        samples = scrape(client)
    finally:
        server.delete(queue)
        server.close()
    # then
    assert [samples[key("bearing_broker_up")], samples[key("bearing_broker_queue_depth", queue=queue)]] == [
        1.0,
        3.0,
    ]


# --------------------------------------------------------------------------------------- several processes


def observe_in_a_process(directory: Path, observations: int) -> None:
    code = (
        "from core import metrics\n"
        f"for _ in range({observations}):\n"
        "    metrics.observe_job('metrics-test', 'done', 2.0)\n"
    )
    env = {**os.environ, metrics.MULTIPROC_ENV: str(directory)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)


@pytest.mark.django_db
def test_multiprocess_mode_adds_up_every_process_of_web_and_worker(
    client, token, settings, tmp_path, monkeypatch
):
    # given: a web process's and a worker's counts in their own directories
    web, worker = tmp_path / "web", tmp_path / "worker"
    web.mkdir()
    worker.mkdir()
    observe_in_a_process(web, 1)
    observe_in_a_process(worker, 2)
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(web))
    settings.BEARING_METRICS_EXTRA_DIRS = [str(worker), str(tmp_path / "not-started-yet")]
    # when
    samples = scrape(client)
    # then: both added up; this process's in-memory counts are not in the files
    labels = {"kind": "metrics-test", "outcome": "done"}
    assert [
        samples[key("bearing_job_duration_seconds_count", **labels)],
        samples[key("bearing_job_duration_seconds_sum", **labels)],
        samples[key("bearing_job_duration_seconds_bucket", le="2.5", **labels)],
    ] == [3.0, 6.0, 3.0]
    assert [name for name, _ in samples if name.startswith("bearing_request")] == []
    assert samples[key("bearing_jobs_queued")] == 0.0
