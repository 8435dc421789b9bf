"""What a scenario is solved from and what its answers mean: the candidates read from the database with their
values and costs (compiled into the optimiser's plain Scenario), the fingerprint of those inputs, and the
portfolio's indices as a selection would fund it, worked out by the engine's own code (issue 12, part 5).
See docs/planning-scenarios.md.

- **Candidates**: every initiative not yet finished (idea, proposed, approved, in delivery), read with a fixed
  number of queries whatever their number.
- **Value** of a candidate, by what the scenario maximises: its strategic fit (0-100, the engine's stored
  score), its NPV (the business case's stored figure), or its priority score (the current scoring model, 0-100).
  A candidate without the figure is worth 0 and counted in `missing`. With the scenario's sponsor adjustment
  on and NPV maximised, each NPV is multiplied by the sponsor's factor (docs/scoring.md, "The sponsor
  adjustment"); strategic fit and the priority score are not promised benefits and are left as they are (the
  priority score follows the scoring model's own switch).
- **Cost** of a candidate in a year: its business case's capex and opex lines in that year. A candidate whose
  business case has no cost line at all falls back on its budget (capex, opex), spread evenly over the calendar
  years from its planned start to its planned end (its planned start's year alone without an end; the
  scenario's first year without dates). Years outside the horizon are not counted.
- **Later starts** (issue 13): with team capacity respected and a start shift allowed (the scenario's, else
  the capacity policy's), a candidate not yet in delivery with effort in the horizon may instead be funded
  with its start 1 to N months later: its effort's months move by as many months (never past the horizon's
  last month), and its costs follow (a year's costs taken as spread over its months, capped at the horizon's
  last year). See docs/capacity.md, "Moving a start to fit".
- **Rules**: the scenario's rules; every candidate flagged mandatory (regulatory) is mandatory; with
  `keep_committed`, every candidate in delivery is forced in (a rule forcing one out wins). A rule naming an
  initiative that is no longer a candidate is left out and reported.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, FloatField, Max, Sum
from django.db.models.functions import Cast

from alignment.engine.compute import Indices, assess_kpis, score_initiative
from alignment.engine.inputs import load_context, stream_initiatives
from alignment.models import InitiativeScore
from alignment.services.policy import current_policy
from capacity import selectors as capacity_selectors
from capacity import services as capacity_services
from capacity.models import (
    COMMITTED_STAGES,
    ChangeDemandMonth,
    Team,
)
from capacity.months import add_months, months_between
from capacity.months import label as month_label
from core.stages import Stage
from planning import optimiser
from planning.models.scenarios import Maximise, RuleKind, Scenario, ScenarioRule
from planning.services.sponsor import sponsor_adjustments
from planning.sponsor import SponsorAdjustment
from portfolio.finance import LineKind
from portfolio.models import (
    BenefitPlan,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Initiative,
    Reading,
)
from risk.models import Risk

CANDIDATE_STAGES = (Stage.IDEA, Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY)
COST_KINDS = (LineKind.CAPEX.value, LineKind.OPEX.value)
PLACES = 6


@dataclass(frozen=True)
class Candidate:
    id: int
    code: str
    title: str
    stage: str
    mandatory: bool = False  # required by law, regulation or contract (the initiative's flag)
    sponsor_id: int | None = None


@dataclass(frozen=True)
class Inputs:
    """A scenario's optimiser input and what the pages say about it."""

    problem: optimiser.Scenario
    candidates: dict[int, Candidate]
    committed: frozenset[int]
    ignored: tuple[str, ...]  # rules left out, as sentences
    missing: int  # candidates without the value the scenario maximises
    fingerprint: str
    npv: dict[int, float]
    fit: dict[int, float]
    max_shift: int = 0  # how many months a start may move (0: none)
    # the sponsor adjustment applied (on, and NPV maximised): each candidate's factor and record
    adjustments: dict[int, SponsorAdjustment] = field(default_factory=dict)


def candidates() -> dict[int, Candidate]:
    rows = Initiative.objects.filter(stage__in=CANDIDATE_STAGES).order_by("pk")
    return {
        pk: Candidate(pk, code, title, stage, mandatory, sponsor_id)
        for pk, code, title, stage, mandatory, sponsor_id in rows.values_list(
            "pk", "code", "title", "stage", "mandatory", "sponsor_id"
        )
    }


