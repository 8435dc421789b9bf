"""Jobs never stay stuck: a running job beats from a thread of its own; a job whose worker died (silent past
the limit) or whose message was lost is marked failed by beat, by the page that shows it and by the next
start, which then starts a fresh one; a failure is recorded on a fresh connection when the database
restarted under the job; and a late or repeated message for a job that is not waiting to run does nothing.
"""

from __future__ import annotations

import datetime
import logging
import threading
from typing import Any, cast

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.db.models.query import QuerySet
from django.test import Client
from django.urls import reverse

from alignment import tasks
from alignment.models import InitiativeScore
from alignment.tasks import DASHBOARDS, FULL_RECOMPUTE
from config.celery import app
from core import jobs as core_jobs
from core import tasks as core_tasks
from core.models import Job, JobStatus
from portfolio.models import Strength
from tests.alignment.conftest import wait_for
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory

NOW = datetime.datetime(2026, 11, 21, 12, 0, 0, tzinfo=datetime.UTC)
COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def frozen(time_machine: Any) -> datetime.datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


def job(kind: str = FULL_RECOMPUTE, *, status: str, age: datetime.timedelta, target: str = "") -> Job:
    """A job whose last sign of life (its heartbeat, or its creation when queued) is `age` before NOW."""
    row = Job.objects.create(kind=kind, target=target, status=status, progress=37)
    last = NOW - age
    if status == JobStatus.QUEUED:
        Job.objects.filter(pk=row.pk).update(created_at=last, progress=0)
    else:
        Job.objects.filter(pk=row.pk).update(started_at=last, heartbeat_at=last)
    row.refresh_from_db()
    return row


def strong_to_the_only_theme() -> Any:
    """One initiative strong to the only theme: fit 100 (r = 1, s = 1)."""
    theme = ObjectiveFactory(code="T1")
    initiative = InitiativeFactory(code="FIT-1")
    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    return initiative


SECOND = datetime.timedelta(seconds=1)


# --------------------------------------------------------------------------------------- the limits


def test_the_default_limits_mark_a_dead_workers_job_within_a_minute() -> None:
    # given: the settings as deployed (no environment overrides in the test run)
    beat_every = cast(datetime.timedelta, django_settings.CELERY_BEAT_SCHEDULE["fail-lost-jobs"]["schedule"])

    # then: heartbeat 5 s, silence limit 45 s, checked every 15 s: at most 60 s from the last beat
    assert (django_settings.BEARING_JOB_HEARTBEAT, django_settings.BEARING_JOB_SILENCE_LIMIT) == (5, 45)
    assert beat_every == datetime.timedelta(seconds=15)
    assert core_jobs.job_silence_limit() + beat_every == datetime.timedelta(seconds=60)


def test_the_visibility_timeout_is_just_above_the_longest_task_time_limit() -> None:
    # given: every task's hard time limit, as the app configured them
    limits = {name: task.time_limit or app.conf.task_time_limit for name, task in app.tasks.items()}
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    # then: 16 minutes: above the longest (15 min), so no running task is handed out twice
    assert max(limits.values()) == 15 * 60
    assert visibility == 16 * 60


# --------------------------------------------------------------------------------------- lost jobs


