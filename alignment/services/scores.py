"""Recompute scores, KPI statuses, signals and portfolio indices, as one job or after a change."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from alignment.engine import store
from alignment.engine.compute import Indices, InitiativeResult, assess_kpis, score_initiative
from alignment.engine.confidence import forecast_quantile
from alignment.engine.inputs import (
    PortfolioInputs,
    load_benefits,
    load_context,
    load_inputs,
    stream_initiatives,
)
from alignment.engine.policy import Policy
from alignment.engine.rules import (
    Links,
    SignalRow,
    capacity_overload,
    initiative_signals,
    leadership_signals,
    objective_signals,
    run_squeeze_signals,
)
from alignment.models import (
    ALL_SCOPE,
    InitiativeScore,
    KPIScore,
    ObjectiveScore,
    PortfolioIndex,
    PortfolioMark,
    Signal,
    program_scope,
)
from alignment.services.dashboards import render_dashboards
from alignment.services.policy import current_policy
from capacity import selectors as capacity_selectors
from core.bulk import collector_paused
from core.jobs import PROGRESS_STEPS, Progress, run_job
from portfolio.models import Initiative
from surveys import selectors as survey_selectors

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

# A full recompute scores the portfolio this many initiatives at a time, and writes what changed once this
# many rows wait, of all kinds together, in one transaction (so the memory it holds does not grow with the
# portfolio, and a run that changes fewer rows writes each table in one statement, all or none).
CHUNK = 2000
# (Counted per kind, 50,000 rows had held up to twice as many rows at once, 660 MB in a first run at 100,000;
# 20,000 per kind held less, but wrote one table before the others in runs of a few thousand initiatives.)
FLUSH_ROWS = 40_000


def _read(
    today: datetime.date, policy: Policy, initiative_ids: Collection[int], kpi_ids: Collection[int]
) -> Stored:
    """Everything the recompute of some initiatives reads: their inputs, and the fingerprints of their
    stored scores (with whether they are stale) and signals, to write only what changed."""
    inputs = load_inputs(today=today, policy=policy, initiative_ids=initiative_ids, extra_kpi_ids=kpi_ids)
    ids = list(inputs.initiatives)
    existing_scores = {
        pk: (fp, stale)
        for pk, fp, stale in InitiativeScore.objects.filter(initiative_id__in=ids).values_list(
            "initiative_id", "digest", "stale"
        )
    }
    existing_signals = {
        key: (pk, fp)
        for pk, key, fp in Signal.objects.filter(initiative_id__in=ids).values_list("pk", "key", "digest")
    }
    return inputs, existing_scores, existing_signals


def _streamed(queryset: QuerySet[Any, Any]) -> Iterator[Any]:
    """The rows of a query as they are fetched (a server-side cursor on PostgreSQL). SQLite cannot keep
    apart a read in progress from the writes made meanwhile on the same connection: there they are read
    first."""
    if connection.vendor == "postgresql":
        return queryset.iterator(chunk_size=CHUNK)
    return iter(list(queryset))


class _Merged:
    """A stream of rows ordered by initiative id, taken an initiative's worth at a time."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.head = next(rows, None)

    def upto(self, last: int) -> list[tuple[Any, ...]]:
        """The rows of the initiatives up to `last` (ids in order) not taken yet."""
        taken = []
        while self.head is not None and self.head[0] is not None and self.head[0] <= last:
            taken.append(self.head)
            self.head = next(self.rows, None)
        return taken

    def rest(self) -> list[tuple[Any, ...]]:
        taken = [] if self.head is None else [self.head, *self.rows]
        self.head = None
        return taken


def _stored_scores() -> _Merged:
    return _Merged(
        _streamed(
            InitiativeScore.objects.order_by("initiative_id").values_list("initiative_id", "digest", "stale")
        )
    )


def _stored_signals() -> _Merged:
    """The stored signals, by initiative; those of no initiative (about objectives) last."""
    return _Merged(
        _streamed(
            Signal.objects.order_by(F("initiative_id").asc(nulls_last=True), "pk").values_list(
                "initiative_id", "key", "pk", "digest"
            )
        )
    )


