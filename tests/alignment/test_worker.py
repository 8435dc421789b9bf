"""The Celery path end to end: messages sent to Redis only after commit, a real worker writing the results,
a full recompute started from the UI and watched to the end, a worker killed mid-job, its job marked failed
and replaced and the results converging, its late message doing nothing; and, without services, the beat
schedule and the periodic tasks run as functions (the rules for lost jobs: test_job_liveness.py).

The worker tests need Redis (REDIS_URL) and PostgreSQL: the worker is another process, so it must see the
test's committed rows in the same (pytest-django test) database.
"""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alignment import services, tasks
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from alignment.tasks import FULL_RECOMPUTE
from config.celery import app
from core import jobs as core_jobs
from core import tasks as core_tasks
from core.models import Job, JobStatus
from demo.scale import build_scale
from portfolio import services as portfolio_services
from portfolio.models import Contribution, Strength
from tests.alignment.conftest import ARTIFACTS, RESULT_TIMEOUT, Worker, wait_for
from tests.factories import ContributionFactory, InitiativeFactory, MilestoneFactory, ObjectiveFactory

D = datetime.date
# The worker commits from its own connection: the test database must really commit, and the rows the
# migrations put there (roles, tier policies, the scoring policy) are restored for each test.
WORKER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
COMPUTED = (InitiativeScore, KPIScore, ObjectiveScore, Signal, PortfolioIndex)
SCALE_INITIATIVES = 6000  # a full recompute of this many takes a few seconds on PostgreSQL
SILENCE_LIMIT = 3  # seconds without a heartbeat before the kill test's job counts as lost (default 45)
HEARTBEAT = 1  # seconds between heartbeats in the kill test (default 5)


def recompute_url() -> str:
    return reverse("alignment:recompute")


def fit_example() -> tuple[Any, Any]:
    """Themes T1 (local weight 3) and T2 (1); CHK-1 moderate to T1 and strong to T2, with one milestone.

    Global weights 0.75 and 0.25, so r(T1) = 1 and r(T2) = 0.25 / 0.75 = 1/3, and
    F = 100 × (1 − (1 − 1 × 2/3) × (1 − 1/3 × 1)) = 100 × (1 − 1/3 × 2/3) = 100 × 7/9 = 77.78.
    """
    t1 = ObjectiveFactory(code="T1", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", local_weight=Decimal("1"))
    initiative = InitiativeFactory(code="CHK-1")
    ContributionFactory(initiative=initiative, objective=t1, strength=Strength.MODERATE)
    ContributionFactory(initiative=initiative, objective=t2, strength=Strength.STRONG)
    milestone = MilestoneFactory(initiative=initiative, name="Rollout", baseline_date=D(2026, 12, 15))
    return initiative, milestone


def computed_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every computed row's values in a stable order; timestamps and surrogate ids are left out."""
    snapshot = {}
    for model in COMPUTED:
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if not isinstance(field, models.DateTimeField | models.AutoField)
        ]
        snapshot[model.__name__] = sorted(model.objects.values_list(*fields), key=repr)
    return snapshot


def differences(final: dict[str, list[Any]], reference: dict[str, list[Any]]) -> dict[str, Any]:
    """Per table: (rows, reference rows, a few rows not in the reference); empty when identical."""
    found = {}
    for name, rows in reference.items():
        expected = {repr(row) for row in rows}
        strays = [row for row in final[name] if repr(row) not in expected]
        if strays or len(final[name]) != len(rows):
            found[name] = (len(final[name]), len(rows), strays[:3])
    return found


def finished(job_id: int) -> Job | None:
    """The job once it is done or failed (a wait on it ends at once on a failure, with its message)."""
    return Job.objects.filter(pk=job_id, status__in=[JobStatus.DONE, JobStatus.FAILED]).first()


def worker_writing(job_id: int) -> bool:
    """The worker is inside the transaction that writes the scores: its job says so and its connection
    holds a transaction id (it has written rows not yet committed)."""
    if not Job.objects.filter(pk=job_id, message="Writing scores and signals").exists():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0] > 0


# --------------------------------------------------------------------------------------- with a worker


