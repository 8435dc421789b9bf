"""The executive dashboard's data: tiles and chart data for the portfolio, a program, or any filter.

Everything is read from the stored scores in a fixed number of queries and aggregated with the engine's own
functions, so the numbers on the dashboard are the engine's numbers. The unfiltered dashboard and each
program's are rendered after every recompute and stored (StoredDashboard), with the filter cube (Sums by stage,
category and tier, for all initiatives and for each theme's: DashboardCell); other filter combinations are added
up from the cube while it is current, or computed here from the scores on request.
"""

from __future__ import annotations

import datetime
import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.urls import reverse

from alignment import charts as chart_builders
from alignment.engine import confidence
from alignment.engine import formulas as f
from alignment.engine.compute import attribute_spend, parse_links, priority_units
from alignment.engine.inputs import ObjectiveRow, load_objectives, relative
from alignment.engine.policy import Policy
from alignment.models import ALL_SCOPE, HistoryDay, PortfolioIndex, ScoreHistory, Signal, program_scope
from core.chart_parts import TABLE_PREVIEW, chart_dict
from core.links import url_pattern
from core.stages import ACTIVE, FUNDED, STAGE_GROUPS, Stage
from portfolio.models import KPI, Category, Contribution, Initiative, InterimTarget, Reading
from portfolio.selectors import global_weights
from surveys import charts as survey_charts
from surveys import selectors as survey_selectors

HEATMAP_INITIATIVES = 25
# an initiative's budget, summed and converted in the database (thousands of Decimals are slow to build)
BUDGET = Cast(F("budget_capex") + F("budget_opex"), FloatField())
INVESTMENT_OBJECTIVES = 30  # bars of the investment chart; the other priority objectives share one bar
BUBBLE_INITIATIVES = 400  # the value-against-risk chart shows at most this many, the largest by budget
KPI_PANELS = 12
MONTH = datetime.timedelta(days=30)


@dataclass(frozen=True)
class DashboardFilters:
    program: int | None = None
    theme: int | None = None
    tier: int | None = None
    stage: str = ""
    category: str = ""

    @property
    def scope(self) -> str | None:
        """The stored scope these filters match exactly (the portfolio, or one program), else None."""
        if self.theme or self.tier or self.stage or self.category:
            return None
        return program_scope(self.program) if self.program else ALL_SCOPE

    def query(self, **overrides: Any) -> str:
        """The filters as a query string, e.g. for links that keep them."""
        values = {
            "program": self.program,
            "theme": self.theme,
            "tier": self.tier,
            "stage": self.stage,
            "category": self.category,
            **overrides,
        }
        return "&".join(f"{k}={v}" for k, v in values.items() if v not in (None, ""))


def filtered_initiatives(
    filters: DashboardFilters, objectives: Mapping[int, ObjectiveRow] | None = None
) -> QuerySet[Initiative]:
    """The initiatives the filters choose (the tree of objectives, when given, saves a query for a theme)."""
    rows = Initiative.objects.all()
    if filters.program:
        rows = rows.filter(program_id=filters.program)
    if filters.stage:
        group = STAGE_GROUPS.get(filters.stage)
        rows = rows.filter(stage__in=group[1]) if group else rows.filter(stage=filters.stage)
    if filters.category:
        rows = rows.filter(category=filters.category)
    if filters.tier:
        rows = rows.filter(score__tier=filters.tier)
    if filters.theme:
        theme_ids = theme_subtree(filters.theme, objectives)
        rows = rows.filter(
            Exists(
                Contribution.objects.filter(initiative=OuterRef("pk"), objective_id__in=theme_ids).exclude(
                    strength="none"
                )
            )
        )
    return rows


def theme_subtree(theme_id: int, objectives: Mapping[int, ObjectiveRow] | None = None) -> list[int]:
    """The theme and every objective under it (one query unless the tree is given: it is small)."""
    tree = load_objectives() if objectives is None else objectives
    ids, frontier = {theme_id}, {theme_id}
    while frontier:
        frontier = {o.id for o in tree.values() if o.parent_id in frontier}
        ids |= frontier
    return sorted(ids)


DISPLAY_STEP = {"money": 500.0, "share": 0.0005, "count": 0.5, "score": 0.05}  # half of what is displayed


@dataclass
class Tile:
    key: str
    label: str
    value: float | None
    previous: float | None
    kind: str  # "money", "score", "share", "count"
    href: str
    help: str
    better: str = "up"  # which direction is good: "up", "down"
    confidence: str = ""  # how sure the value is, in words (engine.confidence), shown under it

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        delta = self.delta
        if delta is None or abs(delta) < DISPLAY_STEP.get(self.kind, 1e-9):
            return "flat"
        return "up" if delta > 0 else "down"

    @property
    def good(self) -> bool | None:
        if self.trend == "flat" or self.delta is None:
            return None
        return (self.trend == "up") == (self.better == "up")


@dataclass
class DashboardData:
    filters: DashboardFilters
    today: datetime.date
    tiles: list[Tile]
    charts: dict[str, Any] = field(default_factory=dict)  # chart key -> the data its figure and table use
    # a program's leadership alignment survey: its closed rounds (oldest first) and the signal's thresholds
    survey: dict[str, Any] | None = None


@dataclass
class Row:
    id: int
    code: str
    title: str
    stage: str
    category: str
    budget: float
    program_id: int | None
    fit: float | None
    alignment: float | None
    exposure: int | None
    tier: int | None
    contributions: list[tuple[int, str]] = field(default_factory=list)
    confidence: str = ""  # the score's (engine.confidence)
    # the roll-ups the recompute wrote on the score row: red signals, milestones due and delivered on time as
    # of the day it ran, active risks by cell of the matrix ("23 34")
    red: int = 0
    due: int = 0
    on_time: int = 0
    cells: str = ""