@pytest.mark.django_db
def test_the_beat_task_fails_the_jobs_no_worker_runs_or_took_and_keeps_the_others(frozen) -> None:
    # given: running jobs whose heartbeat is just past and just within the silence limit, queued jobs no
    # worker took for just as long, and a finished one
    limit = core_jobs.job_silence_limit()
    dead = job(status=JobStatus.RUNNING, age=limit, target="dead")
    alive = job(status=JobStatus.RUNNING, age=limit - SECOND, target="alive")
    untaken = job(status=JobStatus.QUEUED, age=limit, target="untaken")
    waiting = job(status=JobStatus.QUEUED, age=limit - SECOND, target="waiting")
    done = job(status=JobStatus.DONE, age=datetime.timedelta(days=1), target="done")

    # when
    core_tasks.fail_lost_jobs()

    # then
    statuses = dict(Job.objects.values_list("target", "status"))
    assert statuses == {
        "dead": JobStatus.FAILED,
        "alive": JobStatus.RUNNING,
        "untaken": JobStatus.FAILED,
        "waiting": JobStatus.QUEUED,
        "done": JobStatus.DONE,
    }
    dead.refresh_from_db()
    assert dead.message == "No sign of life since 2026-11-21 11:59:15: the worker was lost"
    assert (dead.finished_at, dead.progress) == (NOW, 37)
    untaken.refresh_from_db()
    assert untaken.message == (
        "No worker took it since 2026-11-21 11:59:15 (busy, down, or its message was lost); "
        "it still runs if its message arrives"
    )
    assert (untaken.finished_at, untaken.started_at) == (NOW, None)
    assert {alive.pk, waiting.pk, done.pk} == set(
        Job.objects.exclude(status=JobStatus.FAILED).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_job_silent_past_the_limit_is_failed_and_replaced_by_the_next_start(frozen) -> None:
    # given: a running job whose worker has not beaten for the limit
    lost = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit())

    # when
    new = core_jobs.job_start(FULL_RECOMPUTE)

    # then
    lost.refresh_from_db()
    assert new.pk != lost.pk
    assert (new.status, new.progress) == (JobStatus.QUEUED, 0)
    assert (lost.status, lost.finished_at) == (JobStatus.FAILED, NOW)
    assert lost.message == "No sign of life since 2026-11-21 11:59:15: the worker was lost"


@pytest.mark.django_db
def test_a_running_job_that_beat_within_the_limit_is_joined(frozen) -> None:
    # given
    alive = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit() - SECOND)

    # when
    joined = core_jobs.job_start(FULL_RECOMPUTE)

    # then
    assert joined.pk == alive.pk
    assert list(Job.objects.values_list("status", flat=True)) == [JobStatus.RUNNING]


@pytest.mark.django_db
def test_a_queued_job_no_worker_took_within_the_limit_is_failed_and_replaced_by_the_next_start(
    frozen,
) -> None:
    # given: a job queued for the silence limit and never taken (its message was lost, or no worker runs)
    untaken = job(status=JobStatus.QUEUED, age=core_jobs.job_silence_limit())

    # when
    new = core_jobs.job_start(FULL_RECOMPUTE)

    # then
    assert new.pk != untaken.pk
    assert Job.objects.get(pk=untaken.pk).status == JobStatus.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_the_status_of_a_job_whose_worker_died_shows_it_failed_and_stops_polling(
    frozen, client: Client, executive: Any, headers: dict[str, str]
) -> None:
    # given: a job still "running" at 16 % whose worker fell silent past the limit (no beat runs)
    lost = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit())
    Job.objects.filter(pk=lost.pk).update(progress=16)
    client.force_login(executive)

    # when
    page = client.get(reverse("core:job-status", args=[lost.pk]), headers=headers).content.decode()

    # then
    assert "· Failed</span><span>16%</span>" in page
    assert "No sign of life since 2026-11-21 11:59:15: the worker was lost" in page
    assert "hx-get" not in page
    assert Job.objects.get(pk=lost.pk).status == JobStatus.FAILED


@pytest.mark.django_db
def test_progress_and_heartbeats_do_not_revive_a_job_that_was_given_up(frozen) -> None:
    # given: a job failed as lost, whose worker turns out to be alive after all (it was paused)
    lost = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit())
    core_jobs.fail_lost_jobs()

    # when: it reports progress and beats
    core_jobs.job_progress(lost.pk, 80, "Writing scores and signals")
    core_jobs.job_heartbeat(lost.pk)

    # then: still failed, as it was
    lost.refresh_from_db()
    assert (lost.status, lost.progress, lost.heartbeat_at) == (
        JobStatus.FAILED,
        37,
        NOW - core_jobs.job_silence_limit(),
    )


# --------------------------------------------------------------------------------------- late messages


