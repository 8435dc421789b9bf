"""Scores of initiatives and of the portfolio, computed in memory from loaded inputs (no queries here)."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from alignment.engine import confidence, status
from alignment.engine import formulas as f
from alignment.engine.inputs import (
    BENEFIT_STAGES,
    ContributionRow,
    InitiativeRow,
    MilestoneRow,
    PortfolioInputs,
    RiskRow,
    priority_units,
)
from core.stages import ACTIVE, DELIVERING, FUNDED, GOVERNED, OUTCOME, STOPPED

NOT_APPLICABLE = {
    "idea": "not started: an idea has no execution to assess yet, so it counts at the floor",
    "proposed": "not started: a proposal has no execution to assess yet, so it counts at the floor",
    "cancelled": "cancelled: there is no execution to assess, so it counts at the floor",
}


def r2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _round4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def finished_on(row: InitiativeRow) -> datetime.date | None:
    """When a live, closed or cancelled initiative stopped running (None while it runs): its actual end;
    else, once live, its go-live date; else its planned end (nothing records a late finish)."""
    if row.stage not in STOPPED:
        return None
    went_live = row.go_live_date if row.stage != "cancelled" else None
    return row.actual_end or went_live or row.planned_end


@dataclass
class InitiativeResult:
    id: int
    fit: float
    outcome: float | None
    delivery: float | None
    governance: float | None
    execution: float | None
    alignment: float
    impact: float
    exposure: int
    tier: int
    missing: list[str]
    # why each missing component is missing (stored), and the explanation the "why" view shows: built only
    # when asked for (explain=True), for the one initiative a page shows, never by a full recompute
    reasons: dict[str, str] = field(default_factory=dict)
    explanation: dict[str, Any] = field(default_factory=dict)
    milestones_due: int = 0
    milestones_on_time: int = 0
    risk_cells: str = ""  # see risk_cells()
    links: str = ""  # see contribution_links()
    checkpoint_due: datetime.date | None = None  # governed stages only: see formulas.checkpoint_due()
    # funded (approved, in delivery, live): the current RAG per dimension, a letter each (engine.status.current()),
    # and the day of the review it comes from (None: suggested by the data)
    status: str = ""
    status_review: datetime.date | None = None
    # how sure the score is (engine.confidence): a level, and the components judged that are missing or stale
    confidence: str = ""
    unsure: dict[str, str] = field(default_factory=dict)
    # kept for the signal rules; not stored
    fit_detail: f.Fit = field(repr=False, default_factory=lambda: f.Fit(0.0, ()))
    delivery_detail: f.Delivery | None = field(repr=False, default=None)
    governance_detail: f.Governance | None = field(repr=False, default=None)

    def stored(self) -> dict[str, Any]:
        """The values stored in the score row: the scores, and the few facts pages list without the full
        explanation (why a component is missing, the fit points by objective, delivery's slip and overrun,
        the current status). Only the scores and the status depend on the day computed (a review's RAG ends
        when the next checkpoint falls due, a milestone grows later), so an unchanged initiative keeps the
        same row day after day until one of them moves."""
        delivery = self.delivery_detail
        return {
            "fit": r2(self.fit),
            "outcome": r2(self.outcome),
            "delivery": r2(self.delivery),
            "governance": r2(self.governance),
            "execution": r2(self.execution),
            "alignment": r2(self.alignment),
            "impact": r2(self.impact),
            "exposure": self.exposure,
            "tier": self.tier,
            "missing": self.reasons,
            "fit_points": [[t.objective_id, round(t.points, 2)] for t in self.fit_detail.terms],
            "slip_days": delivery.slip_days if delivery else None,
            "slip_ratio": _round4(delivery.slip_ratio) if delivery else None,
            "overrun": _round4(delivery.overrun) if delivery else None,
            "milestones_due": self.milestones_due,
            "milestones_on_time": self.milestones_on_time,
            "risk_cells": self.risk_cells,
            "links": self.links,
            "checkpoint_due": self.checkpoint_due,
            "status": self.status,
            "status_review": self.status_review,
            "confidence": self.confidence,
            "unsure": self.unsure,
        }


def milestone_counts(milestones: Iterable[MilestoneRow], today: datetime.date) -> tuple[int, int]:
    """Milestones due (baseline date passed) and, of those, delivered by their baseline date."""
    due = on_time = 0
    for m in milestones:
        if m.baseline <= today:
            due += 1
            if m.actual is not None and m.actual <= m.baseline:
                on_time += 1
    return due, on_time


# Compact roll-ups stored with the scores, which a filtered dashboard reads for thousands of initiatives at
# once: plain text splits and counts far faster than JSON decodes.
STRENGTH_LETTERS = {"strong": "s", "moderate": "m", "weak": "w", "none": "n"}
LETTER_STRENGTHS = {letter: strength for strength, letter in STRENGTH_LETTERS.items()}


def risk_cells(risks: Iterable[RiskRow]) -> str:
    """Active risks as their cells of the 5x5 matrix, one 'PI' pair each, sorted: '23 34 34'."""
    return " ".join(sorted(f"{r.probability}{r.impact}" for r in risks))


def contribution_links(contributions: Iterable[ContributionRow]) -> str:
    """Contributions as objective id and strength letter, by objective: '12s 40w'."""
    return " ".join(
        f"{c.objective_id}{STRENGTH_LETTERS[c.strength]}"
        for c in sorted(contributions, key=lambda c: c.objective_id)
    )


def parse_links(links: str) -> list[tuple[int, str]]:
    """(objective id, strength) pairs back from contribution_links()."""
    return list(map(_parse_link, links.split()))


@functools.lru_cache(maxsize=8192)  # a few hundred objectives x four strengths: the same tokens recur
def _parse_link(token: str) -> tuple[int, str]:
    return int(token[:-1]), LETTER_STRENGTHS[token[-1]]


def assess_kpis(inputs: PortfolioInputs) -> dict[int, f.KPIAssessment]:
    return {
        kpi_id: f.assess_kpi(kpi, inputs.readings.get(kpi_id, []), inputs.today, inputs.policy.kpi)
        for kpi_id, kpi in inputs.kpis.items()
    }


def score_initiative(
    row: InitiativeRow,
    inputs: PortfolioInputs,
    kpis: dict[int, f.KPIAssessment],
    *,
    explain: bool = False,
) -> InitiativeResult:
    """Every score of one initiative; with `explain`, also the explanation the "why" view shows (a full
    recompute builds none: a page builds the one it shows, from this same code)."""
    policy = inputs.policy
    relative = inputs.relative_weights
    fit = f.strategic_fit(((c.objective_id, c.strength) for c in row.contributions), relative)
    c_by_objective = {t.objective_id: t.weighted for t in fit.terms}
    reasons: dict[str, str] = {}
    skipped = NOT_APPLICABLE.get(row.stage)

    outcome: f.Outcome | None = None
    if row.stage in OUTCOME:
        outcome = f.outcome_evidence(
            ((c.kpi_id, c_by_objective.get(c.objective_id, 0.0)) for c in row.contributions if c.kpi_id), kpis
        )
        if row.stage in BENEFIT_STAGES:
            to_date = inputs.benefits.money_to_date(row.id)
            benefit = f.BenefitEvidence(float(to_date[0]), float(to_date[1])) if to_date else None
            outcome = f.realised_outcome(outcome, benefit, policy.outcome_benefit_share)
        if outcome.value is None:
            reasons["outcome"] = outcome.reason
    else:
        reasons["outcome"] = skipped or "not delivering yet: outcomes are judged from the start of delivery"

    delivery: f.Delivery | None = None
    if row.stage in DELIVERING:
        milestones = [f.MilestoneDates(m.baseline, m.forecast, m.actual) for m in row.milestones]
        slip = f.slip_days(milestones, row.planned_end, inputs.today, finished_on(row))
        delivery = f.delivery_confidence(
            planned_start=row.planned_start,
            planned_end=row.planned_end,
            slip=slip,
            has_schedule=bool(row.planned_end),
            budget=row.budget,
            forecast_cost=row.forecast_cost,
            actual_cost=row.actual_cost,
            latest_rags=row.reviews[0].rags if row.reviews else None,
            policy=policy.delivery,
        )
        if delivery.value is None:
            reasons["delivery"] = delivery.reason
    else:
        reasons["delivery"] = skipped or "not approved yet"

    tiering = f.risk_tier(
        budget=row.budget,
        fit=fit.value,
        criticality=row.criticality,
        risk_exposures=(r.exposure for r in row.risks),
        policy=policy.tier,
    )
    cadence, required = inputs.tier_policies[tiering.tier]
    governance: f.Governance | None = None
    if row.stage in GOVERNED:
        governance = f.governance_compliance(
            cadence_days=cadence,
            last_checkpoint=row.reviews[0].held_on if row.reviews else None,
            entered_stage=row.entered_stage or inputs.today,
            required=required,
            present=row.artefacts,
            today=inputs.today,
        )
    else:
        reasons["governance"] = skipped or {
            "live": "live: steering checkpoints end at go-live; benefits are tracked through the KPIs and the"
            " benefit plans",
            "closed": "closed: no checkpoints are due",
        }.get(row.stage, "not approved yet")

    components = {
        "outcome": outcome.value if outcome else None,
        "delivery": delivery.value if delivery else None,
        "governance": governance.value if governance else None,
    }
    composite = f.alignment_score(fit.value, components, policy)
    explanation = (
        explanation_of(row, inputs, fit, outcome, delivery, governance, tiering, cadence, composite, reasons)
        if explain
        else {}
    )
    applicable, unsure = judged(row, inputs, kpis, components, outcome, cadence)
    due, on_time = milestone_counts(row.milestones, inputs.today)
    current, reviewed = (
        current_status(row, inputs, kpis, delivery, cadence) if row.stage in FUNDED else ("", None)
    )
    return InitiativeResult(
        id=row.id,
        fit=fit.value,
        outcome=components["outcome"],
        delivery=components["delivery"],
        governance=components["governance"],
        execution=composite.execution,
        alignment=composite.value,
        impact=tiering.impact,
        exposure=tiering.exposure,
        tier=tiering.tier,
        missing=list(composite.missing),
        reasons=reasons,
        explanation=explanation,
        milestones_due=due,
        milestones_on_time=on_time,
        risk_cells=risk_cells(row.risks),
        links=contribution_links(row.contributions),
        confidence=confidence.score_confidence(applicable, unsure),
        unsure=unsure,
        checkpoint_due=governance.due_on if governance else None,
        status=current,
        status_review=reviewed,
        fit_detail=fit,
        delivery_detail=delivery,
        governance_detail=governance,
    )


def judged(
    row: InitiativeRow,
    inputs: PortfolioInputs,
    kpis: dict[int, f.KPIAssessment],
    components: dict[str, float | None],
    outcome: f.Outcome | None,
    cadence: int,
) -> tuple[list[str], dict[str, str]]:
    """The components the initiative's stage is judged on, and those of them missing or stale
    (engine.confidence): the outcome is stale when no benefit is measured and every KPI it counts was last read
    more than the freshness limit ago; delivery (until go-live) when no checkpoint review has confirmed it
    within the tier's cadence (counted from the day it entered its stage before the first review)."""
    today = inputs.today
    applicable = confidence.applicable(row.stage)
    unsure = {name: confidence.MISSING for name in applicable if components[name] is None}
    fresh = inputs.policy.kpi.fresh_days
    if (
        outcome is not None
        and outcome.value is not None
        and outcome.benefit is None
        and all(_read_before(kpis.get(t.kpi_id), today, fresh) for t in outcome.terms)
    ):
        unsure["outcome"] = confidence.STALE
    if components["delivery"] is not None and row.stage in GOVERNED:
        confirmed = row.reviews[0].held_on if row.reviews else row.entered_stage
        if confirmed is not None and (today - confirmed).days > cadence:
            unsure["delivery"] = confidence.STALE
    return applicable, unsure


