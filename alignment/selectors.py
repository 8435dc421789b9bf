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
from django.db.models import Max, Subquery
from django.urls import reverse
from django.utils import timezone

from alignment.engine.compute import InitiativeResult
from alignment.engine.formulas import KPI_STATUS_LABELS
from alignment.engine.inputs import load_objectives, priority_units, relative_weights
from alignment.engine.rules import RULES
from alignment.models import (
    ALL_SCOPE,
    HistoryDay,
    InitiativeScore,
    KPIScore,
    ObjectiveScore,
    PortfolioIndex,
    ScoreHistory,
    Signal,
    StoredDashboard,
    severity_order,
)
from core.links import url_pattern
from core.stages import FUNDED
from portfolio.models import KPI, Contribution, Initiative, Objective
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
    signals = list(Signal.objects.filter(initiative=initiative).order_by(severity_order(), "rule", "key"))
    components: list[Component] = []
    if score is not None and score.is_computed:
        reasons = score.missing if isinstance(score.missing, dict) else {}
        components = [
            Component(key, label, getattr(score, key), reasons.get(key, "")) for key, label in COMPONENTS
        ]
    return {
        "score": score,
        "components": components,
        "signals": signals,
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


@dataclass(frozen=True)
class ObjectiveWeights:
    """An objective's weights as the objective tree stands now (the engine computes them the same way)."""

    global_weight: float
    relative_weight: float  # r_o: the global weight over the largest priority unit's
    is_unit: bool  # a priority unit: spend and weight are compared here
    weight_share: float  # its weight among the priority units (0 when not a unit)


def objective_weights(objective_id: int) -> ObjectiveWeights:
    """The live weights of an objective, from the same functions the engine scores with (one query).

    Read live rather than from the stored ObjectiveScore: right after a weight is saved, the portfolio
    refresh that rewrites the stored figures may still be running, and the page must not show the old weight
    next to the new one."""
    objectives = load_objectives()
    weights, relative_to_top = relative_weights(objectives)
    units, _ = priority_units(objectives, weights)
    unit_total = sum(units.values())
    return ObjectiveWeights(
        global_weight=weights.get(objective_id, 0.0),
        relative_weight=relative_to_top.get(objective_id, 0.0),
        is_unit=objective_id in units,
        weight_share=units[objective_id] / unit_total if objective_id in units and unit_total > 0 else 0.0,
    )


def objective_scorecard(objective: Objective) -> dict[str, Any]:
    """Weight, spend and coverage of an objective, the initiatives serving it with their fit and the spend
    attributed to it, its KPIs' trends and the signals about it (a fixed number of queries).

    The weights are live (objective_weights); spend and coverage are the engine's stored figures, flagged as
    being recomputed while they were computed under other weights."""
    from alignment import dashboard
    from alignment.engine.formulas import STRENGTH_VALUES

    today = timezone.localdate()
    facts = ObjectiveScore.objects.filter(objective=objective).first()
    weights = objective_weights(objective.pk)
    signals = list(
        Signal.objects.filter(objective=objective)
        .select_related("initiative")
        .order_by(severity_order(), "rule", "key")
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
                budget * share if initiative.stage in FUNDED else 0.0,
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
        "weights": weights,
        # the stored r_o is rounded to 6 decimals: a smaller difference is that rounding, not a new weight
        "facts_behind": facts is not None and abs(facts.relative_weight - weights.relative_weight) > 1e-6,
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
            Signal.objects.filter(kpi=kpi)
            .select_related("initiative")
            .order_by(severity_order(), "rule", "key")
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
    """An initiative's scores as computed now, with their explanation and the names of the objectives and KPIs
    it refers to."""

    live: InitiativeScore  # unsaved: the scores the explanation adds up to
    max_global_weight: float | None
    fit_terms: list[dict[str, Any]]
    outcome_terms: list[dict[str, Any]]
    delivery: dict[str, Any]
    governance: dict[str, Any]
    tier: dict[str, Any]
    composite: dict[str, Any]
    missing: dict[str, str]


def explain(result: InitiativeResult) -> Explained:
    """Resolve the ids in an explanation built on demand (services.explain_initiative) to objectives and KPIs
    (2 queries)."""
    data = result.explanation
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
        live=InitiativeScore(initiative_id=result.id, **result.stored()),
        max_global_weight=fit.get("max_global_weight"),
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
    """What changed since a date: score deltas against the day's score history (or the nearest
    earlier one), each objective's fit points then and now, and the entered changes since then."""
    then = ScoreHistory.objects.filter(initiative=initiative, date__lte=since).order_by("-date").first()
    entries = [e for e in initiative_history(initiative) if e.when.date() > since]
    if then is None:
        return {"then": None, "deltas": [], "objective_deltas": [], "entries": entries}
    # the scores recorded on the last day recorded by then: those of the latest row on or before it
    then_date = HistoryDay.objects.filter(date__lte=since).aggregate(day=Max("date"))["day"] or then.date
    deltas = [
        Delta(label, getattr(then, key), getattr(score, key))
        for key, label in [("alignment", "Alignment"), *COMPONENTS]
    ]
    before = {t["objective"]: t["points"] for t in then.explanation.get("fit", {}).get("terms", [])}
    after = dict(score.fit_points or [])
    objectives = Objective.objects.in_bulk(set(before) | set(after))
    objective_deltas = [
        {"objective": objectives.get(pk), "before": before.get(pk), "after": after.get(pk)}
        for pk in sorted(set(before) | set(after), key=lambda pk: -(after.get(pk) or 0))
        if before.get(pk) != after.get(pk)
    ]
    return {
        "then": then,
        "then_date": then_date,
        "deltas": deltas,
        "tier_before": then.tier,
        "objective_deltas": objective_deltas,
        "entries": entries,
    }


def score_history_points(initiative_id: int, as_of: datetime.date) -> list[dict[str, Any]]:
    """An initiative's recorded scores on each day the history was recorded up to `as_of`, from its first
    (two queries): on each day, those of its latest row on or before it."""
    rows = list(
        ScoreHistory.objects.filter(initiative_id=initiative_id, date__lte=as_of)
        .order_by("date")
        .values_list("date", "until", "alignment", "fit", "delivery", "outcome")
    )
    if not rows:
        return []
    days = HistoryDay.objects.filter(date__gte=rows[0][0], date__lte=as_of).values_list("date", flat=True)
    points = []
    at = 0
    for day in days:
        while at + 1 < len(rows) and rows[at + 1][0] <= day:
            at += 1
        date, until, alignment, fit, delivery, outcome = rows[at]
        if until is None or day < until:
            points.append(
                {"date": day, "alignment": alignment, "fit": fit, "delivery": delivery, "outcome": outcome}
            )
    return points


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


def stored_dashboard_stamp(scope: str) -> str | None:
    """What identifies the stored dashboard of `scope` as the page shows it (when it was drawn, and whether
    scores were recomputed since), in one query; None when there is none."""
    latest = PortfolioIndex.objects.filter(scope=ALL_SCOPE).order_by("-date").values("computed_at")[:1]
    row = (
        StoredDashboard.objects.filter(scope=scope)
        .annotate(latest=Subquery(latest))
        .values_list("computed_at", "source_computed_at", "latest")
        .first()
    )
    if row is None:
        return None
    computed_at, source, latest_at = row
    stale = latest_at is not None and (source is None or source < latest_at)
    return f"{computed_at.isoformat()}|{'stale' if stale else 'fresh'}"


def dashboard_view(filters: Any, *, today: datetime.date, with_payload: bool = False) -> DashboardView:
    """The dashboard for the filters: the stored one when the filters match a stored scope (its rendered
    HTML, or its payload for a CSV download; two queries), otherwise computed from the stored scores."""
    from alignment import dashboard, services
    from core.templatetags.bearing import currency_symbol

    latest = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE)
        .order_by("-date")
        .values_list("computed_at", flat=True)
        .first()
    )
    if filters.scope is not None:
        stored = StoredDashboard.objects.filter(scope=filters.scope)
        kept = (stored.defer("html") if with_payload else stored.defer("payload")).first()
        if kept is not None:
            stale = latest is not None and (
                kept.source_computed_at is None or kept.source_computed_at < latest
            )
            if with_payload:
                return DashboardView(json.loads(kept.payload), True, kept.computed_at, stale)
            return DashboardView(None, True, kept.computed_at, stale, html=kept.html)
    data = dashboard.dashboard_data(filters, today=today, policy=services.current_policy())
    payload = dashboard.build_payload(data, symbol=currency_symbol(), as_of=latest)
    return DashboardView(payload, False, latest, False)


def spend_behind(filters: Any, unit_id: int | None) -> Any:
    """The initiatives behind one bar of the dashboard's investment chart, with the spend each gives it (see
    dashboard.spend_behind); None when the dashboard of these filters has no such bar."""
    from alignment import dashboard, services

    return dashboard.spend_behind(filters, unit_id, top_objectives=services.current_policy().top_objectives)


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
