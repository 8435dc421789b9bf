"""What a strategy version would change, before it is published: every initiative scored by the engine's own
code twice, against the objective tree as it stands and against the tree as the version has it, and the
portfolio's indices both ways (issue 12, part 4).

Only the weights and statuses differ between the two runs, so only what depends on them moves: strategic
fit, the alignment score through it, the risk tier through fit, and the indices (budget-weighted alignment,
top-objective share, misallocation, coverage). The initiatives are streamed a chunk at a time as a full
recompute streams them, so memory does not grow with the portfolio; every initiative whose fit or alignment
moves is stored (StrategyImpact) for the pages to list, sort and export.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.engine.compute import Indices, PortfolioResult, assess_kpis, score_initiative
from alignment.engine.inputs import (
    ObjectiveRow,
    PortfolioInputs,
    largest_priority_weight,
    load_context,
    priority_units,
    relative,
    stream_initiatives,
)
from alignment.services.policy import current_policy
from planning.models import StrategyImpact, StrategyVersion, StrategyWeight
from portfolio.models import Initiative
from portfolio.selectors import global_weights

CHUNK = 2000
MOVED = 0.005  # a fit or alignment that moves by less than this (points) does not move
Progress = Callable[[int, str], None]


def version_objectives(
    live: dict[int, ObjectiveRow], entries: Iterable[StrategyWeight]
) -> dict[int, ObjectiveRow]:
    """The objective tree as a version has it: each entry's weight and status over the live tree; a
    proposed objective gets a negative id of its own (no initiative contributes to it yet)."""
    rows = dict(live)
    for entry in entries:
        weight = float(entry.local_weight)
        if entry.objective_id is not None:
            row = rows.get(entry.objective_id)
            if row is not None:
                rows[row.id] = dataclasses.replace(row, local_weight=weight, status=entry.status)
        else:
            rows[-entry.pk] = ObjectiveRow(
                -entry.pk, entry.code, entry.title, entry.parent_id, weight, entry.status, None
            )
    return rows


def with_objectives(context: PortfolioInputs, objectives: dict[int, ObjectiveRow]) -> PortfolioInputs:
    """The engine's context with another objective tree: its global and relative weights worked out as the
    engine works them out (alignment.engine.inputs.load_context); everything else the same."""
    weights = global_weights(objectives.values())
    units, _ = priority_units(objectives, weights)
    return dataclasses.replace(
        context,
        objectives=objectives,
        global_weights=weights,
        relative_weights=relative(weights, units),
        largest_priority_weight=largest_priority_weight(units),
    )


def _index(result: PortfolioResult) -> dict[str, float | None]:
    return {
        "alignment_index": _r(result.alignment_index),
        "top_share": _r(result.top_share, 4),
        "misallocation": _r(result.misallocation, 4),
        "coverage": _r(result.coverage, 4),
    }


def _r(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def compute_impact(
    strategy: StrategyVersion, *, today: datetime.date | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Score every initiative against the tree now and under `strategy`; store the initiatives that move
    (replacing the version's earlier what-if) and the summary on the version; return the summary. When the
    version changed while this ran, nothing is stored and the summary says it is stale."""
    today = today or timezone.localdate()
    drafted = StrategyVersion.objects.filter(pk=strategy.pk).values_list("version", flat=True).first() or 0
    policy = current_policy()
    now_context = load_context(today=today, policy=policy)
    kpis = assess_kpis(now_context)
    entries = list(strategy.weights.all())
    then_context = with_objectives(now_context, version_objectives(now_context.objectives, entries))
    before, after = Indices(now_context), Indices(then_context)
    total = Initiative.objects.count()
    scored = gaining = losing = 0
    budget_gaining = budget_losing = 0.0
    moved: list[StrategyImpact] = []
    with transaction.atomic():
        StrategyImpact.objects.filter(strategy=strategy).delete()
        for chunk in stream_initiatives(today=today, policy=policy, chunk_size=CHUNK):
            for row in chunk:
                now_score = score_initiative(row, now_context, kpis)
                then_score = score_initiative(row, then_context, kpis)
                before.add(row, now_score)
                after.add(row, then_score)
                fit_change = then_score.fit - now_score.fit
                alignment_change = then_score.alignment - now_score.alignment
                if abs(fit_change) < MOVED and abs(alignment_change) < MOVED:
                    continue
                # gaining or losing is said of the fit, which the weights move (the alignment follows it)
                change = fit_change if abs(fit_change) >= MOVED else alignment_change
                if change > 0:
                    gaining, budget_gaining = gaining + 1, budget_gaining + row.budget
                else:
                    losing, budget_losing = losing + 1, budget_losing + row.budget
                moved.append(
                    StrategyImpact(
                        strategy=strategy,
                        initiative_id=row.id,
                        budget=Decimal(str(round(row.budget, 2))),
                        fit_before=round(now_score.fit, 2),
                        fit_after=round(then_score.fit, 2),
                        fit_change=round(fit_change, 2),
                        alignment_before=round(now_score.alignment, 2),
                        alignment_after=round(then_score.alignment, 2),
                        alignment_change=round(alignment_change, 2),
                    )
                )
            StrategyImpact.objects.bulk_create(moved, batch_size=CHUNK)
            moved = []
            scored += len(chunk)
            if progress and total:
                progress(
                    5 + int(90 * scored / total), f"Scored {scored:,} of {total:,} initiatives both ways"
                )
        summary = {
            "computed_on": today.isoformat(),
            "initiatives": scored,
            "gaining": gaining,
            "losing": losing,
            "budget_gaining": round(budget_gaining, 2),
            "budget_losing": round(budget_losing, 2),
            "before": _index(before.portfolio_result()),
            "after": _index(after.portfolio_result()),
            "weights": {
                str(pk): [
                    round(now_context.global_weights.get(pk, 0.0), 4),
                    round(then_context.global_weights.get(pk, 0.0), 4),
                ]
                for pk in sorted(set(now_context.objectives) | set(then_context.objectives))
            },
        }
        # a draft changed while this ran keeps no what-if of weights it no longer has
        if not StrategyVersion.objects.filter(pk=strategy.pk, version=drafted).update(
            impact=summary, impact_at=timezone.now()
        ):
            transaction.set_rollback(True)
            summary["stale"] = True
    return summary