@WORKER_DB
def test_an_initiative_change_is_sent_after_commit_and_a_worker_writes_its_score(
    redis_worker: Worker, postgres: None, pmo: Any
) -> None:
    # given: CHK-1 with fit 77.78 by hand (fit_example), never scored; no worker running yet
    initiative, milestone = fit_example()
    broker = redis_worker.broker

    # when: its milestone is changed through the portfolio service, in a transaction
    with transaction.atomic():
        portfolio_services.milestone_update(
            user=pmo,
            milestone_id=milestone.pk,
            version=milestone.version,
            data={"forecast_date": D(2027, 1, 20)},
        )
        # then: the score is marked stale in the transaction, and nothing is sent before commit
        assert InitiativeScore.objects.filter(pk=initiative.pk, stale=True).count() == 1
        assert broker.queued() == []

    # then: after commit, the rescore of exactly this initiative and one debounced portfolio refresh
    assert broker.queued() == [
        ("alignment.tasks.recompute_initiatives", [[initiative.pk], []]),
        ("alignment.tasks.refresh_portfolio", []),
    ]

    # when: a worker consumes them
    redis_worker.start()

    # then: the worker wrote the score (fit computed by hand), then refreshed the portfolio indices
    score = wait_for(
        lambda: InitiativeScore.objects.filter(pk=initiative.pk, stale=False).first(),
        timeout=RESULT_TIMEOUT,
        what="the worker to rescore CHK-1",
        check=redis_worker.check_alive,
    )
    assert score.fit == 77.78
    assert score.computed_at is not None
    assert score.stale_since is None
    wait_for(
        lambda: not services.portfolio_is_stale(),
        timeout=RESULT_TIMEOUT,
        what="the debounced portfolio refresh",
        check=redis_worker.check_alive,
    )
    # and both messages were acknowledged (acks_late: only once the task finished)
    wait_for(
        lambda: broker.queued() == [] and broker.unacked_ages() == [],
        timeout=RESULT_TIMEOUT,
        what="the broker to hold no message",
    )


