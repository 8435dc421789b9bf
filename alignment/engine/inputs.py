"""Everything the engine reads, loaded for a whole portfolio (or a few initiatives) in a fixed number of
queries. Nothing here loops over rows with a query: each table is read once and grouped in memory."""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.db.models.functions import Coalesce, TruncDate

from alignment.engine.formulas import KPIDefinition
from alignment.engine.policy import Policy
from core.extensions import ReviewFact, registry
from core.stages import Stage
from portfolio import benefits, finance
from portfolio.benefit_selectors import derived_inputs
from portfolio.models import (
    KPI,
    ActualsSource,
    Artefact,
    BenefitPeriod,
    BenefitPlan,
    BusinessCaseLine,
    Contribution,
    Direction,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    Reading,
    ScopeChange,
)
from portfolio.selectors import global_weights
from risk import selectors as risk_selectors
from risk.models import ACTIVE_RISK_STATUSES, Risk


@dataclass(frozen=True)
class ObjectiveRow:
    id: int
    code: str
    title: str
    parent_id: int | None
    local_weight: float
    status: str
    owner_id: int | None

    @property
    def pk(self) -> int:  # global_weights() reads pk
        return self.id


class ContributionRow(NamedTuple):
    id: int
    objective_id: int
    strength: str
    kpi_id: int | None


class MilestoneRow(NamedTuple):
    id: int
    name: str
    baseline: datetime.date
    forecast: datetime.date | None
    actual: datetime.date | None


class RiskRow(NamedTuple):
    id: int
    title: str
    probability: int
    impact: int
    has_mitigation: bool

    @property
    def exposure(self) -> int:
        return self.probability * self.impact


class ScopeRow(NamedTuple):
    id: int
    date: datetime.date
    has_rationale: bool
    status: str


