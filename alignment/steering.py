"""What the alignment engine contributes to steering: what a review freezes, which initiatives a meeting
should look at, what RAG the data suggests, and the gate that holds tier-1 initiatives until a committee
has decided to proceed. Registered as hooks on the portfolio's registry (see apps.py)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from alignment.engine.formulas import AT_RISK, KPI_STATUS_LABELS, NO_DATA, OFF_TRACK
from alignment.engine.rules import RULES
from alignment.models import InitiativeScore, KPIScore, Signal
from alignment.services import current_policy
from portfolio.models import (
    KPI,
    STAGE_ORDER,
    CheckpointReview,
    Contribution,
    Decision,
    Initiative,
    ScopeChange,
    ScopeChangeStatus,
    Stage,
)
from risk.models import TierPolicy

GOVERNED_STAGES = [Stage.APPROVED, Stage.IN_DELIVERY]
PROCEED = [Decision.PROCEED, Decision.PROCEED_WITH_CONDITIONS]
FALLBACK_CADENCE = {1: 30, 2: 60, 3: 90}
SCORE_FIELDS = ("alignment", "fit", "outcome", "delivery", "governance")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def initiative_snapshots(initiatives: list[Initiative]) -> dict[int, dict[str, Any]]:
    """Scores, tier, active signals and the KPIs its contributions name, for each initiative, as a review
    freezes them (four queries, however many initiatives)."""
    ids = [i.pk for i in initiatives]
    scores = InitiativeScore.objects.in_bulk(ids)
    signals: dict[int, list[dict[str, str]]] = defaultdict(list)
    for initiative_id, rule, severity, message in (
        Signal.objects.filter(initiative_id__in=ids)
        .order_by("initiative_id", "severity", "rule", "key")
        .values_list("initiative_id", "rule", "severity", "message")
    ):
        signals[initiative_id].append({"rule": rule, "severity": severity, "message": message})
    named: dict[int, set[int]] = defaultdict(set)
    for initiative_id, kpi_id in Contribution.objects.filter(
        initiative_id__in=ids, kpi__isnull=False
    ).values_list("initiative_id", "kpi_id"):
        named[initiative_id].add(kpi_id)
    kpis = {
        k.pk: k
        for k in KPI.objects.filter(pk__in={k for ks in named.values() for k in ks}).select_related("score")
    }
    snapshots = {}
    for pk in ids:
        score = scores.get(pk)
        as_of = score.computed_at if score is not None else None
        computed = score if as_of is not None else None  # a score the engine has filled in
        snapshots[pk] = {
            "scores": {name: _round(getattr(computed, name)) for name in SCORE_FIELDS} if computed else {},
            "tier": computed.tier if computed else None,
            "scores_as_of": as_of.isoformat() if as_of else None,
            "signals": signals.get(pk, []),
            "kpis": [
                _kpi(kpis[k]) for k in sorted(named.get(pk, ()), key=lambda k: kpis[k].name) if k in kpis
            ],
        }
    return snapshots


def _kpi(kpi: KPI) -> dict[str, Any]:
    score = getattr(kpi, "score", None)
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


def initiative_snapshot(initiative: Initiative) -> dict[str, Any]:
    """The snapshot provider for one initiative (see initiative_snapshots)."""
    return initiative_snapshots([initiative])[initiative.pk]


# Snapshot providers may offer a bulk form, which the portfolio calls once for a whole agenda.
initiative_snapshot.many = initiative_snapshots  # type: ignore[attr-defined]


def _cadences() -> dict[int, int]:
    return {**FALLBACK_CADENCE, **dict(TierPolicy.objects.values_list("tier", "checkpoint_cadence_days"))}


def checkpoint_due(initiatives: Any = None) -> dict[int, tuple[datetime.date, int, datetime.date | None]]:
    """When each governed initiative's next checkpoint is due: (due date, tier, last review), in three queries.

    Due = the last review (or, without one, the day it entered its stage) + its tier's cadence.
    """
    cadences = _cadences()
    rows = (initiatives if initiatives is not None else Initiative.objects.all()).filter(
        stage__in=GOVERNED_STAGES
    )
    last = dict(
        CheckpointReview.objects.filter(initiative__in=rows)
        .values("initiative_id")
        .annotate(last=Max("held_on"))
        .values_list("initiative_id", "last")
    )
    due = {}
    for pk, tier, since, created in rows.values_list("pk", "score__tier", "stage_since", "created_at"):
        tier = tier or 3
        start = last.get(pk) or since or created.date()
        due[pk] = (start + datetime.timedelta(days=cadences.get(tier, 90)), tier, last.get(pk))
    return due


def agenda_checkpoints_due(meeting: Any) -> list[tuple[int, str]]:
    """Initiatives whose checkpoint falls due by the meeting, under their tier's cadence."""
    cadences = _cadences()
    proposals = []
    for pk, (due, tier, last) in checkpoint_due().items():
        if due <= meeting.held_on:
            when = f"last reviewed {last.isoformat()}" if last else "never reviewed"
            proposals.append(
                (
                    pk,
                    f"Checkpoint due {due.isoformat()} (tier {tier}, every {cadences.get(tier, 90)} days; {when})",
                )
            )
    return proposals


