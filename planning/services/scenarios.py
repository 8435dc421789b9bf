"""Scenarios' writes: create and change them (the PMO), solve them and draw their efficient frontier (tracked
jobs anyone who reads planning may start), and approve one as the plan (a steering member or the PMO), which records the
decision and moves the initiatives' stages through the portfolio's services (issue 12, part 5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.models import Job
from core.records import record_create, record_delete, record_update
from core.roles import can_edit_portfolio, can_record_decisions
from core.stages import FUNDED, Stage
from planning import optimiser
from planning.events import scenario_approved_event, scenario_solved_event
from planning.models.scenarios import (
    PAIRED,
    Maximise,
    RuleKind,
    RunKind,
    Scenario,
    ScenarioRule,
    ScenarioRun,
    ScenarioStatus,
    ScenarioYear,
)
from planning.scenarios import Inputs, data_stamp, load_inputs, plan_figures
from portfolio.models import Initiative
from portfolio.services.initiatives import initiative_stage_decide
from steering.models import DecisionKind, DecisionOutcome, PortfolioDecision
from steering.services import portfolio_decision_record

PMO_ONLY = "Only the PMO creates and changes scenarios."
APPROVERS_ONLY = "Only a steering member or the PMO approves a scenario as the plan."
FIELDS = (
    "name",
    "description",
    "first_year",
    "years",
    "maximise",
    "budget",
    "keep_committed",
    "respect_capacity",
    "max_shift_months",
    "sponsor_adjustment",
)
LIMIT_KINDS = ("capex", "opex", "total")
FRONTIER_POINTS = 25
FRONTIER_POINT_SECONDS = 30  # 25 points x 30 s stay within the frontier task's 14-minute soft limit
SHOWN_CONFLICTS = 20
SHOWN_ADJUSTED = 100  # the adjusted candidates an answer lists (largest discount first); the count is whole
STANDING_SECONDS = 3600  # how long a page trusts an unchanged data stamp


def _require_pmo(user: Any) -> None:
    if not can_edit_portfolio(user):
        raise NotAllowed(PMO_ONLY)


def _draft(scenario_id: int, version: int | None = None) -> Scenario:
    """The scenario, locked, if it is still a draft (and at `version`, when given)."""
    scenario = Scenario.objects.select_for_update().filter(pk=scenario_id).first()
    if scenario is None:
        raise ApplicationError("This scenario no longer exists.")
    if version is not None and scenario.version != version:
        raise StaleEdit(scenario)
    if not scenario.is_draft:
        raise ApplicationError(
            f"This scenario is the {scenario.get_status_display().lower()}: it no longer changes. Copy it to change it."
        )
    return scenario


def _touched(scenario: Scenario) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(version=scenario.version + 1, updated_at=timezone.now())
    scenario.version += 1


def clean_limits(
    rows: Iterable[Mapping[str, Any]], years: Iterable[int]
) -> dict[int, dict[str, Decimal | None]]:
    """Per-year limits from rows {"year", "capex", "opex", "total"} (empty = no limit); every error is named at
    its field ("limit-2027-capex")."""
    horizon = set(years)
    limits: dict[int, dict[str, Decimal | None]] = {}
    errors: dict[str, list[str]] = {}
    for row in rows:
        try:
            year = int(row.get("year"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApplicationError("A budget limit names no year.") from None
        if year not in horizon:
            errors[f"limit-{year}"] = [f"{year} is outside the scenario's years."]
            continue
        values: dict[str, Decimal | None] = {}
        for kind in LIMIT_KINDS:
            raw = row.get(kind)
            if raw is None or str(raw).strip() == "":
                values[kind] = None
                continue
            try:
                amount = Decimal(str(raw).strip().replace(",", ""))
            except InvalidOperation:
                errors[f"limit-{year}-{kind}"] = [f"The {year} {kind} limit must be an amount."]
                continue
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
                errors[f"limit-{year}-{kind}"] = [f"The {year} {kind} limit must be an amount from 0."]
                continue
            values[kind] = amount.quantize(Decimal("0.01"))
        limits[year] = values
    if errors:
        raise ApplicationError(
            "Some budget limits are not valid: " + " ".join(e[0] for e in errors.values()),
            field_errors=errors,
        )
    return limits


def _set_limits(scenario: Scenario, limits: Mapping[int, Mapping[str, Decimal | None]]) -> None:
    """Keep one row per year of the horizon with the limits given (a year not given keeps its row's limits;
    rows outside the horizon go)."""
    ScenarioYear.objects.filter(scenario=scenario).exclude(year__in=scenario.horizon).delete()
    existing = {row.year: row for row in ScenarioYear.objects.filter(scenario=scenario)}
    for year in scenario.horizon:
        row = existing.get(year) or ScenarioYear(scenario=scenario, year=year)
        for kind, value in limits.get(year, {}).items():
            setattr(row, kind, value)
        row.save()


def scenario_create(
    *, user: Any, data: Mapping[str, Any], limits: Iterable[Mapping[str, Any]] = ()
) -> Scenario:
    """A new draft scenario with its per-year limits (the PMO)."""
    _require_pmo(user)
    with transaction.atomic():
        scenario = record_create(
            Scenario,
            user=user,
            values={**{f: data[f] for f in FIELDS if f in data}, "created_by": user},
            allowed=True,
        )
        _set_limits(scenario, clean_limits(limits, scenario.horizon))
    return scenario


def scenario_update(
    *,
    user: Any,
    scenario_id: int,
    version: int,
    data: Mapping[str, Any],
    limits: Iterable[Mapping[str, Any]] | None = None,
) -> Scenario:
    """Change a draft's settings and, when given, its per-year limits (the PMO)."""
    _require_pmo(user)
    with transaction.atomic():
        _draft(scenario_id, version)
        scenario = record_update(
            Scenario,
            pk=scenario_id,
            version=version,
            user=user,
            values={f: data[f] for f in FIELDS if f in data},
            authorize=lambda u, s: True,
        )
        _set_limits(scenario, clean_limits(limits or (), scenario.horizon))
    return scenario


