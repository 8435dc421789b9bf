"""The score history: each initiative's recorded scores as a change log (a row when they change, valid until
the next), recorded daily, and months of it for a portfolio loaded in one go."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alignment import events
from alignment.models import HistoryDay, InitiativeScore, ScoreHistory
from alignment.services.dashboards import render_dashboards
from alignment.services.scores import recompute

log = logging.getLogger(__name__)

# What a history row records, compared to decide whether an initiative's scores changed (with the fit points
# by objective, which its explanation holds).
RECORDED = ("policy_version", "fit", "outcome", "delivery", "governance", "alignment", "tier", "budget")


def fit_terms(fit_points: Iterable[Any]) -> dict[str, Any]:
    """A history row's explanation: each objective's fit points, which "what changed since" compares."""
    return {"fit": {"terms": [{"objective": o, "points": p} for o, p in fit_points]}}


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    terms = (row["explanation"] or {}).get("fit", {}).get("terms", [])
    points = tuple((t.get("objective"), t.get("points")) for t in terms if isinstance(t, dict))
    return (*(row[name] for name in RECORDED), points)


def record_history(*, today: datetime.date | None = None) -> int:
    """Record the day in the score history: a row for each scored initiative whose recorded values differ
    from those in force on the day before, and none for the others (their latest row stands for the day).
    Run again on the same day, it rewrites the day's rows (or drops one that no longer differs). Returns how
    many initiatives have a row of their own on the day."""
    today = today or timezone.localdate()
    current = {
        pk: {
            "policy_version": version,
            "fit": fit,
            "outcome": outcome,
            "delivery": delivery,
            "governance": governance,
            "alignment": alignment,
            "tier": tier,
            "budget": float(capex or 0) + float(opex or 0),
            "explanation": fit_terms(points or []),
        }
        for pk, version, fit, outcome, delivery, governance, alignment, tier, capex, opex, points in (
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
    }
    fields = ["pk", "initiative_id", "date", "until", *RECORDED, "explanation"]
    with transaction.atomic():
        HistoryDay.objects.get_or_create(date=today)
        # the rows in force on the day before (`before`) and the day's own (`own`)
        before: dict[int, dict[str, Any]] = {}
        own: dict[int, dict[str, Any]] = {}
        for row in (
            ScoreHistory.objects.filter(date__lte=today)
            .filter(Q(until__isnull=True) | Q(until__gte=today))
            .values(*fields)
        ):
            (own if row["date"] == today else before)[row["initiative_id"]] = row
        # recorded out of order (a day before others already recorded): the rows that come next
        after: dict[int, dict[str, Any]] = {}
        if HistoryDay.objects.filter(date__gt=today).exists():
            for row in ScoreHistory.objects.filter(date__gt=today).order_by("-date").values(*fields):
                after[row["initiative_id"]] = row  # the earliest wins
        return _write_day(today, current, before, own, after)


def _write_day(
    today: datetime.date,
    current: dict[int, dict[str, Any]],
    before: dict[int, dict[str, Any]],
    own: dict[int, dict[str, Any]],
    after: dict[int, dict[str, Any]],
) -> int:
    deleted: set[int] = set()
    created: list[ScoreHistory] = []
    rewritten: list[ScoreHistory] = []
    until: dict[datetime.date | None, list[int]] = defaultdict(list)  # new end -> rows
    for pk, values in current.items():
        previous, mine, following = before.get(pk), own.get(pk), after.get(pk)
        key = _key(values)
        # the row in force from today is the previous one (unchanged) or the day's own
        if previous is not None and _key(previous) == key:
            if mine is not None:
                deleted.add(mine["pk"])
            in_force: dict[str, Any] | None = previous
        elif mine is not None:
            if _key(mine) != key:
                rewritten.append(ScoreHistory(pk=mine["pk"], **values))
            in_force = mine
        else:
            in_force = None
            created.append(ScoreHistory(initiative_id=pk, date=today, **values))
            if previous is not None:
                until[today].append(previous["pk"])
        # the next row, if it now repeats the one in force, goes
        end = following["date"] if following is not None else None
        if following is not None and _key(following) == key:
            deleted.add(following["pk"])
            end = following["until"]
        if in_force is None:
            created[-1].until = end
        elif in_force["until"] != end:
            until[end].append(in_force["pk"])
    ScoreHistory.objects.filter(pk__in=deleted).delete()
    ScoreHistory.objects.bulk_update(rewritten, [*RECORDED, "explanation"], batch_size=2000)
    ScoreHistory.objects.bulk_create(created, batch_size=2000)
    for end, pks in until.items():
        ScoreHistory.objects.filter(pk__in=pks).update(until=end)
    return sum(1 for pk in current if pk in own and own[pk]["pk"] not in deleted) + len(created)


def backfill_history(*, today: datetime.date, months: int) -> list[datetime.date]:
    """Score the portfolio as of each of the last `months` month ends and record its history, then as of today.

    For a portfolio loaded in one go (the demo, an import) this gives the trends something to show. Each
    past run sees the readings, reviews and scope changes dated up to that day, and records no events: only the
    run as of today tells people what differs from the last month end.
    """
    days = []
    for back in range(months, 0, -1):
        first = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        for _ in range(back - 1):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        month_end = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        days.append(month_end)
    with events.rebuilding_history():
        for day in days:
            recompute(today=day)
            record_history(today=day)
    recompute(today=today)
    record_history(today=today)
    render_dashboards(today=today)
    return days