def _read_before(kpi: f.KPIAssessment | None, today: datetime.date, fresh_days: int) -> bool:
    """Whether a KPI was last read more than `fresh_days` before today (one never read counts as stale)."""
    latest = kpi.latest_date if kpi is not None else None
    return latest is None or (today - latest).days > fresh_days


def current_status(
    row: InitiativeRow,
    inputs: PortfolioInputs,
    kpis: dict[int, f.KPIAssessment],
    delivery: f.Delivery | None,
    cadence: int,
) -> tuple[str, datetime.date | None]:
    """The current RAG per dimension (engine.status.current()): the latest review's while the tier's next
    checkpoint is not yet due, else what the data suggests, by the rules the steering app offers a committee."""
    policy = inputs.policy.signals
    today = inputs.today
    suggested = (
        status.schedule(
            ((m.name, m.baseline, m.forecast) for m in row.milestones if m.actual is None),
            delivery.slip_days if delivery else None,
            delivery.slip_ratio if delivery else None,
            today,
            policy,
        ).rag,
        status.cost(delivery.overrun if delivery else None, policy).rag,
        status.scope(((c.date, c.status) for c in row.scope_changes), today, policy).rag,
        status.benefits(
            (
                (inputs.kpi_names[c.kpi_id][0], kpis[c.kpi_id].status)
                for c in row.contributions
                if c.kpi_id in kpis and c.kpi_id in inputs.kpi_names
            ),
            inputs.benefits.money_to_date(row.id) if row.stage in BENEFIT_STAGES else None,
            policy,
        ).rag,
    )
    latest = row.reviews[0] if row.reviews else None
    return status.current(suggested, (latest.held_on, latest.rags) if latest else None, cadence, today)


