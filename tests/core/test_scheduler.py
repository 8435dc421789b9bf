"""The in-process schedule: the embedded default (no beat, no workers) runs the scheduled jobs itself."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from celery.schedules import crontab, maybe_schedule
from django.test import Client
from django.urls import reverse

from alignment.models import InitiativeScore
from alignment.services import mark_stale, recompute
from core import middleware, scheduler
from core.models import ScheduledRun
from core.scheduler import Entry
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SWEEP = Entry("sweep", "sweep.task", maybe_schedule(datetime.timedelta(minutes=10)))
NIGHTLY = Entry("nightly", "nightly.task", crontab(hour=2, minute=30))
FIRST_SEEN = datetime.datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


class Calls:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.names: list[str] = []
        self.failing = failing or set()

    def __call__(self, task: str) -> None:
        self.names.append(task)
        if task in self.failing:
            raise RuntimeError("the job broke")


def run(now: datetime.datetime, calls: Calls) -> list[str]:
    return scheduler.run_due(now, schedule=[SWEEP, NIGHTLY], call=calls)


def test_the_schedule_reads_the_beat_schedule_in_words():
    rows = {entry.name: (entry.task, entry.when(), entry.what()) for entry in scheduler.entries()}
    assert rows == {
        "fail-lost-jobs": (
            "core.tasks.fail_lost_jobs",
            "every 15 seconds",
            "Mark failed the jobs whose worker died (silent past the limit) or whose message was lost, so the "
            "page says so and the next request starts a fresh one",
        ),
        "sweep-stale-scores": (
            "alignment.tasks.sweep_stale",
            "every 10 minutes",
            "Catch what a lost message left stale: rescore stale initiatives, then refresh the indices and "
            "dashboards when the portfolio is marked stale (or an initiative was rescored after them)",
        ),
        "nightly-full-recompute": (
            "alignment.tasks.nightly_recompute",
            "daily at 02:30",
            "The nightly full recompute (dates move on even when nobody edits anything)",
        ),
        "daily-score-history": (
            "alignment.tasks.record_history",
            "daily at 03:15",
            "The daily score history: every initiative's scores copied for the day",
        ),
        "daily-reminders": (
            "steering.tasks.send_reminders",
            "daily at 07:00",
            "The daily e-mails: overdue action items to their owners, checkpoints due within a week to managers",
        ),
        "sweep-events": (
            "core.tasks.sweep_events",
            "every 60 seconds",
            "Deliver any event left pending (the broker down at commit time, a worker killed) and drop old "
            "processed events",
        ),
        "daily-digests": (
            "events.tasks.send_daily_digests",
            "daily at 07:10",
            "E-mail each person the notifications they chose to receive in a daily digest",
        ),
        "weekly-digests": (
            "events.tasks.send_weekly_digests",
            "Mondays at 07:20",
            "E-mail the weekly executive digest and each person's weekly digest of notifications",
        ),
    }


def test_a_job_first_seen_waits_for_its_own_time():
    # when the schedule first looks at the clock
    calls = Calls()
    assert run(FIRST_SEEN, calls) == []
    # then nothing ran, and each job counts from now
    assert calls.names == []
    assert list(ScheduledRun.objects.values_list("name", "last_run_at", "status")) == [
        ("nightly", FIRST_SEEN, ""),
        ("sweep", FIRST_SEEN, ""),
    ]


def test_each_job_runs_when_its_time_comes_and_not_again_before_the_next():
    calls = Calls()
    run(FIRST_SEEN, calls)

    assert run(at(5, 15, 9), calls) == []
    assert run(at(5, 15, 10), calls) == ["sweep"]
    assert run(at(5, 15, 19), calls) == []
    assert run(at(6, 2, 29), calls) == ["sweep"]  # the sweep's ten minutes had passed long since
    assert run(at(6, 2, 30), calls) == ["nightly"]
    assert run(at(6, 2, 31), calls) == []

    assert calls.names == ["sweep.task", "sweep.task", "nightly.task"]
    assert ScheduledRun.objects.get(name="nightly").last_run_at == at(6, 2, 30)
    assert ScheduledRun.objects.get(name="nightly").status == ScheduledRun.DONE


def test_a_daily_job_missed_while_the_server_was_down_runs_once_when_it_is_back():
    # given: the nightly job last ran on the 1st; the server was stopped from the 2nd to the 5th
    ScheduledRun.objects.create(name="nightly", last_run_at=at(1, 2, 30), status=ScheduledRun.DONE)
    ScheduledRun.objects.create(name="sweep", last_run_at=at(5, 9, 0), status=ScheduledRun.DONE)
    calls = Calls()

    # when it is started again on the 5th at 09:05, then the missed run happens once
    assert run(at(5, 9, 5), calls) == ["nightly"]
    assert run(at(5, 9, 6), calls) == []
    # and the next is at its own time
    assert run(at(6, 2, 29), calls) == ["sweep"]
    assert run(at(6, 2, 30), calls) == ["nightly"]


def test_a_failing_job_is_recorded_and_the_others_still_run():
    ScheduledRun.objects.create(name="sweep", last_run_at=at(5, 9, 0))
    ScheduledRun.objects.create(name="nightly", last_run_at=at(4, 2, 30))
    calls = Calls(failing={"sweep.task"})

    assert run(at(5, 9, 10), calls) == ["sweep", "nightly"]

    assert list(ScheduledRun.objects.values_list("name", "status", "message")) == [
        ("nightly", ScheduledRun.DONE, ""),
        ("sweep", ScheduledRun.FAILED, "RuntimeError"),
    ]


def test_a_run_another_process_claimed_is_not_run_twice(monkeypatch):
    # given: this process read the sweep's row, and another process claimed the run in between
    ScheduledRun.objects.create(name="sweep", last_run_at=at(5, 9, 0))
    real_get_or_create = ScheduledRun.objects.get_or_create

    def read_then_lose_the_race(**kwargs: Any) -> tuple[ScheduledRun, bool]:
        row, created = real_get_or_create(**kwargs)
        ScheduledRun.objects.filter(pk=row.pk).update(last_run_at=at(5, 9, 10))
        return row, created

    monkeypatch.setattr(ScheduledRun.objects, "get_or_create", read_then_lose_the_race)
    calls = Calls()

    # when
    ran = scheduler.run_due(at(5, 9, 10), schedule=[SWEEP], call=calls)

    # then
    assert (ran, calls.names) == ([], [])


def test_the_real_sweep_runs_in_process_and_rescores_what_is_stale():
    # given: a scored initiative marked stale (a change whose recompute was lost)
    theme = ObjectiveFactory(code="T1")
    initiative = InitiativeFactory(code="A-1")
    ContributionFactory(initiative=initiative, objective=theme, strength="strong")
    recompute(today=datetime.date(2026, 12, 5))
    mark_stale([initiative.pk])
    ScheduledRun.objects.create(name="sweep-stale-scores", last_run_at=at(5, 9, 0))
    sweep = next(e for e in scheduler.entries() if e.name == "sweep-stale-scores")

    # when the schedule's time comes
    assert scheduler.run_due(at(5, 9, 10), schedule=[sweep]) == ["sweep-stale-scores"]

    # then the task ran in this process and the score is fresh again
    assert InitiativeScore.objects.get(pk=initiative.pk).stale is False
    assert ScheduledRun.objects.get(name="sweep-stale-scores").status == ScheduledRun.DONE


@pytest.mark.parametrize(("runner", "starts"), [("thread", True), ("celery", False), ("inline", False)])
def test_the_first_request_starts_the_schedule_only_without_workers(settings, monkeypatch, runner, starts):
    # given
    settings.BEARING_JOB_RUNNER = runner
    settings.BEARING_IN_PROCESS_SCHEDULE = True
    started: list[bool] = []

    def start() -> bool:
        started.append(True)
        return True

    monkeypatch.setattr(scheduler, "start_in_process", start)
    handler = middleware.InProcessScheduleMiddleware(lambda request: "answered")  # type: ignore[arg-type,return-value]

    # when two requests come in
    handler(object())  # type: ignore[arg-type]
    handler(object())  # type: ignore[arg-type]

    # then
    assert started == ([True, True] if starts else [])


@pytest.mark.parametrize(
    ("runner", "says"),
    [
        ("thread", "the web server runs these jobs itself while it is running"),
        ("celery", "Celery beat sends these jobs to the workers on schedule"),
        ("inline", "These jobs do not run by themselves in this installation"),
    ],
)
def test_the_recompute_page_says_where_the_scheduled_jobs_run(
    settings, monkeypatch, client: Client, pmo, runner, says
):
    settings.BEARING_JOB_RUNNER = runner
    settings.BEARING_IN_PROCESS_SCHEDULE = True
    monkeypatch.setattr(scheduler, "start_in_process", lambda: False)  # no thread in the test process
    client.force_login(pmo)

    page = client.get(reverse("alignment:recompute")).content.decode()

    assert says in page
    assert page.count("<tr><td>") == 8
    assert "daily at 02:30" in page
    assert ("Last run" in page) is (runner == "thread")
