"""Reads for alignment pages: scorecards, explanations, signals, indices. Fixed query counts."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone

from alignment import charts as chart_builders
from alignment.engine import confidence
from alignment.engine.compute import InitiativeResult
from alignment.engine.formulas import KPI_STATUS_LABELS
from alignment.engine.rules import RULES
from alignment.models import (
    ALL_SCOPE,
    DashboardCell,
    DashboardCube,
    HistoryDay,
    InitiativeScore,
    KPIScore,
    ObjectiveScore,
    PortfolioIndex,
    PortfolioMark,
    ScoreHistory,
    Severity,
    Signal,
    StoredDashboard,
    severity_order,
)
from capacity import selectors as capacity_selectors
from capacity import services as capacity_services
from capacity.models import Team
from capacity.months import short
from core.chart_parts import chart_dict
from core.links import url_pattern
from core.stages import FUNDED
from portfolio.models import KPI, Contribution, Initiative, Objective, ObjectiveStatus, Strength
from portfolio.models.objectives import MAX_OBJECTIVE_DEPTH
from portfolio.selectors import global_weight as objective_global_weight
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
    stale: str = ""  # why the value rests on stale data (engine.confidence), when it does


def initiative_scorecard(initiative: Initiative) -> dict[str, Any]:
    """The scores of one initiative with their missing reasons, and its active signals (2 queries)."""
    score = InitiativeScore.objects.filter(initiative=initiative).first()
    signals = list(Signal.objects.filter(initiative=initiative).order_by(severity_order(), "rule", "key"))
    components: list[Component] = []
    if score is not None and score.is_computed:
        reasons = score.missing if isinstance(score.missing, dict) else {}
        unsure = score.unsure if isinstance(score.unsure, dict) else {}
        components = [
            Component(
                key,
                label,
                getattr(score, key),
                reasons.get(key, ""),
                confidence.STALE_WORDS[key] if unsure.get(key) == confidence.STALE else "",
            )
            for key, label in COMPONENTS
        ]
    return {
        "score": score,
        "components": components,
        "signals": signals,
        "confidence_words": score.confidence_words(initiative.stage) if score is not None else "",
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
    confidence: str = ""  # how sure its alignment score is, in words (engine.confidence)
    confidence_level: str = ""  # ... and its level: high, medium, low ("" for fit alone)


@dataclass(frozen=True)
class ObjectiveWeights:
    """An objective's weights as the objective tree stands now (the engine computes them the same way)."""

    global_weight: float
    relative_weight: float  # r_o: the global weight over the largest priority unit's
    is_unit: bool  # a priority unit: spend and weight are compared here
    weight_share: float  # its weight among the priority units (0 when not a unit)


def objective_weights(objective: Objective) -> ObjectiveWeights:
    """The live weights of an objective, as the engine computes them over the whole tree, in two queries
    rather than reading the tree: its path (global_weight(), once per objective instance), and the themes with
    the weights of their active objectives, which set the priority units.

    Read live rather than from the stored ObjectiveScore: right after a weight is saved, the portfolio
    refresh that rewrites the stored figures may still be running, and the page must not show the old weight
    next to the new one."""
    global_weight = objective_global_weight(objective)
    active = Q(children__status=ObjectiveStatus.ACTIVE)
    themes = {
        pk: (float(weight), status == ObjectiveStatus.ACTIVE, n, float(total or 0), float(top or 0))
        for pk, weight, status, n, total, top in Objective.objects.filter(parent__isnull=True)
        .annotate(
            n=Count("children", filter=active),
            total=Sum("children__local_weight", filter=active),
            top=Max("children__local_weight", filter=active),
        )
        .values_list("pk", "local_weight", "status", "n", "total", "top")
    }
    # the priority units (inputs.priority_units): the active objectives of active themes, and the active
    # themes without any; their weights share each theme's
    theme_total = sum(weight for weight, is_active, *_ in themes.values() if is_active)
    largest = unit_total = 0.0
    for weight, is_active, n, total, top in themes.values():
        if not is_active or theme_total <= 0:
            continue
        share = weight / theme_total
        unit_total += share
        largest = max(largest, share * top / total if n and total > 0 else share)
    is_unit = objective.status == ObjectiveStatus.ACTIVE and (
        (objective.parent_id is None and themes.get(objective.pk, (0, False, 0))[2] == 0)
        or (objective.parent_id in themes and themes[objective.parent_id][1])
    )
    return ObjectiveWeights(
        global_weight=global_weight,
        relative_weight=min(1.0, global_weight / largest) if largest > 0 else 0.0,
        is_unit=is_unit,
        weight_share=global_weight / unit_total if is_unit and unit_total > 0 else 0.0,
    )


