"""Reads for alignment pages: scorecards, explanations, signals, indices. Fixed query counts."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from alignment.engine.formulas import KPI_STATUS_LABELS
from alignment.engine.rules import RULES
from alignment.models import (
    ALL_SCOPE,
    DashboardSnapshot,
    InitiativeScore,
    KPIScore,
    ObjectiveScore,
    PortfolioIndex,
    ScoreHistory,
    Signal,
)
from portfolio.links import url_pattern
from portfolio.models import FUNDED_STAGES, KPI, Contribution, Initiative, Objective
from portfolio.selectors import initiative_history

COMPONENTS = [
    ("fit", "Strategic fit"),
    ("outcome", "Outcome evidence"),
    ("delivery", "Delivery confidence"),
    ("governance", "Governance compliance"),
]


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    value: float | None
    reason: str


def initiative_scorecard(initiative: Initiative) -> dict[str, Any]:
    """The scores of one initiative with their missing reasons, and its active signals (2 queries)."""
    score = InitiativeScore.objects.filter(initiative=initiative).first()
    signals = list(Signal.objects.filter(initiative=initiative).order_by("-severity", "rule"))
    components: list[Component] = []
    if score is not None and score.is_computed:
        reasons = (score.explanation or {}).get("missing", {})
        components = [
            Component(key, label, getattr(score, key), reasons.get(key, "")) for key, label in COMPONENTS
        ]
    return {
        "score": score,
        "components": components,
        "signals": sorted(signals, key=lambda s: (s.severity != "red", s.rule)),
    }


@dataclass(frozen=True)
class Contributor:
    initiative: Initiative
    strength: str
    fit: float | None
    alignment: float | None
    tier: int | None
    budget: float
    spend: float  # the part of the budget attributed to this objective (funded initiatives)


def objective_scorecard(objective: Objective) -> dict[str, Any]:
    """Weight, spend and coverage of an objective, the initiatives serving it with their fit and the spend
    attributed to it, its KPIs' trends and the signals about it (a fixed number of queries)."""
    from alignment import dashboard
    from alignment.engine.formulas import STRENGTH_VALUES

    today = timezone.localdate()
    facts = ObjectiveScore.objects.filter(objective=objective).first()
    signals = list(
        Signal.objects.filter(objective=objective)
        .select_related("initiative")
        .order_by("severity", "rule", "key")
    )
    contributions = list(
        Contribution.objects.filter(objective=objective)
        .exclude(strength="none")
        .select_related("initiative", "initiative__score")
        .order_by("initiative__code")
    )
    strength_sums: dict[int, float] = defaultdict(float)
    for initiative_id, strength in Contribution.objects.filter(
        initiative_id__in=[c.initiative_id for c in contributions]
    ).values_list("initiative_id", "strength"):
        strength_sums[initiative_id] += STRENGTH_VALUES.get(strength, 0.0)
    contributors = []
    for c in contributions:
        initiative = c.initiative
        score = getattr(initiative, "score", None)
        computed = score if score is not None and score.computed_at is not None else None
        budget = float(initiative.budget_total)
        total = strength_sums[c.initiative_id]
        share = STRENGTH_VALUES.get(c.strength, 0.0) / total if total else 0.0
        contributors.append(
            Contributor(
                initiative,
                c.strength,
                computed.fit if computed else None,
                computed.alignment if computed else None,
                computed.tier if computed else None,
                budget,
                budget * share if initiative.stage in FUNDED_STAGES else 0.0,
            )
        )
    contributors.sort(key=lambda c: (-c.spend, -(c.fit or 0), c.initiative.code))
    subtree = dashboard.theme_subtree(objective.pk)
    codes = dict(Objective.objects.filter(pk__in=subtree).values_list("pk", "code"))
    kpi_rows = list(
        KPI.objects.filter(objective_id__in=subtree)
        .order_by("objective__code", "name")
        .values_list(*dashboard.KPI_FIELDS)[: dashboard.KPI_PANELS]
    )
    return {
        "facts": facts,
        "signals": signals,
        "contributors": contributors,
        "attributed_spend": sum(c.spend for c in contributors),
        "kpi_chart": _kpi_chart(
            kpi_rows,
            codes,
            today,
            columns=min(3, max(1, len(kpi_rows))),
            csv_url=reverse("alignment:objective-kpis-csv", args=[objective.pk]),
            title=f"KPIs of {objective.code}: readings, expected progress, target and forecast",
        ),
    }


def kpi_scorecard(kpi: KPI) -> dict[str, Any]:
    """A KPI's status and forecast, its chart, and the signals it raises on initiatives."""
    from alignment import dashboard

    score = KPIScore.objects.filter(kpi=kpi).first()
    rows = list(KPI.objects.filter(pk=kpi.pk).values_list(*dashboard.KPI_FIELDS))
    return {
        "kpi_score": score,
        "status_label": KPI_STATUS_LABELS.get(score.status, "") if score else "",
        "signals": list(
            Signal.objects.filter(kpi=kpi).select_related("initiative").order_by("severity", "key")
        ),
        "kpi_chart": _kpi_chart(
            rows,
            {kpi.objective_id: kpi.objective.code},
            timezone.localdate(),
            columns=1,
            csv_url=reverse("alignment:kpi-chart-csv", args=[kpi.pk]),
            title=f"{kpi.name}: readings, expected progress, target and forecast ({kpi.unit})",
        ),
    }


@dataclass
class Explained:
    """A stored explanation with the names of the objectives and KPIs it refers to."""

    score: InitiativeScore
    fit_terms: list[dict[str, Any]]
    outcome_terms: list[dict[str, Any]]
    delivery: dict[str, Any]
    governance: dict[str, Any]
    tier: dict[str, Any]
    composite: dict[str, Any]
    missing: dict[str, str]