def scenario_delete(*, user: Any, scenario_id: int, version: int) -> None:
    """Delete a draft (the PMO); an approved or superseded plan stays on record."""
    _require_pmo(user)
    with transaction.atomic():
        _draft(scenario_id, version)
        record_delete(Scenario, pk=scenario_id, version=version, user=user, authorize=lambda u, s: True)


def scenario_copy(*, user: Any, scenario_id: int, name: str) -> Scenario:
    """A new draft with the settings, limits and rules of another scenario (any status)."""
    _require_pmo(user)
    source = Scenario.objects.filter(pk=scenario_id).first()
    if source is None:
        raise ApplicationError("This scenario no longer exists.")
    with transaction.atomic():
        copy = record_create(
            Scenario,
            user=user,
            values={**{f: getattr(source, f) for f in FIELDS}, "name": name, "created_by": user},
            allowed=True,
        )
        for row in source.limits.all():
            ScenarioYear.objects.create(
                scenario=copy, year=row.year, capex=row.capex, opex=row.opex, total=row.total
            )
        ScenarioRule.objects.bulk_create(
            ScenarioRule(
                scenario=copy, kind=r.kind, initiative_id=r.initiative_id, other_id=r.other_id, note=r.note
            )
            for r in source.rules.all()
        )
    return copy


def _initiative(code_or_id: Any, field: str) -> Initiative:
    if isinstance(code_or_id, Initiative):
        return code_or_id
    text = str(code_or_id or "").strip()
    found = (
        Initiative.objects.filter(pk=int(text)).first()
        if text.isdigit() and len(text) < 19
        else Initiative.objects.filter(code__iexact=text).first()
    )
    if found is None:
        raise ApplicationError(
            f"No initiative has the code “{text[:40]}”.",
            field_errors={field: ["No initiative has this code."]},
        )
    return found