SIGNALS_SHOWN = 10  # the objective page's signals, most severe first
CONTRIBUTORS_SHOWN = 20  # the initiatives serving an objective, the most spend attributed to it first


@cache
def _serving() -> QuerySet[Any]:
    """The contributions of strength weak or more with the spend each attributes to its objective, the
    initiative's fit, alignment and tier, and, over the rows an objective filters, their count and total
    spend. Built once: the expressions take longer to assemble than the query takes to run.

    An initiative's budget is attributed to the objectives it serves in proportion to the strength of each
    contribution, once it is funded (as the engine attributes spend)."""
    from alignment.engine.formulas import STRENGTH_VALUES

    value = Case(
        *[When(strength=key, then=Value(v)) for key, v in STRENGTH_VALUES.items()],
        default=Value(0.0),
        output_field=FloatField(),
    )
    initiative_total = Subquery(
        Contribution.objects.filter(initiative_id=OuterRef("initiative_id"))
        .order_by()
        .annotate(total=Func(value, function="SUM", output_field=FloatField()))
        .values("total"),
        output_field=FloatField(),
    )
    budget = Cast(F("initiative__budget_capex") + F("initiative__budget_opex"), FloatField())
    computed = Q(initiative__score__computed_at__isnull=False)
    return (
        Contribution.objects.exclude(strength=Strength.NONE)
        .select_related("initiative")
        .only(
            "strength",
            "initiative__code",
            "initiative__title",
            "initiative__stage",
            "initiative__budget_capex",
            "initiative__budget_opex",
        )
        .annotate(
            spend=Case(
                When(
                    initiative__stage__in=FUNDED,
                    then=Coalesce(budget * value / NullIf(initiative_total, Value(0.0)), Value(0.0)),
                ),
                default=Value(0.0),
                output_field=FloatField(),
            ),
            fit=Case(When(computed, then=F("initiative__score__fit")), output_field=FloatField()),
            alignment=Case(When(computed, then=F("initiative__score__alignment")), output_field=FloatField()),
            tier=Case(When(computed, then=F("initiative__score__tier")), output_field=IntegerField()),
            score_confidence=F("initiative__score__confidence"),
            score_unsure=F("initiative__score__unsure"),
            count=Window(Count("pk")),
            attributed=Window(Sum("spend")),
        )
        .order_by(F("spend").desc(), Coalesce("fit", Value(0.0)).desc(), "initiative__code")
    )


def _contributors(objective: Objective) -> tuple[list[Contributor], int, float]:
    """The initiatives serving an objective with the largest spend attributed to it (CONTRIBUTORS_SHOWN),
    how many there are and the spend attributed through all of them, in one query."""
    rows = list(_serving().filter(objective=objective)[:CONTRIBUTORS_SHOWN])
    contributors = [
        Contributor(
            c.initiative,
            c.strength,
            c.fit,
            c.alignment,
            c.tier,
            float(c.initiative.budget_total),
            c.spend,
            confidence.score_words(
                c.score_confidence or "",
                c.initiative.stage,
                c.score_unsure if isinstance(c.score_unsure, dict) else {},
            )
            if c.alignment is not None
            else "",
            c.score_confidence or "",
        )
        for c in rows
    ]
    return contributors, (rows[0].count if rows else 0), (rows[0].attributed if rows else 0.0)