def _costs(
    scenario: Scenario, pool: Mapping[int, Candidate], *, before: int = 0
) -> dict[int, dict[int, tuple[float, float]]]:
    """Each candidate's (capex, opex) per year of the horizon (and of the `before` years ahead of it, which a
    later start brings into it): from its business case, else its budget."""
    years = [*range(scenario.first_year - before, scenario.first_year), *scenario.horizon]
    costs: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    amounts = (
        BusinessCaseAmount.objects.filter(
            line__case__initiative__stage__in=CANDIDATE_STAGES,
            line__kind__in=COST_KINDS,
            year__gte=years[0],
            year__lte=years[-1],
        )
        .values_list("line__case_id", "year", "line__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for pk, year, kind, total in amounts:
        costs[pk][year][0 if kind == LineKind.CAPEX else 1] += float(total or 0)
    with_lines = set(
        BusinessCaseLine.objects.filter(
            case__initiative__stage__in=CANDIDATE_STAGES, kind__in=COST_KINDS
        ).values_list("case_id", flat=True)
    )
    budgets = Initiative.objects.filter(stage__in=CANDIDATE_STAGES).values_list(
        "pk", "budget_capex", "budget_opex", "planned_start", "planned_end"
    )
    for pk, capex, opex, start, end in budgets:
        if pk in with_lines or pk not in pool:
            continue
        spread = budget_years(start, end, scenario.first_year)
        for year in spread:
            if years[0] <= year <= years[-1]:
                costs[pk][year][0] += float(capex) / len(spread)
                costs[pk][year][1] += float(opex) / len(spread)
    return {
        pk: {y: (round(c, 2), round(o, 2)) for y, (c, o) in by_year.items()} for pk, by_year in costs.items()
    }


def budget_years(start: datetime.date | None, end: datetime.date | None, default: int) -> list[int]:
    """The calendar years a budget without a business case is spread over."""
    if start is None:
        return [default]
    if end is None or end.year < start.year:
        return [start.year]
    return list(range(start.year, end.year + 1))


def _values(
    maximise: str, ids: Collection[int]
) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """The value of each candidate under the scenario's measure, and their fit and NPV (for the figures)."""
    fit = {
        pk: round(value, PLACES)
        for pk, value in InitiativeScore.objects.filter(initiative__stage__in=CANDIDATE_STAGES).values_list(
            "initiative_id", "fit"
        )
    }
    npv = {
        pk: float(value or 0)
        for pk, value in BusinessCase.objects.filter(
            initiative__stage__in=CANDIDATE_STAGES, npv__isnull=False
        ).values_list("initiative_id", "npv")
    }
    if maximise == Maximise.NPV:
        chosen = npv
    elif maximise == Maximise.PRIORITY:
        chosen = priority_values(ids)
    else:
        chosen = fit
    return chosen, fit, npv


def priority_values(ids: Collection[int]) -> dict[int, float]:
    """The candidates' priority scores (0-100) under the current scoring model."""
    from planning.services.ranking import priority_scores

    return {pk: round(float(score), PLACES) for pk, score in priority_scores(ids).items()}


@dataclass(frozen=True)
class TeamLimits:
    """A scenario's team capacity, as the optimiser takes it: each candidate's effort per row
    ("team-<id>:<YYYY-MM>"), each row's limit, and the rows' names; `shifted` holds, for a candidate that
    may move, its effort per row with its start 1, 2, ... months later (as far as the horizon allows)."""

    effort: dict[int, dict[str, float]]
    limits: dict[str, float]
    labels: dict[str, str]
    shifted: dict[int, list[dict[str, float]]] = field(default_factory=dict)
    shift: int = 0  # the months a start may move


def max_shift(scenario: Scenario) -> int:
    """How many months the scenario may move a start to fit capacity: its own setting, else the capacity
    policy's (one query); none when it does not respect team capacity."""
    if not scenario.respect_capacity:
        return 0
    if scenario.max_shift_months is not None:
        return scenario.max_shift_months
    return capacity_services.current_policy().max_shift_months


def team_limits(scenario: Scenario, pool: Mapping[int, Candidate], committed: Collection[int]) -> TeamLimits:
    """The team-months of the scenario's years as capacity rows (docs/capacity.md, "Scenarios"): a
    candidate's effort in a row is its estimate's months there; a row's limit is the team's capacity less its
    run demand less the effort of committed initiatives (approved, in delivery) that are not candidates. A
    row where what is kept in the plan (`committed`: forced in) already needs more keeps that as its limit:
    what is committed stays, and nothing more fits there. Only rows some candidate needs are constraints.
    With a start shift of N months allowed (max_shift), a candidate not in delivery may move its effort's
    months later by 1 to N (its months before the horizon come into it; none may pass the horizon's last
    month), and the rows those moves reach are constraints too. A fixed number of queries."""
    empty = TeamLimits({}, {}, {})
    if not scenario.respect_capacity:
        return empty
    teams = dict(Team.objects.values_list("pk", "name"))
    if not teams:
        return empty
    shift = max_shift(scenario)
    years = scenario.horizon
    months = months_between(datetime.date(years[0], 1, 1), datetime.date(years[-1], 12, 1))
    capacity = capacity_selectors.capacities(None, months)
    run = capacity_selectors.run_totals(None, months)
    effort: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    fixed: dict[tuple[int, datetime.date], float] = defaultdict(float)
    # a candidate's months (in the horizon, and before it when starts may move) for its later starts
    profile: dict[int, dict[tuple[int, datetime.date], float]] = defaultdict(lambda: defaultdict(float))
    rows = (
        ChangeDemandMonth.objects.filter(month__gte=add_months(months[0], -shift), month__lte=months[-1])
        .filter(initiative__stage__in=[*CANDIDATE_STAGES])
        .values_list("initiative_id", "initiative__stage", "team_id", "month")
        .annotate(days=Cast("person_days", FloatField()))
    )
    needed: set[tuple[int, datetime.date]] = set()
    for initiative_id, stage, team_id, month, days in rows:
        if shift and initiative_id in pool and stage != Stage.IN_DELIVERY:
            profile[initiative_id][(team_id, month)] += days
        if month < months[0]:
            continue
        if initiative_id in pool:
            effort[initiative_id][f"team-{team_id}:{month:%Y-%m}"] += days
            needed.add((team_id, month))
        elif stage in COMMITTED_STAGES:
            fixed[(team_id, month)] += days
    shifted: dict[int, list[dict[str, float]]] = {}
    for pk, months_of in profile.items():
        if pk not in effort:
            continue  # no effort in the horizon: moving would only bring some in
        ways: list[dict[str, float]] = []
        for later in range(1, shift + 1):
            moved = {
                (team_id, add_months(month, later)): days for (team_id, month), days in months_of.items()
            }
            if max(month for _, month in moved) > months[-1]:
                break
            way: dict[str, float] = defaultdict(float)
            for (team_id, month), days in moved.items():
                if month >= months[0]:
                    way[f"team-{team_id}:{month:%Y-%m}"] += days
                    needed.add((team_id, month))
            ways.append(dict(way))
        if ways:
            shifted[pk] = ways
    kept: dict[tuple[int, datetime.date], float] = defaultdict(float)
    for pk in committed:
        for row, days in effort.get(pk, {}).items():
            team, month = row[5:].split(":")
            kept[(int(team), datetime.date(int(month[:4]), int(month[5:]), 1))] += days
    limits: dict[str, float] = {}
    labels: dict[str, str] = {}
    for team_id, month in sorted(needed):
        key = (team_id, month)
        free = capacity.get(key, 0.0) - run.get(key, 0.0) - fixed.get(key, 0.0)
        row = f"team-{team_id}:{month:%Y-%m}"
        limits[row] = round(max(0.0, free, kept.get(key, 0.0)), 3)
        labels[row] = f"{teams.get(team_id, team_id)}, {month_label(month)}"
    return TeamLimits({pk: dict(rows_) for pk, rows_ in effort.items()}, limits, labels, shifted, shift)


def shifted_costs(
    costs: Mapping[int, tuple[float, float]], months: int, years: list[int]
) -> dict[int, tuple[float, float]]:
    """A candidate's costs per year of the horizon with its start `months` later: each year's costs taken as
    spread evenly over its twelve months, months/12 of a year's move into the next; what would pass the
    horizon's last year stays in it (a later start never makes an initiative cheaper within the horizon)."""
    late = months / 12
    moved: dict[int, tuple[float, float]] = {}
    for year in years:
        own = costs.get(year, (0.0, 0.0))
        prior = costs.get(year - 1, (0.0, 0.0))
        keep = 1.0 if year == years[-1] else 1 - late
        capex = own[0] * keep + prior[0] * late
        opex = own[1] * keep + prior[1] * late
        if capex or opex:
            moved[year] = (round(capex, 2), round(opex, 2))
    return moved


def adjusted_npv(
    npv: Mapping[int, float], pool: Mapping[int, Candidate], *, today: datetime.date | None = None
) -> tuple[dict[int, float], dict[int, SponsorAdjustment]]:
    """The candidates' NPVs times their sponsors' factors (the records read once for all of them), and the
    adjustment of each candidate with an NPV."""
    found = sponsor_adjustments({pk: c.sponsor_id for pk, c in pool.items()}, today=today)
    adjustments = {pk: found[pk] for pk in npv if pk in found}
    values = {
        pk: float(adjustments[pk].apply(value) or 0) if adjustments[pk].adjusts else value
        for pk, value in npv.items()
    }
    return values, adjustments


def load_inputs(scenario: Scenario, *, today: datetime.date | None = None) -> Inputs:
    """The scenario's candidates, values, costs, limits and rules, compiled for the optimiser (`today` dates
    the sponsors' records when the sponsor adjustment applies; the local date when None)."""
    pool = candidates()
    values, fit, npv = _values(scenario.maximise, list(pool))
    adjustments: dict[int, SponsorAdjustment] = {}
    if scenario.sponsor_adjustment and scenario.maximise == Maximise.NPV:
        values, adjustments = adjusted_npv(npv, pool, today=today)
    missing = sum(1 for pk in pool if pk not in values)
    rules: dict[str, list[Any]] = defaultdict(list)
    ignored: list[str] = []
    for kind, a, b, a_code, b_code in ScenarioRule.objects.filter(scenario=scenario).values_list(
        "kind", "initiative_id", "other_id", "initiative__code", "other__code"
    ):
        absent = [code for pk, code in ((a, a_code), (b, b_code)) if pk is not None and pk not in pool]
        if absent:
            ignored.append(
                f"{RuleKind(kind).label} on {' and '.join(absent)}: no longer a candidate (finished or cancelled)."
            )
            continue
        rules[kind].append((a, b) if b is not None else a)
    forced_out = set(rules[RuleKind.FORCE_OUT])
    committed = frozenset(
        pk
        for pk, c in pool.items()
        if scenario.keep_committed and c.stage == Stage.IN_DELIVERY and pk not in forced_out
    )
    mandatory = set(rules[RuleKind.MANDATORY]) | {pk for pk, c in pool.items() if c.mandatory}
    teams = team_limits(scenario, pool, set(rules[RuleKind.FORCE_IN]) | committed | mandatory)
    shift = teams.shift
    costs = _costs(scenario, pool, before=1 if shift else 0)
    horizon = scenario.horizon
    problem_candidates = [
        optimiser.Candidate(
            pk,
            c.code,
            values.get(pk, 0.0),
            {y: v for y, v in costs.get(pk, {}).items() if y in horizon} if shift else costs.get(pk, {}),
            teams.effort.get(pk, {}),
            tuple(
                optimiser.Shift(later, shifted_costs(costs.get(pk, {}), later, horizon), way)
                for later, way in enumerate(teams.shifted.get(pk, ()), start=1)
                if pk not in forced_out
            ),
        )
        for pk, c in pool.items()
    ]
    limits = {
        row.year: optimiser.YearBudget(
            capex=_float(row.capex), opex=_float(row.opex), total=_float(row.total)
        )
        for row in scenario.limits.all()
        if row.year in scenario.horizon
    }
    problem = optimiser.Scenario(
        candidates=problem_candidates,
        years=scenario.horizon,
        budgets=limits,
        force_in=sorted(set(rules[RuleKind.FORCE_IN]) | committed),
        force_out=sorted(forced_out),
        mandatory=sorted(mandatory),
        requires=rules[RuleKind.REQUIRES],
        excludes=rules[RuleKind.EXCLUDES],
        budget=_float(scenario.budget),
        capacity=teams.limits,
        capacity_labels=teams.labels,
    )
    return Inputs(
        problem,
        pool,
        committed,
        tuple(ignored),
        missing,
        fingerprint(problem, shift, sponsor=scenario.sponsor_adjustment),
        npv,
        fit,
        shift,
        adjustments,
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def data_stamp(*, benefits: bool = False) -> str:
    """A cheap mark of the data an answer is solved from (initiatives, business cases, scores, risks: their
    number and latest change; with `benefits`, when the sponsor adjustment applies, the benefit plans and KPI
    readings the sponsors' records are worked out from). When it is unchanged since an answer was last found
    current, the answer still stands without reading every candidate again; when it moved, the fingerprint
    decides (a recompute that changes no figure moves the stamp, not the fingerprint)."""
    parts = [
        Initiative.objects.aggregate(n=Count("pk"), at=Max("updated_at")),
        BusinessCase.objects.aggregate(n=Count("pk"), at=Max("updated_at")),
        InitiativeScore.objects.aggregate(n=Count("pk"), at=Max("computed_at")),
        Risk.objects.aggregate(n=Count("pk"), at=Max("updated_at")),
        # team capacity (issue 13): teams, members, overrides, run demand and effort estimates, in one query
        capacity_selectors.data_stamp(),
    ]
    if benefits:
        parts += [
            BenefitPlan.objects.aggregate(n=Count("pk"), at=Max("updated_at")),
            Reading.objects.aggregate(n=Count("pk"), at=Max("updated_at")),
        ]
    return hashlib.sha256(repr([sorted(p.items()) for p in parts]).encode()).hexdigest()[:32]


def fingerprint(problem: optimiser.Scenario, shift: int = 0, *, sponsor: bool = False) -> str:
    """A digest of everything the answer depends on: the same inputs give the same digest (and, with no
    start allowed to move and no sponsor adjustment applied, the digest answers solved before either existed
    had). `sponsor`: the scenario's sponsor adjustment is on (where it applies, its factors are in the
    values)."""
    data = {
        "years": list(problem.years),
        "budgets": {str(y): [b.capex, b.opex, b.total] for y, b in sorted(problem.budgets.items())},
        "budget": problem.budget,
        "candidates": [
            [c.id, round(c.value, PLACES), sorted([y, *v] for y, v in c.costs.items())]
            for c in problem.candidates
        ],
        **(
            {
                "capacity": sorted(problem.capacity.items()),
                "effort": [[c.id, sorted(c.effort.items())] for c in problem.candidates if c.effort],
            }
            if problem.capacity
            else {}
        ),
        **(
            {
                "shift": shift,
                "shifts": [
                    [
                        c.id,
                        [
                            [w.months, sorted([y, *v] for y, v in w.costs.items()), sorted(w.effort.items())]
                            for w in c.shifts
                        ],
                    ]
                    for c in problem.candidates
                    if c.shifts
                ],
            }
            if shift
            else {}
        ),
        **({"sponsor_adjustment": True} if sponsor else {}),
        "rules": [
            sorted(problem.force_in),
            sorted(problem.force_out),
            sorted(problem.mandatory),
            sorted(problem.requires),
            sorted(problem.excludes),
        ],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------ indices of a plan


def plan_figures(
    selections: Mapping[str, Collection[int]], pool: Collection[int], *, today: datetime.date
) -> dict[str, dict[str, Any]]:
    """The portfolio's indices as each selection would fund it, by the engine's own code: a candidate in the
    selection counts as funded (approved, or still in delivery), a candidate out of it as not funded; finished
    initiatives count as they are. One pass scores every initiative once and adds it to every selection's sums."""
    policy = current_policy()
    context = load_context(today=today, policy=policy)
    kpis = assess_kpis(context)
    chosen = {name: set(ids) for name, ids in selections.items()}
    candidates_ = set(pool)
    sums = {name: Indices(context) for name in chosen}
    exposure = dict.fromkeys(chosen, 0)
    for chunk in stream_initiatives(today=today, policy=policy):
        for row in chunk:
            score = score_initiative(row, context, kpis)
            for name, ids in chosen.items():
                plan_row = row
                if row.id in candidates_:
                    if row.id in ids:
                        stage = row.stage if row.stage == Stage.IN_DELIVERY else Stage.APPROVED
                    else:
                        stage = Stage.CANCELLED if row.stage == Stage.IN_DELIVERY else Stage.IDEA
                    plan_row = replace(row, stage=stage)
                if plan_row.stage in (Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE):
                    exposure[name] += score.exposure
                sums[name].add(plan_row, score)
    figures: dict[str, dict[str, Any]] = {}
    for name, indices in sums.items():
        result = indices.portfolio_result()
        units = result.details["units"]
        figures[name] = {
            "alignment_index": _round(result.alignment_index, 2),
            "top_share": _round(result.top_share, 4),
            "misallocation": _round(result.misallocation, 4),
            "coverage": _round(result.coverage, 4),
            "covered": len(result.details["covered_units"]),
            "units": len(units),
            "funded_budget": round(result.funded_budget, 2),
            "mix": result.details["mix"],
            "target_mix": result.details["target_mix"],
            "risk_exposure": exposure[name],
        }
    return figures


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)