@WORKER_DB
def test_pmo_starts_a_full_recompute_from_the_page_and_watches_it_run_to_done(
    redis_worker: Worker, postgres: None, pmo: Any, client: Client
) -> None:
    # given: a portfolio of 100 initiatives and 20 KPIs, and no worker running yet
    build_scale(initiatives=100, seed=1, as_of=timezone.localdate())
    client.force_login(pmo)

    # when: the PMO starts a full recompute from the page (htmx)
    response = client.post(recompute_url(), headers={"HX-Request": "true"})

    # then: the progress bar of the queued job, polling the job's URL, and its message on the queue
    job = Job.objects.get()
    status_url = reverse("core:job-status", args=[job.pk])
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{status_url}" hx-trigger="every 1s"' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "· Queued</span><span>0%</span>" in html
    assert (job.kind, job.status, job.progress, job.requested_by) == (
        FULL_RECOMPUTE,
        JobStatus.QUEUED,
        0,
        pmo,
    )
    assert redis_worker.broker.queued() == [("alignment.tasks.full_recompute", [job.pk])]

    # when: a worker takes the job and is held at the score write (a lock), so "running" can be seen
    with transaction.atomic():
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(InitiativeScore._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        redis_worker.start()
        running = wait_for(
            lambda: Job.objects.filter(pk=job.pk, message="Writing scores and signals").first(),
            timeout=RESULT_TIMEOUT,
            what="the worker to reach the score write",
            check=redis_worker.check_alive,
        )
        # then: the job runs, partway, and its status URL shows that and keeps polling
        assert running.status == JobStatus.RUNNING
        assert 1 < running.progress < 100
        assert running.started_at is not None
        assert running.finished_at is None
        page = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
        assert f"· Running</span><span>{running.progress}%</span>" in page
        assert f'hx-get="{status_url}"' in page

    # when: the lock is released (the block commits)
    done = wait_for(
        lambda: finished(job.pk),
        timeout=RESULT_TIMEOUT,
        what="the job to finish",
        check=redis_worker.check_alive,
    )
    assert done.status == JobStatus.DONE, done.message

    # then: done at 100 %, its counts those of the portfolio (100 initiatives, 20 KPIs), shown by the
    # status URL, which stops polling
    assert done.progress == 100
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at
    counts = f"Recomputed 100 initiatives and 20 KPIs; {Signal.objects.count()} signals"
    assert done.message.startswith(counts)
    assert InitiativeScore.objects.filter(stale=False).count() == 100
    page = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "· Done</span><span>100%</span>" in page
    assert counts in page
    assert 'aria-valuenow="100"' in page
    assert "hx-get" not in page


@WORKER_DB
def test_a_job_whose_worker_fell_silent_is_replaced_and_the_new_one_run_by_a_worker(
    redis_worker: Worker, postgres: None, pmo: Any, client: Client
) -> None:
    # given: CHK-1 (fit 77.78), and a full recompute "running" whose worker and message are gone: its last
    # heartbeat is older than the silence limit and the broker holds nothing
    initiative, _ = fit_example()
    lost = Job.objects.create(kind=FULL_RECOMPUTE, status=JobStatus.RUNNING, progress=37)
    silent_since = timezone.now() - core_jobs.job_silence_limit() - datetime.timedelta(seconds=1)
    Job.objects.filter(pk=lost.pk).update(started_at=silent_since, heartbeat_at=silent_since)
    client.force_login(pmo)

    # when: the PMO starts a full recompute, and a worker runs
    response = client.post(recompute_url(), headers={"HX-Request": "true"})
    redis_worker.start()

    # then: the silent job is failed, a new one is sent and a worker runs it to the end
    assert response.status_code == 200
    new = Job.objects.exclude(pk=lost.pk).get()
    assert Job.objects.get(pk=lost.pk).status == JobStatus.FAILED
    assert new.requested_by == pmo
    done = wait_for(
        lambda: finished(new.pk),
        timeout=RESULT_TIMEOUT,
        what="the new job to finish",
        check=redis_worker.check_alive,
    )
    assert (done.status, done.progress) == (JobStatus.DONE, 100), done.message
    assert InitiativeScore.objects.get(pk=initiative.pk).fit == 77.78


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_an_executive_cannot_start_a_full_recompute(
    redis_worker: Worker, postgres: None, executive: Any, client: Client, headers: dict[str, str]
) -> None:
    # given
    client.force_login(executive)

    # when
    response = client.post(recompute_url(), headers=headers)

    # then: refused, no job, nothing sent
    assert response.status_code == 403
    assert Job.objects.count() == 0
    assert redis_worker.broker.queued() == []


@pytest.mark.django_db
def test_pmo_starting_twice_without_htmx_is_redirected_and_joins_the_queued_job(
    redis_worker: Worker, postgres: None, pmo: Any, client: Client
) -> None:
    # given
    client.force_login(pmo)

    # when: two starts before any worker took the first
    first = client.post(recompute_url())
    second = client.post(recompute_url())

    # then: both back to the page, one job, one message
    assert (first.status_code, first["Location"]) == (302, recompute_url())
    assert (second.status_code, second["Location"]) == (302, recompute_url())
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED
    assert redis_worker.broker.queued() == [("alignment.tasks.full_recompute", [job.pk])]


@WORKER_DB
def test_a_full_recompute_whose_worker_is_killed_is_failed_and_replaced_and_the_results_converge(
    redis_worker: Worker, postgres: None, pmo: Any, client: Client, settings: Any
) -> None:
    began = time.monotonic()
    timings: dict[str, float] = {}
    broker = redis_worker.broker
    # short limits, here and in the worker, so the test waits seconds where production waits under a minute
    settings.BEARING_JOB_SILENCE_LIMIT = SILENCE_LIMIT
    settings.BEARING_JOB_HEARTBEAT = HEARTBEAT
    limits = {"BEARING_JOB_SILENCE_LIMIT": str(SILENCE_LIMIT), "BEARING_JOB_HEARTBEAT": str(HEARTBEAT)}

    # given: a portfolio big enough for a full recompute to take seconds, its results computed inline as
    # the reference, then every computed row deleted
    build_scale(initiatives=SCALE_INITIATIVES, seed=1, as_of=timezone.localdate())
    timings["build"] = time.monotonic() - began
    services.recompute()
    reference = computed_rows()
    assert len(reference["InitiativeScore"]) == SCALE_INITIATIVES
    for model in COMPUTED:
        model.objects.all().delete()
    client.force_login(pmo)

    # when: the PMO starts a full recompute, and its worker is killed (SIGKILL) inside the score write
    client.post(recompute_url(), headers={"HX-Request": "true"})
    job = Job.objects.get()
    mark = time.monotonic()
    redis_worker.start(**limits)
    wait_for(
        lambda: worker_writing(job.pk),
        timeout=120,  # the worker starts and computes 6,000 initiatives first: a minute on a loaded machine
        what="the worker to start writing the scores",
        check=redis_worker.check_alive,
    )
    redis_worker.kill()
    killed = time.monotonic()
    timings["enqueue_to_kill"] = killed - mark

    # then: nothing half-written: every computed table is empty (rolled back) or complete (committed)
    counts = {model.__name__: model.objects.count() for model in COMPUTED}
    empty = dict.fromkeys(counts, 0)
    complete = {name: len(rows) for name, rows in reference.items()}
    assert counts in (empty, complete)
    stuck = Job.objects.get(pk=job.pk)
    assert stuck.status == JobStatus.RUNNING
    assert 1 < stuck.progress < 100
    # and its message is still on the broker, delivered but never acknowledged (acks_late)
    assert len(broker.unacked_ages()) == 1

    # when: a worker is back (with the default visibility timeout, so the killed message stays out), the
    # job's heartbeat falls silent past the limit, and beat sends its check for lost jobs
    redis_worker.start(**limits)
    wait_for(
        lambda: core_jobs.job_is_lost(Job.objects.get(pk=job.pk), timezone.now()),
        timeout=SILENCE_LIMIT + 10,
        what="the killed job to fall silent past the limit",
    )
    core_tasks.fail_lost_jobs.delay()

    # then: the job is marked failed, at the progress where it died
    failed = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).first(),
        timeout=RESULT_TIMEOUT,
        what="the worker to mark the killed job failed",
        check=redis_worker.check_alive,
    )
    timings["kill_to_failed"] = time.monotonic() - killed
    assert failed.message.startswith("No sign of life since ")
    assert failed.message.endswith(": the worker was lost")
    assert failed.progress == stuck.progress
    assert failed.finished_at is not None
    assert timings["kill_to_failed"] < 60

    # when: the PMO asks again
    response = client.post(recompute_url(), headers={"HX-Request": "true"})

    # then: a fresh job, which the worker runs to the end; the results are exactly the reference's
    assert response.status_code == 200
    fresh = Job.objects.exclude(pk=job.pk).get()
    assert fresh.requested_by == pmo
    done = wait_for(
        lambda: finished(fresh.pk),
        timeout=60,
        what="the fresh full recompute to finish",
        check=redis_worker.check_alive,
    )
    assert (done.status, done.progress) == (JobStatus.DONE, 100), done.message
    timings["kill_to_converged"] = time.monotonic() - killed
    assert differences(computed_rows(), reference) == {}

    # when: the killed worker's message comes back late (a worker restores deliveries older than its
    # visibility timeout when it starts)
    redis_worker.stop()
    redis_worker.start(CELERY_VISIBILITY_TIMEOUT="1", **limits)
    refused = f"Job {job.pk} is not waiting to run (a late or repeated message): nothing to do"
    # the worker's log reaches its file a moment after the message is acknowledged: wait for both
    wait_for(
        lambda: (
            broker.queued() == []
            and broker.unacked_ages() == []
            and refused in redis_worker.log_path.read_text()
        ),
        # the fresh recompute raised every signal anew (the computed rows were deleted): the worker delivers
        # those thousands of events first, which takes a minute or more on a loaded machine
        timeout=240,
        what="the late message to be taken, refused and acknowledged",
        check=redis_worker.check_alive,
    )

    # then: it did nothing: the failed job is as it was, no other job, the results unchanged
    late = Job.objects.get(pk=job.pk)
    assert (late.status, late.started_at, late.finished_at, late.message) == (
        JobStatus.FAILED,
        failed.started_at,
        failed.finished_at,
        failed.message,
    )
    assert Job.objects.count() == 2
    assert redis_worker.log_path.read_text().count(refused) == 1
    assert differences(computed_rows(), reference) == {}
    timings["total"] = time.monotonic() - began
    report = {
        "after_kill": "complete" if counts == complete and counts != empty else "empty",
        "timings_s": {name: round(value, 2) for name, value in timings.items()},
    }
    (ARTIFACTS / "worker-kill-converge.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"kill, fail, replace and converge: {report}")


# --------------------------------------------------------------------------------------- without services


def test_the_beat_schedule_fails_lost_jobs_and_runs_the_sweeps_the_nightly_recompute_the_score_history_the_reminders_and_the_digests() -> (
    None
):
    # given: the schedule, and every app's tasks imported as a worker imports them when it starts
    schedule = settings.CELERY_BEAT_SCHEDULE
    app.loader.import_default_modules()

    # then: each entry's crontab, and each task name is a task the Celery app knows
    assert schedule == {
        "fail-lost-jobs": {
            "task": "core.tasks.fail_lost_jobs",
            "schedule": datetime.timedelta(seconds=15),
            "options": {"expires": 15},
        },
        "sweep-stale-scores": {"task": "alignment.tasks.sweep_stale", "schedule": crontab(minute="*/10")},
        "nightly-full-recompute": {
            "task": "alignment.tasks.nightly_recompute",
            "schedule": crontab(hour=2, minute=30),
        },
        "daily-score-history": {
            "task": "alignment.tasks.record_history",
            "schedule": crontab(hour=3, minute=15),
        },
        "daily-reminders": {"task": "steering.tasks.send_reminders", "schedule": crontab(hour=7, minute=0)},
        "sweep-events": {"task": "core.tasks.sweep_events", "schedule": datetime.timedelta(seconds=60)},
        "daily-digests": {
            "task": "events.tasks.send_daily_digests",
            "schedule": crontab(hour=7, minute=10),
        },
        "weekly-digests": {
            "task": "events.tasks.send_weekly_digests",
            "schedule": crontab(hour=7, minute=20, day_of_week=1),
        },
    }
    assert app.conf.beat_schedule == schedule
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)