def scenario_rule_add(
    *,
    user: Any,
    scenario_id: int,
    version: int,
    kind: str,
    initiative: Any,
    other: Any = None,
    note: str = "",
) -> ScenarioRule:
    """Add a rule to a draft: force in, force out or mandatory on one initiative; requires or excludes on two
    (the PMO). A rule already there, or one that contradicts itself, is refused at its field."""
    _require_pmo(user)
    if kind not in RuleKind.values:
        raise ApplicationError("Choose a kind of rule.", field_errors={"kind": ["Choose a kind of rule."]})
    if len(note) > 300:
        raise ApplicationError("The note is too long.", field_errors={"note": ["At most 300 characters."]})
    first = _initiative(initiative, "initiative")
    second = _initiative(other, "other") if kind in PAIRED else None
    if kind in PAIRED and second is None:
        raise ApplicationError(
            "Name the second initiative.", field_errors={"other": ["Name the second initiative."]}
        )
    if second is not None and second.pk == first.pk:
        raise ApplicationError(
            "A rule cannot pair an initiative with itself.",
            field_errors={"other": ["Choose another initiative than the first."]},
        )
    with transaction.atomic():
        scenario = _draft(scenario_id, version)
        same = ScenarioRule.objects.filter(scenario=scenario, kind=kind, initiative=first)
        same = same.filter(other=second) if second is not None else same.filter(other__isnull=True)
        if kind == RuleKind.EXCLUDES and second is not None:
            same = same | ScenarioRule.objects.filter(
                scenario=scenario, kind=kind, initiative=second, other=first
            )
        if same.exists():
            raise ApplicationError(
                "This rule is already there.", field_errors={"initiative": ["This rule is already there."]}
            )
        contradicts = {
            RuleKind.FORCE_IN: (RuleKind.FORCE_OUT,),
            RuleKind.MANDATORY: (RuleKind.FORCE_OUT,),
            RuleKind.FORCE_OUT: (RuleKind.FORCE_IN, RuleKind.MANDATORY),
        }.get(RuleKind(kind), ())
        clash = ScenarioRule.objects.filter(
            scenario=scenario, kind__in=contradicts, initiative_id=first.pk
        ).first()
        if clash is not None:
            message = f"{first.code} is already {clash.get_kind_display().lower()}: remove that rule first."
            raise ApplicationError(message, field_errors={"initiative": [message]})
        rule = ScenarioRule.objects.create(
            scenario=scenario, kind=kind, initiative=first, other=second, note=note.strip()
        )
        _touched(scenario)
    return rule


def scenario_rule_remove(*, user: Any, scenario_id: int, version: int, rule_id: int) -> None:
    _require_pmo(user)
    with transaction.atomic():
        scenario = _draft(scenario_id, version)
        if not ScenarioRule.objects.filter(scenario=scenario, pk=rule_id).delete()[0]:
            raise ApplicationError("This rule is no longer there.")
        _touched(scenario)


# ----------------------------------------------------------------------------------------------- solving


def _decision_rows(inputs: Inputs, solution: optimiser.Solution) -> list[dict[str, Any]]:
    """Every candidate's decision as plain data, the chosen first (by value, then code)."""
    costs = {c.id: sum(a + b for a, b in c.costs.values()) for c in inputs.problem.candidates}
    values = {c.id: c.value for c in inputs.problem.candidates}
    rows: list[dict[str, Any]] = []
    for pk, decision in solution.decisions.items():
        c = inputs.candidates[pk]
        text = decision.text
        if decision.reason == "force_in" and pk in inputs.committed:
            text = "in delivery: kept"
        rows.append(
            {
                "id": pk,
                "code": c.code,
                "title": c.title,
                "stage": c.stage,
                "in": decision.selected,
                "reason": decision.reason,
                "text": text,
                "value": round(values[pk], 6),
                "cost": round(costs[pk], 2),
                "npv": inputs.npv.get(pk),
                "fit": inputs.fit.get(pk),
                "shift": decision.shift,
                **(
                    {"factor": inputs.adjustments[pk].factor}
                    if pk in inputs.adjustments and inputs.adjustments[pk].adjusts
                    else {}
                ),
            }
        )
    rows.sort(key=lambda r: (not r["in"], -r["value"], r["code"]))
    return rows


def _moved(inputs: Inputs, solution: optimiser.Solution) -> list[dict[str, Any]]:
    """The initiatives funded with their start moved: by how many months, and the limits (team-months
    first) their planned start would break with the rest of the answer as it is."""
    rows: list[dict[str, Any]] = []
    for pk, months in solution.shifts.items():
        decision = solution.decisions[pk]
        c = inputs.candidates[pk]
        why = sorted(decision.moved, key=lambda b: (b.constraint.kind != "capacity", b.constraint))
        rows.append(
            {
                "id": pk,
                "code": c.code,
                "title": c.title,
                "months": months,
                "why": [
                    {
                        "name": _limit_name(inputs, b.constraint),
                        "capacity": b.constraint.kind == "capacity",
                        "used": round(b.used, 2),
                        "limit": round(b.limit, 2),
                        "over": round(b.over, 2),
                    }
                    for b in why
                ],
            }
        )
    rows.sort(key=lambda r: r["code"])
    return rows