@pytest.mark.django_db
@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.DONE])
def test_a_late_message_for_a_job_that_is_not_waiting_to_run_does_nothing(
    frozen, status: str, caplog
) -> None:
    # given: a scorable initiative, and a full recompute job that already ended after it started (failed
    # as lost, or done)
    strong_to_the_only_theme()
    ended = job(status=status, age=datetime.timedelta(minutes=20))
    before = Job.objects.values().get(pk=ended.pk)

    # when: its message is delivered again (a killed worker's message, handed out after the visibility
    # timeout)
    with caplog.at_level(logging.INFO, logger="core.jobs"):
        tasks.full_recompute(ended.pk)

    # then: nothing ran: the job is as it was and nothing was computed
    assert Job.objects.values().get(pk=ended.pk) == before
    assert InitiativeScore.objects.count() == 0
    assert (
        f"Job {ended.pk} is not waiting to run (a late or repeated message): nothing to do" in caplog.messages
    )


@pytest.mark.django_db
def test_a_message_that_arrives_after_its_queued_job_was_given_up_still_runs_it(frozen) -> None:
    # given: a full recompute no worker took within the limit (they were all busy), marked failed
    initiative = strong_to_the_only_theme()
    waited = job(status=JobStatus.QUEUED, age=core_jobs.job_silence_limit())
    core_jobs.fail_lost_jobs()

    # when: a worker is free at last and takes its message
    tasks.full_recompute(waited.pk)

    # then: the job runs to the end after all
    waited.refresh_from_db()
    assert (waited.status, waited.progress, waited.started_at) == (JobStatus.DONE, 100, NOW)
    assert InitiativeScore.objects.get(pk=initiative.pk).fit == 100.0


@pytest.mark.django_db
def test_a_message_that_arrives_after_its_queued_job_was_replaced_does_nothing(frozen) -> None:
    # given: a full recompute no worker took within the limit, replaced by a fresh one (the next start)
    strong_to_the_only_theme()
    waited = job(status=JobStatus.QUEUED, age=core_jobs.job_silence_limit())
    fresh = core_jobs.job_start(FULL_RECOMPUTE)
    before = Job.objects.values().get(pk=waited.pk)

    # when: the old job's message arrives
    tasks.full_recompute(waited.pk)

    # then: nothing ran; the fresh job is the one to run
    assert Job.objects.values().get(pk=waited.pk) == before
    assert before["status"] == JobStatus.FAILED
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.QUEUED
    assert InitiativeScore.objects.count() == 0


@pytest.mark.django_db
def test_a_repeated_message_for_a_job_another_worker_runs_does_nothing(frozen) -> None:
    # given: a job running with a live heartbeat (another worker is on it)
    strong_to_the_only_theme()
    running = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit() - SECOND)
    before = Job.objects.values().get(pk=running.pk)

    # when
    tasks.full_recompute(running.pk)

    # then
    assert Job.objects.values().get(pk=running.pk) == before
    assert InitiativeScore.objects.count() == 0


@pytest.mark.django_db
def test_a_redelivered_message_takes_over_a_running_job_whose_worker_died(frozen) -> None:
    # given: a job "running" whose worker died (silent past the limit) before beat marked it
    initiative = strong_to_the_only_theme()
    lost = job(status=JobStatus.RUNNING, age=core_jobs.job_silence_limit())

    # when: its message comes back to a live worker
    tasks.full_recompute(lost.pk)

    # then: the job is run to the end on this worker
    lost.refresh_from_db()
    assert (lost.status, lost.progress, lost.started_at, lost.finished_at) == (JobStatus.DONE, 100, NOW, NOW)
    assert InitiativeScore.objects.get(pk=initiative.pk).fit == 100.0


@pytest.mark.django_db
def test_the_nightly_recompute_does_nothing_while_another_full_recompute_runs(frozen) -> None:
    # given
    strong_to_the_only_theme()
    running = job(status=JobStatus.RUNNING, age=SECOND)

    # when
    tasks.nightly_recompute()

    # then: the running job was joined, not run a second time beside its worker
    assert list(Job.objects.values_list("pk", "status")) == [(running.pk, JobStatus.RUNNING)]
    assert InitiativeScore.objects.count() == 0