def test_every_alignment_task_states_a_soft_time_limit_below_its_hard_limit() -> None:
    # given: the alignment tasks as the app configured them (with the settings' defaults applied)
    alignment_tasks = {name: task for name, task in app.tasks.items() if name.startswith("alignment.")}

    # then: Celery refuses to send a task whose soft limit exceeds its hard limit
    assert "alignment.tasks.recompute_initiatives" in alignment_tasks
    too_late = {
        name: (task.soft_time_limit, task.time_limit)
        for name, task in alignment_tasks.items()
        if not (task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit)
    }
    assert too_late == {}


@pytest.mark.django_db
def test_the_sweep_task_rescores_stale_initiatives_and_refreshes_the_portfolio() -> None:
    # given: an initiative strong to the only theme (r = 1, fit 100), scored; then its contribution weakened
    # to moderate behind the engine's back and its score marked stale, as when a message is lost
    theme = ObjectiveFactory(code="T1")
    initiative: Any = InitiativeFactory()
    contribution: Any = ContributionFactory(initiative=initiative, objective=theme, strength=Strength.STRONG)
    services.recompute()
    Contribution.objects.filter(pk=contribution.pk).update(strength=Strength.MODERATE)
    services.mark_stale([initiative.pk])
    before = InitiativeScore.objects.get(pk=initiative.pk)
    assert (before.stale, before.fit) == (True, 100.0)
    assert before.computed_at is not None
    index_before = PortfolioIndex.objects.aggregate(latest=Max("computed_at"))["latest"]

    # when: the sweep runs as a function
    tasks.sweep_stale()

    # then: rescored from the new strength (100 × 2/3), and the portfolio indices recomputed after it
    after = InitiativeScore.objects.get(pk=initiative.pk)
    assert (after.stale, after.fit) == (False, 66.67)
    assert after.computed_at is not None
    assert after.computed_at > before.computed_at
    index_after = PortfolioIndex.objects.aggregate(latest=Max("computed_at"))["latest"]
    assert index_after > index_before
    assert services.portfolio_is_stale() is False


@pytest.mark.django_db
def test_the_nightly_task_runs_a_full_recompute_as_a_job() -> None:
    # given
    theme = ObjectiveFactory(code="T1")
    initiative: Any = InitiativeFactory()
    ContributionFactory(initiative=initiative, objective=theme, strength=Strength.WEAK)

    # when
    tasks.nightly_recompute()

    # then
    job = Job.objects.get()
    assert (job.kind, job.status, job.progress) == (FULL_RECOMPUTE, JobStatus.DONE, 100)
    assert InitiativeScore.objects.get(pk=initiative.pk).fit == 33.33