def _limit_name(inputs: Inputs, constraint: optimiser.Constraint) -> str:
    """A limit as the moved list names it: a team-month as "Data platform, March 2027", a budget as "2027
    capex"."""
    if constraint.kind == "capacity":
        return inputs.problem.capacity_labels.get(constraint.row or "", constraint.row or "")
    if constraint.kind == "budget":
        return "budget over the horizon"
    return f"{constraint.year} {'total cost' if constraint.kind == 'total' else constraint.kind}"


def sponsor_summary(scenario: Scenario, inputs: Inputs) -> dict[str, Any]:
    """What an answer says about the sponsor adjustment: on or off, whether it applies (NPV maximised), and
    the candidates it discounted with their NPV, factor, adjusted NPV and record (the largest discount
    first, at most SHOWN_ADJUSTED; `count` is all of them)."""
    applies = scenario.sponsor_adjustment and scenario.maximise == Maximise.NPV
    adjusted = sorted(
        (
            (pk, adjustment)
            for pk, adjustment in inputs.adjustments.items()
            if adjustment.adjusts and pk in inputs.candidates
        ),
        key=lambda entry: (entry[1].factor, inputs.candidates[entry[0]].code),
    )
    return {
        "on": scenario.sponsor_adjustment,
        "applies": applies,
        "count": len(adjusted),
        "adjusted": [
            {
                "id": pk,
                "code": inputs.candidates[pk].code,
                "title": inputs.candidates[pk].title,
                "npv": inputs.npv.get(pk),
                "factor": adjustment.factor,
                "factor_text": adjustment.factor_text,
                "value": str(adjustment.apply(inputs.npv.get(pk))),
                "record": adjustment.text,
            }
            for pk, adjustment in adjusted[:SHOWN_ADJUSTED]
        ],
    }


def current_plan(inputs: Inputs) -> list[int]:
    """The candidates funded today: approved or in delivery."""
    return sorted(pk for pk, c in inputs.candidates.items() if c.stage in FUNDED)


def approved_plan() -> Scenario | None:
    return Scenario.objects.filter(status=ScenarioStatus.APPROVED).first()


def _totals(inputs: Inputs, selected: Iterable[int]) -> dict[str, float]:
    chosen = list(selected)
    return {
        "strategic_value": round(sum(inputs.fit.get(pk, 0.0) for pk in chosen), 2),
        "npv": round(sum(inputs.npv.get(pk, 0.0) for pk in chosen), 2),
    }