def full_recompute_reads(*, today: datetime.date | None = None) -> int:
    """The reads of a full recompute and nothing else: the I/O floor a benchmark compares the recompute
    with. Returns how many initiatives were read."""
    today = today or timezone.localdate()
    policy = current_policy()
    context = load_context(today=today, policy=policy)
    load_benefits(today=today)
    kpi_values(context.kpis)
    objective_values()
    scores, signals = _stored_scores(), _stored_signals()
    count = 0
    for chunk in stream_initiatives(today=today, policy=policy, chunk_size=CHUNK):
        count += len(chunk)
        scores.upto(chunk[-1].id)
        signals.upto(chunk[-1].id)
    scores.rest()
    signals.rest()
    return count


def kpi_values(kpis: Collection[int]) -> dict[int, tuple[Any, ...]]:
    """The stored status values of KPIs, to write only those that change."""
    return {
        row[0]: tuple(row[1:])
        for row in KPIScore.objects.filter(kpi_id__in=list(kpis)).values_list("kpi_id", *store.KPI_VALUES)
    }


def objective_values() -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: tuple(row[1:])
        for row in ObjectiveScore.objects.values_list("objective_id", *store.OBJECTIVE_VALUES)
    }


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
    if initiative_ids is None:
        return _recompute_all(today=today, policy=policy, started=started, progress=progress)
    inputs, existing_scores, existing_signals = _read(today, policy, initiative_ids, kpi_ids)
    kpis = assess_kpis(inputs)
    stored_kpis = kpi_values(kpis)
    links = Links()
    results: dict[int, InitiativeResult] = {}
    signals: list[SignalRow] = []
    capacity_policy, overloads = capacity_selectors.overload_facts(today, list(inputs.initiatives))
    threshold = float(capacity_policy.overload_threshold) if capacity_policy else 0.0
    for row in inputs.initiatives.values():
        result = score_initiative(row, inputs, kpis)
        results[row.id] = result
        signals.extend(initiative_signals(row, result, inputs, kpis, links))
        signals.extend(capacity_overload(row, overloads.get(row.id, []), threshold))
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
        store.write_kpi_scores(kpis, now=now, existing=stored_kpis)
        store.write_signals(signals, now=now, existing=existing_signals)
    return RecomputeSummary(len(results), len(kpis), len(signals), False)


class _Writes:
    """What a full recompute writes, gathered as it goes: every kind written, each in one statement and
    all in one transaction, once FLUSH_ROWS rows wait together, and whatever is left at the end."""

    def __init__(self, started: datetime.datetime) -> None:
        self.started = started
        self.scores: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []
        self.vanished: list[tuple[int, str]] = []

    def add(
        self, scores: list[dict[str, Any]], signals: list[dict[str, Any]], vanished: list[tuple[int, str]]
    ) -> None:
        self.scores += scores
        self.signals += signals
        self.vanished += vanished
        self.flush(every=FLUSH_ROWS)

    def flush(self, *, every: int = 1) -> None:
        """Write what waits once at least `every` rows wait, of all kinds together."""
        if len(self.scores) + len(self.signals) + len(self.vanished) < every:
            return
        with transaction.atomic():
            if self.scores:
                store.upsert_scores(self.scores, started=self.started)
            # the signals gone first: one raised again elsewhere was rewritten (see delete_signals)
            store.delete_signals(self.vanished)
            if self.signals:
                store.upsert_signals(self.signals)
        self.scores, self.signals, self.vanished = [], [], []


