"""The daily score history: every initiative's scores copied once a day, and months of it for a portfolio
loaded in one go."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.models import (
    InitiativeScore,
    ScoreHistory,
)
from alignment.services.dashboards import render_dashboards
from alignment.services.scores import recompute

log = logging.getLogger(__name__)


def record_history(*, today: datetime.date | None = None) -> int:
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
            # what "what changed since" compares: each objective's fit points (the rest of an explanation
            # is built on demand, for today)
            "explanation": {"fit": {"terms": [{"objective": o, "points": p} for o, p in fit_points]}},
        }
        for pk, version, fit, outcome, delivery, governance, alignment, tier, capex, opex, fit_points in (
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
                "fit_points",
            )
        )
    ]
    with transaction.atomic():
        _upsert_history(rows)
    return len(rows)


def backfill_history(*, today: datetime.date, months: int) -> list[datetime.date]:
    """Score the portfolio as of each of the last `months` month ends and record its history, then as of today.

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
        record_history(today=day)
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