@dataclass
class Sums:
    """What a dashboard adds up over its initiatives. Every part is a sum, so the sums of two sets of initiatives
    with none in common add up to the sums of both: a filtered dashboard adds up the cells of the filter cube
    (DashboardCell) instead of reading every initiative it counts."""

    funded: float = 0.0  # budget of the funded initiatives
    scored: float = 0.0  # ... of those with an alignment score
    aligned: float = 0.0  # budget x alignment score over those
    low: float = 0.0  # scored budget whose score is of low confidence (engine.confidence)
    mix: dict[str, float] = field(default_factory=dict)  # funded budget per category
    spend: dict[int, float] = field(default_factory=dict)  # funded budget attributed per priority objective
    unaligned: float = 0.0  # ... to none (a theme's cell: to none of the theme's)
    bubbles: int = (
        0  # funded initiatives with a fit score: the points the value-against-risk chart could show
    )
    due: int = 0  # milestones of funded initiatives whose baseline date has passed
    on_time: int = 0  # ... delivered by it
    red: int = 0  # red signals on initiatives
    risks: Counter[str] = field(default_factory=Counter)  # active risks per cell "<probability><impact>"
    in_view: set[int] = field(default_factory=set)  # objectives contributed to (the KPIs chosen from them)
    # per day of score history (the cube's days): budget x alignment, budget, and initiatives with a row in
    # force, as _live_history() sums them
    history: list[list[float]] = field(default_factory=list)
    # a cube cell's largest initiatives by budget, (-budget, code, id), first the largest: the funded ones with
    # a fit score (BUBBLE_INITIATIVES of them at most) and the open ones (HEATMAP_INITIATIVES): the largest of
    # several cells are among their largest
    top: list[tuple[float, str, int]] = field(default_factory=list)
    top_open: list[tuple[float, str, int]] = field(default_factory=list)

    def add(
        self, r: Row, routes: dict[int, list[tuple[int, float]]], *, within: frozenset[int] | None = None
    ) -> None:
        """Count one initiative. `within`: only these priority objectives (a theme's) are given spend, the rest
        of its budget counts as unaligned, and only these objectives are in view."""
        funded = r.stage in FUNDED
        if funded:
            self.funded += r.budget
            self.mix[r.category] = self.mix.get(r.category, 0.0) + r.budget
            if r.alignment is not None:
                self.scored += r.budget
                self.aligned += r.budget * r.alignment
                if r.confidence == confidence.LOW:
                    self.low += r.budget
            if r.fit is not None:
                self.bubbles += 1
            mine, rest = spread_one(r, routes)
            for unit, amount in mine.items():
                if within is None or unit in within:
                    self.spend[unit] = self.spend.get(unit, 0.0) + amount
                else:
                    rest += amount
            self.unaligned += rest
            if r.due:
                self.due += r.due
                self.on_time += r.on_time
        self.red += r.red
        if r.cells:
            self.risks.update(r.cells.split())
        for objective_id, strength in r.contributions:
            if strength != "none" and (within is None or objective_id in within):
                self.in_view.add(objective_id)

    def merge(self, other: Sums) -> None:
        self.funded += other.funded
        self.scored += other.scored
        self.aligned += other.aligned
        self.low += other.low
        for category, amount in other.mix.items():
            self.mix[category] = self.mix.get(category, 0.0) + amount
        for unit, amount in other.spend.items():
            self.spend[unit] = self.spend.get(unit, 0.0) + amount
        self.unaligned += other.unaligned
        self.bubbles += other.bubbles
        self.due += other.due
        self.on_time += other.on_time
        self.red += other.red
        self.risks.update(other.risks)
        self.in_view |= other.in_view
        self.add_history(other.history)
        self.top += other.top
        self.top_open += other.top_open

    def add_history(self, history: Sequence[Sequence[float]]) -> None:
        if not self.history:
            self.history = [[0.0, 0.0, 0] for _ in history]
        for mine, theirs in zip(self.history, history, strict=True):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
            mine[2] += theirs[2]

    def to_json(self) -> str:
        return json.dumps(
            {
                **{name: getattr(self, name) for name in SUMMED_FIELDS},
                "mix": self.mix,
                "spend": self.spend,
                "risks": self.risks,
                "in_view": sorted(self.in_view),
                "history": self.history,
                "top": self.top,
                "top_open": self.top_open,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Sums:
        data = json.loads(text)
        return cls(
            **{name: data[name] for name in SUMMED_FIELDS},
            mix=data["mix"],
            spend={int(unit): amount for unit, amount in data["spend"].items()},
            risks=Counter(data["risks"]),
            in_view=set(data["in_view"]),
            history=data["history"],
            top=[tuple(entry) for entry in data["top"]],  # type: ignore[misc]  # JSON gives lists
            top_open=[tuple(entry) for entry in data["top_open"]],  # type: ignore[misc]
        )

    @property
    def risk_matrix(self) -> Counter[tuple[int, int]]:
        return Counter({(int(cell[0]), int(cell[1])): n for cell, n in self.risks.items()})


SUMMED_FIELDS = ("funded", "scored", "aligned", "low", "unaligned", "bubbles", "due", "on_time", "red")


@dataclass
class Summed:
    """A dashboard's sums, with the few initiatives it names: the largest funded ones with a fit score (the
    value-against-risk chart) and the largest open ones (the heatmap)."""

    sums: Sums
    bubbles: list[Row]
    heat: list[Row]


def summed_rows(rows: Iterable[Row], routes: dict[int, list[tuple[int, float]]]) -> Summed:
    """The sums of these initiatives and the ones the dashboard names, in one pass."""
    sums = Sums()
    scored: list[Row] = []
    active: list[Row] = []
    for r in rows:
        sums.add(r, routes)
        if r.stage in FUNDED and r.fit is not None:
            scored.append(r)
        if r.stage in ACTIVE:
            active.append(r)
    # beyond a few hundred bubbles the chart is an unreadable blot: it keeps the largest by budget and says so
    bubbles = heapq.nsmallest(BUBBLE_INITIATIVES, scored, key=largest)
    return Summed(sums, bubbles, heapq.nsmallest(HEATMAP_INITIATIVES, active, key=largest))


def largest(r: Row) -> tuple[float, str]:
    return (-r.budget, r.code)


@dataclass
class PortfolioSlice:
    """The stored facts a dashboard needs about a set of initiatives, loaded once and sliced in memory."""

    today: datetime.date
    objectives: dict[int, Any]
    weights: dict[int, float]
    relative: dict[int, float]
    units: dict[int, float]
    routes: dict[int, list[tuple[int, float]]]
    rows: dict[int, Row]
    objective_red: int  # red signals about objectives (counted on the whole portfolio only)
    indices: dict[str, list[PortfolioIndex]]  # scope -> rows by date
    kpis: list[tuple[Any, ...]]
    subset: QuerySet[Initiative]
    # under a category filter: the funded budget per category of the other filters, which the mix chart shows
    # (one category alone is always 100% of itself)
    context_mix: dict[str, float] | None = None
    # program -> its closed leadership survey rounds, latest first (surveys.selectors.program_agreements)
    surveys: dict[int, list[tuple[int, str, float, Any]]] = field(default_factory=dict)
    # the sums added up from the filter cube (filtered_from_cube), when the rows were not read
    summed: Summed | None = None
    history: History | None = None  # the cube's, when its days are the recorded ones
    programs: dict[int | None, dict[int, Row]] | None = field(default=None, repr=False)

    def restrict(self, program_id: int) -> PortfolioSlice:
        """The slice of one program (its rows grouped once for all programs: not a pass over every row each)."""
        if self.programs is None:
            self.programs = defaultdict(dict)
            for pk, r in self.rows.items():
                self.programs[r.program_id][pk] = r
        rows = self.programs.get(program_id, {})
        return PortfolioSlice(
            **{**self.__dict__, "rows": rows, "objective_red": 0, "programs": None, "summed": None}
        )


@dataclass(frozen=True)
class Strategy:
    """The tree of objectives with what every dashboard measures against it: global and relative weights, the
    priority objectives and where each objective's spend goes."""

    objectives: dict[int, ObjectiveRow]
    weights: dict[int, float]
    units: dict[int, float]
    routes: dict[int, list[tuple[int, float]]]
    relative: dict[int, float]


_STRATEGY: list[tuple[tuple[ObjectiveRow, ...], Strategy]] = []  # the last one worked out, with its tree


def load_strategy() -> Strategy:
    """The strategy as stored now (one query). Working out its weights and routes takes longer than reading
    the tree: a process keeps the last one and reuses it while the tree read is the same."""
    objectives = load_objectives()
    tree = tuple(objectives.values())
    if _STRATEGY and _STRATEGY[0][0] == tree:
        return _STRATEGY[0][1]
    weights = global_weights(tree)
    units, routes = priority_units(objectives, weights)
    strategy = Strategy(objectives, weights, units, routes, relative(weights, units))
    _STRATEGY[:] = [(tree, strategy)]
    return strategy


def load_slice(filters: DashboardFilters, *, today: datetime.date) -> PortfolioSlice:
    """Everything the dashboards of these filters need, in a fixed number of queries."""
    strategy = load_strategy()
    objectives, weights, units, routes = (
        strategy.objectives,
        strategy.weights,
        strategy.units,
        strategy.routes,
    )
    subset = filtered_initiatives(filters, objectives)
    rows: dict[int, Row] = {}
    for (
        pk,
        code,
        title,
        stage,
        category,
        budget,
        program,
        fit,
        alignment,
        exposure,
        tier,
        red,
        due,
        on_time,
        cells,
        links,
        score_confidence,
    ) in subset.annotate(budget=BUDGET).values_list(
        "pk",
        "code",
        "title",
        "stage",
        "category",
        "budget",
        "program_id",
        "score__fit",
        "score__alignment",
        "score__exposure",
        "score__tier",
        "score__red_signals",
        "score__milestones_due",
        "score__milestones_on_time",
        "score__risk_cells",
        "score__links",
        "score__confidence",
    ):
        rows[pk] = Row(
            pk,
            code,
            title,
            stage,
            category,
            budget or 0.0,
            program,
            fit,
            alignment,
            exposure,
            tier,
            parse_links(links) if links else [],
            score_confidence or "",
            red or 0,
            due or 0,
            on_time or 0,
            cells or "",
        )
    objective_red = (
        Signal.objects.filter(initiative__isnull=True, severity="red").count()
        if filters.scope == ALL_SCOPE
        else 0
    )
    indices: dict[str, list[PortfolioIndex]] = defaultdict(list)
    scopes = None if filters.scope == ALL_SCOPE else [filters.scope]
    index_rows = PortfolioIndex.objects.filter(date__lte=today).order_by("scope", "date")
    if scopes is not None:
        index_rows = index_rows.filter(scope__in=[s for s in scopes if s])
    for index in index_rows.defer("details"):
        indices[index.scope].append(index)
    kpis = list(KPI.objects.filter(objective__status="active").values_list(*KPI_FIELDS))
    context_mix = category_budgets(replace(filters, category=""), objectives) if filters.category else None
    # the program dashboards show their leadership survey; the portfolio's slice feeds every program's
    surveys = (
        survey_selectors.program_agreements([filters.program] if filters.program else None)
        if filters.program or filters.scope == ALL_SCOPE
        else {}
    )
    return PortfolioSlice(
        today,
        objectives,
        weights,
        strategy.relative,
        units,
        routes,
        rows,
        objective_red,
        dict(indices),
        kpis,
        subset,
        context_mix,
        surveys,
    )


def category_budgets(
    filters: DashboardFilters, objectives: Mapping[int, ObjectiveRow] | None = None
) -> dict[str, float]:
    """Funded budget per category of the initiatives in the filters (one query)."""
    rows = (
        filtered_initiatives(filters, objectives)
        .filter(stage__in=FUNDED)
        .order_by()
        .values("category")
        .annotate(total=Sum(BUDGET))
        .values_list("category", "total")
    )
    return {category: total or 0.0 for category, total in rows}


@dataclass
class SpendSpread:
    """Funded budgets spread over the priority objectives by contribution strength, in total and per
    initiative: a bar of the investment chart and the list behind it add up the same parts in the same order."""

    spend: dict[int, float] = field(default_factory=dict)  # priority objective -> attributed spend
    unaligned: float = 0.0  # attributed to no objective: no contribution, or to a retired one
    parts: dict[int, dict[int, float]] = field(default_factory=dict)  # initiative -> objective -> spend
    unaligned_parts: dict[int, float] = field(default_factory=dict)  # initiative -> spend on no objective


def spread_one(r: Row, routes: dict[int, list[tuple[int, float]]]) -> tuple[dict[int, float], float]:
    """One funded initiative's budget spread over priority objectives (the engine's attribute_spend): the
    spend each gets, and the part attributed to none."""
    mine: dict[int, float] = defaultdict(float)
    rest = attribute_spend(r.budget, r.contributions, routes, mine)
    return mine, rest


def spread_spend(funded: Iterable[Row], routes: dict[int, list[tuple[int, float]]]) -> SpendSpread:
    """Spread each funded initiative's budget over priority objectives, in total and per initiative, adding
    up the parts in the order Sums.add does."""
    spread = SpendSpread()
    totals: dict[int, float] = {}
    for r in funded:
        mine, rest = spread_one(r, routes)
        for unit, amount in mine.items():
            totals[unit] = totals.get(unit, 0.0) + amount
        spread.parts[r.id] = dict(mine)
        if rest:
            spread.unaligned += rest
            spread.unaligned_parts[r.id] = rest
    spread.spend = totals
    return spread


@dataclass(frozen=True)
class Comparison:
    """Spend against priority over the objectives compared: every priority objective, or under a theme filter
    the theme's own, with shares taken within the theme."""

    units: dict[int, float]  # priority objective -> global weight
    weighted: f.WeightedSpend
    top_n: int  # how many of the most important objectives the top share counts
    theme: ObjectiveRow | None = None
    outside: float = 0.0  # a theme's view: these initiatives' spend on other themes or on no objective

    @property
    def meaningful(self) -> bool:
        """Whether a top share and a misallocation say anything: there is spend, and a theme of a single
        priority objective has nothing to compare."""
        return self.weighted.total > 0 and (self.theme is None or len(self.units) > 1)


def compare_with_priorities(
    filters: DashboardFilters,
    objectives: Mapping[int, ObjectiveRow],
    units: dict[int, float],
    spend: dict[int, float],
    unaligned: float,
    top_objectives: int,
) -> Comparison:
    """The investment comparison for the filters. Under a theme filter it is made within the theme: its
    priority objectives' shares of the spend attributed to the theme against their shares of the theme's
    weight; measured against the whole strategy, the objectives outside the theme would show their full
    weight and no spend, and the theme's objectives would always hold the top shares."""
    if not filters.theme:
        weighted = f.misallocation(spend, unaligned, units, top_objectives)
        return Comparison(units, weighted, top_objectives)
    inside = set(theme_subtree(filters.theme, objectives))
    theme_units = {u: w for u, w in units.items() if u in inside}
    within = {u: a for u, a in spend.items() if u in theme_units}
    outside = sum(a for u, a in spend.items() if u not in theme_units) + unaligned
    top_n = min(top_objectives, max(1, len(theme_units) - 1))
    weighted = f.misallocation(within, 0.0, theme_units, top_n)
    return Comparison(theme_units, weighted, top_n, objectives.get(filters.theme), outside)


@dataclass(frozen=True)
class SpendLine:
    """One funded initiative's spend attributed to a priority objective (or to none)."""

    id: int
    code: str
    title: str
    stage: str
    category: str
    budget: float
    amount: float
    through: list[tuple[str, str]]  # the contributions counted here: (objective code, strength)

    @property
    def share(self) -> float:
        return self.amount / self.budget if self.budget else 0.0

    def get_stage_display(self) -> str:
        return str(Stage(self.stage).label)

    def get_category_display(self) -> str:
        return str(Category(self.category).label) if self.category in Category.values else self.category


@dataclass(frozen=True)
class SpendBehind:
    """The initiatives behind one bar of the investment chart, and the bar's own figures."""

    objective: ObjectiveRow | None  # None: the "No objective" bar
    lines: list[SpendLine]  # largest first
    total: float  # the bar's spend: the lines added up in the order the dashboard adds them
    compared: float  # the spend the bar's share is of
    theme: ObjectiveRow | None

    @property
    def share(self) -> float:
        return self.total / self.compared if self.compared else 0.0


def spend_behind(
    filters: DashboardFilters, unit_id: int | None, *, top_objectives: int
) -> SpendBehind | None:
    """The funded initiatives whose budget a bar of the investment chart attributes to a priority objective
    (unit_id) or to none (None), for the same filters; None when the dashboard has no such bar. Three queries."""
    objectives = load_objectives()
    weights = global_weights(objectives.values())
    units, routes = priority_units(objectives, weights)
    funded = [
        Row(
            pk,
            code,
            title,
            stage,
            category,
            budget or 0.0,
            None,
            None,
            None,
            None,
            None,
            parse_links(links) if links else [],
        )
        for pk, code, title, stage, category, budget, links in filtered_initiatives(filters, objectives)
        .filter(stage__in=FUNDED)
        .annotate(budget=BUDGET)
        .values_list("pk", "code", "title", "stage", "category", "budget", "score__links")
    ]
    spread = spread_spend(funded, routes)
    comparison = compare_with_priorities(
        filters, objectives, units, spread.spend, spread.unaligned, top_objectives
    )
    if unit_id is None:
        if comparison.theme is not None:
            return None  # a theme's view compares the theme's objectives only: it has no such bar
        amounts = spread.unaligned_parts
        total = spread.unaligned
    else:
        if unit_id not in comparison.units:
            return None
        amounts = {r.id: spread.parts[r.id][unit_id] for r in funded if unit_id in spread.parts[r.id]}
        total = comparison.weighted.spend.get(unit_id, 0.0)
    lines = []
    for r in funded:
        if r.id not in amounts:
            continue
        if unit_id is None:
            through = [
                (objectives[o].code if o in objectives else "?", s)
                for o, s in r.contributions
                if s != "none" and not routes.get(o)
            ]
        else:
            through = [
                (objectives[o].code, s)
                for o, s in r.contributions
                if s != "none" and any(u == unit_id for u, _ in routes.get(o, []))
            ]
        lines.append(SpendLine(r.id, r.code, r.title, r.stage, r.category, r.budget, amounts[r.id], through))
    lines.sort(key=lambda line: (-line.amount, line.code))
    return SpendBehind(
        objectives[unit_id] if unit_id is not None else None,
        lines,
        total,
        comparison.weighted.total,
        comparison.theme,
    )


def dashboard_data(filters: DashboardFilters, *, today: datetime.date, policy: Policy) -> DashboardData:
    """Tiles and chart data for the filters, from a slice loaded for them."""
    piece = load_slice(filters, today=today)
    return dashboards_from_slice(piece, [filters], policy=policy)[0]


def dashboards_from_slice(
    piece: PortfolioSlice, filters_list: list[DashboardFilters], *, policy: Policy
) -> list[DashboardData]:
    """The dashboards of several scopes of one slice (the portfolio and each program), with the KPI
    readings of all of them loaded together."""
    return list(iter_dashboards(piece, filters_list, policy=policy))


def iter_dashboards(
    piece: PortfolioSlice, filters_list: list[DashboardFilters], *, policy: Policy
) -> Iterator[DashboardData]:
    """dashboards_from_slice one at a time, so that a caller storing them holds one dashboard at a time."""
    parts = [
        (flt, piece.restrict(flt.program) if flt.program and flt.scope else piece) for flt in filters_list
    ]
    for _flt, part in parts:
        if part.summed is None:
            part.summed = summed_rows(part.rows.values(), part.routes)
    chosen = [_choose_kpis(flt, part) for flt, part in parts]
    series = load_kpi_series(
        {k[0]: k for kpis in chosen for k in kpis}.values(),
        {pk: o.code for pk, o in piece.objectives.items()},
        today=piece.today,
    )
    history = piece.history
    if history is None:
        history = (
            _live_history(piece.subset, piece.today) if any(flt.scope is None for flt in filters_list) else []
        )
    for (flt, part), kpis in zip(parts, chosen, strict=True):
        yield _dashboard(flt, part, [series[k[0]] for k in kpis], history, policy)


def index_confidence_words(sums: Sums) -> str:
    """How sure the alignment index of the funded initiatives is, in words: the share of their scored budget
    whose scores are of low confidence (engine.confidence)."""
    share = sums.low / sums.scored if sums.scored > 0 else None
    return confidence.index_words(confidence.index_confidence(share), share)


def _dashboard(
    filters: DashboardFilters,
    piece: PortfolioSlice,
    kpis: list[KPISeries],
    live_history: History,
    policy: Policy,
) -> DashboardData:
    today = piece.today
    summed = piece.summed
    assert summed is not None  # iter_dashboards sums every part first
    totals = summed.sums
    comparison = compare_with_priorities(
        filters, piece.objectives, piece.units, totals.spend, totals.unaligned, policy.top_objectives
    )
    weighted = comparison.weighted
    theme = comparison.theme
    alignment_index = totals.aligned / totals.scored if totals.scored > 0 else None
    predictability = totals.on_time / totals.due if totals.due else None
    funded_budget = totals.funded
    red = totals.red + piece.objective_red
    stored = piece.indices.get(filters.scope or "", [])
    if stored and stored[-1].date == today and stored[-1].alignment_index is not None:
        # the engine's index averages unrounded scores; the stored scores summed above are rounded
        alignment_index = stored[-1].alignment_index
    previous = next((i for i in reversed(stored) if i.date <= today - MONTH), None)
    if filters.scope is None:
        previous_alignment, previous_budget = _history_alignment(live_history, today - MONTH)
    else:
        previous_alignment = previous.alignment_index if previous else None
        previous_budget = previous.funded_budget if previous else None
    register = reverse("portfolio:initiative-list")
    tiles = [
        Tile(
            "budget",
            "Funded budget",
            funded_budget,
            previous_budget,
            "money",
            f"{register}?{filters_to_register(filters, stage='funded')}",
            "Budget of approved, in-delivery and live initiatives.",
        ),
        Tile(
            "alignment",
            "Alignment index",
            alignment_index,
            previous_alignment,
            "score",
            f"{register}?{filters_to_register(filters, stage='funded', sort='-alignment')}",
            "Budget-weighted mean alignment score of the funded initiatives (0-100).",
            confidence=index_confidence_words(totals),
        ),
        Tile(
            "top_share",
            _top_label(comparison),
            weighted.top_share if comparison.meaningful else None,
            previous.top_share if previous else None,
            "share",
            "#chart-investment",
            "Share of funded budget attributed to the most important priority objectives."
            if theme is None
            else f"Share of the spend attributed to {theme.code}'s priority objectives that goes to its "
            f"{_objectives(comparison.top_n, 'most important')}: measured within the theme only.",
        ),
        Tile(
            "misallocation",
            "Misallocation" if theme is None else f"Misallocation within {theme.code}",
            weighted.misallocation if comparison.meaningful else None,
            previous.misallocation if previous else None,
            "share",
            "#chart-investment",
            "½ Σ |spend share − weight share| over priority objectives (0 = spend follows strategy)."
            if theme is None
            else f"½ Σ |spend share − weight share| over {theme.code}'s priority objectives, shares taken "
            "within the theme (0 = its spend follows its weights).",
            better="down",
        ),
        Tile(
            "red_signals",
            "Open red signals",
            float(red),
            float(previous.red_signals) if previous else None,
            "count",
            f"{reverse('alignment:signal-list')}?severity=red"
            + (f"&program={filters.program}" if filters.program else ""),
            "Early warnings of red severity on these initiatives.",
            better="down",
        ),
        Tile(
            "predictability",
            "Predictability",
            predictability,
            previous.predictability if previous else None,
            "share",
            f"{reverse('portfolio:milestone-list')}?{filters_to_register(filters, stage='funded')}",
            "Milestones delivered by their baseline date, of those due.",
            confidence=confidence.sample_words(totals.due, "milestone due", "milestones due"),
        ),
    ]
    data = DashboardData(filters=filters, today=today, tiles=tiles)
    data.charts["investment"] = investment_data(comparison, piece.objectives)
    if filters.category and piece.context_mix is not None:
        data.charts["mix"] = {
            "budget": piece.context_mix,
            "target": policy.target_mix,
            "total": sum(piece.context_mix.values()),
            "highlight": filters.category,
            "context": "the other filters"
            if replace(filters, category="").query()
            else "the whole portfolio",
        }
    else:
        data.charts["mix"] = {"budget": dict(totals.mix), "target": policy.target_mix, "total": funded_budget}
    data.charts["bubble"] = {
        "points": [
            {
                "id": r.id,
                "code": r.code,
                "title": r.title,
                "fit": r.fit,
                "exposure": r.exposure or 0,
                "budget": r.budget,
                "tier": r.tier,
            }
            for r in summed.bubbles
        ],
        "total": totals.bubbles,
    }
    data.charts["heatmap"] = _heatmap(summed.heat, piece.objectives, piece.relative)
    data.charts["risks"] = {"counts": dict(totals.risk_matrix)}
    points = (
        [(d, a) for d, a, _ in live_history]
        if filters.scope is None
        else [(i.date, i.alignment_index) for i in stored]
    )
    data.charts["history"] = {"points": points}
    data.charts["kpis"] = {"kpis": kpis}
    if filters.program:
        signals = policy.signals
        data.survey = {
            "rounds": list(reversed(piece.surveys.get(filters.program, [])[: survey_selectors.TREND_ROUNDS])),
            "amber": signals.leadership_agreement_amber,
            "red": signals.leadership_agreement_red,
        }
    return data


def investment_data(comparison: Comparison, objectives: Mapping[int, ObjectiveRow]) -> dict[str, Any]:
    """The investment chart's data: each compared priority objective's weight and spend shares.

    Beyond INVESTMENT_OBJECTIVES priority objectives the chart would be a wall of bars and every stored
    dashboard would grow with the strategy: it keeps the most important by weight and those with the most
    spend (INVESTMENT_OBJECTIVES in all, most important first) and sums the rest into one "other" row.
    """
    weighted = comparison.weighted
    unit_total = sum(comparison.units.values())
    theme = comparison.theme

    def shares(weight: float, spend: float) -> dict[str, float]:
        return {
            "weight_share": (weight / unit_total) if unit_total else 0.0,
            "spend_share": (spend / weighted.total) if weighted.total else 0.0,
            "spend": spend,
        }

    by_weight = sorted(comparison.units.items(), key=lambda item: (-item[1], objectives[item[0]].code))
    ranked = [pk for pk, _ in by_weight]
    keep = set(ranked[: INVESTMENT_OBJECTIVES // 2])
    spenders = sorted(
        (pk for pk in ranked if pk not in keep and weighted.spend.get(pk, 0.0) > 0),
        key=lambda pk: (-weighted.spend.get(pk, 0.0), objectives[pk].code),
    )
    keep.update(spenders[: INVESTMENT_OBJECTIVES - len(keep)])
    keep.update([pk for pk in ranked if pk not in keep][: INVESTMENT_OBJECTIVES - len(keep)])
    rest = [(pk, w) for pk, w in by_weight if pk not in keep]
    return {
        "units": [
            {
                "id": pk,
                "code": objectives[pk].code,
                "title": objectives[pk].title,
                **shares(w, weighted.spend.get(pk, 0.0)),
            }
            for pk, w in by_weight
            if pk in keep
        ],
        "other": {
            "count": len(rest),
            "url": reverse("portfolio:objective-list"),
            **shares(sum(w for _, w in rest), sum(weighted.spend.get(pk, 0.0) for pk, _ in rest)),
        }
        if rest
        else None,
        "unaligned": weighted.unaligned,
        "unaligned_share": (weighted.unaligned / weighted.total) if weighted.total else 0.0,
        "total": weighted.total,
        "theme": None if theme is None else {"code": theme.code, "title": theme.title},
        "outside": comparison.outside,
    }


def _objectives(n: int, adjective: str) -> str:
    return f"{adjective} objective" if n == 1 else f"{n} {adjective} objectives"


def _top_label(comparison: Comparison) -> str:
    if comparison.theme is None:
        return f"Spend on the top {comparison.top_n} objectives"
    return f"Spend on {comparison.theme.code}'s top " + (
        "objective" if comparison.top_n == 1 else f"{comparison.top_n} objectives"
    )


def _choose_kpis(filters: DashboardFilters, piece: PortfolioSlice) -> list[tuple[Any, ...]]:
    """The KPIs of the most important objectives in view (the slice's objectives when filtered)."""
    if filters.scope == ALL_SCOPE:
        in_view = set(piece.objectives)
    else:
        assert piece.summed is not None
        in_view = piece.summed.sums.in_view
        if filters.theme:
            in_view = in_view & set(theme_subtree(filters.theme, piece.objectives))
    kpis = [k for k in piece.kpis if k[3] in in_view]
    kpis.sort(key=lambda k: (-piece.weights.get(k[3], 0.0), piece.objectives[k[3]].code, k[1]))
    return kpis[:KPI_PANELS]


def filters_to_register(filters: DashboardFilters, **extra: Any) -> str:
    """The register's query string for the initiatives behind a tile or chart element."""
    values = {
        "program": filters.program,
        "stage": filters.stage or None,
        "category": filters.category,
        "tier": filters.tier,
        "objective": filters.theme,
    }
    values.update(extra)
    if filters.stage and extra.get("stage") in STAGE_GROUPS:
        values["stage"] = _stage_within(filters.stage, extra["stage"])
    return "&".join(f"{k}={v}" for k, v in values.items() if v not in (None, ""))


def _stage_within(chosen: str, group: str) -> str:
    """The register's stage value for the user's stage filter narrowed to a tile's stage group."""
    wanted = {str(s) for s in STAGE_GROUPS[group][1]}
    both = wanted & ({str(s) for s in STAGE_GROUPS[chosen][1]} if chosen in STAGE_GROUPS else {chosen})
    if both == wanted:
        return group
    if len(both) == 1:
        return both.pop()
    return chosen  # none of the group's stages is chosen: the tile is empty; the list shows what is chosen


History = list[tuple[datetime.date, float | None, float]]  # (date, budget-weighted alignment, total budget)


def history_days(today: datetime.date) -> list[datetime.date]:
    """The days of score history a computed (filtered) view shows: the last scored day of each of the last
    twelve months, the last one at least a month back (the tiles' change) and the latest. Summing every daily
    day of every initiative in the filter would grow by the portfolio's size each day."""
    return sorted(_history_days(today))


def _history_days(today: datetime.date) -> dict[datetime.date, bool]:
    """history_days(), each with whether the score history was recorded on it (one query)."""
    start = (today - datetime.timedelta(days=366)).replace(day=1)
    days = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE, date__gte=start, date__lte=today)
        .annotate(recorded=Exists(HistoryDay.objects.filter(date=OuterRef("date"))))
        .order_by("date")
        .values_list("date", "recorded")
    )
    last_of_month: dict[tuple[int, int], datetime.date] = {}
    month_back: datetime.date | None = None
    recorded: dict[datetime.date, bool] = {}
    for day, was_recorded in days:
        last_of_month[(day.year, day.month)] = day
        if day <= today - MONTH:
            month_back = day
        recorded[day] = was_recorded
    chosen = set(last_of_month.values())
    if month_back is not None:
        chosen.add(month_back)
    return {day: recorded[day] for day in chosen}


def in_force(day: datetime.date) -> Q:
    """The score history rows in force on a day: the latest row of each initiative on or before it."""
    return Q(date__lte=day) & (Q(until__isnull=True) | Q(until__gt=day))


def recorded_history_days(today: datetime.date) -> list[datetime.date]:
    """The history days (history_days()) on which the score history was recorded (one query)."""
    return sorted(day for day, recorded in _history_days(today).items() if recorded)


def _history_sums(days: Sequence[datetime.date]) -> tuple[QuerySet[ScoreHistory], dict[str, Any]]:
    """The score history rows that may be in force on the days, and the sums of each day: budget x alignment,
    budget, and rows in force."""
    sums: dict[str, Any] = {}
    for n, day in enumerate(days):
        sums[f"weighted{n}"] = Sum(F("budget") * F("alignment"), filter=in_force(day))
        sums[f"total{n}"] = Sum("budget", filter=in_force(day))
        sums[f"rows{n}"] = Count("pk", filter=in_force(day))
    rows = ScoreHistory.objects.filter(date__lte=days[-1]).filter(
        Q(until__isnull=True) | Q(until__gt=days[0])
    )
    return rows, sums


def _history_points(days: Sequence[datetime.date], sums: Sequence[Sequence[float]]) -> History:
    """(day, budget-weighted alignment, total budget) on each day some initiative had a row in force."""
    return [
        (day, (weighted / total) if total else None, total or 0.0)
        for day, (weighted, total, rows) in zip(days, sums, strict=True)
        if rows
    ]


def _live_history(subset: QuerySet[Initiative], today: datetime.date) -> History:
    """Budget-weighted alignment and total budget of these initiatives on each of the history days, summed in
    the database from the rows in force on each day (two queries, one row)."""
    days = recorded_history_days(today)
    if not days:
        return []
    rows, sums = _history_sums(days)
    row = rows.filter(initiative__in=subset).aggregate(**sums)
    return _history_points(
        days, [(row[f"weighted{n}"], row[f"total{n}"], row[f"rows{n}"]) for n in range(len(days))]
    )


def _history_by_initiative(days: Sequence[datetime.date]) -> Iterator[tuple[int, list[list[float]]]]:
    """Each initiative's score history on the days, as _live_history() sums it (one streamed query)."""
    rows, sums = _history_sums(days)
    for row in rows.order_by().values("initiative_id").annotate(**sums).iterator(chunk_size=5000):
        yield (
            row["initiative_id"],
            [
                [row[f"weighted{n}"] or 0.0, row[f"total{n}"] or 0.0, row[f"rows{n}"]]
                for n in range(len(days))
            ],
        )


def _history_alignment(points: History, on: datetime.date) -> tuple[float | None, float | None]:
    earlier = [(a, b) for d, a, b in points if d <= on]
    return earlier[-1] if earlier else (None, None)


def _heatmap(open_rows: list[Row], objectives: dict[int, Any], relative: dict[int, float]) -> dict[str, Any]:
    """The largest open initiatives against the objectives they (or any of them) contribute to."""
    used = sorted(
        {o for r in open_rows for o, s in r.contributions if s != "none" and o in objectives},
        key=lambda pk: (-relative.get(pk, 0.0), objectives[pk].code),
    )
    wanted = set(used)
    cells = {
        (objective_id, r.id): (
            relative.get(objective_id, 0.0) * f.STRENGTH_VALUES.get(strength, 0.0),
            strength,
        )
        for r in open_rows
        for objective_id, strength in r.contributions
        if objective_id in wanted
    }
    return {
        "objectives": [{"id": pk, "code": objectives[pk].code, "title": objectives[pk].title} for pk in used],
        "initiatives": [
            {"id": r.id, "code": r.code, "title": r.title, "budget": r.budget} for r in open_rows
        ],
        "cells": cells,
    }


@dataclass
class KPISeries:
    id: int
    name: str
    unit: str
    objective: str
    status: str
    baseline: tuple[datetime.date, float]
    target: tuple[datetime.date, float]
    interim: list[tuple[datetime.date, float]]
    readings: list[tuple[datetime.date, float]]
    forecast: tuple[datetime.date, float] | None
    confidence: str = ""  # how sure the status is (engine.confidence): high, medium, low, none


KPI_FIELDS = (
    "pk",
    "name",
    "unit",
    "objective_id",
    "baseline_date",
    "baseline_value",
    "target_date",
    "target_value",
    "score__status",
    "score__forecast_value",
    "score__confidence",
)


def load_kpi_series(
    kpis: Iterable[tuple[Any, ...]], objective_codes: dict[int, str], *, today: datetime.date
) -> dict[int, KPISeries]:
    """Chart series of KPIs given as KPI_FIELDS rows: their readings up to today and interim targets (two
    queries, whatever the number of KPIs)."""
    kpis = list(kpis)
    ids = [k[0] for k in kpis]
    readings: dict[int, list[tuple[datetime.date, float]]] = defaultdict(list)
    for kpi_id, d, v in (
        Reading.objects.filter(kpi_id__in=ids, date__lte=today)
        .order_by("date")
        .values_list("kpi_id", "date", "value")
    ):
        readings[kpi_id].append((d, float(v)))
    interim: dict[int, list[tuple[datetime.date, float]]] = defaultdict(list)
    for kpi_id, d, v in (
        InterimTarget.objects.filter(kpi_id__in=ids).order_by("date").values_list("kpi_id", "date", "value")
    ):
        interim[kpi_id].append((d, float(v)))
    series = {}
    for pk, name, unit, objective_id, bd, bv, td, tv, status, forecast, sure in kpis:
        series[pk] = KPISeries(
            id=pk,
            name=name,
            unit=unit,
            objective=objective_codes.get(objective_id, ""),
            status=status or f.NO_DATA,
            baseline=(bd, float(bv)),
            target=(td, float(tv)),
            interim=interim.get(pk, []),
            readings=readings.get(pk, []),
            forecast=(td, forecast) if forecast is not None else None,
            confidence=sure or confidence.NONE,
        )
    return series


# ------------------------------------------------------------------------------------------ filter cube

CubeKey = tuple[int | None, str, str, int]  # theme (None: all), stage, category, tier (0: not scored)
ROW_FIELDS = ("pk", "code", "title", "stage", "category", "budget", "program_id")
SCORE_FIELDS = ("score__fit", "score__alignment", "score__exposure", "score__tier")


def filter_cube(piece: PortfolioSlice, days: Sequence[datetime.date] = ()) -> dict[CubeKey, Sums]:
    """The sums of the whole portfolio's slice by stage, category and tier, and again by those for the
    initiatives serving each theme (as the theme filter selects them: a contribution other than "none" to the
    theme or an objective under it). A theme's cells give spend only to the theme's priority objectives,
    count the rest as unaligned, and keep only the theme's objectives in view: what a dashboard filtered by
    the theme compares. With `days` (recorded_history_days()), each cell sums its initiatives' score history
    on them too, read one initiative at a time in one streamed query."""
    objectives = piece.objectives
    roots: dict[int, int] = {}
    for pk in objectives:
        node = pk
        while objectives[node].parent_id is not None and objectives[node].parent_id in objectives:
            node = objectives[node].parent_id  # type: ignore[assignment]  # not None, as tested
        roots[pk] = node
    subtrees: dict[int, set[int]] = defaultdict(set)
    for pk, root in roots.items():
        subtrees[root].add(pk)
    within = {root: frozenset(members) for root, members in subtrees.items()}
    cells: dict[CubeKey, Sums] = defaultdict(Sums)
    keys: dict[int, list[Sums]] = {}  # initiative -> the cells it is counted in
    for r in piece.rows.values():
        tier = r.tier or 0
        everyone = cells[(None, r.stage, r.category, tier)]
        everyone.add(r, piece.routes)
        keys[r.id] = [everyone]
        for theme in {roots[o] for o, strength in r.contributions if strength != "none" and o in roots}:
            cell = cells[(theme, r.stage, r.category, tier)]
            cell.add(r, piece.routes, within=within[theme])
            keys[r.id].append(cell)
        rank = (-r.budget, r.code, r.id)
        for cell in keys[r.id]:
            if r.stage in FUNDED and r.fit is not None:
                cell.top.append(rank)
            if r.stage in ACTIVE:
                cell.top_open.append(rank)
    for cell in cells.values():
        cell.top = heapq.nsmallest(BUBBLE_INITIATIVES, cell.top)
        cell.top_open = heapq.nsmallest(HEATMAP_INITIATIVES, cell.top_open)
    if days:
        for cell in cells.values():
            cell.history = [[0.0, 0.0, 0] for _ in days]
        for pk, values in _history_by_initiative(days):
            for cell in keys.get(pk, ()):
                cell.add_history(values)
    return dict(cells)


def filtered_from_cube(
    filters: DashboardFilters, cube: Any, *, today: datetime.date, policy: Policy
) -> DashboardData:
    """The dashboard of filters without a program, added up from the filter cube's cells they select (`cube`:
    selectors.CubeCells). The history comes from the cells when their days are the ones recorded now (else it
    is summed for the filters from the score history); the initiatives it names (the largest funded and open
    ones) are the largest of the cells' largest, read by id."""
    strategy = load_strategy()
    sums = Sums()
    for _category, text in cube.cells:
        sums.merge(Sums.from_json(text))
    subset = filtered_initiatives(filters, strategy.objectives)
    # the largest of the cells' largest, read by id in that order
    chosen = [pk for _b, _c, pk in heapq.nsmallest(BUBBLE_INITIATIVES, sums.top)]
    chosen_open = [pk for _b, _c, pk in heapq.nsmallest(HEATMAP_INITIATIVES, sums.top_open)]
    bubbles = _rows_by_id(chosen)
    heat = _rows_by_id(chosen_open)
    recorded = recorded_history_days(today)
    history = (
        _history_points(recorded, sums.history)
        if cube.days == recorded and len(sums.history) == len(recorded)
        else None
    )
    piece = PortfolioSlice(
        today,
        strategy.objectives,
        strategy.weights,
        strategy.relative,
        strategy.units,
        strategy.routes,
        {},
        0,
        {},
        kpis_in_view(sums.in_view, strategy),
        subset,
        cube.context_mix,
        {},
        Summed(sums, bubbles, heat),
        history,
    )
    return dashboards_from_slice(piece, [filters], policy=policy)[0]


def _rows_by_id(ids: list[int]) -> list[Row]:
    """The initiatives of these ids with their scores and contributions, in the order given (one query)."""
    found = {
        pk: Row(
            pk,
            code,
            title,
            stage,
            category,
            budget or 0.0,
            program,
            fit,
            alignment,
            exposure,
            tier,
            parse_links(links) if links else [],
        )
        for pk, code, title, stage, category, budget, program, fit, alignment, exposure, tier, links in (
            Initiative.objects.annotate(budget=BUDGET)
            .filter(pk__in=ids)
            .values_list(*ROW_FIELDS, *SCORE_FIELDS, "score__links")
        )
    }
    return [found[pk] for pk in ids if pk in found]


def kpis_in_view(in_view: set[int], strategy: Strategy) -> list[tuple[Any, ...]]:
    """The active KPIs (KPI_FIELDS rows) of the most important objectives in view, enough of them for the
    KPI_PANELS a dashboard shows: how many the heaviest objectives have, counted for fifty objectives, then
    four times as many each time until there are enough (one query, rarely two), then their KPIs (one query)."""
    objectives = strategy.objectives
    ranked = sorted(
        (pk for pk in in_view if pk in objectives),
        key=lambda pk: (-strategy.weights.get(pk, 0.0), objectives[pk].code),
    )
    active = KPI.objects.filter(objective__status="active")
    chosen: list[int] = []
    found = start = 0
    step = 50
    while start < len(ranked) and found < KPI_PANELS:
        batch = ranked[start : start + step]
        counts = dict(
            active.filter(objective_id__in=batch)
            .order_by()
            .values("objective_id")
            .annotate(n=Count("pk"))
            .values_list("objective_id", "n")
        )
        for pk in batch:
            if found >= KPI_PANELS:
                break
            if counts.get(pk):
                chosen.append(pk)
                found += counts[pk]
        start, step = start + step, step * 4
    return list(active.filter(objective_id__in=chosen).values_list(*KPI_FIELDS)) if chosen else []


# ------------------------------------------------------------------------------------------ payload


def survey_panel(survey: dict[str, Any] | None) -> dict[str, Any] | None:
    """A program dashboard's leadership survey panel: the latest closed round's agreement index (0-100), how it
    moved since the round before, where it stands against the leadership_misaligned signal's thresholds, a
    link to its workshop, and the trend chart across rounds (with its table and CSV). None off a program's
    dashboard; without a closed round, only a link to the surveys."""
    if survey is None:
        return None
    rounds = survey["rounds"]
    if not rounds:
        return {"latest": None, "surveys_url": reverse("surveys:round-list")}
    amber, red = survey["amber"], survey["red"]
    pk, title, agreement, closed_at = rounds[-1]
    previous = rounds[-2][2] if len(rounds) > 1 else None
    band = "red" if agreement < red else "amber" if agreement < amber else "green"
    chart = survey_charts.agreement_trend(rounds, current=pk, thresholds=(amber, red))
    return {
        "latest": {
            "id": pk,
            "title": title,
            "agreement": f"{agreement:.0f}",
            "closed_on": survey_charts.day(closed_at),
            "workshop_url": reverse("surveys:workshop", args=[pk]),
            "band": band,
            "band_text": (
                f"below {red:.0f}: a red leadership signal"
                if band == "red"
                else f"below {amber:.0f}: an amber leadership signal"
                if band == "amber"
                else f"at or above {amber:.0f}: no leadership signal"
            ),
            "previous": None if previous is None else f"{previous:.0f}",
        },
        "rounds": len(rounds),
        "surveys_url": reverse("surveys:round-list"),
        "chart": chart_dict(chart, csv_url=reverse("surveys:trend-csv", args=[pk])),
    }


def format_value(kind: str, value: float | None, symbol: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return chart_builders.money(value, symbol)
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


def format_delta(tile: Tile, symbol: str) -> str:
    delta = tile.delta
    if delta is None:
        return "no history a month ago"
    if abs(delta) < DISPLAY_STEP.get(tile.kind, 1e-9):
        return "no change in a month"
    sign = "+" if delta > 0 else "−"
    if tile.kind == "money":
        amount = chart_builders.money(abs(delta), symbol)
    elif tile.kind == "share":
        amount = f"{100 * abs(delta):.1f} pts"
    elif tile.kind == "count":
        amount = f"{abs(delta):.0f}"
    else:
        amount = f"{abs(delta):.1f}"
    return f"{sign}{amount} in a month"


def build_payload(data: DashboardData, *, symbol: str, as_of: datetime.datetime | None) -> dict[str, Any]:
    """Tiles with their display strings and every chart's figure (as embeddable JSON) and table."""
    base = data.filters
    register = reverse("portfolio:initiative-list")
    initiative = url_pattern("portfolio:initiative-detail")
    kpi = url_pattern("portfolio:kpi-detail")
    risks = reverse("risk:risk-list")

    def unit_link(pk: int) -> str:
        # the list of the spend the bar adds up (the register would total whole budgets)
        url = (
            reverse("alignment:dashboard-spend", args=[pk])
            if pk
            else reverse("alignment:dashboard-spend-unaligned")
        )
        query = base.query()
        return f"{url}?{query}" if query else url

    built = [
        chart_builders.alignment_heatmap(
            data.charts["heatmap"], lambda pk: initiative.format(pk) + "#contributions"
        ),
        chart_builders.value_risk_bubbles(data.charts["bubble"], initiative.format, symbol),
        chart_builders.investment_vs_priority(data.charts["investment"], unit_link, symbol),
        chart_builders.category_mix(
            data.charts["mix"],
            lambda c: f"{register}?{filters_to_register(base, stage='funded', category=c)}",
            symbol,
        ),
        chart_builders.kpi_small_multiples(data.charts["kpis"], kpi.format),
        chart_builders.alignment_history(
            data.charts["history"], f"{register}?{filters_to_register(base, sort='-alignment')}"
        ),
        chart_builders.risk_heatmap(
            data.charts["risks"], lambda p, i: f"{risks}?status=active&probability={p}&impact={i}"
        ),
    ]
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "today": data.today.isoformat(),
        "survey": survey_panel(data.survey),
        "tiles": [
            {
                "key": t.key,
                "label": t.label,
                "value": format_value(t.kind, t.value, symbol),
                "previous": format_value(t.kind, t.previous, symbol),
                "delta": format_delta(t, symbol),
                "trend": t.trend,
                "good": t.good,
                "href": t.href,
                "help": t.help,
                "confidence": t.confidence,
            }
            for t in data.tiles
        ],
        "charts": [chart_dict(c, preview=TABLE_PREVIEW) for c in built],
    }