def agenda_red_signals(meeting: Any) -> list[tuple[int, str]]:
    """Open initiatives with red early-warning signals."""
    counts: dict[int, list[str]] = defaultdict(list)
    for initiative_id, rule in (
        Signal.objects.filter(severity="red", initiative__isnull=False)
        .exclude(initiative__stage__in=[Stage.CLOSED, Stage.CANCELLED])
        .exclude(rule="checkpoint_overdue")  # the checkpoint-due proposal already says so, with the dates
        .order_by("initiative_id", "rule")
        .values_list("initiative_id", "rule")
    ):
        # the rule's title, as the signal list names it, not its identifier
        counts[initiative_id].append(RULES[rule].title if rule in RULES else rule.replace("_", " "))
    return [
        (pk, f"{len(rules)} red signal{'s' if len(rules) > 1 else ''}: {' · '.join(sorted(set(rules)))}")
        for pk, rules in counts.items()
    ]


def suggest_rag(initiative: Initiative) -> dict[str, tuple[str, str]]:
    """A RAG per dimension from the data, with the reason, under the signal thresholds of the policy."""
    policy = current_policy().signals
    score = InitiativeScore.objects.filter(initiative=initiative, computed_at__isnull=False).first()
    delivery = (score.explanation or {}).get("delivery", {}) if score else {}
    suggestions: dict[str, tuple[str, str]] = {}
    ratio = delivery.get("slip_ratio")
    if ratio is None:
        suggestions["schedule"] = ("amber", "No plan dates to measure the schedule against.")
    else:
        rag = "red" if ratio >= policy.slip_red else "amber" if ratio >= policy.slip_amber else "green"
        suggestions["schedule"] = (
            rag,
            f"{delivery.get('slip_days', 0)} days behind plan: {ratio:.0%} of the planned duration "
            f"(amber from {policy.slip_amber:.0%}, red from {policy.slip_red:.0%}).",
        )
    overrun = delivery.get("overrun")
    if overrun is None:
        suggestions["cost"] = ("amber", "No budget to measure cost against.")
    else:
        rag = (
            "red"
            if overrun >= policy.overrun_red
            else "amber"
            if overrun >= policy.overrun_amber
            else "green"
        )
        suggestions["cost"] = (
            rag,
            (f"Forecast {overrun:.0%} over budget" if overrun else "Forecast within budget")
            + f" (amber from {policy.overrun_amber:.0%}, red from {policy.overrun_red:.0%}).",
        )
    since = timezone.localdate() - datetime.timedelta(days=policy.scope_window_days)
    changes = ScopeChange.objects.filter(initiative=initiative, date__gte=since).exclude(
        status=ScopeChangeStatus.REJECTED
    )
    facts = changes.aggregate(n=Count("pk"), pending=Count("pk", filter=Q(status=ScopeChangeStatus.PENDING)))
    n, pending = facts["n"], facts["pending"]
    rag = (
        "red"
        if n >= policy.scope_changes_red
        else "amber"
        if n >= policy.scope_changes_amber or pending
        else "green"
    )
    suggestions["scope"] = (
        rag,
        f"{n} scope change{'s' if n != 1 else ''} in {policy.scope_window_days} days"
        + (f", {pending} awaiting a decision." if pending else "."),
    )
    statuses = list(
        KPIScore.objects.filter(kpi__contributions__initiative=initiative)
        .values_list("kpi__name", "status")
        .distinct()
    )
    off = [name for name, status in statuses if status == OFF_TRACK]
    risk = [name for name, status in statuses if status == AT_RISK]
    if not statuses:
        suggestions["benefits"] = ("amber", "No KPI is named to show the benefits.")
    elif off:
        suggestions["benefits"] = ("red", f"Off track: {', '.join(sorted(off))}.")
    elif risk:
        suggestions["benefits"] = ("amber", f"At risk: {', '.join(sorted(risk))}.")
    elif all(status == NO_DATA for _, status in statuses):
        suggestions["benefits"] = ("amber", "The named KPIs have no readings yet.")
    else:
        suggestions["benefits"] = ("green", "The named KPIs are on track or achieved.")
    return suggestions


def tier_one_gate(initiative: Initiative, new_stage: str) -> str | None:
    """A tier-1 initiative moves on to a later stage only after a committee recorded a proceed decision
    (with or without conditions) at a review held since it entered its current stage."""
    if STAGE_ORDER.get(new_stage, 0) <= STAGE_ORDER.get(initiative.stage, 0) or new_stage == Stage.CANCELLED:
        return None
    tier = InitiativeScore.objects.filter(initiative=initiative).values_list("tier", flat=True).first()
    if tier != 1:
        return None
    since = initiative.stage_since or initiative.created_at.date()
    decided = CheckpointReview.objects.filter(
        initiative=initiative, held_on__gte=since, decision__in=PROCEED
    ).exists()
    if decided:
        return None
    return (
        f"{initiative.code} is a tier 1 initiative: it moves on from “{initiative.get_stage_display()}” only "
        f"after a steering committee records a proceed decision at a checkpoint review held since "
        f"{since.isoformat()}. Put it on a meeting's agenda first."
    )