def _recompute_all(
    *, today: datetime.date, policy: Policy, started: datetime.datetime, progress: Progress | None
) -> RecomputeSummary:
    """The whole portfolio, a chunk of initiatives at a time: each is scored, its signals raised, its sums
    added to the portfolio's and its program's, and its rows that changed set aside to write; then the
    portfolio indices and the objective signals. The initiatives, their results and their signals are let
    go chunk by chunk, so the memory held does not grow with the portfolio."""
    context = load_context(today=today, policy=policy)
    context.benefits = load_benefits(today=today)
    kpis = assess_kpis(context)
    context.readings = {}  # assessed: no longer needed
    stored_kpis = kpi_values(kpis)
    stored_objectives = objective_values()
    stored_scores, stored_signals = _stored_scores(), _stored_signals()
    total = Initiative.objects.count() if progress else 0
    step = max(1, total // PROGRESS_STEPS)
    now = timezone.now()
    links = Links()
    indices = Indices(context)
    writes = _Writes(started)
    counts: Counter[tuple[int | None, str]] = Counter()  # (program, severity) -> signals
    scored = raised = 0
    capacity_policy, overloads, squeezes = capacity_selectors.signal_facts(today)
    threshold = float(capacity_policy.overload_threshold) if capacity_policy else 0.0
    for chunk in stream_initiatives(today=today, policy=policy, chunk_size=CHUNK):
        results = []
        signals: list[SignalRow] = []
        for row in chunk:
            result = score_initiative(row, context, kpis)
            results.append(result)
            signals.extend(initiative_signals(row, result, context, kpis, links))
            if row.id in overloads:
                signals.extend(capacity_overload(row, overloads[row.id], threshold))
            indices.add(row, result)
            scored += 1
            if progress and scored % step == 0 and scored < total:
                progress(5 + int(80 * scored / total), f"Scored {scored:,} of {total:,} initiatives")
        last = chunk[-1].id
        existing_scores = {pk: (fp, stale) for pk, fp, stale in stored_scores.upto(last)}
        existing_signals = {key: (pk, fp) for _, key, pk, fp in stored_signals.upto(last)}
        score_rows = store.score_rows(
            results,
            now=now,
            policy_version=policy.version,
            existing=existing_scores,
            red_signals=Counter(s.initiative_id for s in signals if s.severity == "red" and s.initiative_id),
        )
        signal_rows, vanished = store.signal_rows(signals, now=now, existing=existing_signals)
        writes.add(score_rows, signal_rows, vanished)
        counts.update((s.program_id, s.severity) for s in signals)
        raised += len(signals)
    stored_scores.rest()
    portfolio = indices.portfolio_result()
    programs = indices.program_results()
    objective = (
        objective_signals(context, portfolio, links)
        + leadership_signals(context, survey_selectors.program_agreements())
        + run_squeeze_signals(squeezes)
    )
    counts.update((s.program_id, s.severity) for s in objective)
    raised += len(objective)
    # what is left of the stored signals: those of no initiative, and of initiatives that are gone
    signal_rows, vanished = store.signal_rows(
        objective, now=now, existing={key: (pk, fp) for _, key, pk, fp in stored_signals.rest()}
    )
    writes.add([], signal_rows, vanished)
    if progress:
        progress(90, "Writing scores and signals")
    writes.flush()
    with transaction.atomic():
        store.write_kpi_scores(kpis, now=now, existing=stored_kpis)
        store.write_objective_scores(portfolio.objectives, now=now, existing=stored_objectives)
        red = sum(n for (_, severity), n in counts.items() if severity == "red")
        scopes = {ALL_SCOPE: (portfolio, red, raised - red)}
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
    return RecomputeSummary(scored, len(kpis), raised, True)


def warm_up() -> None:
    """Load ahead of the first job what the engine otherwise loads on first use, about 1.5 s together: the URL
    configuration (signals link to the records they are about) and SciPy's special functions (forecast
    intervals). Each worker process calls it as it starts (config.celery), so that no job pays for it."""
    Links()
    forecast_quantile(3)


def explain_initiative(initiative_id: int, *, today: datetime.date | None = None) -> InitiativeResult | None:
    """An initiative's scores with their explanation, computed from the entered data as they are now, by the
    engine's own code (a full recompute builds no explanation: the "why" view builds the one it shows), the
    benefit plans that feed its outcome included. Reads in a fixed number of queries and writes nothing; None when there is no such initiative."""
    today = today or timezone.localdate()
    inputs = load_inputs(today=today, policy=current_policy(), initiative_ids=[initiative_id])
    row = inputs.initiatives.get(initiative_id)
    if row is None:
        return None
    return score_initiative(row, inputs, assess_kpis(inputs), explain=True)


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