def explanation_of(
    row: InitiativeRow,
    inputs: PortfolioInputs,
    fit: f.Fit,
    outcome: f.Outcome | None,
    delivery: f.Delivery | None,
    governance: f.Governance | None,
    tiering: f.Tiering,
    cadence: int,
    composite: f.Composite,
    reasons: dict[str, str],
) -> dict[str, Any]:
    """The parts each score of an initiative was made of, as the "why" view shows them."""
    policy = inputs.policy
    return {
        "policy": policy.version,
        "fit": {
            # the divisor of r: the largest global weight among the priority units
            "max_global_weight": r2(inputs.largest_priority_weight),
            "terms": [
                {
                    "objective": t.objective_id,
                    "strength": t.strength,
                    "global_weight": round(inputs.global_weights.get(t.objective_id, 0.0), 4),
                    "r": round(t.relative_weight, 4),
                    "c": round(t.weighted, 4),
                    "points": round(t.points, 2),
                }
                for t in fit.terms
            ],
        },
        "outcome": {
            "kpis": [
                {"kpi": t.kpi_id, "weight": round(t.weight, 4), "evidence": round(t.evidence, 4)}
                for t in outcome.terms
            ]
            if outcome
            else [],
            **(
                {
                    "kpi_value": r2(outcome.kpi_value),
                    "benefit_share": outcome.benefit_share,
                    "benefits": {
                        "realised": round(outcome.benefit.realised, 2),
                        "expected": round(outcome.benefit.expected, 2),
                        "evidence": round(outcome.benefit.evidence, 4),
                    },
                }
                if outcome and outcome.benefit
                else {}
            ),
        },
        "delivery": (
            {
                "schedule": r2(delivery.schedule),
                "cost": r2(delivery.cost),
                "checkpoint": r2(delivery.checkpoint),
                "slip_days": delivery.slip_days,
                "duration_days": delivery.duration_days,
                "slip_ratio": None if delivery.slip_ratio is None else round(delivery.slip_ratio, 4),
                "overrun": None if delivery.overrun is None else round(delivery.overrun, 4),
                "rags": list(row.reviews[0].rags) if row.reviews else [],
            }
            if delivery
            else {}
        ),
        "governance": (
            {
                "cadence_days": governance.cadence_days,
                "days_since_checkpoint": governance.days_since_checkpoint,
                "cadence_score": r2(governance.cadence_score),
                "required": list(governance.required),
                "present": list(governance.present),
                "artefact_score": r2(governance.artefact_score),
                "due_on": governance.due_on.isoformat(),
            }
            if governance
            else {}
        ),
        "tier": {
            "impact_parts": [round(p, 2) for p in tiering.impact_parts],
            "impact_high": tiering.impact_high,
            "top_risks": list(tiering.top_risks),
            "exposure_high": tiering.exposure_high,
            "cadence_days": cadence,
        },
        "composite": {
            "weights": policy.component_weights,
            "used": list(composite.used),
            "execution": r2(composite.execution),
            "factor": round(composite.factor, 4),
            "floor": policy.execution_floor,
            "note": composite.note,
        },
        "missing": reasons,
    }