# --------------------------------------------------------------------------------------- heartbeat


@COMMITTED
def test_a_running_job_beats_from_its_own_thread_while_its_work_reports_nothing(settings) -> None:
    # given: heartbeats every second, and a job whose work reports no progress
    settings.BEARING_JOB_HEARTBEAT = 1
    queued = core_jobs.job_start(DASHBOARDS)
    seen: list[datetime.datetime] = []

    def quiet_work(progress: Any) -> int:
        started = Job.objects.get(pk=queued.pk).heartbeat_at
        assert started is not None
        # wait (without reporting) until the heartbeat thread has refreshed the job's heartbeat
        beat = wait_for(
            lambda: Job.objects.filter(pk=queued.pk, heartbeat_at__gt=started).first(),
            timeout=10,
            what="a heartbeat from the job's thread",
        )
        assert beat.heartbeat_at is not None
        seen.extend([started, beat.heartbeat_at])
        return 1

    # when
    result = core_jobs.run_job(queued.pk, quiet_work, lambda n: "ok", lambda n: {"n": n})

    # then: it beat while the work ran, and the thread stopped with the job
    assert result == 1
    assert seen[1] > seen[0]
    assert Job.objects.get(pk=queued.pk).status == JobStatus.DONE
    assert not [t for t in threading.enumerate() if t.name == f"bearing-job-{queued.pk}" and t.is_alive()]


# --------------------------------------------------------------------------------------- recording a failure


@COMMITTED
def test_a_failure_is_recorded_on_a_fresh_connection_when_the_first_attempt_fails(
    monkeypatch, caplog
) -> None:
    # given: a job whose work fails, and a database that refuses the first attempt to record that (the
    # connection the job ran on was broken by a restart)
    monkeypatch.setattr(core_jobs, "JOB_FINISH_BACKOFF", 0)
    queued = core_jobs.job_start(DASHBOARDS)
    update = QuerySet.update
    refused: list[dict[str, Any]] = []
    closed: list[bool] = []
    close = connection.close

    def update_once_refused(self: QuerySet, **fields: Any) -> int:
        if fields.get("status") == JobStatus.FAILED and not refused:
            refused.append(fields)
            raise OperationalError("server closed the connection unexpectedly")
        return update(self, **fields)

    def spy_close() -> None:
        closed.append(True)
        close()

    monkeypatch.setattr(QuerySet, "update", update_once_refused)
    monkeypatch.setattr(connection, "close", spy_close)

    def failing_work(progress: Any) -> None:
        raise RuntimeError("the chart library gave up")

    # when
    with pytest.raises(RuntimeError, match="the chart library gave up"):
        core_jobs.run_job(queued.pk, failing_work, lambda n: "ok", lambda n: {})

    # then: recorded on the second attempt, after the broken connection was closed
    failed = Job.objects.get(pk=queued.pk)
    assert (failed.status, failed.message) == (
        JobStatus.FAILED,
        "Failed: the details are in the server log. Start it again to retry.",
    )
    assert failed.finished_at is not None
    assert len(refused) == 1
    assert closed == [True]
    assert (
        f"Job {queued.pk}: recording its end (failed) failed: server closed the connection unexpectedly; "
        "retrying on a fresh connection"
    ) in caplog.messages


@COMMITTED
def test_a_job_whose_database_connection_dies_is_recorded_failed_without_the_databases_words(
    postgres: None,
) -> None:
    # given: a job whose work loses its database connection (the server ends it, as a restart does)
    queued = core_jobs.job_start(DASHBOARDS)

    def work_on_a_dying_connection(progress: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    # when
    with pytest.raises(OperationalError):
        core_jobs.run_job(queued.pk, work_on_a_dying_connection, lambda n: "ok", lambda n: {})

    # then: marked failed (on a fresh connection), saying what happened in the users' words
    failed = Job.objects.get(pk=queued.pk)
    assert (failed.status, failed.message) == (
        JobStatus.FAILED,
        "The database failed during the job (details are in the log); start it again",
    )
    assert failed.finished_at is not None