def objective_scorecard(objective: Objective) -> dict[str, Any]:
    """Weight, spend and coverage of an objective, the initiatives serving it with their fit and the spend
    attributed to it, and the signals about it (a fixed number of queries, the lists bounded: the most spend
    and the most severe signals first, saying how many more there are). Its KPIs' chart comes with a request
    of its own (objective_kpi_chart), so that the page is quick to show.

    The weights are live (objective_weights); spend and coverage are the engine's stored figures, flagged as
    being recomputed while they were computed under other weights."""
    facts = ObjectiveScore.objects.filter(objective=objective).first()
    weights = objective_weights(objective)
    signals = list(
        Signal.objects.filter(objective=objective)
        .annotate(count=Window(Count("pk")))
        .order_by(severity_order(), "rule", "key")[:SIGNALS_SHOWN]
    )
    contributors, contributor_count, attributed = _contributors(objective)
    return {
        "facts": facts,
        "weights": weights,
        # the stored r_o is rounded to 6 decimals: a smaller difference is that rounding, not a new weight
        "facts_behind": facts is not None and abs(facts.relative_weight - weights.relative_weight) > 1e-6,
        "signals": signals,
        "more_signals": (signals[0].count - len(signals)) if signals else 0,
        "contributors": contributors,
        "initiative_url": url_pattern("portfolio:initiative-detail"),
        "more_contributors": contributor_count - len(contributors),
        "contributor_count": contributor_count,
        "attributed_spend": attributed or 0.0,
    }


def objective_kpi_chart(objective: Objective) -> dict[str, Any] | None:
    """The trends of the KPIs of an objective and of the objectives below it (the first KPI_PANELS by code and
    name), as small multiples; None when there is no KPI."""
    from alignment import dashboard

    # the objective and what is below it, by code (the tree is at most three levels deep)
    below = Q(pk=objective.pk)
    for depth in range(1, MAX_OBJECTIVE_DEPTH):
        below |= Q(**{"parent__" * (depth - 1) + "parent_id": objective.pk})
    codes = dict(Objective.objects.filter(below).values_list("pk", "code"))
    kpi_rows = list(
        KPI.objects.filter(objective_id__in=list(codes))
        .order_by("objective__code", "name")
        .values_list(*dashboard.KPI_FIELDS)[: dashboard.KPI_PANELS]
    )
    return _kpi_chart(
        kpi_rows,
        codes,
        timezone.localdate(),
        columns=min(3, max(1, len(kpi_rows))),
        csv_url=reverse("alignment:objective-kpis-csv", args=[objective.pk]),
        title=f"KPIs of {objective.code}: readings, expected progress, target and forecast",
    )


