"""Use cases of the alignment engine: recompute scores, mark what is stale, snapshot history, run jobs."""

from __future__ import annotations

import datetime
import gc
import json
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from alignment.engine import store
from alignment.engine.compute import (
    InitiativeResult,
    assess_kpis,
    compute_portfolio,
    compute_programs,
    score_initiative,
)
from alignment.engine.inputs import load_inputs, load_objectives, relative_weights
from alignment.engine.policy import DEFAULT_POLICY, Policy
from alignment.engine.rules import Links, SignalRow, initiative_signals, objective_signals
from alignment.models import (
    ACTIVE_JOB_STATUSES,
    ALL_SCOPE,
    DashboardSnapshot,
    InitiativeScore,
    Job,
    JobKind,
    JobStatus,
    ObjectiveScore,
    PortfolioIndex,
    PortfolioMark,
    ScoreHistory,
    ScoringPolicy,
    Signal,
    program_scope,
)
from portfolio.changes import Change
from portfolio.models import Contribution

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
PROGRESS_STEPS = 10  # progress is reported this many times per job, whatever the portfolio size
# A queued or running job with no sign of life for this long lost its worker (killed, message lost): the
# next job_start marks it failed and starts a new one. Progress is reported far more often than this.
JOB_SILENCE_LIMIT = datetime.timedelta(minutes=10)


def current_policy() -> Policy:
    """The newest scoring policy version (the defaults when none is stored)."""
    row = ScoringPolicy.objects.order_by("-version").first()
    return row.policy() if row else DEFAULT_POLICY


def policy_version(version: int) -> Policy:
    """The policy a score was computed under (the current one if that version is gone)."""
    row = ScoringPolicy.objects.filter(version=version).first()
    return row.policy() if row else current_policy()


@dataclass(frozen=True)
class RecomputeSummary:
    initiatives: int
    kpis: int
    signals: int
    portfolio: bool
    dashboards: int = 0  # redrawn after the recompute (recompute_and_render)

    def counts(self) -> dict[str, int]:
        """What a job stores as its result."""
        return {
            "initiatives": self.initiatives,
            "kpis": self.kpis,
            "signals": self.signals,
            "dashboards": self.dashboards,
        }


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a recompute builds its hundreds of thousands of small
    objects (none of them cyclic): each automatic full collection would rescan the whole input set."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def recompute(
    *,
    initiative_ids: Collection[int] | None = None,
    kpi_ids: Collection[int] = (),
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> RecomputeSummary:
    """Recompute scores, KPI statuses and signals of the given initiatives, or of the whole portfolio.

    Reads everything in a fixed number of queries, computes in memory and writes each table in one
    statement. A whole-portfolio run also recomputes the portfolio indices and objective-level signals, and
    clears the portfolio's stale mark unless a change marked it after this run started.
    Idempotent: the same inputs always give the same rows.
    """
    with collector_paused():
        return _recompute(initiative_ids=initiative_ids, kpi_ids=kpi_ids, today=today, progress=progress)


