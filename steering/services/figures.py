"""The figures a committee looks at for an initiative, frozen into its review: its facts, spend, milestones and
pending scope changes, and what the alignment engine computed (scores, tier, signals, the KPIs it should
move); and a fingerprint of them with the suggested RAG, to notice when they change under an open review page.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone

from alignment.engine.formulas import KPI_STATUS_LABELS, NO_DATA
from alignment.models import InitiativeScore, KPIScore, Signal
from alignment.selectors import COMPONENTS
from portfolio.models import (
    KPI,
    BusinessCase,
    Contribution,
    Initiative,
    Milestone,
    ScopeChange,
    ScopeChangeStatus,
)
from steering.figures import by_severity, comparable

# The scores a review freezes: the alignment score and its components, as the engine names them.
SCORE_FIELDS = ("alignment", *(key for key, _label in COMPONENTS))
SCORE_LABELS = {"alignment": "Alignment", **dict(COMPONENTS)}
# Every part initiative_figures writes; a page shows any other part (of figures frozen by a later version)
# as it is.
FIGURE_KEYS = frozenset(
    {"as_of", "initiative", "spend", "milestones", "scope_changes", "scores", "tier", "scores_as_of"}
    | {"signals", "kpis"}
)


def initiative_figures(
    initiatives: Sequence[Initiative], *, as_of: datetime.date | None = None
) -> dict[int, dict[str, Any]]:
    """What a committee looks at for each initiative, as JSON (a fixed number of queries, however many).

    "initiative" (stage, people, dates), "spend", "milestones" (baseline, forecast, actual), "scope_changes"
    (those awaiting a decision), then the engine's "scores", "tier", "signals" (the worst first) and "kpis".

    `as_of` (default today) is the day the figures describe. For a past day the entered data is read as its
    dates tell it then (milestones achieved later are not achieved yet, scope changes logged later are left
    out) and the engine's part is what it last computed: recompute it as of that day first, as the demo does
    for its past reviews.
    """
    initiatives = list(initiatives)
    day = as_of or timezone.localdate()
    portfolio = _portfolio_parts(initiatives, day)
    engine = _engine_parts(initiatives, as_of)
    return {pk: _plain({"as_of": day, **portfolio[pk], **engine[pk]}) for pk in (i.pk for i in initiatives)}


def _roi_pct(roi: Decimal | None) -> float | None:
    return None if roi is None else round(float(roi * 100), 1)


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _portfolio_parts(initiatives: Sequence[Initiative], day: datetime.date) -> dict[int, dict[str, Any]]:
    ids = [initiative.pk for initiative in initiatives]
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for milestone in Milestone.objects.filter(initiative_id__in=ids).order_by(
        "initiative_id", "baseline_date", "name"
    ):
        actual = milestone.actual_date if milestone.actual_date and milestone.actual_date <= day else None
        milestones[milestone.initiative_id].append(
            {
                "name": milestone.name,
                "baseline": milestone.baseline_date,
                "forecast": milestone.forecast_date,
                "actual": actual,
            }
        )
    pending: dict[int, list[ScopeChange]] = defaultdict(list)
    for change in ScopeChange.objects.filter(
        initiative_id__in=ids, status=ScopeChangeStatus.PENDING, date__lte=day
    ).order_by("initiative_id", "date", "pk"):
        pending[change.initiative_id].append(change)
    cases = {
        pk: (npv, roi)
        for pk, npv, roi in BusinessCase.objects.filter(pk__in=ids).values_list("pk", "npv", "roi")
    }
    parts = {}
    for initiative in initiatives:
        budget = initiative.budget_total
        forecast = initiative.forecast_cost
        changes = pending[initiative.pk]
        parts[initiative.pk] = {
            "initiative": {
                "code": initiative.code,
                "title": initiative.title,
                "stage": initiative.stage,
                "stage_label": initiative.get_stage_display(),
                "stage_since": initiative.stage_since,
                "sponsor": _person(initiative.sponsor),
                "manager": _person(initiative.manager),
                "planned_start": initiative.planned_start,
                "planned_end": initiative.planned_end,
                "actual_start": initiative.actual_start,
                "actual_end": initiative.actual_end,
                "go_live_date": initiative.go_live_date,
            },
            "spend": {
                "budget": budget,
                "actual_cost": initiative.actual_cost,
                "forecast_cost": forecast,
                "variance": (forecast - budget) if forecast is not None else None,
                "spent_pct": round(float(initiative.actual_cost / budget * 100), 1) if budget > 0 else None,
                # the business case's stored figures (NPV in money, ROI in per cent); none without a case
                "npv": cases.get(initiative.pk, (None, None))[0],
                "roi_pct": _roi_pct(cases.get(initiative.pk, (None, None))[1]),
            },
            "milestones": milestones[initiative.pk],
            "scope_changes": {
                "pending": len(changes),
                "pending_cost": sum((change.cost_impact for change in changes), Decimal("0")),
                "pending_days": sum(change.schedule_impact_days for change in changes),
                "items": [
                    {
                        "id": change.pk,
                        "date": change.date,
                        "description": change.description,
                        "rationale": change.rationale,
                        "cost_impact": change.cost_impact,
                        "schedule_impact_days": change.schedule_impact_days,
                    }
                    for change in changes
                ],
            },
        }
    return parts


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _engine_parts(
    initiatives: Sequence[Initiative], as_of: datetime.date | None
) -> dict[int, dict[str, Any]]:
    """Scores, tier, active signals and the KPIs its contributions name (three queries)."""
    ids = [i.pk for i in initiatives]
    scores = InitiativeScore.objects.in_bulk(ids)
    signals: dict[int, list[dict[str, str]]] = defaultdict(list)
    for initiative_id, rule, severity, message in Signal.objects.filter(initiative_id__in=ids).values_list(
        "initiative_id", "rule", "severity", "message"
    ):
        signals[initiative_id].append({"rule": rule, "severity": severity, "message": message})
    # the KPIs the contributions name, with their scores, read with the contributions (one query, and the
    # same one whether or not any contribution names a KPI)
    named: dict[int, set[int]] = defaultdict(set)
    kpis: dict[int, KPI] = {}
    for contribution in Contribution.objects.filter(initiative_id__in=ids, kpi__isnull=False).select_related(
        "kpi", "kpi__score"
    ):
        kpi = cast(KPI, contribution.kpi)  # not null: filtered
        named[contribution.initiative_id].add(kpi.pk)
        kpis[kpi.pk] = kpi
    parts = {}
    for pk in ids:
        score = scores.get(pk)
        computed = score if score is not None and score.computed_at is not None else None
        stamp = None
        if computed is not None:
            # a past day's figures carry that day (the engine was recomputed as of it), not the clock time
            stamp = as_of.isoformat() if as_of is not None else computed.computed_at.isoformat()  # type: ignore[union-attr]
        parts[pk] = {
            "scores": {name: _round(getattr(computed, name)) for name in SCORE_FIELDS} if computed else {},
            "tier": computed.tier if computed else None,
            "scores_as_of": stamp,
            "signals": by_severity(sorted(signals.get(pk, []), key=lambda s: (s["rule"], s["message"]))),
            "kpis": [
                _kpi(kpis[k]) for k in sorted(named.get(pk, ()), key=lambda k: kpis[k].name) if k in kpis
            ],
        }
    return parts


def _kpi(kpi: KPI) -> dict[str, Any]:
    score: KPIScore | None = getattr(kpi, "score", None)
    return {
        "id": kpi.pk,
        "name": kpi.name,
        "unit": kpi.unit,
        "target": float(kpi.target_value),
        "target_date": kpi.target_date.isoformat(),
        "status": KPI_STATUS_LABELS.get(getattr(score, "status", NO_DATA), ""),
        "latest": getattr(score, "latest_value", None),
        "latest_date": score.latest_date.isoformat() if score is not None and score.latest_date else None,
        "forecast": _round(getattr(score, "forecast_value", None)),
    }


def _plain(value: Any) -> Any:
    """A JSON value for anything the figures hold: ISO dates, numbers for decimals, lists for tuples and sets."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=str)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def figures_digest(figures: Mapping[str, Any], suggested: Mapping[str, Any]) -> str:
    """A fingerprint of the figures and suggestions a review page showed, to notice if they changed before the
    decision is saved. Time stamps are left out: a recompute that changes no figure changes no fingerprint."""
    text = json.dumps([comparable(figures), suggested], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