def kpi_scorecard(kpi: KPI) -> dict[str, Any]:
    """A KPI's status and forecast, its chart, and the signals it raises on initiatives."""
    from alignment import dashboard, services

    score = KPIScore.objects.filter(kpi=kpi).first()
    rows = list(KPI.objects.filter(pk=kpi.pk).values_list(*dashboard.KPI_FIELDS))
    today = timezone.localdate()
    return {
        "kpi_score": score,
        "status_label": KPI_STATUS_LABELS.get(score.status, "") if score else "",
        "confidence_words": score.confidence_words(
            unit=kpi.unit, today=today, fresh_days=services.current_policy().kpi.fresh_days
        )
        if score
        else "",
        "signals": list(
            Signal.objects.filter(kpi=kpi)
            .select_related("initiative")
            .order_by(severity_order(), "rule", "key")
        ),
        "kpi_chart": _kpi_chart(
            rows,
            {kpi.objective_id: kpi.objective.code},
            today,
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
    outcome_benefits: dict[str, Any]  # the benefits realised after go-live, when they feed the outcome
    delivery: dict[str, Any]
    governance: dict[str, Any]
    tier: dict[str, Any]
    composite: dict[str, Any]
    missing: dict[str, str]


def _outcome_benefits(outcome: dict[str, Any]) -> dict[str, Any]:
    """The benefits' term of the outcome, as the "why" view shows it: realised of expected to date, the
    evidence min(1, R / E), its share and its points; empty when benefits do not feed the outcome."""
    found = outcome.get("benefits")
    if not found:
        return {}
    share = outcome["benefit_share"]
    return {
        **found,
        "share": share,
        "points": 100 * share * found["evidence"],
        "kpi_value": outcome.get("kpi_value"),
    }


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
    outcome_parts = data.get("outcome", {})
    outcome = outcome_parts.get("kpis", [])
    kpis = KPI.objects.select_related("score").in_bulk([t["kpi"] for t in outcome])
    total_weight = sum(t["weight"] for t in outcome) or 1.0
    # with realised benefits the KPIs weigh (1 - the benefits' share) of the outcome
    kpi_share = 1.0 - outcome_parts.get("benefit_share", 0.0)
    outcome_terms = [
        {
            **t,
            "kpi_obj": kpis.get(t["kpi"]),
            "share": kpi_share * t["weight"] / total_weight,
            "points": 100 * kpi_share * t["weight"] * t["evidence"] / total_weight,
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
        outcome_benefits=_outcome_benefits(outcome_parts),
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
    return score_history_points_of({initiative_id: as_of})[initiative_id]


def score_history_points_of(as_of: Mapping[int, datetime.date]) -> dict[int, list[dict[str, Any]]]:
    """score_history_points of several initiatives, each up to its own day (initiative id -> day), in two
    queries whatever their number."""
    if not as_of:
        return {}
    last = max(as_of.values())
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for initiative_id, date, *scores in (
        ScoreHistory.objects.filter(initiative_id__in=list(as_of), date__lte=last)
        .order_by("initiative_id", "date")
        .values_list("initiative_id", "date", "until", "alignment", "fit", "delivery", "outcome")
    ):
        if date <= as_of[initiative_id]:
            rows[initiative_id].append((date, *scores))
    first = min((found[0][0] for found in rows.values()), default=last)
    days = list(HistoryDay.objects.filter(date__gte=first, date__lte=last).values_list("date", flat=True))
    return {
        initiative_id: _points(rows.get(initiative_id, []), days, day) for initiative_id, day in as_of.items()
    }


def _points(
    rows: list[tuple[Any, ...]], days: list[datetime.date], as_of: datetime.date
) -> list[dict[str, Any]]:
    """On each recorded day from the first row's to `as_of`, the scores of the latest row on or before it."""
    if not rows:
        return []
    points = []
    at = 0
    for day in days:
        if day < rows[0][0] or day > as_of:
            continue
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
    return doc_html("scoring.md")


def doc_html(name: str) -> str:
    """One of the project's reference pages (docs/<name>) as HTML."""
    import markdown  # type: ignore[import-untyped]  # types-Markdown is not in the lock

    path = Path(settings.BASE_DIR) / "docs" / name
    text = path.read_text(encoding="utf-8") if path.exists() else "# Reference\n\nThe reference is missing."
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


def computed_dashboard_stamp() -> str:
    """What a dashboard computed for filters (not stored) is drawn from, as one text that changes whenever
    that may change (one query, each part read from an index): when a change last marked the portfolio or an
    initiative stale, when a score or a KPI's status was last computed, and when the portfolio's indices were. A
    change marks before it commits, and its recompute writes after, so both moments start a new stamp."""
    tables = {
        "mark": PortfolioMark._meta.db_table,
        "score": InitiativeScore._meta.db_table,
        "kpi": KPIScore._meta.db_table,
        "index": PortfolioIndex._meta.db_table,
    }
    quote = connection.ops.quote_name
    sql = (
        f"SELECT (SELECT MAX(stale_since) FROM {quote(tables['mark'])}), "
        f"(SELECT MAX(stale_since) FROM {quote(tables['score'])}), "
        f"(SELECT MAX(computed_at) FROM {quote(tables['score'])}), "
        f"(SELECT MAX(computed_at) FROM {quote(tables['kpi'])}), "
        # the portfolio's latest indices, from the (date, scope) key: a full recompute writes them with every
        # program's, and a year of them is 365 rows a scope
        f"(SELECT computed_at FROM {quote(tables['index'])} WHERE scope = %s ORDER BY date DESC LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ALL_SCOPE])
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


def dashboard_view(
    filters: Any, *, today: datetime.date, with_payload: bool = False, stamp: str | None = None
) -> DashboardView:
    """The dashboard for the filters: the stored one when the filters match a stored scope (its rendered
    HTML, or its payload for a CSV download; two queries); for other filters without a program, added up from
    the filter cube when it was drawn from the scores as they are now (`stamp`: computed_dashboard_stamp(),
    read when not given); otherwise computed from the stored scores."""
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
    policy = services.current_policy()
    cube = (
        cube_cells(filters, today=today, stamp=stamp)
        if filters.scope is None and not filters.program
        else None
    )
    if cube is not None:
        data = dashboard.filtered_from_cube(filters, cube, today=today, policy=policy)
    else:
        data = dashboard.dashboard_data(filters, today=today, policy=policy)
    payload = dashboard.build_payload(data, symbol=currency_symbol(), as_of=latest)
    return DashboardView(payload, False, latest, False)


@dataclass(frozen=True)
class CubeCells:
    """What a filtered dashboard adds up from the filter cube: the days of score history its cells sum, the
    cells the filters select (category, sums as JSON), and under a category filter the funded budget per
    category of the other filters (the mix chart shows the others)."""

    days: list[datetime.date]
    cells: list[tuple[str, str]]
    context_mix: dict[str, float] | None


def cube_cells(filters: Any, *, today: datetime.date, stamp: str | None = None) -> CubeCells | None:
    """The filter cube's cells for filters without a program (CubeCells; two queries, three under a category
    filter). None when the cube was not drawn from the scores as they are now (`stamp`,
    computed_dashboard_stamp(), read when not given), or not today: the dashboard is then computed from the
    scores."""
    from alignment import dashboard

    if stamp is None:
        stamp = computed_dashboard_stamp()
    header = DashboardCube.objects.filter(key=DashboardCube.KEY).values_list("stamp", "day", "days").first()
    if header is None or header[:2] != (stamp, today):
        return None
    cells = (
        DashboardCell.objects.filter(theme=filters.theme)
        if filters.theme
        else DashboardCell.objects.filter(theme__isnull=True)
    )
    if filters.tier:
        cells = cells.filter(tier=filters.tier)
    if filters.stage:
        group = dashboard.STAGE_GROUPS.get(filters.stage)
        cells = cells.filter(stage__in=group[1]) if group else cells.filter(stage=filters.stage)
    context = None
    if filters.category:
        # as dashboard.category_budgets: the categories of the funded initiatives, with their budget
        context = {
            category: total or 0.0
            for category, total in cells.filter(stage__in=FUNDED)
            .order_by()
            .values("category")
            .annotate(total=Sum("funded"))
            .values_list("category", "total")
        }
        cells = cells.filter(category=filters.category)
    return CubeCells(
        [datetime.date.fromisoformat(day) for day in header[2]],
        list(cells.order_by("pk").values_list("category", "sums")),
        context,
    )


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


def signal_rows(
    *, rule: str = "", severity: str = "", owner: Any = None, program: Any = None
) -> QuerySet[Signal]:
    """The active signals these filters select (the signal list's page and its export), unordered."""
    rows = Signal.objects.select_related("initiative", "objective", "owner", "program")
    if rule:
        rows = rows.filter(rule=rule)
    if severity:
        rows = rows.filter(severity_rank=Severity.rank(severity))  # in the index, as the severity is not
    if owner:
        rows = rows.filter(owner=owner)
    if program:
        rows = rows.filter(program=program)
    return rows


def signal_order(rows: QuerySet[Signal]) -> QuerySet[Signal]:
    """The signal list's order: most severe first, by rule, the newest first: the order of the index
    (signal_listed) a page of a hundred thousand signals is read from."""
    return rows.order_by("severity_rank", "rule", "-first_seen", "key")


CAPACITY_MONTHS = 12


def capacity_panel(today: datetime.date) -> dict[str, Any] | None:
    """The dashboard's capacity panel (issue 13): every team's capacity and demand over the next twelve months
    as a chart, and its tiles: utilisation, over-allocated team-months, share left for change against the
    policy's target. None without teams. A fixed number of queries (capacity.selectors.heat_map's)."""
    teams = list(Team.objects.values_list("pk", "name"))
    if not teams:
        return None
    policy = capacity_services.current_policy()
    months = capacity_selectors.window(today, CAPACITY_MONTHS)
    grid = capacity_selectors.heat_map(teams, months, policy=policy, all_teams=True)
    sums = {m: [0.0, 0.0, 0.0, 0.0] for m in months}
    for row in grid.rows:
        for cell in row.cells:
            total = sums[cell.month]
            total[0] += cell.capacity
            total[1] += cell.run
            total[2] += cell.committed
            total[3] += cell.proposed
    over: dict[str, int] = {}
    for _row, cell in grid.over:
        over[short(cell.month)] = over.get(short(cell.month), 0) + 1
    data = {"months": [(short(m), *sums[m]) for m in months], "over": over}
    chart = chart_builders.capacity_load(data)
    return {
        "grid": grid,
        "policy": policy,
        "utilisation": grid.overall_utilisation,
        "over": len(grid.over),
        "teams_over": len({row.team_id for row, _cell in grid.over}),
        "chart": chart_dict(chart, csv_url=reverse("alignment:dashboard-capacity-csv")),
        "table": chart.table,
        "start": short(months[0]),
    }