def explain(score: InitiativeScore) -> Explained:
    """Resolve the ids in a score's explanation to objectives and KPIs (2 queries)."""
    data = score.explanation or {}
    fit = data.get("fit", {})
    terms = fit.get("terms", [])
    objectives = Objective.objects.in_bulk([t["objective"] for t in terms])
    fit_terms = [
        {**t, "objective_obj": objectives.get(t["objective"])}
        for t in sorted(terms, key=lambda t: -t["points"])
    ]
    outcome = data.get("outcome", {}).get("kpis", [])
    kpis = KPI.objects.select_related("score").in_bulk([t["kpi"] for t in outcome])
    total_weight = sum(t["weight"] for t in outcome) or 1.0
    outcome_terms = [
        {
            **t,
            "kpi_obj": kpis.get(t["kpi"]),
            "share": t["weight"] / total_weight,
            "points": 100 * t["weight"] * t["evidence"] / total_weight,
            "status_label": KPI_STATUS_LABELS.get(
                getattr(getattr(kpis.get(t["kpi"]), "score", None), "status", ""), ""
            ),
        }
        for t in outcome
    ]
    return Explained(
        score=score,
        fit_terms=fit_terms,
        outcome_terms=outcome_terms,
        delivery=data.get("delivery", {}),
        governance=data.get("governance", {}),
        tier=data.get("tier", {}),
        composite=data.get("composite", {}),
        missing=data.get("missing", {}),
    )


@dataclass(frozen=True)
class Delta:
    label: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def changes_since(initiative: Initiative, score: InitiativeScore, since: datetime.date) -> dict[str, Any]:
    """What changed since a date: score deltas against the history snapshot of that day (or the nearest
    earlier one), each objective's fit points then and now, and the entered changes since then."""
    snapshot = ScoreHistory.objects.filter(initiative=initiative, date__lte=since).order_by("-date").first()
    entries = [e for e in initiative_history(initiative) if e.when.date() > since]
    if snapshot is None:
        return {"snapshot": None, "deltas": [], "objective_deltas": [], "entries": entries}
    deltas = [
        Delta(label, getattr(snapshot, key), getattr(score, key))
        for key, label in [("alignment", "Alignment"), *COMPONENTS]
    ]
    before = {t["objective"]: t["points"] for t in snapshot.explanation.get("fit", {}).get("terms", [])}
    after = {t["objective"]: t["points"] for t in (score.explanation or {}).get("fit", {}).get("terms", [])}
    objectives = Objective.objects.in_bulk(set(before) | set(after))
    objective_deltas = [
        {"objective": objectives.get(pk), "before": before.get(pk), "after": after.get(pk)}
        for pk in sorted(set(before) | set(after), key=lambda pk: -(after.get(pk) or 0))
        if before.get(pk) != after.get(pk)
    ]
    return {
        "snapshot": snapshot,
        "deltas": deltas,
        "tier_before": snapshot.tier,
        "objective_deltas": objective_deltas,
        "entries": entries,
    }


def kpi_scores(kpi_ids: list[int]) -> dict[int, KPIScore]:
    return KPIScore.objects.in_bulk(kpi_ids)


@lru_cache(maxsize=1)
def scoring_doc_html() -> str:
    """The scoring reference (docs/scoring.md) as HTML; read once per process."""
    import markdown  # type: ignore[import-untyped]  # types-Markdown is not in the lock

    path = Path(settings.BASE_DIR) / "docs" / "scoring.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Scoring\n\nThe reference is missing."
    return markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])


def rule_choices() -> list[tuple[str, str]]:
    return [(name, rule.title) for name, rule in RULES.items()]


@dataclass(frozen=True)
class DashboardView:
    payload: dict[str, Any] | None  # None when the stored HTML is served as it is
    stored: bool
    as_of: datetime.datetime | None
    stale: bool
    html: str = ""


def dashboard_view(filters: Any, *, today: datetime.date, with_payload: bool = False) -> DashboardView:
    """The dashboard for the filters: the stored one when the filters match a stored scope (its rendered
    HTML, or its payload for a CSV download; two queries), otherwise computed from the stored scores."""
    from alignment import dashboard, services
    from portfolio.templatetags.bearing import currency_symbol

    latest = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE)
        .order_by("-date")
        .values_list("computed_at", flat=True)
        .first()
    )
    if filters.scope is not None:
        stored = DashboardSnapshot.objects.filter(scope=filters.scope)
        snapshot = (stored.defer("html") if with_payload else stored.defer("payload")).first()
        if snapshot is not None:
            stale = latest is not None and (
                snapshot.source_computed_at is None or snapshot.source_computed_at < latest
            )
            if with_payload:
                return DashboardView(json.loads(snapshot.payload), True, snapshot.computed_at, stale)
            return DashboardView(None, True, snapshot.computed_at, stale, html=snapshot.html)
    data = dashboard.dashboard_data(filters, today=today, policy=services.current_policy())
    payload = dashboard.build_payload(data, symbol=currency_symbol(), as_of=latest)
    return DashboardView(payload, False, latest, False)


def _kpi_chart(
    kpi_rows: list[tuple[Any, ...]],
    codes: dict[int, str],
    today: datetime.date,
    columns: int,
    csv_url: str,
    title: str,
) -> dict[str, Any] | None:
    from alignment import charts, dashboard

    if not kpi_rows:
        return None
    series = dashboard.load_kpi_series(kpi_rows, codes, today=today)
    link = url_pattern("portfolio:kpi-detail")
    chart = charts.kpi_small_multiples(
        {"kpis": [series[k[0]] for k in kpi_rows]}, link.format, columns=columns, title=title
    )
    return dashboard.chart_dict(chart, csv_url=csv_url)
