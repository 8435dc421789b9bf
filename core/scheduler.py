"""The scheduled jobs (CELERY_BEAT_SCHEDULE) without beat: the embedded default runs them in the web process.

In production beat sends the schedule to the workers. The embedded default has neither, so a thread of the
web process follows the same schedule and runs each job in-process: the sweep, the nightly recompute, the
daily score history, the reminders. Every run is recorded (ScheduledRun), which also tells the pages when
each job last ran; a run the server missed while it was down (a daily job whose time passed) runs once when
the server is back. A run is claimed by compare-and-set on its row, so two processes never run it twice.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from celery.schedules import crontab, maybe_schedule
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from core.models import ScheduledRun

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0  # how often the thread looks at the clock
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")  # crontab's 0..6


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    schedule: Any  # a celery schedule (crontab, or an interval)

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The first time this entry is due after `moment`."""
        if isinstance(self.schedule, crontab):
            start, delta, _now = self.schedule.remaining_delta(moment)
            return start + delta  # type: ignore[no-any-return]
        return moment + self.schedule.run_every  # type: ignore[no-any-return]

    def when(self) -> str:
        """The schedule in words: "every 10 minutes", "daily at 02:30", "every 15 seconds"."""
        if isinstance(self.schedule, crontab):
            minutes, hours = sorted(self.schedule.minute), sorted(self.schedule.hour)  # type: ignore[attr-defined]
            if len(hours) == 24 and len(minutes) > 1:
                step = minutes[1] - minutes[0]
                return f"every {step} minutes"
            days = sorted(self.schedule.day_of_week)  # type: ignore[attr-defined]
            if len(hours) == 1 and len(minutes) == 1 and len(days) == 1:
                return f"{WEEKDAYS[days[0]]}s at {hours[0]:02d}:{minutes[0]:02d}"
            if len(hours) == 1 and len(minutes) == 1 and len(days) == 7:
                return f"daily at {hours[0]:02d}:{minutes[0]:02d}"
            return str(self.schedule)
        seconds = int(self.schedule.run_every.total_seconds())
        return f"every {seconds} seconds" if seconds < 120 else f"every {seconds // 60} minutes"

    def what(self) -> str:
        """What the job does: the first sentence of its task's description."""
        doc = " ".join((_task(self.task).__doc__ or "").split())
        return doc.split(". ")[0].rstrip(".") or self.task

    def due(self, last_run: datetime.datetime, now: datetime.datetime) -> bool:
        """Due once its next time after the last run has come (a time missed while down runs once)."""
        return self.next_after(last_run) <= now


def entries(schedule: Mapping[str, Mapping[str, Any]] | None = None) -> list[Entry]:
    """The beat schedule as entries, in its order."""
    table: Mapping[str, Mapping[str, Any]] = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
    return [Entry(name, str(spec["task"]), maybe_schedule(spec["schedule"])) for name, spec in table.items()]


def _task(name: str) -> Any:
    """The task a schedule entry names ("app.tasks.function"), imported: the web process never imported
    every app's tasks module (workers do, when they start)."""
    module, _, function = name.rpartition(".")
    return getattr(import_module(module), function)


def run_task(name: str) -> None:
    """Run a task in this process (its function, not a message)."""
    _task(name)()


def run_due(
    now: datetime.datetime | None = None,
    *,
    schedule: list[Entry] | None = None,
    call: Callable[[str], None] = run_task,
) -> list[str]:
    """Run every entry that is due at `now` (each claimed first, so only one process runs it); returns the
    names that ran. A failing job is logged and recorded, and the next entries still run."""
    now = now or timezone.now()
    ran = []
    for entry in schedule if schedule is not None else entries():
        # an entry seen for the first time counts from now: each job first runs at its own time
        row, _ = ScheduledRun.objects.get_or_create(name=entry.name, defaults={"last_run_at": now})
        if not entry.due(row.last_run_at, now):
            continue
        claimed = ScheduledRun.objects.filter(pk=row.pk, last_run_at=row.last_run_at).update(
            last_run_at=now, status=ScheduledRun.RUNNING, message=""
        )
        if not claimed:  # another process took it
            continue
        try:
            call(entry.task)
        except Exception as error:  # the schedule goes on; the failure is on the row and in the log
            log.exception("Scheduled job %s failed", entry.name)
            ScheduledRun.objects.filter(pk=row.pk).update(
                status=ScheduledRun.FAILED, message=f"{type(error).__name__}"[:200]
            )
        else:
            ScheduledRun.objects.filter(pk=row.pk).update(status=ScheduledRun.DONE)
        ran.append(entry.name)
    return ran


_started = threading.Event()


def start_in_process() -> bool:
    """Start the schedule's thread in this process, once (True when this call started it)."""
    if _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_loop, name="bearing-scheduler", daemon=True).start()
    log.info("Scheduled jobs run in this process (no beat: the embedded default)")
    return True


def _loop() -> None:
    stop = threading.Event()
    while not stop.wait(POLL_SECONDS):
        close_old_connections()
        try:
            run_due()
        except Exception:  # the database may be away for a moment; try again at the next poll
            log.exception("The in-process schedule could not run")
        finally:
            connection.close()


def runs_in_process() -> bool:
    """Whether this deployment runs the schedule in the web process (the embedded default)."""
    return settings.BEARING_JOB_RUNNER == "thread" and settings.BEARING_IN_PROCESS_SCHEDULE


@dataclass(frozen=True)
class ScheduleRow:
    """One scheduled job as a page shows it."""

    name: str
    what: str
    when: str
    last_run: ScheduledRun | None
    next_run: datetime.datetime | None


def schedule_rows(now: datetime.datetime | None = None) -> list[ScheduleRow]:
    """Every scheduled job, what it does and when, with its last and next run where this process records
    them (the embedded default). One query."""
    now = now or timezone.now()
    runs = {run.name: run for run in ScheduledRun.objects.all()}
    rows = []
    for entry in entries():
        run = runs.get(entry.name)
        upcoming = entry.next_after(run.last_run_at) if run is not None else entry.next_after(now)
        rows.append(ScheduleRow(entry.name, entry.what(), entry.when(), run, max(upcoming, now)))
    return rows