def solve_scenario(
    scenario: Scenario, *, progress: jobs.Progress | None = None, actor: Any = None
) -> dict[str, Any]:
    """Solve the scenario as its inputs stand, work out the plan's indices beside today's, and store the
    answer (replacing the last one) unless the scenario changed meanwhile, with `scenario.solved` in the
    outbox (`actor`: who asked for it); return the summary."""
    version = scenario.version
    if progress:
        progress(5, "Reading the candidates, their values and costs")
    inputs = load_inputs(scenario)
    n = len(inputs.candidates)
    if progress:
        progress(20, f"Solving over {n:,} candidates")
    try:
        solution = optimiser.solve(inputs.problem, time_limit=settings.BEARING_SCENARIO_TIME_LIMIT)
    except ValueError as error:
        raise ApplicationError(f"The scenario cannot be solved: {error}") from error
    baseline = optimiser.greedy(inputs.problem)
    plan = approved_plan()
    selections: dict[str, list[int]] = {"current": current_plan(inputs)}
    if solution.value is not None:
        selections["plan"] = list(solution.selected)
    if plan is not None and plan.pk != scenario.pk:
        selections["approved"] = [pk for pk in plan.approved_selection if pk in inputs.candidates]
    if progress:
        progress(60, "Working out the portfolio's indices under the answer")
    figures = plan_figures(selections, inputs.candidates, today=timezone.localdate())
    spend = {str(y): [round(c, 2), round(o, 2)] for y, (c, o) in sorted(solution.spend.items())}
    summary: dict[str, Any] = {
        "status": solution.status,
        "value": None if solution.value is None else round(solution.value, 6),
        "gap": solution.gap,
        "seconds": round(solution.seconds, 3),
        "candidates": n,
        "selected": len(solution.selected),
        "missing": inputs.missing,
        "ignored": list(inputs.ignored),
        "spend": spend,
        "cost": round(sum(c + o for c, o in solution.spend.values()), 2),
        "limits": [
            {
                "name": use.name,
                "used": round(use.used, 2),
                "limit": round(use.limit, 2),
                "binding": use.binding,
            }
            for use in solution.limits
        ],
        "conflicts": [conflict.text for conflict in solution.conflicts[:SHOWN_CONFLICTS]],
        "greedy": {
            "feasible": baseline.feasible,
            "value": None if baseline.value is None else round(baseline.value, 6),
        },
        "figures": figures,
        "totals": {name: _totals(inputs, ids) for name, ids in selections.items()},
        "max_shift": inputs.max_shift,
        "shifts": {str(pk): months for pk, months in solution.shifts.items()},
        "moved": _moved(inputs, solution),
        "sponsor": sponsor_summary(scenario, inputs),
        "solved_at": timezone.now().isoformat(),
    }
    if "approved" in selections:
        ours = set(solution.selected)
        theirs = set(selections["approved"])
        summary["against_approved"] = {
            "scenario": plan.pk if plan else None,
            "added": sorted(ours - theirs),
            "removed": sorted(theirs - ours),
        }
    with transaction.atomic():
        if not Scenario.objects.filter(pk=scenario.pk, version=version).exists():
            summary["stale"] = True
            return summary
        ScenarioRun.objects.update_or_create(
            scenario=scenario,
            kind=RunKind.SOLVE,
            defaults={
                "scenario_version": version,
                "fingerprint": inputs.fingerprint,
                "status": solution.status,
                "summary": summary,
                "decisions": _decision_rows(inputs, solution) if solution.value is not None else [],
                "selected": list(solution.selected),
            },
        )
        scenario_solved_event(scenario, summary, actor=actor)
    return summary


def run_solve(*, job_id: int | None, scenario_id: int) -> dict[str, Any] | None:
    def work(progress: jobs.Progress | None) -> dict[str, Any]:
        job = Job.objects.select_related("requested_by").filter(pk=job_id).first() if job_id else None
        return solve_scenario(
            Scenario.objects.get(pk=scenario_id),
            progress=progress,
            actor=job.requested_by if job is not None else None,
        )

    return jobs.run_job(
        job_id,
        work,
        lambda s: (
            "The scenario changed while this ran: solve it again"
            if s.get("stale")
            else (
                "No plan keeps every rule: see the conflicting constraints"
                if s["status"] == optimiser.INFEASIBLE
                else f"{s['selected']:,} of {s['candidates']:,} initiatives in the plan"
            )
        ),
        lambda s: {"selected": s.get("selected", 0), "candidates": s.get("candidates", 0)},
    )


def solve_start(*, user: Any, scenario_id: int) -> Any:
    """Start (or join) the solve of a scenario; anyone who reads planning may ask for an answer."""
    from planning import tasks

    return _start(tasks.SOLVE, tasks.scenario_solve, run_solve, user=user, scenario_id=scenario_id)


def _start(kind: str, task: Any, run: Any, *, user: Any, scenario_id: int) -> Any:
    """Start (or join) one of a scenario's jobs (its answer, its frontier)."""
    if not Scenario.objects.filter(pk=scenario_id).exists():
        raise ApplicationError("This scenario no longer exists.")
    return jobs.start(
        kind, user=user, task=task, run=run, target=f"scenario:{scenario_id}", scenario_id=scenario_id
    )


