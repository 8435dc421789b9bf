"""Recompute scores, KPI statuses, signals and portfolio indices, as one job or after a change."""

from __future__ import annotations

import datetime
import gc
import logging
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from alignment.engine import store
from alignment.engine.compute import (
    InitiativeResult,
    assess_kpis,
    compute_portfolio,
    compute_programs,
    score_initiative,
)
from alignment.engine.inputs import PortfolioInputs, load_inputs
from alignment.engine.policy import Policy
from alignment.engine.rules import Links, SignalRow, initiative_signals, objective_signals
from alignment.models import (
    ALL_SCOPE,
    InitiativeScore,
    PortfolioIndex,
    PortfolioMark,
    Signal,
    program_scope,
)
from alignment.services.dashboards import render_dashboards
from alignment.services.policy import current_policy
from core.jobs import PROGRESS_STEPS, Progress, run_job

log = logging.getLogger(__name__)


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


Stored = tuple[PortfolioInputs, dict[int, tuple[str, bool]], dict[str, tuple[int, str]]]


def _read(
    today: datetime.date, policy: Policy, initiative_ids: Collection[int] | None, kpi_ids: Collection[int]
) -> Stored:
    """Everything a recompute reads: its inputs, and the fingerprints of the stored scores (with whether
    they are stale) and signals in its scope, to write only what changed."""
    inputs = load_inputs(today=today, policy=policy, initiative_ids=initiative_ids, extra_kpi_ids=kpi_ids)
    full = initiative_ids is None
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
    return inputs, existing_scores, existing_signals


def full_recompute_reads(*, today: datetime.date | None = None) -> int:
    """The reads of a full recompute and nothing else: the I/O floor a benchmark compares the recompute
    with. Returns how many initiatives were read."""
    inputs, _, _ = _read(today or timezone.localdate(), current_policy(), None, ())
    return len(inputs.initiatives)


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
    inputs, existing_scores, existing_signals = _read(today, policy, initiative_ids, kpi_ids)
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


def explain_initiative(initiative_id: int, *, today: datetime.date | None = None) -> InitiativeResult | None:
    """An initiative's scores with their explanation, computed from the entered data as they are now, by the
    engine's own code (a full recompute builds no explanation: the "why" view builds the one it shows). Reads
    in a fixed number of queries and writes nothing; None when there is no such initiative."""
    today = today or timezone.localdate()
    inputs = load_inputs(today=today, policy=current_policy(), initiative_ids=[initiative_id])
    row = inputs.initiatives.get(initiative_id)
    if row is None:
        return None
    return score_initiative(row, inputs, assess_kpis(inputs), explain=True)


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


def recompute_and_render(
    *, job_id: int | None = None, today: datetime.date | None = None
) -> RecomputeSummary | None:
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


def run_full_recompute(
    *, job_id: int | None = None, today: datetime.date | None = None
) -> RecomputeSummary | None:
    """The full recompute as a job (with the dashboards redrawn from it); progress goes to the job row, and
    the counts to its result (None: the job was not waiting to run)."""
    return recompute_and_render(job_id=job_id, today=today)
