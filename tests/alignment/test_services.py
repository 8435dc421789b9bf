"""The alignment services around the recompute: the daily score history, the stale sweep, and jobs."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from alignment import jobs, services, tasks
from alignment.models import (
    HistoryDay,
    InitiativeScore,
    ObjectiveScore,
    PortfolioIndex,
    PortfolioMark,
    ScoreHistory,
)
from alignment.services import scores
from alignment.tasks import DASHBOARDS, FULL_RECOMPUTE
from core import jobs as core_jobs
from core.models import Job, JobStatus
from portfolio import services as portfolio_services
from portfolio.models import Initiative
from risk.models import TierPolicy
from tests.factories import CheckpointReviewFactory, ContributionFactory, InitiativeFactory, ObjectiveFactory

D = datetime.date
TODAY = D(2026, 11, 21)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tier_policies(db):
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={
                "name": f"Tier {tier}",
                "checkpoint_cadence_days": cadence,
                "required_artefacts": ["business_case"],
            },
        )


@pytest.fixture
def portfolio(db) -> dict[str, Any]:
    """One theme and three initiatives serving it: strongly, moderately, weakly."""
    theme = ObjectiveFactory(code="T1", title="Grow digital sales")
    rows = {}
    for code, strength in [("A-1", "strong"), ("B-1", "moderate"), ("C-1", "weak")]:
        rows[code] = InitiativeFactory(
            code=code, budget_capex=Decimal("100000"), budget_opex=Decimal("20000")
        )
        ContributionFactory(initiative=rows[code], objective=theme, strength=strength)
        CheckpointReviewFactory(initiative=rows[code], held_on=D(2026, 10, 1))
    return {"theme": theme, **rows}


def computed_at() -> dict[str, datetime.datetime | None]:
    return dict(InitiativeScore.objects.values_list("initiative__code", "computed_at"))


# ------------------------------------------------------------------------------------ history


def history() -> list[tuple[str, datetime.date, datetime.date | None, float]]:
    """(code, from, until, fit) of every score history row."""
    return list(
        ScoreHistory.objects.order_by("initiative__code", "date").values_list(
            "initiative__code", "date", "until", "fit"
        )
    )


def test_record_history_writes_a_row_per_initiative_on_its_first_day(portfolio):
    # given
    services.recompute(today=TODAY)

    # when
    written = services.record_history(today=TODAY)

    # then: each initiative's scores, with its budget, in force from today
    assert written == 3
    rows = list(
        ScoreHistory.objects.order_by("initiative__code").values_list(
            "initiative__code", "date", "until", "policy_version", "fit", "alignment", "tier", "budget"
        )
    )
    scores = dict(InitiativeScore.objects.values_list("initiative__code", "alignment"))
    assert rows == [
        ("A-1", TODAY, None, 1, 100.0, scores["A-1"], 3, 120_000.0),
        ("B-1", TODAY, None, 1, 66.67, scores["B-1"], 3, 120_000.0),
        ("C-1", TODAY, None, 1, 33.33, scores["C-1"], 3, 120_000.0),
    ]
    assert list(HistoryDay.objects.values_list("date", flat=True)) == [TODAY]
    # and each objective's fit points, which "what changed since" compares
    recorded = ScoreHistory.objects.get(initiative=portfolio["A-1"])
    points = InitiativeScore.objects.get(initiative=portfolio["A-1"]).fit_points
    assert points
    assert recorded.explanation == {"fit": {"terms": [{"objective": o, "points": p} for o, p in points]}}


def test_record_history_writes_nothing_for_initiatives_whose_scores_did_not_change(portfolio):
    # given: a day recorded
    services.recompute(today=TODAY)
    services.record_history(today=TODAY - datetime.timedelta(days=1))

    # when: the next day, with nothing changed
    written = services.record_history(today=TODAY)

    # then: no row of the day; the first day's rows stand for it, and the day counts as recorded
    assert written == 0
    assert history() == [
        (code, D(2026, 11, 20), None, fit) for code, fit in (("A-1", 100.0), ("B-1", 66.67), ("C-1", 33.33))
    ]
    assert list(HistoryDay.objects.values_list("date", flat=True)) == [D(2026, 11, 20), TODAY]


def test_record_history_writes_a_row_for_a_change_and_ends_the_one_it_replaces(portfolio):
    # given: a day recorded; then C-1 is made strong and rescored
    services.recompute(today=TODAY)
    services.record_history(today=TODAY - datetime.timedelta(days=1))
    portfolio["C-1"].contributions.update(strength="strong")
    services.recompute(today=TODAY)

    # when
    written = services.record_history(today=TODAY)

    # then: C-1 alone has a row of the day, and its previous one ends there
    assert written == 1
    assert history() == [
        ("A-1", D(2026, 11, 20), None, 100.0),
        ("B-1", D(2026, 11, 20), None, 66.67),
        ("C-1", D(2026, 11, 20), TODAY, 33.33),
        ("C-1", TODAY, None, 100.0),
    ]


def test_record_history_run_twice_a_day_rewrites_the_days_rows(portfolio):
    # given: two days recorded, C-1 changed on the second; then C-1 is changed again and rescored
    services.recompute(today=TODAY)
    services.record_history(today=TODAY - datetime.timedelta(days=1))
    portfolio["C-1"].contributions.update(strength="strong")
    services.recompute(today=TODAY)
    services.record_history(today=TODAY)
    portfolio["C-1"].contributions.update(strength="moderate")
    services.recompute(today=TODAY)

    # when
    written = services.record_history(today=TODAY)

    # then: still one row of the day, with the new score
    assert written == 1
    assert history()[2:] == [("C-1", D(2026, 11, 20), TODAY, 33.33), ("C-1", TODAY, None, 66.67)]

    # when: C-1 goes back to what it was the day before, and the day is recorded once more
    portfolio["C-1"].contributions.update(strength="weak")
    services.recompute(today=TODAY)
    written = services.record_history(today=TODAY)

    # then: the day's row goes, and the previous one is in force again
    assert written == 0
    assert history()[2:] == [("C-1", D(2026, 11, 20), None, 33.33)]


def test_record_history_of_an_earlier_day_fits_between_the_rows_around_it(portfolio):
    # given: C-1 weak on day 1 and strong on day 5 (recorded in that order)
    day = [TODAY + datetime.timedelta(days=n) for n in range(6)]
    services.recompute(today=day[1])
    services.record_history(today=day[1])
    portfolio["C-1"].contributions.update(strength="strong")
    services.recompute(today=day[1])
    services.record_history(today=day[5])

    # when: day 3 is recorded afterwards, with C-1 strong, and day 0 with C-1 weak
    services.record_history(today=day[3])
    portfolio["C-1"].contributions.update(strength="weak")
    services.recompute(today=day[1])
    services.record_history(today=day[0])

    # then: C-1's strong row now starts on day 3 (day 5's repeated it), and its weak one on day 0
    assert [row for row in history() if row[0] == "C-1"] == [
        ("C-1", day[0], day[3], 33.33),
        ("C-1", day[3], None, 100.0),
    ]
    assert [row[1:3] for row in history() if row[0] == "A-1"] == [(day[0], None)]
    assert list(HistoryDay.objects.values_list("date", flat=True)) == [day[0], day[1], day[3], day[5]]


def test_record_history_skips_initiatives_never_scored(portfolio):
    # given: a new initiative only marked stale
    services.recompute(today=TODAY)
    new = InitiativeFactory(code="NEW-1")
    services.mark_stale([new.pk])

    # when
    written = services.record_history(today=TODAY)

    # then
    assert written == 3
    assert not ScoreHistory.objects.filter(initiative=new).exists()


# ------------------------------------------------------------------------------------ stale sweep


def test_recompute_stale_touches_only_the_stale_rows(portfolio):
    # given: computed scores; then both A-1 and C-1 lose their contribution, but only C-1 is marked stale
    services.recompute(today=TODAY)
    before = computed_at()
    for code in ("A-1", "C-1"):
        portfolio[code].contributions.all().delete()
    services.mark_stale([portfolio["C-1"].pk])

    # when
    summary = services.recompute_stale(today=TODAY)

    # then
    assert summary == services.RecomputeSummary(initiatives=1, kpis=0, signals=1, portfolio=False)
    after = computed_at()
    assert after["A-1"] == before["A-1"]
    assert after["B-1"] == before["B-1"]
    assert after["C-1"] is not None
    assert before["C-1"] is not None
    assert after["C-1"] > before["C-1"]
    fit = dict(InitiativeScore.objects.values_list("initiative__code", "fit"))
    assert fit == {"A-1": 100.0, "B-1": 66.67, "C-1": 0.0}
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_recompute_stale_with_nothing_stale_does_nothing(portfolio):
    services.recompute(today=TODAY)
    before = computed_at()

    assert services.recompute_stale(today=TODAY) is None
    assert computed_at() == before


def test_portfolio_is_stale_once_an_initiative_was_rescored_after_the_indices(portfolio):
    # given: nothing computed
    assert services.portfolio_is_stale(TODAY) is False

    # when: a full recompute
    services.recompute(today=TODAY)

    # then
    assert services.portfolio_is_stale(TODAY) is False
    assert services.portfolio_is_stale(TODAY + datetime.timedelta(days=1)) is True

    # when: one initiative's score changes and only it is rescored
    portfolio["C-1"].contributions.update(strength="strong")
    services.recompute(initiative_ids=[portfolio["C-1"].pk], today=TODAY)

    # then
    assert services.portfolio_is_stale(TODAY) is True
    services.recompute(today=TODAY)
    assert services.portfolio_is_stale(TODAY) is False


def test_a_rescore_that_changes_nothing_leaves_the_portfolio_fresh(portfolio):
    services.recompute(today=TODAY)

    services.recompute(initiative_ids=[portfolio["A-1"].pk], today=TODAY)

    assert services.portfolio_is_stale(TODAY) is False


def mark() -> datetime.datetime | None:
    return (
        PortfolioMark.objects.filter(key=PortfolioMark.PORTFOLIO)
        .values_list("stale_since", flat=True)
        .first()
    )


def test_an_objective_change_marks_the_portfolio_stale_in_its_transaction(
    portfolio, pmo, django_capture_on_commit_callbacks
):
    # given: computed indices
    services.recompute()
    assert services.portfolio_is_stale() is False

    # when: a second theme is added, and the transaction has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        portfolio_services.objective_create(
            user=pmo, data={"code": "T2", "title": "Cut operating cost", "local_weight": Decimal("1")}
        )

        # then: marked in the same transaction, before any recompute
        assert mark() is not None
        assert services.portfolio_is_stale() is True

    # then: the recompute is only scheduled for after commit
    assert len(callbacks) == 1


def test_a_lost_message_after_an_objective_change_is_caught_by_the_sweep(
    portfolio, pmo, django_capture_on_commit_callbacks
):
    # given: computed indices; the only theme is covered
    services.recompute()
    assert PortfolioIndex.objects.get().coverage == 1.0

    # when: a second theme is added, and the message that would refresh the portfolio is lost (the
    # after-commit callback never runs)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new = portfolio_services.objective_create(
            user=pmo, data={"code": "T2", "title": "Cut operating cost", "local_weight": Decimal("1")}
        )
    assert len(callbacks) == 1
    # no initiative's score moved (T1 stays the largest priority weight), so only the mark tells
    assert not InitiativeScore.objects.filter(stale=True).exists()
    assert PortfolioIndex.objects.get().coverage == 1.0
    assert services.portfolio_is_stale() is True

    # when: the sweep runs
    tasks.sweep_stale()

    # then: the indices know the new theme (one of two units covered), and the mark is cleared
    assert PortfolioIndex.objects.get().coverage == 0.5
    assert ObjectiveScore.objects.get(pk=new.pk).weight_share == 0.5
    assert mark() is None
    assert services.portfolio_is_stale() is False


def test_a_full_recompute_clears_the_mark_only_if_it_started_after_it(portfolio):
    # given: the portfolio marked stale a minute from now, as by a change made while a recompute runs
    services.mark_portfolio_stale(now=timezone.now() + datetime.timedelta(minutes=1))

    # when: a full recompute that started before the mark
    services.recompute(today=TODAY)

    # then: still stale
    assert mark() is not None
    assert services.portfolio_is_stale(TODAY) is True

    # when: the mark is older than the next recompute's start
    services.mark_portfolio_stale(now=timezone.now() - datetime.timedelta(seconds=1))
    services.recompute(today=TODAY)

    # then
    assert mark() is None
    assert services.portfolio_is_stale(TODAY) is False


def test_a_recompute_of_some_initiatives_leaves_the_mark(portfolio):
    services.recompute(today=TODAY)
    services.mark_portfolio_stale(now=timezone.now() - datetime.timedelta(seconds=1))

    services.recompute(initiative_ids=[portfolio["A-1"].pk], today=TODAY)

    assert mark() is not None


# ------------------------------------------------------------------------------------ jobs


def test_job_start_returns_the_queued_or_running_job_instead_of_starting_a_second(admin_user):
    # given
    first = core_jobs.job_start(FULL_RECOMPUTE, user=admin_user)

    # when
    again = core_jobs.job_start(FULL_RECOMPUTE)
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    while_running = core_jobs.job_start(FULL_RECOMPUTE)
    other_kind = core_jobs.job_start(DASHBOARDS)

    # then
    assert (first.status, first.requested_by) == (JobStatus.QUEUED, admin_user)
    assert again.pk == first.pk
    assert while_running.pk == first.pk
    assert other_kind.pk != first.pk
    assert Job.objects.filter(kind=FULL_RECOMPUTE).count() == 1


def test_two_active_jobs_of_the_same_kind_cannot_exist():
    # given
    Job.objects.create(kind=FULL_RECOMPUTE, status=JobStatus.RUNNING)

    # when / then: refused by the database
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind=FULL_RECOMPUTE)
    Job.objects.create(kind=FULL_RECOMPUTE, status=JobStatus.DONE)
    Job.objects.create(kind=DASHBOARDS)
    assert sorted(Job.objects.values_list("kind", "status")) == [
        (DASHBOARDS, JobStatus.QUEUED),
        (FULL_RECOMPUTE, JobStatus.DONE),
        (FULL_RECOMPUTE, JobStatus.RUNNING),
    ]


def test_job_start_joins_the_job_another_start_created_after_its_look(monkeypatch, admin_user):
    # given: another start's job, committed just after this start looked and found nothing (the race)
    other = Job.objects.create(kind=FULL_RECOMPUTE)
    look = core_jobs.active_job
    monkeypatch.setattr(
        core_jobs,
        "active_job",
        lambda kind, *, lock=False, target="": None if lock else look(kind, target=target),
    )

    # when
    job, created = core_jobs.job_start_or_join(FULL_RECOMPUTE, user=admin_user)

    # then: the insert was refused and the other job joined
    assert (job.pk, created) == (other.pk, False)
    assert list(Job.objects.values_list("pk", "status")) == [(other.pk, JobStatus.QUEUED)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_job_starts_create_one_job(postgres, monkeypatch):
    # given: two starts that both look before either inserts (a barrier after the look)
    barrier = threading.Barrier(2, timeout=10)
    look = core_jobs.active_job
    looks_after_refusal: list[int | None] = []

    def look_then_wait(kind: str, *, lock: bool = False, target: str = "") -> Job | None:
        found = look(kind, lock=lock, target=target)
        if lock:
            barrier.wait()
        else:  # only after an insert the constraint refused
            looks_after_refusal.append(found.pk if found else None)
        return found

    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            job, created = core_jobs.job_start_or_join(FULL_RECOMPUTE)
            results.append((job.pk, created))
        except BaseException as error:  # reported by the test thread
            errors.append(error)
        finally:
            connection.close()

    monkeypatch.setattr(core_jobs, "active_job", look_then_wait)

    # when
    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    # then: one created it; the other's insert was refused and it joined; one job in the table
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({pk for pk, _ in results}) == 1
    assert looks_after_refusal == [results[0][0]]
    assert list(Job.objects.values_list("pk", "status")) == [(results[0][0], JobStatus.QUEUED)]


def test_job_start_starts_a_new_job_once_the_last_one_finished():
    first = core_jobs.job_start(FULL_RECOMPUTE)
    Job.objects.filter(pk=first.pk).update(status=JobStatus.DONE)

    second = core_jobs.job_start(FULL_RECOMPUTE)

    assert second.pk != first.pk
    assert second.status == JobStatus.QUEUED
    assert core_jobs.latest_job(FULL_RECOMPUTE) == second


def test_run_full_recompute_records_progress_and_finishes_done(portfolio, monkeypatch):
    # given: a queued job, and every progress report recorded on its way to the job row
    job = core_jobs.job_start(FULL_RECOMPUTE)
    reports: list[tuple[int, str]] = []
    report = core_jobs.job_progress

    def record_progress(job_id: int, percent: int, message: str) -> None:
        reports.append((percent, message))
        report(job_id, percent, message)

    monkeypatch.setattr(core_jobs, "job_progress", record_progress)

    # when
    summary = services.run_full_recompute(job_id=job.pk, today=TODAY)

    # then: the scoring steps reported in order, on a bar that only moves forward and ends at 100
    messages = [message for _, message in reports]
    assert messages[:3] == [
        "Scored 1 of 3 initiatives",
        "Scored 2 of 3 initiatives",
        "Writing scores and signals",
    ]
    percents = [percent for percent, _ in reports]
    assert percents == sorted(set(percents))
    assert 1 < percents[0] < percents[-1] < 100
    job.refresh_from_db()
    assert summary is not None
    assert (job.status, job.progress) == (JobStatus.DONE, 100)
    assert job.message.startswith(f"Recomputed 3 initiatives and 0 KPIs; {summary.signals} signals")
    # nothing to signal (one theme served, everyone reviewed, on plan and budget); one dashboard: no program
    assert job.result == {"initiatives": 3, "kpis": 0, "signals": 0, "dashboards": 1}
    assert summary == services.RecomputeSummary(3, 0, 0, True, dashboards=1)
    assert job.heartbeat_at is not None
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.finished_at >= job.started_at
    assert InitiativeScore.objects.filter(stale=False, computed_at__isnull=False).count() == 3
    assert PortfolioIndex.objects.filter(date=TODAY).exists()


def test_run_full_recompute_records_a_failure_without_the_errors_text(portfolio, monkeypatch, client, pmo):
    # given
    job = core_jobs.job_start(FULL_RECOMPUTE)

    def broken(**kwargs: Any) -> None:
        raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed: DETAIL: gone')

    monkeypatch.setattr(scores, "recompute", broken)
    client.force_login(pmo)

    # when
    with pytest.raises(OperationalError, match="10.0.0.5"):
        services.run_full_recompute(job_id=job.pk, today=TODAY)
    page = client.get(reverse("core:job-status", args=[job.pk])).content.decode()

    # then
    job.refresh_from_db()
    assert (job.status, job.message, job.result) == (
        JobStatus.FAILED,
        "The database failed during the job (details are in the log); start it again",
        {},
    )
    assert job.finished_at is not None
    assert not InitiativeScore.objects.exists()
    assert "The database failed during the job (details are in the log); start it again" in page
    assert [word for word in ("10.0.0.5", "DETAIL", "connection to server") if word in page] == []


def test_enqueue_full_recompute_runs_the_job_inline_in_tests(portfolio, admin_user, time_machine):
    # given the clock on TODAY (the job scores as of the real date)
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC))
    # when
    job = jobs.enqueue_full_recompute(user=admin_user)

    # then: done by the time it returns
    assert (job.kind, job.status, job.progress, job.requested_by) == (
        FULL_RECOMPUTE,
        JobStatus.DONE,
        100,
        admin_user,
    )
    assert job.message.startswith("Recomputed 3 initiatives")
    assert job.result == {"initiatives": 3, "kpis": 0, "signals": 0, "dashboards": 1}
    assert InitiativeScore.objects.count() == 3
    assert PortfolioIndex.objects.exists()


def test_a_dashboard_render_job_stores_its_count(portfolio):
    services.recompute(today=TODAY)

    job = jobs.enqueue_dashboard_render()

    assert (job.status, job.message, job.result) == (JobStatus.DONE, "Redrew 1 dashboards", {"dashboards": 1})


def test_enqueue_full_recompute_joins_a_running_job_instead_of_running_another(portfolio):
    # given: a job already running elsewhere
    running = core_jobs.job_start(FULL_RECOMPUTE)
    Job.objects.filter(pk=running.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )

    # when
    job = jobs.enqueue_full_recompute()

    # then: the running job, and nothing computed by this call
    assert job.pk == running.pk
    assert job.status == JobStatus.RUNNING
    assert Job.objects.count() == 1
    assert not InitiativeScore.objects.exists()
    assert Initiative.objects.count() == 3
