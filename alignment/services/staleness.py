"""What a change makes stale: the initiatives whose scores it can move, marked in the change's own transaction
so that a lost message is caught by the sweep."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection

from django.utils import timezone

from alignment.engine import store
from alignment.engine.inputs import load_objectives, relative_weights
from alignment.models import (
    InitiativeScore,
    ObjectiveScore,
    PortfolioMark,
)
from core.changes import Change
from core.stages import Stage
from portfolio.models import Contribution, Initiative

# a change to an initiative past go-live moves its sponsor's benefits record, which the sponsor_overpromised
# signal of each of the sponsor's proposals reads (alignment.engine.rules)
PAST_GO_LIVE = (Stage.LIVE.value, Stage.CLOSED.value)
PROPOSALS = (Stage.IDEA.value, Stage.PROPOSED.value, Stage.APPROVED.value)

log = logging.getLogger(__name__)


def affected_initiatives(change: Change) -> tuple[set[int], bool]:
    """The initiatives whose scores a change can move, and whether the portfolio indices move too.

    An objective change moves the relative weight of every objective whose r_o changes (siblings, their
    subtrees, and all of them when the largest priority weight changes), so it is compared with the r_o
    used by the last recompute. A change to an initiative past go-live moves its sponsor's benefits record,
    so the sponsor's proposals (idea, proposed, approved) are rescored with it.
    """
    ids = set(change.initiative_ids)
    if change.kpi_ids:
        ids |= set(
            Contribution.objects.filter(kpi_id__in=change.kpi_ids).values_list("initiative_id", flat=True)
        )
    # a program's facts outside its initiatives (its leadership survey) move only the portfolio's results:
    # the program-level signals and the stored dashboards
    portfolio = bool(ids or change.objective_ids or change.program_ids)
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
    if ids:
        sponsors = Initiative.objects.filter(
            pk__in=ids, stage__in=PAST_GO_LIVE, sponsor_id__isnull=False
        ).values("sponsor_id")
        ids |= set(
            Initiative.objects.filter(stage__in=PROPOSALS, sponsor_id__in=sponsors).values_list(
                "pk", flat=True
            )
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
                "checkpoint_due": None,
                "missing": {},
                "unsure": {},
                "fit_points": [],
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