def frontier_of(scenario: Scenario, *, progress: jobs.Progress | None = None) -> dict[str, Any]:
    """The scenario's efficient frontier (FRONTIER_POINTS budget levels from nothing to the total demand),
    with today's plan, the approved plan, this scenario's answer and other scenarios' answers marked on it."""
    version = scenario.version
    inputs = load_inputs(scenario)

    def step(done: int, total: int) -> None:
        if progress:
            progress(5 + int(85 * done / total), f"Solved {done} of {total} budget levels")

    try:
        result = optimiser.frontier(
            inputs.problem,
            points=FRONTIER_POINTS,
            time_limit=_point_limit(),
            progress=step,
        )
    except ValueError as error:
        raise ApplicationError(f"The scenario cannot be solved: {error}") from error
    marks = [("Today's plan", current_plan(inputs))]
    plan = approved_plan()
    if plan is not None:
        marks.append((f"Approved plan: {plan.name}", plan.approved_selection))
    others = (
        ScenarioRun.objects.filter(kind=RunKind.SOLVE, status__in=[optimiser.OPTIMAL, optimiser.TIME_LIMIT])
        .select_related("scenario")
        .order_by("-created_at")[:8]
    )
    points = []
    moves: dict[str, dict[int, int]] = {}
    for run in others:
        label = "This scenario" if run.scenario_id == scenario.pk else run.scenario.name
        marks.append((label, run.selected))
        moves[label] = {int(pk): months for pk, months in run.summary.get("shifts", {}).items()}
    for label, selection in marks:
        mark = optimiser.plan_point(
            inputs.problem, [pk for pk in selection if pk in inputs.candidates], moves.get(label)
        )
        points.append(
            {
                "label": label,
                "value": round(mark.value, 6),
                "cost": round(mark.cost, 2),
                "feasible": mark.feasible,
            }
        )
    summary = {
        "demand": round(result.demand, 2),
        "points": [
            {
                "budget": round(p.budget, 2),
                "status": p.status,
                "value": None if p.value is None else round(p.value, 6),
                "cost": None if p.cost is None else round(p.cost, 2),
                "count": len(p.selected),
                "gap": p.gap,
            }
            for p in result.points
        ],
        "marks": points,
        "maximise": scenario.maximise_text,
        "computed_at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        if not Scenario.objects.filter(pk=scenario.pk, version=version).exists():
            summary["stale"] = True
            return summary
        ScenarioRun.objects.update_or_create(
            scenario=scenario,
            kind=RunKind.FRONTIER,
            defaults={
                "scenario_version": version,
                "fingerprint": inputs.fingerprint,
                "status": "done",
                "summary": summary,
                "decisions": [],
                "selected": [],
            },
        )
    return summary


def _point_limit() -> float:
    """Seconds for each of the frontier's points: the scenario's limit, at most what keeps the whole
    frontier within its task's time limit (14 minutes for 25 points)."""
    return float(min(settings.BEARING_SCENARIO_TIME_LIMIT, FRONTIER_POINT_SECONDS))


def run_frontier(*, job_id: int | None, scenario_id: int) -> dict[str, Any] | None:
    def work(progress: jobs.Progress | None) -> dict[str, Any]:
        return frontier_of(Scenario.objects.get(pk=scenario_id), progress=progress)

    return jobs.run_job(
        job_id,
        work,
        lambda s: (
            "The scenario changed while this ran: draw it again"
            if s.get("stale")
            else f"{len(s['points'])} budget levels solved"
        ),
        lambda s: {"points": len(s.get("points", []))},
    )


def frontier_start(*, user: Any, scenario_id: int) -> Any:
    """Start (or join) the drawing of a scenario's efficient frontier; anyone who reads planning may."""
    from planning import tasks

    return _start(tasks.FRONTIER, tasks.scenario_frontier, run_frontier, user=user, scenario_id=scenario_id)


# --------------------------------------------------------------------------------------------- approval


def answer_is_current(
    scenario: Scenario, run: ScenarioRun | None, inputs: Inputs | None = None
) -> str | None:
    """Why the stored answer no longer stands for the scenario (None when it does)."""
    if run is None:
        return "The scenario has no answer yet: solve it first."
    if run.scenario_version != scenario.version:
        return "The scenario changed since its answer: solve it again."
    inputs = inputs or load_inputs(scenario)
    if run.fingerprint != inputs.fingerprint:
        return "The portfolio's data changed since the answer (values, costs or candidates): solve it again."
    return None


def answer_standing(scenario: Scenario, run: ScenarioRun | None) -> str | None:
    """answer_is_current for the pages: the candidates are read again only when the data moved since the
    answer was last found current (planning.scenarios.data_stamp), so a page view stays cheap however large
    the portfolio. Approval always checks in full."""
    if run is None or run.scenario_version != scenario.version:
        return answer_is_current(scenario, run)
    stamp = data_stamp(benefits=scenario.sponsor_adjustment and scenario.maximise == Maximise.NPV)
    key = f"bearing:scenario-current:{run.pk}:{run.fingerprint}:{stamp}"
    if cache.get(key):
        return None
    why = answer_is_current(scenario, run)
    if why is None:
        cache.set(key, True, STANDING_SECONDS)
    return why


def scenario_approve(*, user: Any, scenario_id: int, version: int, rationale: str) -> Scenario:
    """Make the scenario's answer the plan (those who record decisions: steering members, the PMO): the initiatives it funds that are ideas or
    proposed are approved; those it leaves out that are approved but not started go back to proposed
    (initiatives in delivery are never moved by a plan: stopping one is a checkpoint decision); the plan
    approved before is superseded; the decision is recorded in the decision log (its decision.recorded) and
    `scenario.approved` in the outbox, told to the scenario's creator. All or nothing: if one
    initiative cannot move (a sponsor or planned dates missing), nothing changes and each is named."""
    if not can_record_decisions(user):
        raise NotAllowed(APPROVERS_ONLY)
    rationale = (rationale or "").strip()
    if not rationale:
        raise ApplicationError(
            "Say why this plan is approved.", field_errors={"rationale": ["Say why this plan is approved."]}
        )
    if len(rationale) > 2000:
        raise ApplicationError(
            "The rationale is too long.", field_errors={"rationale": ["At most 2,000 characters."]}
        )
    with transaction.atomic():
        scenario = _draft(scenario_id, version)
        run = ScenarioRun.objects.filter(scenario=scenario, kind=RunKind.SOLVE).first()
        inputs = load_inputs(scenario)
        reason = answer_is_current(scenario, run, inputs)
        if reason:
            raise ApplicationError(reason)
        assert run is not None
        if run.status == optimiser.INFEASIBLE:
            raise ApplicationError("The scenario has no feasible plan: it cannot be approved.")
        chosen = set(run.selected)
        moves: list[tuple[int, str]] = []
        for pk, candidate in inputs.candidates.items():
            if pk in chosen and candidate.stage in (Stage.IDEA, Stage.PROPOSED):
                moves.append((pk, Stage.APPROVED))
            elif pk not in chosen and candidate.stage == Stage.APPROVED:
                moves.append((pk, Stage.PROPOSED))
        versions = dict(
            Initiative.objects.filter(pk__in=[pk for pk, _ in moves]).values_list("pk", "version")
        )
        problems: list[str] = []
        for pk, stage in moves:
            try:
                with transaction.atomic():
                    initiative_stage_decide(user=user, initiative_id=pk, version=versions[pk], stage=stage)
            except ApplicationError as error:
                said = [m for ms in (error.field_errors or {}).values() for m in ms] or [error.message]
                problems.append(f"{inputs.candidates[pk].code}: {' '.join(said)}")
        if problems:
            shown = " ".join(problems[:10]) + (
                f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            )
            raise ApplicationError(f"The plan cannot be approved as it stands; nothing was changed. {shown}")
        Scenario.objects.filter(status=ScenarioStatus.APPROVED).update(status=ScenarioStatus.SUPERSEDED)
        scenario = record_update(
            Scenario,
            pk=scenario.pk,
            version=scenario.version,
            user=user,
            values={
                "status": ScenarioStatus.APPROVED,
                "approved_by": user,
                "approved_at": timezone.now(),
                "approval_rationale": rationale,
                "approved_selection": sorted(chosen),
            },
            authorize=lambda u, s: True,
        )
        decision = _record_decision(user, scenario, rationale, len(chosen), len(moves))
        scenario_approved_event(
            scenario, actor=user, decision_id=decision.pk, funded=len(chosen), moved=len(moves)
        )
    return scenario


def _record_decision(
    user: Any, scenario: Scenario, rationale: str, funded: int, moved: int
) -> PortfolioDecision:
    """The approval in the decision log (and its decision.recorded in the outbox)."""
    return portfolio_decision_record(
        user=user,
        kind=DecisionKind.PLAN_APPROVAL,
        outcome=DecisionOutcome.APPROVED,
        subject=f"Plan approved: {scenario.name} ({funded:,} initiatives funded, {moved:,} stages changed)",
        rationale=rationale,
        link=reverse("planning:scenario-detail", args=[scenario.pk]),
    )