@dataclass
class InitiativeRow:
    id: int
    code: str
    title: str
    stage: str
    category: str
    budget: float
    actual_cost: float
    forecast_cost: float | None
    planned_start: datetime.date | None
    planned_end: datetime.date | None
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    go_live_date: datetime.date | None
    criticality: int
    clarity: int | None
    sponsor_id: int | None
    manager_id: int | None
    program_id: int | None
    sustainment_owner_id: int | None
    contributions: list[ContributionRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    reviews: list[ReviewFact] = field(default_factory=list)  # newest first
    risks: list[RiskRow] = field(default_factory=list)  # active only
    artefacts: set[str] = field(default_factory=set)
    scope_changes: list[ScopeRow] = field(default_factory=list)
    # the day it entered its current stage (before its first review, checkpoints count from it)
    entered_stage: datetime.date | None = None


@dataclass(frozen=True)
class BenefitPlanRow:
    """A benefit plan of a live or closed initiative, as of the engine's day: its line, whether it is in money,
    its realisation figures (portfolio.benefits.realisation over its quarters, actuals entered or derived) and
    how many quarters to date have an actual."""

    line_id: int
    label: str
    financial: bool
    realisation: benefits.Realisation
    actuals_to_date: int


@dataclass(frozen=True)
class SponsorRecord:
    """What a sponsor's initiatives past go-live realised of what their money benefit plans promised to date,
    over the initiatives that promised something by now."""

    realised: Decimal
    promised: Decimal
    initiatives: int

    @property
    def rate(self) -> float | None:
        return float(self.realised / self.promised) if self.promised else None


@dataclass
class BenefitInputs:
    """What the benefit signals read: the plans of live and closed initiatives, the benefit lines of live
    initiatives without any plan, and each sponsor's record."""

    plans: dict[int, list[BenefitPlanRow]] = field(default_factory=dict)
    # live initiatives with benefit lines and no plan at all -> those lines (id, label)
    unplanned: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    sponsors: dict[int, SponsorRecord] = field(default_factory=dict)

    def money_to_date(self, initiative_id: int) -> tuple[Decimal, Decimal] | None:
        """(realised, expected) to date over the initiative's money plans, once there is something to judge:
        something expected to date and at least one quarter to date with an actual (None before). What the
        benefits_behind_plan signal and the outcome evidence judge alike."""
        plans = [plan for plan in self.plans.get(initiative_id, ()) if plan.financial]
        expected = sum((plan.realisation.expected_to_date for plan in plans), Decimal("0"))
        if expected <= 0 or not any(plan.actuals_to_date for plan in plans):
            return None
        return sum((plan.realisation.realised_to_date for plan in plans), Decimal("0")), expected


@dataclass
class PortfolioInputs:
    today: datetime.date
    policy: Policy
    objectives: dict[int, ObjectiveRow]
    global_weights: dict[int, float]
    relative_weights: dict[int, float]
    largest_priority_weight: float  # the divisor of the relative weights
    lookback_relative_weights: dict[int, float]
    kpis: dict[int, KPIDefinition]
    kpi_names: dict[int, tuple[str, int]]  # id -> (name, objective id)
    readings: dict[int, list[tuple[datetime.date, float]]]
    tier_policies: dict[int, tuple[int, tuple[str, ...]]]  # tier -> (cadence days, required artefacts)
    initiatives: dict[int, InitiativeRow]
    benefits: BenefitInputs = field(default_factory=BenefitInputs)


def priority_units(
    objectives: Mapping[int, ObjectiveRow], global_weights: Mapping[int, float]
) -> tuple[dict[int, float], dict[int, list[tuple[int, float]]]]:
    """The objectives spend is compared at: active objectives directly under a theme, and themes without
    active children. Returns each unit's global weight, and for every objective the units its spend goes to
    (a sub-objective to its unit; a theme spread over its units by weight)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for o in objectives.values():
        if o.status == "active":
            children[o.parent_id].append(o.id)
    units: dict[int, float] = {}
    for theme in children.get(None, []):
        under = children.get(theme, [])
        if under:
            for pk in under:
                units[pk] = global_weights.get(pk, 0.0)
        else:
            units[theme] = global_weights.get(theme, 0.0)

    def route(pk: int) -> list[tuple[int, float]]:
        if pk in units:
            return [(pk, 1.0)]
        node = objectives.get(pk)
        if node is None or node.status != "active":
            return []
        if node.parent_id is None:  # a theme with active children: spread by weight
            under = [(u, units[u]) for u in children.get(pk, []) if u in units]
            total = sum(w for _, w in under)
            return [(u, w / total) for u, w in under] if total > 0 else []
        return route(node.parent_id)

    return units, {pk: route(pk) for pk in objectives}


def largest_priority_weight(units: Mapping[int, float]) -> float:
    return max(units.values(), default=0.0)


def relative(weights: Mapping[int, float], units: Mapping[int, float]) -> dict[int, float]:
    """r_o = min(1, global weight of o / the largest global weight among the priority units).

    The most important priority objective has r = 1, so a strong contribution to it gives a fit of 100.
    A theme weighs as much as its active objectives together, so its r is capped at 1; a sub-objective
    weighs less than its unit. `units` maps each priority unit to its global weight (priority_units()).
    """
    top = largest_priority_weight(units)
    return {pk: (min(1.0, w / top) if top > 0 else 0.0) for pk, w in weights.items()}


def relative_weights(objectives: Mapping[int, ObjectiveRow]) -> tuple[dict[int, float], dict[int, float]]:
    """The global and the relative weights of a tree of objectives."""
    weights = global_weights(objectives.values())
    return weights, relative(weights, priority_units(objectives, weights)[0])


def _f(value: object) -> float:
    return float(value) if value is not None else 0.0  # type: ignore[arg-type]


def load_objectives() -> dict[int, ObjectiveRow]:
    rows = Objective.objects.values_list(
        "pk", "code", "title", "parent_id", "local_weight", "status", "owner_id"
    )
    return {
        pk: ObjectiveRow(pk, code, title, parent, float(weight), status, owner)
        for pk, code, title, parent, weight, status, owner in rows
    }


def lookback_weights(on: datetime.date) -> dict[int, float]:
    """Relative weights of the objectives as the audit trail had them at the end of `on` (one query)."""
    as_of = datetime.datetime.combine(on, datetime.time.max, tzinfo=datetime.UTC)
    historic = {
        r.id: ObjectiveRow(r.id, r.code, r.title, r.parent_id, float(r.local_weight), r.status, r.owner_id)
        for r in Objective.history.as_of(as_of)
    }
    return relative_weights(historic)[1] if historic else {}


INITIATIVE_FIELDS = (
    "pk",
    "code",
    "title",
    "stage",
    "category",
    "budget_capex",
    "budget_opex",
    "actual_cost",
    "forecast_cost",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "go_live_date",
    "criticality",
    "requirements_clarity",
    "sponsor_id",
    "manager_id",
    "program_id",
    "sustainment_owner_id",
    "entered_stage",
)


def _initiatives() -> QuerySet[Initiative, Initiative]:
    """The initiatives with the day each entered its current stage: its recorded stage date, else the day it
    was created (in the current time zone)."""
    return Initiative.objects.annotate(entered_stage=Coalesce("stage_since", TruncDate("created_at")))


def _initiative_row(values: tuple[Any, ...]) -> InitiativeRow:
    (
        pk,
        code,
        title,
        stage,
        category,
        capex,
        opex,
        actual,
        forecast,
        ps,
        pe,
        as_,
        ae,
        golive,
        crit,
        clarity,
        sponsor,
        manager,
        program,
        sustainment,
        entered_stage,
    ) = values
    return InitiativeRow(
        pk,
        code,
        title,
        stage,
        category,
        _f(capex) + _f(opex),
        _f(actual),
        float(forecast) if forecast is not None else None,
        ps,
        pe,
        as_,
        ae,
        golive,
        crit,
        clarity,
        sponsor,
        manager,
        program,
        sustainment,
        entered_stage=entered_stage,
    )


def _add_contribution(row: InitiativeRow, values: tuple[Any, ...]) -> None:
    _, pk, objective_id, strength, kpi_id = values
    row.contributions.append(ContributionRow(pk, objective_id, strength, kpi_id))


def _add_milestone(row: InitiativeRow, values: tuple[Any, ...]) -> None:
    _, pk, name, baseline, forecast, actual = values
    row.milestones.append(MilestoneRow(pk, name, baseline, forecast, actual))


def _add_risk(row: InitiativeRow, values: tuple[Any, ...]) -> None:
    _, pk, title, probability, impact, mitigation = values
    row.risks.append(RiskRow(pk, title, probability, impact, bool((mitigation or "").strip())))


def _add_artefact(row: InitiativeRow, values: tuple[Any, ...]) -> None:
    row.artefacts.add(values[1])


def _add_scope_change(row: InitiativeRow, values: tuple[Any, ...]) -> None:
    _, pk, date, rationale, status = values
    row.scope_changes.append(ScopeRow(pk, date, bool((rationale or "").strip()), status))


def _review_adder(policy: Policy) -> Callable[[InitiativeRow, ReviewFact], None]:
    """Keep an initiative's latest reviews, as many as the engine reads (delivery and governance read the
    latest, the sponsor-absence rule the policy's number): older ones are not held."""
    keep = max(1, policy.signals.sponsor_absent_reviews)

    def add(row: InitiativeRow, fact: ReviewFact) -> None:
        if len(row.reviews) < keep:
            row.reviews.append(fact)

    return add


Attach = Callable[[InitiativeRow, Any], None]


def _related(today: datetime.date, policy: Policy) -> list[tuple[QuerySet[Any, Any], Attach]]:
    """The records read with each initiative: a query of tuples whose first value is the initiative's id, in
    a fixed order within each initiative, and how a tuple joins its row."""
    since = today - datetime.timedelta(
        days=max(policy.signals.scope_window_days, policy.signals.no_rationale_window_days)
    )
    return [
        (
            Contribution.objects.order_by("initiative_id", "pk").values_list(
                "initiative_id", "pk", "objective_id", "strength", "kpi_id"
            ),
            _add_contribution,
        ),
        (
            Milestone.objects.order_by("initiative_id", "pk").values_list(
                "initiative_id", "pk", "name", "baseline_date", "forecast_date", "actual_date"
            ),
            _add_milestone,
        ),
        (
            Risk.objects.filter(status__in=ACTIVE_RISK_STATUSES)
            .order_by("initiative_id", "pk")
            .values_list("initiative_id", "pk", "title", "probability", "impact", "mitigation"),
            _add_risk,
        ),
        (
            Artefact.objects.order_by("initiative_id", "kind").values_list("initiative_id", "kind"),
            _add_artefact,
        ),
        (
            ScopeChange.objects.filter(date__gte=since, date__lte=today)
            .order_by("initiative_id", "pk")
            .values_list("initiative_id", "pk", "date", "rationale", "status"),
            _add_scope_change,
        ),
    ]


def load_context(
    *, today: datetime.date, policy: Policy, kpi_ids: Collection[int] | None = None
) -> PortfolioInputs:
    """What every initiative is scored against, without the initiatives: the objective tree and its weights
    (now and at the look-back), the KPIs (all, or `kpi_ids`) with their readings, the tier policies."""
    objectives = load_objectives()
    weights = global_weights(objectives.values())
    units, _ = priority_units(objectives, weights)
    lookback = lookback_weights(today - datetime.timedelta(days=policy.signals.downweight_lookback_days))
    kpi_queryset = KPI.objects.all() if kpi_ids is None else KPI.objects.filter(pk__in=kpi_ids)
    interim: dict[int, list[tuple[datetime.date, float]]] = defaultdict(list)
    interim_rows = (
        InterimTarget.objects.all() if kpi_ids is None else InterimTarget.objects.filter(kpi_id__in=kpi_ids)
    )
    for kpi_id, date, value in interim_rows.order_by("kpi_id", "date").values_list("kpi_id", "date", "value"):
        interim[kpi_id].append((date, float(value)))
    kpis: dict[int, KPIDefinition] = {}
    kpi_names: dict[int, tuple[str, int]] = {}
    for pk, name, objective_id, direction, bv, bd, tv, td in kpi_queryset.values_list(
        "pk",
        "name",
        "objective_id",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
    ):
        kpis[pk] = KPIDefinition(pk, direction, float(bv), bd, float(tv), td, tuple(interim.get(pk, ())))
        kpi_names[pk] = (name, objective_id)
    readings: dict[int, list[tuple[datetime.date, float]]] = defaultdict(list)
    reading_rows = Reading.objects.filter(date__lte=today)
    if kpi_ids is not None:
        reading_rows = reading_rows.filter(kpi_id__in=kpi_ids)
    for kpi_id, date, value in reading_rows.order_by("kpi_id", "date").values_list("kpi_id", "date", "value"):
        readings[kpi_id].append((date, float(value)))
    return PortfolioInputs(
        today=today,
        policy=policy,
        objectives=objectives,
        global_weights=weights,
        relative_weights=relative(weights, units),
        largest_priority_weight=largest_priority_weight(units),
        lookback_relative_weights=lookback,
        kpis=kpis,
        kpi_names=kpi_names,
        readings=dict(readings),
        tier_policies=risk_selectors.tier_policies(),
        initiatives={},
    )


BENEFIT_STAGES = (Stage.LIVE.value, Stage.CLOSED.value)
COST_KINDS = [kind.value for kind in finance.LineKind if kind.is_cost]


def load_benefits(*, today: datetime.date, initiative_ids: Collection[int] | None = None) -> BenefitInputs:
    """The benefit plans of live and closed initiatives with their quarters to date, actuals entered or derived
    from KPI readings by portfolio.benefits' rules, and the benefit lines of live initiatives without a plan,
    in at most four queries whatever the portfolio: the benefit lines with their plans, the plans' quarters
    (when there are plans), the contributions claiming the derived plans' KPIs and those KPIs' readings (when
    a plan is derived). With `initiative_ids`, the benefit lines of those initiatives, and the planned lines
    of every live or closed initiative of their sponsors (the sponsors' records need them all; their lines
    without a plan are not read: a sponsor of thousands has as many)."""
    scope = Initiative.objects.filter(stage__in=BENEFIT_STAGES)
    asked: set[int] | None = None
    if initiative_ids is not None:
        asked = set(initiative_ids)
        scope = scope.filter(pk__in=asked)
    lines = BusinessCaseLine.objects.filter(case_id__in=scope.values("pk"))
    if asked is not None:
        sponsors = Initiative.objects.filter(pk__in=asked, sponsor_id__isnull=False).values("sponsor_id")
        sponsored_plans = BenefitPlan.objects.filter(
            line__case__initiative__stage__in=BENEFIT_STAGES, line__case__initiative__sponsor_id__in=sponsors
        )
        # the two sets of lines as one subquery (a union): lines matching either of two conditions would be
        # read one by one
        lines = BusinessCaseLine.objects.filter(
            pk__in=lines.order_by().values("pk").union(sponsored_plans.order_by().values("line_id"))
        )
    # one read of every benefit line in scope, with its plan when it has one (a plan's key is its line's)
    plans: list[tuple[Any, ...]] = []
    unplanned_lines: list[tuple[int, int, str]] = []
    for (
        line_id,
        case_id,
        label,
        kind,
        stage,
        go_live,
        sponsor_id,
        planned,
        source,
        kpi_id,
        direction,
        baseline,
    ) in (
        lines.exclude(kind__in=COST_KINDS)
        .order_by("case_id", "position")
        .values_list(
            "pk",
            "case_id",
            "label",
            "kind",
            "case__initiative__stage",
            "case__initiative__go_live_date",
            "case__initiative__sponsor_id",
            "benefit_plan__line_id",
            "benefit_plan__source",
            "benefit_plan__kpi_id",
            "benefit_plan__kpi__direction",
            "benefit_plan__kpi__baseline_value",
        )
    ):
        if planned is not None:
            plans.append(
                (line_id, case_id, label, kind, source, kpi_id, direction, baseline, go_live, sponsor_id)
            )
        elif stage == Stage.LIVE and (asked is None or case_id in asked):
            unplanned_lines.append((case_id, line_id, label))
    periods: defaultdict[int, list[benefits.Period]] = defaultdict(list)
    # only the quarters that can have ended by today: the signals judge what was expected to date (no plan:
    # nothing to read)
    for plan_id, year, quarter, expected, actual in (
        BenefitPeriod.objects.filter(plan_id__in=[plan[0] for plan in plans], year__lte=today.year)
        .order_by("plan_id", "year", "quarter")
        .values_list("plan_id", "year", "quarter", "expected", "actual")
        if plans
        else ()
    ):
        periods[plan_id].append(benefits.Period(benefits.Quarter(year, quarter), expected, actual))
    # the KPIs of the derived plans: their claims and readings (none derived: nothing to read)
    claims, readings = derived_inputs(
        {plan[5] for plan in plans if plan[4] == ActualsSource.DERIVED and plan[5] is not None}, until=today
    )
    found = BenefitInputs()
    sponsored: dict[int, tuple[int, Decimal, Decimal]] = {}  # initiative -> (sponsor, realised, expected)
    for (
        line_id,
        initiative_id,
        label,
        kind,
        source,
        kpi_id,
        direction,
        baseline,
        go_live,
        sponsor_id,
    ) in plans:
        financial = finance.LineKind(kind).is_financial
        places = benefits.CENT if financial else benefits.KPI_PLACES
        stored = periods.get(line_id, [])
        if source == ActualsSource.DERIVED and kpi_id is not None:
            _, stored = benefits.derived_periods(
                stored,
                higher_is_better=direction == Direction.INCREASE,
                baseline_value=baseline,
                go_live=go_live,
                readings=readings[kpi_id],
                claims=claims[kpi_id],
                initiative_id=initiative_id,
                places=places,
            )
        result = benefits.realisation(stored, today, places)
        measured = sum(1 for p in stored if p.quarter.end <= today and p.actual is not None)
        found.plans.setdefault(initiative_id, []).append(
            BenefitPlanRow(line_id, label, financial, result, measured)
        )
        if financial and sponsor_id is not None and go_live is not None and go_live <= today:
            _, realised, expected = sponsored.get(initiative_id, (sponsor_id, Decimal("0"), Decimal("0")))
            sponsored[initiative_id] = (
                sponsor_id,
                realised + result.realised_to_date,
                expected + result.expected_to_date,
            )
    for sponsor_id, realised, expected in sponsored.values():
        if expected <= 0:
            continue
        record = found.sponsors.get(sponsor_id, SponsorRecord(Decimal("0"), Decimal("0"), 0))
        found.sponsors[sponsor_id] = SponsorRecord(
            record.realised + realised, record.promised + expected, record.initiatives + 1
        )
    for initiative_id, line_id, label in unplanned_lines:
        if initiative_id not in found.plans:  # some lines planned: the plans are judged
            found.unplanned.setdefault(initiative_id, []).append((line_id, label))
    return found


def load_inputs(
    *,
    today: datetime.date,
    policy: Policy,
    initiative_ids: Collection[int] | None = None,
    extra_kpi_ids: Collection[int] = (),
    with_benefits: bool = True,
) -> PortfolioInputs:
    """Read the inputs for the given initiatives (all when None, with every KPI); for some initiatives, the
    KPIs their contributions name plus `extra_kpi_ids`; the benefit plans the signals read unless
    `with_benefits` is off (scores alone do not read them). A full recompute streams its initiatives instead
    (stream_initiatives), a chunk at a time."""
    ids = None if initiative_ids is None else list(initiative_ids)
    rows = _initiatives() if ids is None else _initiatives().filter(pk__in=ids)
    initiatives = {values[0]: _initiative_row(values) for values in rows.values_list(*INITIATIVE_FIELDS)}
    for queryset, attach in _related(today, policy):
        for values in queryset if ids is None else queryset.filter(initiative_id__in=ids):
            row = initiatives.get(values[0])
            if row is not None:
                attach(row, values)
    add_review = _review_adder(policy)
    for fact in registry.reviews(ids, today):
        if fact.initiative_id in initiatives:
            add_review(initiatives[fact.initiative_id], fact)
    named_kpis = {c.kpi_id for row in initiatives.values() for c in row.contributions if c.kpi_id}
    inputs = load_context(
        today=today, policy=policy, kpi_ids=None if ids is None else named_kpis | set(extra_kpi_ids)
    )
    inputs.initiatives = initiatives
    if with_benefits:
        inputs.benefits = load_benefits(today=today, initiative_ids=ids)
    return inputs


def stream_initiatives(
    *, today: datetime.date, policy: Policy, chunk_size: int = 2000
) -> Iterator[list[InitiativeRow]]:
    """Every initiative with its records, `chunk_size` at a time, in the order of their ids: the initiatives
    and each kind of record are read by one query each, ordered by initiative, fetched a chunk at a time
    (server-side cursors on PostgreSQL) and merged as they come, so the memory held does not grow with the
    portfolio while the number of queries stays fixed. A chunk's records are taken from each stream in one
    run, up to the chunk's last initiative, and joined to their initiative by id."""
    add_review = _review_adder(policy)
    streams: list[tuple[Iterator[Any], Attach]] = [
        (iter(queryset.iterator(chunk_size=chunk_size)), attach)
        for queryset, attach in _related(today, policy)
    ]
    streams.append(
        (
            ((fact.initiative_id, fact) for fact in registry.reviews(None, today)),
            lambda row, pair: add_review(row, pair[1]),
        )
    )
    heads = [next(stream, None) for stream, _ in streams]
    initiatives = _initiatives().order_by("pk").values_list(*INITIATIVE_FIELDS).iterator(chunk_size)
    while chunk := [_initiative_row(values) for values in itertools.islice(initiatives, chunk_size)]:
        by_id = {row.id: row for row in chunk}
        last = chunk[-1].id
        for n, (stream, attach) in enumerate(streams):
            head = heads[n]
            while head is not None and head[0] <= last:
                row = by_id.get(head[0])
                if row is not None:
                    attach(row, head)
                head = next(stream, None)
            heads[n] = head
        yield chunk