@dataclass
class ObjectiveFacts:
    id: int
    global_weight: float
    relative_weight: float
    lookback_relative_weight: float | None
    is_unit: bool
    unit_id: int | None
    spend: float = 0.0
    spend_share: float = 0.0
    weight_share: float = 0.0
    contributing: int = 0


@dataclass
class PortfolioResult:
    objectives: dict[int, ObjectiveFacts]
    funded_budget: float
    alignment_index: float | None
    top_share: float | None
    misallocation: float | None
    coverage: float | None
    predictability: float | None
    details: dict[str, Any]


def spread(
    budget: float, contributions: Iterable[tuple[int, str]], routes: dict[int, list[tuple[int, float]]]
) -> tuple[list[tuple[int, float]], float]:
    """A budget spread over priority units in proportion to contribution strength: the amount each unit gets
    (a unit may come more than once), and the part that could not be attributed: all of it without a
    contribution, and the share of contributions to retired objectives. That part is unaligned spend."""
    shares = [
        (objective_id, f.STRENGTH_VALUES.get(strength, 0.0)) for objective_id, strength in contributions
    ]
    total = sum(s for _, s in shares)
    if total <= 0:
        return [], budget
    amounts = []
    unrouted = 0.0
    for objective_id, s in shares:
        route = routes.get(objective_id, [])
        for unit, part in route:
            amounts.append((unit, budget * (s / total) * part))
        if not route:
            unrouted += s
    return amounts, budget * unrouted / total


