"""Tracked jobs, whichever app runs them: start or join one, run it with progress and a heartbeat, record how
it ended, and notice the ones whose worker or message was lost.

Where jobs run: with Redis (production) on Celery workers; without it (the embedded default) in a background
thread of the web process, so their progress can be watched like a worker's; in tests inline
(BEARING_JOB_RUNNER). Each app names its own kinds of job (register_kind) and sends its own tasks.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from core import metrics
from core.heartbeat import Heartbeat, close_connection
from core.models import ACTIVE_JOB_STATUSES, JOB_KIND_LABELS, Job, JobStatus

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
PROGRESS_STEPS = 10  # progress is reported this many times per job, whatever the portfolio size
# Writing a job's final state is tried this many times, on a fresh connection each time, this many
# seconds apart (times the attempt): a database restart must not leave the job "running".
JOB_FINISH_ATTEMPTS = 5
JOB_FINISH_BACKOFF = 0.5


@dataclass(frozen=True)
class DoneLink:
    """Where a finished job's result is: a link its progress bar shows once it is done."""

    url: str
    label: str
    download: bool = False


_done_links: dict[str, Callable[[Job], DoneLink | None]] = {}


def register_kind(kind: str, label: str, *, done_link: Callable[[Job], DoneLink | None] | None = None) -> str:
    """Name a kind of job for the pages that show it, and say where its result is once done; returns the
    kind (apps define theirs as constants)."""
    JOB_KIND_LABELS[kind] = label
    if done_link is not None:
        _done_links[kind] = done_link
    return kind


def done_link(job: Job) -> DoneLink | None:
    """The link to a done job's result, when its kind has one."""
    builder = _done_links.get(job.kind)
    return builder(job) if builder is not None and job.status == JobStatus.DONE else None


# --------------------------------------------------------------------------------------- where jobs run


def runner() -> str:
    return str(getattr(settings, "BEARING_JOB_RUNNER", "inline"))