def _recompute(
    *,
    initiative_ids: Collection[int] | None,
    kpi_ids: Collection[int],
    today: datetime.date | None,
    progress: Progress | None,
) -> RecomputeSummary:
    started = timezone.now()
    today = today or timezone.localdate()
    policy = current_policy()
    full = initiative_ids is None
    inputs = load_inputs(today=today, policy=policy, initiative_ids=initiative_ids, extra_kpi_ids=kpi_ids)
    scope = (
        InitiativeScore.objects.all()
        if full
        else InitiativeScore.objects.filter(initiative_id__in=list(inputs.initiatives))
    )
    existing_scores = {
        pk: (fp, stale) for pk, fp, stale in scope.values_list("initiative_id", "digest", "stale")
    }
    signal_scope = (
        Signal.objects.all() if full else Signal.objects.filter(initiative_id__in=list(inputs.initiatives))
    )
    existing_signals = {key: (pk, fp) for pk, key, fp in signal_scope.values_list("pk", "key", "digest")}
    kpis = assess_kpis(inputs)
    links = Links()
    results: dict[int, InitiativeResult] = {}
    signals: list[SignalRow] = []
    rows = list(inputs.initiatives.values())
    step = max(1, len(rows) // PROGRESS_STEPS)
    for index, row in enumerate(rows, start=1):
        result = score_initiative(row, inputs, kpis)
        results[row.id] = result
        signals.extend(initiative_signals(row, result, inputs, kpis, links))
        if progress and index % step == 0 and index < len(rows):
            progress(5 + int(80 * index / len(rows)), f"Scored {index:,} of {len(rows):,} initiatives")
    portfolio = compute_portfolio(inputs, results) if full else None
    programs = compute_programs(inputs, results) if full else {}
    if portfolio is not None:
        signals.extend(objective_signals(inputs, portfolio, links))
    if progress:
        progress(90, "Writing scores and signals")
    now = timezone.now()
    with transaction.atomic():
        store.write_initiative_scores(
            results,
            now=now,
            started=started,
            policy_version=policy.version,
            existing=existing_scores,
            red_signals=Counter(s.initiative_id for s in signals if s.severity == "red" and s.initiative_id),
        )
        store.write_kpi_scores(kpis, now=now)
        store.write_signals(signals, now=now, existing=existing_signals)
        if portfolio is not None:
            store.write_objective_scores(portfolio.objectives, now=now)
            counts = Counter((s.program_id, s.severity) for s in signals)
            red, amber = _signal_counts(signals)
            scopes = {ALL_SCOPE: (portfolio, red, amber)}
            for program_id, program_result in programs.items():
                scopes[program_scope(program_id)] = (
                    program_result,
                    counts[(program_id, "red")],
                    counts[(program_id, "amber")],
                )
            store.write_portfolio_indices(scopes, today=today, now=now, policy_version=policy.version)
            # a change that marked the portfolio after this run started is not in these indices: keep it
            PortfolioMark.objects.filter(key=PortfolioMark.PORTFOLIO, stale_since__lte=started).update(
                stale_since=None
            )
    return RecomputeSummary(len(results), len(kpis), len(signals), portfolio is not None)


def _signal_counts(signals: list[SignalRow]) -> tuple[int, int]:
    red = sum(1 for s in signals if s.severity == "red")
    return red, len(signals) - red


def recompute_stale(*, today: datetime.date | None = None) -> RecomputeSummary | None:
    """The sweep: recompute every initiative marked stale (a lost message is caught here)."""
    stale = list(InitiativeScore.objects.filter(stale=True).values_list("initiative_id", flat=True))
    if not stale:
        return None
    return recompute(initiative_ids=stale, today=today)


def portfolio_is_stale(today: datetime.date | None = None) -> bool:
    """True when a change marked the portfolio stale (and no full recompute started since), or when an
    initiative was recomputed after today's portfolio indices were."""
    if PortfolioMark.objects.filter(key=PortfolioMark.PORTFOLIO, stale_since__isnull=False).exists():
        return True
    today = today or timezone.localdate()
    latest_score = InitiativeScore.objects.aggregate(latest=Max("computed_at"))["latest"]
    index = (
        PortfolioIndex.objects.filter(date=today, scope=ALL_SCOPE)
        .values_list("computed_at", flat=True)
        .first()
    )
    return latest_score is not None and (index is None or index < latest_score)


# --------------------------------------------------------------------------------------- change tracking


def affected_initiatives(change: Change) -> tuple[set[int], bool]:
    """The initiatives whose scores a change can move, and whether the portfolio indices move too.

    An objective change moves the relative weight of every objective whose r_o changes (siblings, their
    subtrees, and all of them when the largest priority weight changes), so it is compared with the r_o
    used by the last recompute.
    """
    ids = set(change.initiative_ids)
    if change.kpi_ids:
        ids |= set(
            Contribution.objects.filter(kpi_id__in=change.kpi_ids).values_list("initiative_id", flat=True)
        )
    portfolio = bool(ids or change.objective_ids)
    if change.objective_ids:
        _, now_r = relative_weights(load_objectives())
        before_r = dict(ObjectiveScore.objects.values_list("objective_id", "relative_weight"))
        # the stored r_o is rounded to 6 decimals: a smaller difference is that rounding, not a move
        moved = {pk for pk, r in now_r.items() if abs(r - before_r.get(pk, -1.0)) > 1e-6} | set(
            change.objective_ids
        )
        ids |= set(
            Contribution.objects.filter(objective_id__in=moved).values_list("initiative_id", flat=True)
        )
    return ids, portfolio


def mark_stale(initiative_ids: Collection[int], *, now: datetime.datetime | None = None) -> None:
    """Flag the initiatives' scores as out of date, in the caller's transaction (new ones get a stale row)."""
    if not initiative_ids:
        return
    now = now or timezone.now()
    store.upsert(
        InitiativeScore,
        [
            {
                "initiative": pk,
                "policy_version": 0,
                "fit": 0.0,
                "alignment": 0.0,
                "impact": 0.0,
                "exposure": 0,
                "red_signals": 0,
                "milestones_due": 0,
                "milestones_on_time": 0,
                "risk_cells": "",
                "links": "",
                "missing": [],
                "explanation": {},
                "digest": "",
                "stale": True,
                "stale_since": now,
            }
            for pk in sorted(initiative_ids)
        ],
        key="initiative",
        update=["stale", "stale_since"],
    )


def mark_portfolio_stale(*, now: datetime.datetime | None = None) -> None:
    """Flag the portfolio indices as out of date, in the caller's transaction.

    One row (PortfolioMark "portfolio") holds when it was last marked; a full recompute that started after
    that clears it, and until then the sweep refreshes the portfolio, so a lost message is caught.
    """
    store.upsert(
        PortfolioMark,
        [{"key": PortfolioMark.PORTFOLIO, "stale_since": now or timezone.now()}],
        key="key",
        update=["stale_since"],
    )


def on_portfolio_change(change: Change) -> None:
    """Listener for portfolio changes: mark stale now, recompute after the transaction commits."""
    from alignment import jobs

    ids, portfolio = affected_initiatives(change)
    now = timezone.now()
    mark_stale(ids, now=now)
    if portfolio:
        mark_portfolio_stale(now=now)
    kpi_ids = sorted(change.kpi_ids)
    # an objective change that moves no initiative's score still moves the portfolio (units, coverage)
    if ids or kpi_ids or portfolio:
        transaction.on_commit(lambda: jobs.enqueue_recompute(sorted(ids), kpi_ids, portfolio=portfolio))


# --------------------------------------------------------------------------------------- history


def snapshot_history(*, today: datetime.date | None = None) -> int:
    """Copy every initiative's current scores into the day's history row (rewritten if run twice a day)."""
    today = today or timezone.localdate()
    rows = [
        {
            "initiative": pk,
            "date": today,
            "policy_version": version,
            "fit": fit,
            "outcome": outcome,
            "delivery": delivery,
            "governance": governance,
            "alignment": alignment,
            "tier": tier,
            "budget": float(capex or 0) + float(opex or 0),
            "explanation": explanation,
        }
        for pk, version, fit, outcome, delivery, governance, alignment, tier, capex, opex, explanation in (
            InitiativeScore.objects.filter(computed_at__isnull=False).values_list(
                "initiative_id",
                "policy_version",
                "fit",
                "outcome",
                "delivery",
                "governance",
                "alignment",
                "tier",
                "initiative__budget_capex",
                "initiative__budget_opex",
                "explanation",
            )
        )
    ]
    with transaction.atomic():
        _upsert_history(rows)
    return len(rows)


def backfill_history(*, today: datetime.date, months: int) -> list[datetime.date]:
    """Score the portfolio as of each of the last `months` month ends and snapshot it, then as of today.

    For a portfolio loaded in one go (the demo, an import) this gives the trends something to show. Each
    past run sees the readings, reviews and scope changes dated up to that day.
    """
    days = []
    for back in range(months, 0, -1):
        first = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        for _ in range(back - 1):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        month_end = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        days.append(month_end)
    for day in [*days, today]:
        recompute(today=day)
        snapshot_history(today=day)
    render_dashboards(today=today)
    return days


def _upsert_history(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    # ScoreHistory's natural key is (initiative, date): replace today's rows, then insert.
    ScoreHistory.objects.filter(
        date=rows[0]["date"], initiative_id__in=[r["initiative"] for r in rows]
    ).delete()
    ScoreHistory.objects.bulk_create(
        [ScoreHistory(initiative_id=r.pop("initiative"), **r) for r in rows], batch_size=2000
    )


# --------------------------------------------------------------------------------------- jobs


def job_start(kind: str, *, user: Any = None, target: str = "") -> Job:
    """Create a queued job, unless one of the same kind is already queued or running (then return it).

    A queued or running job silent for longer than JOB_SILENCE_LIMIT is marked failed and replaced, so a
    job whose worker died does not block every later one.
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
        if running is not None:
            now = timezone.now()
            last_sign = running.heartbeat_at or running.started_at or running.created_at
            if now - last_sign < JOB_SILENCE_LIMIT:
                return running, False
            Job.objects.filter(pk=running.pk).update(
                status=JobStatus.FAILED,
                finished_at=now,
                message=f"No sign of life since {last_sign:%Y-%m-%d %H:%M:%S}: the worker was lost",
            )
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


def job_progress(job_id: int, percent: int, message: str) -> None:
    Job.objects.filter(pk=job_id).update(
        progress=max(0, min(100, percent)), message=message[:300], heartbeat_at=timezone.now()
    )


def run_full_recompute(*, job_id: int | None = None, today: datetime.date | None = None) -> RecomputeSummary:
    """The full recompute as a job (with the dashboards redrawn from it); progress goes to the job row, and
    the counts to its result."""
    return recompute_and_render(job_id=job_id, today=today)


def run_dashboard_render(*, job_id: int | None = None, today: datetime.date | None = None) -> int:
    """Redraw the stored dashboards as a job."""
    return run_job(
        job_id,
        lambda progress: render_dashboards(today=today, progress=progress),
        lambda n: f"Redrew {n} dashboards",
        lambda n: {"dashboards": n},
    )


def latest_job(kind: str = JobKind.FULL_RECOMPUTE) -> Job | None:
    return Job.objects.filter(kind=kind).order_by("-created_at").first()


# --------------------------------------------------------------------------------------- dashboards


def render_dashboards(*, today: datetime.date | None = None, progress: Progress | None = None) -> int:
    """Render and store the dashboard of the whole portfolio and of each program (one slice load for all).

    Returns the number of dashboards stored; dashboards of programs that no longer exist are removed.
    """
    from alignment import dashboard
    from portfolio.templatetags.bearing import currency_symbol

    today = today or timezone.localdate()
    policy = current_policy()
    source = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE)
        .order_by("-date")
        .values_list("computed_at", flat=True)
        .first()
    )
    everything = dashboard.DashboardFilters()
    piece = dashboard.load_slice(everything, today=today)
    programs = sorted({r.program_id for r in piece.rows.values() if r.program_id is not None})
    scopes = [everything] + [dashboard.DashboardFilters(program=pk) for pk in programs]
    if progress:
        progress(20, f"Drawing {len(scopes)} dashboards")
    datasets = dashboard.dashboards_from_slice(piece, scopes, policy=policy)
    now = timezone.now()
    symbol = currency_symbol()
    rows = []
    step = max(1, len(datasets) // PROGRESS_STEPS)
    for n, data in enumerate(datasets, start=1):
        payload = dashboard.build_payload(data, symbol=symbol, as_of=now)
        rows.append(
            {
                "scope": data.filters.scope,
                "computed_at": now,
                "source_computed_at": source,
                "payload": json.dumps(payload, separators=(",", ":")),
                "html": render_to_string(
                    "alignment/_dashboard_content.html",
                    {"payload": payload, "query": data.filters.query()},
                ),
            }
        )
        if progress and n % step == 0 and n < len(datasets):
            progress(20 + int(70 * n / len(datasets)), f"Drew {n} of {len(datasets)} dashboards")
    with transaction.atomic():
        DashboardSnapshot.objects.exclude(scope__in=[r["scope"] for r in rows]).delete()
        store.upsert(DashboardSnapshot, rows, key="scope")
    return len(rows)


def run_job(
    job_id: int | None,
    work: Callable[[Progress | None], Any],
    done: Callable[[Any], str],
    counts: Callable[[Any], dict[str, int]],
) -> Any:
    """Run `work` as the job `job_id`: running, progress, then done with done()'s message and counts()'s
    result (or failed, with the error as its message)."""
    if job_id is not None:
        now = timezone.now()
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, progress=1, message="Starting"
        )
    try:
        result = work((lambda p, m: job_progress(job_id, p, m)) if job_id is not None else None)
    except Exception as error:
        if job_id is not None:
            Job.objects.filter(pk=job_id).update(
                status=JobStatus.FAILED, finished_at=timezone.now(), message=str(error)[:300]
            )
        raise
    if job_id is not None:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.DONE,
            progress=100,
            finished_at=timezone.now(),
            message=done(result)[:300],
            result=counts(result),
        )
    return result


def recompute_and_render(
    *, job_id: int | None = None, today: datetime.date | None = None
) -> RecomputeSummary:
    """The full recompute followed by the dashboards drawn from it, as one job with one progress bar."""

    def work(progress: Progress | None) -> RecomputeSummary:
        summary = recompute(
            today=today, progress=(lambda p, m: progress(int(p * 0.8), m)) if progress else None
        )
        dashboards = render_dashboards(
            today=today, progress=(lambda p, m: progress(80 + int(p * 0.2), m)) if progress else None
        )
        return replace(summary, dashboards=dashboards)

    return run_job(
        job_id,
        work,
        lambda s: (
            f"Recomputed {s.initiatives:,} initiatives and {s.kpis:,} KPIs; {s.signals:,} signals; dashboards redrawn"
        ),
        RecomputeSummary.counts,
    )


# --------------------------------------------------------------------------------------- board packs


def meeting_target(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def run_board_pack(*, meeting_id: int, job_id: int | None = None, user_id: int | None = None) -> int:
    """Print a meeting's board pack to PDF and store it; returns the new BoardPack's id."""
    from alignment import boardpack
    from alignment.models import BoardPack
    from portfolio.models import SteeringMeeting

    def work(progress: Progress | None) -> int:
        meeting = SteeringMeeting.objects.select_related("committee").get(pk=meeting_id)
        if progress:
            progress(10, "Gathering the agenda, snapshots and charts")
        pdf = boardpack.render_pdf(meeting, progress=progress)
        if progress:
            progress(95, "Storing the PDF")
        return BoardPack.objects.create(meeting=meeting, created_by_id=user_id, pdf=pdf, size=len(pdf)).pk

    return run_job(
        job_id,
        work,
        lambda pk: "Board pack ready",
        lambda pk: {"board_pack": pk},
    )