def attribute_spend(
    budget: float,
    contributions: Iterable[tuple[int, str]],
    routes: dict[int, list[tuple[int, float]]],
    spend: dict[int, float],
) -> float:
    """spread() the budget, adding each unit's amount to `spend`; returns the unaligned part."""
    amounts, unaligned = spread(budget, contributions, routes)
    for unit, amount in amounts:
        spend[unit] += amount
    return unaligned


@dataclass(frozen=True)
class Priorities:
    """What every set of initiatives is measured against, computed once per run: the priority units and
    their weights, and the units each objective's spend goes to (see priority_units())."""

    units: dict[int, float]
    routes: dict[int, list[tuple[int, float]]]
    weights: f.UnitWeights
    unit_ids: frozenset[int]
    sorted_units: list[int]

    @classmethod
    def of(cls, inputs: PortfolioInputs) -> Priorities:
        units, routes = priority_units(inputs.objectives, inputs.global_weights)
        return cls(units, routes, f.UnitWeights.of(units), frozenset(units), sorted(units))


@dataclass
class Tally:
    """The sums the indices are made of, over one set of initiatives, added to one initiative at a time."""

    spend: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    unaligned: float = 0.0
    funded_budget: float = 0.0
    alignment_pairs: list[tuple[float, float]] = field(default_factory=list)
    mix: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    contributing: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    due: int = 0
    on_time: int = 0
    low_confidence_budget: float = 0.0  # of the scored funded budget, that of scores of low confidence

    def add(
        self,
        row: InitiativeRow,
        score: InitiativeResult | None,
        routes: dict[int, list[tuple[int, float]]],
        today: datetime.date,
        also: Tally | None = None,
    ) -> None:
        """Add an initiative to these sums (and to `also`'s: its program's, working it out once)."""
        tallies = (self,) if also is None else (self, also)
        if row.stage in ACTIVE:
            for c in row.contributions:
                if c.strength in ("moderate", "strong"):
                    for tally in tallies:
                        tally.contributing[c.objective_id].add(row.id)
        if row.stage not in FUNDED:
            return
        amounts, unaligned = spread(
            row.budget, ((c.objective_id, c.strength) for c in row.contributions), routes
        )
        due, on_time = milestone_counts(row.milestones, today)
        for tally in tallies:
            tally.funded_budget += row.budget
            tally.mix[row.category] += row.budget
            if score is not None:
                tally.alignment_pairs.append((row.budget, score.alignment))
                if score.confidence == confidence.LOW:
                    tally.low_confidence_budget += row.budget
            spend = tally.spend
            for unit, amount in amounts:
                spend[unit] += amount
            tally.unaligned += unaligned
            tally.due += due
            tally.on_time += on_time


class Indices:
    """The sums of the portfolio and of each program, to which a full recompute adds each initiative as it
    scores it (a chunk at a time, so no initiative need be held once scored), and the indices made from
    them."""

    def __init__(self, inputs: PortfolioInputs) -> None:
        self.inputs = inputs
        self.priorities = Priorities.of(inputs)
        self.portfolio = Tally()
        self.programs: dict[int, Tally] = defaultdict(Tally)

    def add(self, row: InitiativeRow, score: InitiativeResult | None) -> None:
        program = self.programs[row.program_id] if row.program_id is not None else None
        self.portfolio.add(row, score, self.priorities.routes, self.inputs.today, also=program)

    def portfolio_result(self) -> PortfolioResult:
        return _indices(self.inputs, self.priorities, self.portfolio, with_objectives=True)

    def program_results(self) -> dict[int, PortfolioResult]:
        return {
            program: _indices(self.inputs, self.priorities, tally, with_objectives=False)
            for program, tally in self.programs.items()
        }