def in_thread(target: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    def run() -> None:
        close_old_connections()
        try:
            target(*args, **kwargs)
        except Exception:  # a background job must not die silently: log it; the job row records the failure
            log.exception("Background job %s failed", getattr(target, "__name__", target))
        finally:
            connection.close()

    threading.Thread(target=run, name=f"bearing-{getattr(target, '__name__', 'job')}", daemon=True).start()


# Within one request, a broker that failed once is not tried again: a second message (the events' dispatch
# after the recompute's) would cost the request the timeout twice. What is not sent stays for the sweeps.
_request = threading.local()


def _request_started(**_: Any) -> None:
    _request.active, _request.broker_failed = True, False


def _request_finished(**_: Any) -> None:
    _request.active, _request.broker_failed = False, False


request_started.connect(_request_started, dispatch_uid="core.jobs.request_started")
request_finished.connect(_request_finished, dispatch_uid="core.jobs.request_finished")


def send(
    task: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None = None,
    *,
    what: str,
    countdown: float | None = None,
) -> bool:
    """Send a task's message to the workers; False (and a warning saying what was not sent) when the
    broker cannot take it. Bounded: a broker that is down or hung costs a few seconds (settings: the
    transport's socket timeouts and the publish retry policy), never the request."""
    if getattr(_request, "active", False) and getattr(_request, "broker_failed", False):
        log.info(
            "Not sent to the workers: %s for %s (the broker failed earlier in this request)", task.name, what
        )
        return False
    try:
        task.apply_async(args, kwargs, countdown=countdown)
    except Exception as error:  # any failure to publish: kombu's OperationalError, a Redis or socket error
        _request.broker_failed = True
        log.warning(
            "Not sent to the workers: %s for %s (%s: %s)", task.name, what, type(error).__name__, error
        )
        return False
    return True


def start(
    kind: str, *, user: Any, task: Any, run: Callable[..., Any], target: str = "", **kwargs: Any
) -> Any:
    """Start (or join) a job of this kind and target, run it where jobs run, and return its Job row."""
    job, created = job_start_or_join(kind, user=user, target=target)
    if not created:  # joined a queued or running job: it is already on its way
        return job
    mode = runner()
    if mode == "celery":
        if not send(task, (job.pk,), kwargs, what=f"job {job.pk} ({kind})"):
            job_unsent(job.pk)
            job.refresh_from_db()
    elif mode == "thread":
        in_thread(run, job_id=job.pk, **kwargs)
    else:
        # a failure is logged and recorded on the job by run_job; the page shows it
        with contextlib.suppress(Exception):
            run(job_id=job.pk, **kwargs)
        job.refresh_from_db()
    return job


# --------------------------------------------------------------------------------------- job rows


def job_silence_limit() -> datetime.timedelta:
    """How long a job may show no sign of life before it counts as lost: a running job its heartbeat, a
    queued one its creation (no worker took it: workers busy or down, or its message lost)."""
    return datetime.timedelta(seconds=settings.BEARING_JOB_SILENCE_LIMIT)


def job_is_lost(job: Job, now: datetime.datetime) -> bool:
    """True for a queued or running job with no sign of life for the silence limit."""
    return job.active and now - job.last_sign >= job_silence_limit()


def _fail_if_lost(job: Job, now: datetime.datetime) -> bool:
    """Mark the job failed if it is lost and unchanged since it was read; True when it was marked."""
    if not job_is_lost(job, now):
        return False
    if job.status == JobStatus.RUNNING:
        message = f"No sign of life since {job.last_sign:%Y-%m-%d %H:%M:%S}: the worker was lost"
    else:
        message = (
            f"No worker took it since {job.last_sign:%Y-%m-%d %H:%M:%S} (busy, down, or its message was "
            "lost); it still runs if its message arrives"
        )
    marked = Job.objects.filter(
        pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at, started_at=job.started_at
    ).update(status=JobStatus.FAILED, finished_at=now, message=message)
    if marked:
        log.warning("Job %s (%s) marked failed: %s", job.pk, job.kind, message)
        metrics.job_lost(job.kind, job.status)
    return bool(marked)


def fail_lost_jobs(*, now: datetime.datetime | None = None) -> list[int]:
    """Mark failed every queued or running job whose worker or message is lost (see job_is_lost); returns
    their ids. Beat runs it every 15 seconds, so a job whose worker died shows so within about a minute."""
    now = now or timezone.now()
    active = Job.objects.filter(status__in=ACTIVE_JOB_STATUSES).order_by("pk")
    return [job.pk for job in active if _fail_if_lost(job, now)]


def job_refreshed(job: Job) -> Job:
    """The job as a page shows it: marked failed first if it is lost (the embedded default has no beat)."""
    if job.active and _fail_if_lost(job, timezone.now()):
        job.refresh_from_db()
    return job


def job_start(kind: str, *, user: Any = None, target: str = "") -> Job:
    """Create a queued job, unless one of the same kind is already queued or running (then return it).

    A lost job (job_is_lost: silent past its limit) is marked failed and replaced, so a job whose worker
    died does not block every later one.
    """
    return job_start_or_join(kind, user=user, target=target)[0]


def active_job(kind: str, *, lock: bool = False, target: str = "") -> Job | None:
    """The queued or running job of a kind and target, if any (at most one: a constraint says so)."""
    jobs = Job.objects.select_for_update() if lock else Job.objects.all()
    return jobs.filter(kind=kind, target=target, status__in=ACTIVE_JOB_STATUSES).first()


def job_start_or_join(kind: str, *, user: Any = None, target: str = "") -> tuple[Job, bool]:
    """job_start, also saying whether the job was created (True: send it to run) or joined (False).

    Two starts at the same moment both find no active job; the constraint lets only one insert, and the
    other joins the job that won.
    """
    with transaction.atomic():
        running = active_job(kind, lock=True, target=target)
        if running is not None and not _fail_if_lost(running, timezone.now()):
            return running, False
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind,
                    target=target,
                    requested_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # another start committed its job between our look and our insert: join it
            winner = active_job(kind, target=target)
            if winner is None:  # it already finished: nothing is running, so the insert was not refused
                raise
            return winner, False
        return job, True


@dataclass(frozen=True)
class Claim:
    """A job taken to run: its kind, and when it was taken (its started_at)."""

    kind: str
    started_at: datetime.datetime


def claim_job(job_id: int) -> Claim | None:
    """Take a job to run it: its claim when it is queued; or running but lost (its worker died and the
    message came back); or given up before any worker took it (its message arrived late: workers were busy)
    while no other job of its kind and target is active; None otherwise. Anything else (done, failed after it
    started, running with a live heartbeat) is left alone: the message is late or repeated, and running it
    would do the work twice or revive a job that was given up and replaced."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        given_up_unstarted = job.status == JobStatus.FAILED and job.started_at is None
        if not (job.status == JobStatus.QUEUED or job_is_lost(job, now) or given_up_unstarted):
            return None
        try:
            with transaction.atomic():
                Job.objects.filter(pk=job_id).update(
                    status=JobStatus.RUNNING,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                    progress=1,
                    message="Starting",
                )
        except IntegrityError:  # a fresh job of its kind and target is active: that one runs instead
            return None
        return Claim(kind=job.kind, started_at=now)


def job_unsent(job_id: int) -> None:
    """A queued job whose message could not be sent: failed at once, so the next request starts a fresh one."""
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        message="The job queue could not be reached; start it again in a moment",
    )


def job_progress(job_id: int, percent: int, message: str) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=max(0, min(100, percent)), message=message[:300], heartbeat_at=timezone.now()
    )


def job_heartbeat(job_id: int) -> None:
    """A running job's sign of life (from its heartbeat thread)."""
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


def job_finish(job_id: int, *, status: str, message: str, **fields: Any) -> bool:
    """Write a running job's final state; True when written.

    A database restart breaks the connection the job ran on, so each failed attempt closes it and the next
    one runs on a fresh connection. Should every attempt fail, the job falls silent and is marked failed
    once the database answers again (fail_lost_jobs).
    """
    for attempt in range(1, JOB_FINISH_ATTEMPTS + 1):
        try:
            Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
                status=status, message=message[:300], finished_at=timezone.now(), **fields
            )
            return True
        except DatabaseError as error:
            if connection.in_atomic_block or attempt == JOB_FINISH_ATTEMPTS:
                log.error("Job %s: could not record %s after %s attempts: %s", job_id, status, attempt, error)
                return False
            log.warning(
                "Job %s: recording its end (%s) failed: %s; retrying on a fresh connection",
                job_id,
                status,
                error,
            )
            close_connection()
            time.sleep(JOB_FINISH_BACKOFF * attempt)
    return False