def compute_portfolio(
    inputs: PortfolioInputs,
    scores: dict[int, InitiativeResult],
    initiatives: Collection[InitiativeRow] | None = None,
) -> PortfolioResult:
    """The indices: budget-weighted alignment, spend against priorities, coverage, predictability, mix.

    Over the whole portfolio, or over `initiatives` (a program's) measured against the same priorities.
    """
    priorities = Priorities.of(inputs)
    tally = Tally()
    for row in inputs.initiatives.values() if initiatives is None else initiatives:
        tally.add(row, scores.get(row.id), priorities.routes, inputs.today)
    return _indices(inputs, priorities, tally, with_objectives=True)


def compute_programs(
    inputs: PortfolioInputs, scores: dict[int, InitiativeResult]
) -> dict[int, PortfolioResult]:
    """The indices of each program, over its own initiatives: one pass over the portfolio adds each
    initiative to its program's sums, and each program's indices are then made from its sums alone (the
    priorities are worked out once), so the work grows with the portfolio and not with programs x
    objectives. A program's result carries no per-objective facts (only the portfolio's are stored)."""
    priorities = Priorities.of(inputs)
    tallies: dict[int, Tally] = defaultdict(Tally)
    for row in inputs.initiatives.values():
        if row.program_id is not None:
            tallies[row.program_id].add(row, scores.get(row.id), priorities.routes, inputs.today)
    return {
        program: _indices(inputs, priorities, tally, with_objectives=False)
        for program, tally in tallies.items()
    }


def _indices(
    inputs: PortfolioInputs, priorities: Priorities, tally: Tally, *, with_objectives: bool
) -> PortfolioResult:
    policy = inputs.policy
    units, routes = priorities.units, priorities.routes
    spend = tally.spend
    weighted = f.misallocation(dict(spend), tally.unaligned, priorities.weights, policy.top_objectives)
    weight_total = priorities.weights.total
    facts: dict[int, ObjectiveFacts] = {}
    if with_objectives:
        for pk in inputs.objectives:
            unit_routes = routes.get(pk, [])
            facts[pk] = ObjectiveFacts(
                id=pk,
                global_weight=inputs.global_weights.get(pk, 0.0),
                relative_weight=inputs.relative_weights.get(pk, 0.0),
                lookback_relative_weight=inputs.lookback_relative_weights.get(pk),
                is_unit=pk in units,
                unit_id=unit_routes[0][0] if len(unit_routes) == 1 else None,
                spend=spend.get(pk, 0.0),
                spend_share=(spend.get(pk, 0.0) / weighted.total) if weighted.total > 0 else 0.0,
                weight_share=(units.get(pk, 0.0) / weight_total) if weight_total > 0 and pk in units else 0.0,
                contributing=len(tally.contributing.get(pk, ())),
            )
    # coverage: a unit is covered when an open initiative contributes moderately or strongly to it or below it
    covered_units = {
        unit
        for objective_id, ids in tally.contributing.items()
        if ids
        for unit, _ in routes.get(objective_id, [])
    } & priorities.unit_ids
    coverage = len(covered_units) / len(units) if units else None
    mix_total = sum(tally.mix.values())
    scored = sum(budget for budget, _ in tally.alignment_pairs)
    details = {
        "units": priorities.sorted_units,
        "top_units": list(weighted.top_units),
        "unaligned_spend": round(tally.unaligned, 2),
        "mix": {k: round(v / mix_total, 4) if mix_total else 0.0 for k, v in sorted(tally.mix.items())},
        "target_mix": policy.target_mix,
        "milestones_due": tally.due,
        "milestones_on_time": tally.on_time,
        "covered_units": sorted(covered_units),
        # how sure the alignment index is (engine.confidence): the share of the scored funded budget whose
        # scores are of low confidence
        "low_confidence_share": round(tally.low_confidence_budget / scored, 4) if scored > 0 else None,
    }
    return PortfolioResult(
        objectives=facts,
        funded_budget=tally.funded_budget,
        alignment_index=f.weighted_mean(tally.alignment_pairs),
        # without priority units there is nothing to compare spend with (not a perfect 0)
        top_share=weighted.top_share if weighted.total > 0 and weight_total > 0 else None,
        misallocation=weighted.misallocation if weighted.total > 0 and weight_total > 0 else None,
        coverage=coverage,
        predictability=(tally.on_time / tally.due) if tally.due else None,
        details=details,
    )