def job_failure_message(error: BaseException) -> str:
    """What a failed job tells the people watching it (everyone with a role): what happened in words, never
    the error's own text (a database's words, a host name); that goes to the log with the job's id."""
    if isinstance(error, DatabaseError):
        return "The database failed during the job (details are in the log); start it again"
    if isinstance(error, SoftTimeLimitExceeded):
        return "The job took longer than its time limit; start it again"
    return "Failed: the details are in the server log. Start it again to retry."


def run_job(
    job_id: int | None,
    work: Callable[[Progress | None], Any],
    done: Callable[[Any], str],
    counts: Callable[[Any], dict[str, int]],
) -> Any:
    """Run `work` as the job `job_id`: claimed, running with a heartbeat, progress, then done with done()'s
    message and counts()'s result (or failed, with what went wrong as its message).

    Returns work's result, or None when the job was not claimed (claim_job: a late or repeated message).
    """
    if job_id is None:
        return work(None)
    claim = claim_job(job_id)
    if claim is None:
        log.info("Job %s is not waiting to run (a late or repeated message): nothing to do", job_id)
        return None
    beat = Heartbeat(
        lambda: job_heartbeat(job_id), interval=settings.BEARING_JOB_HEARTBEAT, name=f"bearing-job-{job_id}"
    )
    try:
        with beat:
            result = work(lambda p, m: job_progress(job_id, p, m))
    except Exception as error:
        log.exception("Job %s failed", job_id)
        job_finish(job_id, status=JobStatus.FAILED, message=job_failure_message(error))
        _observe(claim, JobStatus.FAILED.value)
        raise
    job_finish(job_id, status=JobStatus.DONE, message=done(result), progress=100, result=counts(result))
    _observe(claim, JobStatus.DONE.value)
    return result


def _observe(claim: Claim, outcome: str) -> None:
    """The job's run time (claim to end, on the clock its started_at and finished_at are read from) in
    bearing_job_duration_seconds."""
    metrics.observe_job(claim.kind, outcome, (timezone.now() - claim.started_at).total_seconds())


def latest_job(kind: str, target: str = "") -> Job | None:
    return Job.objects.filter(kind=kind, target=target).order_by("-created_at").first()
