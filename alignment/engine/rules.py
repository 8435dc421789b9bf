"""Early-warning rules. Each rule has a name, says what it watches, reads its thresholds from the policy,
and raises signals with a severity and the evidence (links to the records that triggered it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.urls import reverse

from alignment.engine import formulas as f
from alignment.engine.compute import InitiativeResult, PortfolioResult
from alignment.engine.inputs import InitiativeRow, PortfolioInputs
from capacity.months import label as month_label
from capacity.selectors import OverloadFact, SqueezeFact
from core.formatting import money_full
from core.links import url_pattern
from core.stages import ACTIVE, GOVERNED, UNFINISHED, Stage
from core.templatetags.bearing import money

STAGE_LABELS = dict(Stage.choices)

RED, AMBER = "red", "amber"


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    watches: str


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in [
        Rule(
            "orphan", "No objective", "An open initiative whose strategic fit is 0: it serves no objective."
        ),
        Rule(
            "weak_fit_large_budget",
            "Weak fit for a large budget",
            "Strategic fit below the threshold on a budget above it.",
        ),
        Rule(
            "objective_uncovered",
            "Important objective with no initiative",
            "A priority objective no open initiative serves.",
        ),
        Rule("scope_changes_frequent", "Frequent scope changes", "Many scope changes within the window."),
        Rule(
            "scope_change_no_rationale",
            "Scope change without rationale",
            "A scope change logged with no reason.",
        ),
        Rule(
            "sponsor_absent",
            "Sponsor absent from checkpoints",
            "The sponsor missed the latest checkpoint reviews.",
        ),
        Rule(
            "unclear_requirements",
            "Unclear requirements after approval",
            "Requirements clarity low once approved.",
        ),
        Rule(
            "kpi_off_track",
            "Linked KPI off track",
            "A KPI a contribution of the initiative names is at risk or off track.",
        ),
        Rule("schedule_slip", "Schedule slip", "Lateness against plan relative to the planned duration."),
        Rule("cost_overrun", "Cost overrun", "Forecast cost above budget."),
        Rule(
            "no_sustainment_owner",
            "Go-live near, no sustainment owner",
            "Nobody owns the solution after go-live.",
        ),
        Rule(
            "live_no_reading",
            "Live, no KPI reading since go-live",
            "Benefits are not being measured after go-live.",
        ),
        Rule(
            "objective_weakened",
            "Objective retired or down-weighted",
            "The strategy moved away from what it serves.",
        ),
        Rule(
            "checkpoint_overdue",
            "Checkpoint overdue for the tier",
            "No checkpoint review within the tier's cadence.",
        ),
        Rule(
            "high_risk_no_mitigation",
            "High risk without mitigation",
            "A high-exposure risk with no mitigation plan.",
        ),
        Rule(
            "benefits_behind_plan",
            "Benefits behind plan",
            "A live or closed initiative's money benefit plans realised too little of what they expected to date.",
        ),
        Rule(
            "live_no_benefit_actuals",
            "Live, no benefit actuals",
            "Benefits expected after go-live are not measured: no actual for any quarter ended, or no plan.",
        ),
        Rule(
            "sponsor_overpromised",
            "Sponsor over-promised before",
            "A proposal whose sponsor's past initiatives realised far less than they promised.",
        ),
        Rule(
            "capacity_overload",
            "Over-allocated team on a funded initiative",
            "A team-month above the capacity policy's threshold in which an approved or in-delivery initiative "
            "has effort.",
        ),
        Rule(
            "run_squeeze",
            "Run load squeezes change capacity",
            "A team's run demand over the coming year leaves less of its capacity for change than the capacity "
            "policy's target.",
        ),
        Rule(
            "leadership_misaligned",
            "Business and IT leaders misaligned",
            "The latest leadership alignment survey of a program scored below the agreement threshold.",
        ),
    ]
}


@dataclass
class SignalRow:
    rule: str
    severity: str
    subject: str  # part of the stable key
    message: str
    initiative_id: int | None = None
    objective_id: int | None = None
    kpi_id: int | None = None
    program_id: int | None = None
    owner_id: int | None = None
    measured: float | None = None
    threshold: float | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


class Links:
    """URLs of the records evidence points at (reverse() once per kind, then formatting)."""

    def __init__(self) -> None:
        self._initiative = url_pattern("portfolio:initiative-detail")
        self._objective = url_pattern("portfolio:objective-detail")
        self._kpi = url_pattern("portfolio:kpi-detail")
        self._record = url_pattern("portfolio:record-edit", "KIND").replace("KIND", "{}")
        self._benefit_plan = url_pattern("portfolio:benefit-plan-edit")
        self.benefits = reverse("alignment:benefits")

    def initiative(self, pk: int, anchor: str = "") -> str:
        return self._initiative.format(pk) + (f"#{anchor}" if anchor else "")

    def objective(self, pk: int) -> str:
        return self._objective.format(pk)

    def kpi(self, pk: int) -> str:
        return self._kpi.format(pk)

    def record(self, kind: str, pk: int) -> str:
        return self._record.format(kind, pk)

    def benefit_plan(self, line_id: int) -> str:
        return self._benefit_plan.format(line_id)


def _signal(row: InitiativeRow, rule: str, severity: str, message: str, **kwargs: object) -> SignalRow:
    subject = kwargs.pop("subject", f"i{row.id}")
    return SignalRow(
        rule=rule,
        severity=severity,
        subject=str(subject),
        message=message,
        initiative_id=row.id,
        program_id=row.program_id,
        owner_id=row.manager_id,
        **kwargs,  # type: ignore[arg-type]
    )


InitiativeRule = Callable[
    [InitiativeRow, InitiativeResult, PortfolioInputs, dict[int, f.KPIAssessment], Links], Iterator[SignalRow]
]


def orphan(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    if row.stage not in ACTIVE or score.fit > 0:
        return
    funded = row.stage != "proposed"
    although = " although it is funded" if funded else ""
    if not row.contributions:
        message = f"{row.code} contributes to no objective{although}."
    elif all(c.strength == "none" for c in row.contributions):
        message = f"{row.code} contributes to its objectives only with strength none{although}: its strategic fit is 0."
    else:
        message = f"{row.code} contributes only to retired objectives{although}: its strategic fit is 0."
    yield _signal(
        row,
        "orphan",
        RED if funded else AMBER,
        message,
        measured=0,
        evidence=[{"label": f"{row.code} contributions", "url": links.initiative(row.id, "contributions")}],
    )


def weak_fit_large_budget(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    p = inputs.policy.signals
    if row.stage in ACTIVE and row.budget >= p.large_budget and 0 < score.fit < p.weak_fit:
        yield _signal(
            row,
            "weak_fit_large_budget",
            RED,
            f"{row.code} spends {money(row.budget)} with a strategic fit of {score.fit:.0f} (below {p.weak_fit:.0f}).",
            measured=round(score.fit, 2),
            threshold=p.weak_fit,
            evidence=[
                {"label": f"{row.code} contributions", "url": links.initiative(row.id, "contributions")}
            ],
        )


def scope_changes(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    if row.stage not in ACTIVE:
        return
    p = inputs.policy.signals
    today = inputs.today
    recent = [
        s
        for s in row.scope_changes
        if (today - s.date).days <= p.scope_window_days and s.status != "rejected"
    ]
    if len(recent) >= p.scope_changes_amber:
        yield _signal(
            row,
            "scope_changes_frequent",
            RED if len(recent) >= p.scope_changes_red else AMBER,
            f"{row.code} had {len(recent)} scope changes in the last {p.scope_window_days} days.",
            measured=len(recent),
            threshold=p.scope_changes_amber,
            evidence=[
                {"label": f"Scope changes of {row.code}", "url": links.initiative(row.id, "scope-changes")}
            ],
        )
    bare = [
        s
        for s in row.scope_changes
        if not s.has_rationale
        and s.status != "rejected"
        and (today - s.date).days <= p.no_rationale_window_days
    ]
    if bare:
        yield _signal(
            row,
            "scope_change_no_rationale",
            AMBER,
            f"{row.code} has {len(bare)} scope change{'s' if len(bare) > 1 else ''} without a rationale.",
            measured=len(bare),
            evidence=[
                {
                    "label": f"Scope change of {s.date.isoformat()}",
                    "url": links.record("scope-changes", s.id),
                }
                for s in bare
            ],
        )


def sponsor_absent(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    n = inputs.policy.signals.sponsor_absent_reviews
    latest = row.reviews[:n]
    if (
        row.sponsor_id
        and row.stage in ACTIVE
        and len(latest) == n
        and all(row.sponsor_id not in r.attendee_ids for r in latest)
    ):
        yield _signal(
            row,
            "sponsor_absent",
            AMBER,
            f"The sponsor of {row.code} attended none of its last {n} checkpoint reviews.",
            measured=n,
            threshold=n,
            evidence=[
                {
                    "label": f"Review of {r.held_on.isoformat()}",
                    "url": links.initiative(row.id, "checkpoints"),
                }
                for r in latest
            ],
        )


def unclear_requirements(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    limit = inputs.policy.signals.unclear_requirements_max
    if row.stage in ("approved", "in_delivery") and (row.clarity is None or row.clarity <= limit):
        severity = RED if row.stage == "in_delivery" and (row.clarity or 0) <= 1 else AMBER
        clarity = "not assessed" if row.clarity is None else f"{row.clarity}/5"
        yield _signal(
            row,
            "unclear_requirements",
            severity,
            f"{row.code} is {row.stage.replace('_', ' ')} with requirements clarity {clarity}.",
            measured=row.clarity,
            threshold=limit,
            evidence=[{"label": f"{row.code} overview", "url": links.initiative(row.id, "overview")}],
        )


def kpi_off_track(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    if row.stage not in ACTIVE:
        return
    seen: set[int] = set()
    for c in row.contributions:
        if not c.kpi_id or c.kpi_id in seen:
            continue
        seen.add(c.kpi_id)
        assessment = kpis.get(c.kpi_id)
        if assessment is None or assessment.status not in (f.OFF_TRACK, f.AT_RISK):
            continue
        name = inputs.kpi_names.get(c.kpi_id, ("KPI", 0))[0]
        label = f.KPI_STATUS_LABELS[assessment.status].lower()
        off = assessment.status == f.OFF_TRACK
        p = inputs.policy.kpi
        # measured against the threshold it fell short of: on track's when at risk, at risk's when off track
        if assessment.forecast_progress is not None:
            measured, threshold = assessment.forecast_progress, p.at_risk if off else p.on_track
            target_date = inputs.kpis[c.kpi_id].target_date.isoformat()
            why = f"the trend reaches {measured:.0%} of the way to its target by {target_date}"
        else:
            measured, threshold = assessment.ratio or 0.0, p.gap_at_risk if off else p.gap_on_track
            latest = assessment.latest_date.isoformat() if assessment.latest_date else ""
            why = f"progress is {measured:.0%} of what was expected by {latest}"
        yield _signal(
            row,
            "kpi_off_track",
            RED if off else AMBER,
            f"{row.code} is expected to move “{name}”, which is {label}: {why}.",
            subject=f"i{row.id}:k{c.kpi_id}",
            kpi_id=c.kpi_id,
            objective_id=c.objective_id,
            measured=round(measured, 4),
            threshold=threshold,
            evidence=[{"label": f"KPI {name}", "url": links.kpi(c.kpi_id)}],
        )


def schedule_slip(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    p = inputs.policy.signals
    d = score.delivery_detail
    if row.stage in ACTIVE and d is not None and d.slip_ratio is not None and d.slip_ratio >= p.slip_amber:
        yield _signal(
            row,
            "schedule_slip",
            RED if d.slip_ratio >= p.slip_red else AMBER,
            f"{row.code} is {d.slip_days} days late, {d.slip_ratio:.0%} of its planned duration.",
            measured=round(d.slip_ratio, 4),
            threshold=p.slip_amber,
            evidence=[{"label": f"{row.code} milestones", "url": links.initiative(row.id, "milestones")}],
        )


def cost_overrun(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    p = inputs.policy.signals
    d = score.delivery_detail
    if row.stage in ACTIVE and d is not None and d.overrun is not None and d.overrun >= p.overrun_amber:
        yield _signal(
            row,
            "cost_overrun",
            RED if d.overrun >= p.overrun_red else AMBER,
            f"{row.code} is forecast {d.overrun:.0%} over its budget of {money(row.budget)}.",
            measured=round(d.overrun, 4),
            threshold=p.overrun_amber,
            evidence=[{"label": f"{row.code} costs", "url": links.initiative(row.id, "overview")}],
        )


def no_sustainment_owner(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    p = inputs.policy.signals
    if row.sustainment_owner_id:
        return
    days = f.sustainment_owner_due(
        stage=row.stage,
        go_live_date=row.go_live_date,
        today=inputs.today,
        window_days=p.sustainment_warning_days,
    )
    if days is None:
        return
    when = "is live" if row.stage == "live" else ("went live" if days < 0 else f"goes live in {days} days")
    yield _signal(
        row,
        "no_sustainment_owner",
        RED if days <= p.sustainment_red_days else AMBER,
        f"{row.code} {when} and nobody owns it after go-live.",
        measured=days,
        threshold=p.sustainment_warning_days,
        evidence=[{"label": f"{row.code} overview", "url": links.initiative(row.id, "overview")}],
    )


def live_no_reading(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    p = inputs.policy.signals
    if row.stage != "live" or row.go_live_date is None:
        return
    if (inputs.today - row.go_live_date).days < p.live_reading_grace_days:
        return
    named = {c.kpi_id for c in row.contributions if c.kpi_id}
    latest = [kpis[k].latest_date for k in named if k in kpis and kpis[k].latest_date]
    if not named or not any(d > row.go_live_date for d in latest):
        what = "names no KPI" if not named else "has no KPI reading"
        yield _signal(
            row,
            "live_no_reading",
            AMBER,
            f"{row.code} went live on {row.go_live_date.isoformat()} and {what} since: its benefits are not measured.",
            measured=(inputs.today - row.go_live_date).days,
            threshold=p.live_reading_grace_days,
            evidence=[
                {"label": f"KPI {inputs.kpi_names[k][0]}", "url": links.kpi(k)}
                for k in sorted(named)
                if k in inputs.kpi_names
            ]
            or [{"label": f"{row.code} contributions", "url": links.initiative(row.id, "contributions")}],
        )


def objective_weakened(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    if row.stage not in ACTIVE:
        return
    p = inputs.policy.signals
    for c in row.contributions:
        if c.strength in ("none", "weak"):
            continue
        objective = inputs.objectives.get(c.objective_id)
        if objective is None:
            continue
        evidence = [{"label": f"Objective {objective.code}", "url": links.objective(objective.id)}]
        if objective.status != "active":
            yield _signal(
                row,
                "objective_weakened",
                RED,
                f"{row.code} serves {objective.code}, which has been retired.",
                subject=f"i{row.id}:o{objective.id}",
                objective_id=objective.id,
                measured=0,
                evidence=evidence,
            )
            continue
        before = inputs.lookback_relative_weights.get(objective.id)
        now = inputs.relative_weights.get(objective.id, 0.0)
        if before and before > 0 and (before - now) / before >= p.downweight_drop:
            yield _signal(
                row,
                "objective_weakened",
                AMBER,
                f"{row.code} serves {objective.code}, whose weight fell {(before - now) / before:.0%} in {p.downweight_lookback_days} days.",
                subject=f"i{row.id}:o{objective.id}",
                objective_id=objective.id,
                measured=round((before - now) / before, 4),
                threshold=p.downweight_drop,
                evidence=evidence,
            )


def checkpoint_overdue(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    g = score.governance_detail
    if row.stage not in GOVERNED or g is None:
        return
    if g.overdue(inputs.today):
        if row.reviews:
            when = (
                f"was last reviewed {row.reviews[0].held_on.isoformat()}, {g.days_since_checkpoint} days ago"
            )
        else:
            when = (
                f"has had no checkpoint review in the {g.days_since_checkpoint} days since it moved to "
                f"{STAGE_LABELS.get(row.stage, row.stage)}"
            )
        yield _signal(
            row,
            "checkpoint_overdue",
            RED if g.days_since_checkpoint > 2 * g.cadence_days else AMBER,
            f"{row.code} {when}; as a tier {score.tier} initiative it is due a review every {g.cadence_days} days "
            f"(due {g.due_on.isoformat()}).",
            measured=g.days_since_checkpoint,
            threshold=g.cadence_days,
            evidence=[{"label": f"{row.code} checkpoints", "url": links.initiative(row.id, "checkpoints")}],
        )


def high_risk_no_mitigation(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    limit = inputs.policy.signals.high_risk_exposure
    if row.stage not in UNFINISHED:
        return
    for risk in row.risks:
        if risk.exposure >= limit and not risk.has_mitigation:
            yield _signal(
                row,
                "high_risk_no_mitigation",
                RED,
                f"{row.code}: “{risk.title}” ({risk.probability} × {risk.impact} = {risk.exposure}) has no mitigation.",
                subject=f"r{risk.id}",
                measured=risk.exposure,
                threshold=limit,
                evidence=[{"label": risk.title, "url": links.record("risks", risk.id)}],
            )


# ------------------------------------------------------------------------------------- benefits (issue 14)

BENEFIT_STAGES = frozenset({Stage.LIVE.value, Stage.CLOSED.value})
# the proposals being judged now: a sponsor's record weighs on them
PROPOSAL_STAGES = frozenset({Stage.IDEA.value, Stage.PROPOSED.value, Stage.APPROVED.value})
PLANS_NAMED = 3  # the plans furthest behind a benefits_behind_plan message names


def _percent_down(fraction: Decimal, places: str) -> Decimal:
    """A fraction as a percentage rounded down, so a ratio just below a threshold never reads as the threshold
    itself (0.79997 is 79.9 %, not 80 %)."""
    return (fraction * 100).quantize(Decimal(places), rounding=ROUND_FLOOR)


def benefits_behind_plan(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    """Realised / expected to date over the initiative's money benefit plans below the amber threshold (red
    below the red one), once something was expected to date and at least one quarter has an actual (before
    that, live_no_benefit_actuals speaks)."""
    if row.stage not in BENEFIT_STAGES:
        return
    p = inputs.policy.signals
    to_date = inputs.benefits.money_to_date(row.id)
    if to_date is None:
        return
    realised, expected = to_date
    ratio = float(realised / expected)
    if ratio >= p.benefits_behind_amber:
        return
    behind = sorted(
        (plan for plan in inputs.benefits.plans[row.id] if plan.financial and plan.realisation.variance < 0),
        key=lambda plan: (plan.realisation.variance, plan.label),
    )[:PLANS_NAMED]
    named = "; ".join(
        f"“{plan.label}” {money_full(plan.realisation.realised_to_date)} of "
        f"{money_full(plan.realisation.expected_to_date)}"
        for plan in behind
    )
    yield _signal(
        row,
        "benefits_behind_plan",
        RED if ratio < p.benefits_behind_red else AMBER,
        f"{row.code} has realised {money_full(realised)} of the {money_full(expected)} its benefit plans expected "
        f"to date, {_percent_down(realised / expected, '0.1')}% (below {p.benefits_behind_amber:.0%}); "
        f"furthest behind: {named}.",
        measured=round(ratio, 4),
        threshold=p.benefits_behind_amber,
        evidence=[
            {"label": f"Benefit plan “{plan.label}”", "url": links.benefit_plan(plan.line_id)}
            for plan in behind
        ]
        + [{"label": f"{row.code} benefits", "url": links.initiative(row.id, "benefits")}],
    )


def live_no_benefit_actuals(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    """Live for at least the grace period, and either benefit plans that expected something in a quarter
    already ended with no actual (entered or derived) for any quarter ended, or benefit lines in the business
    case and no plan at all."""
    p = inputs.policy.signals
    if row.stage != Stage.LIVE or row.go_live_date is None:
        return
    days = (inputs.today - row.go_live_date).days
    if days < p.benefit_actuals_grace_days:
        return
    went_live = f"{row.code} went live on {row.go_live_date.isoformat()}, {days} days ago"
    plans = inputs.benefits.plans.get(row.id, [])
    if plans:
        expecting = [plan for plan in plans if plan.realisation.missing_actuals]
        if not expecting or any(plan.actuals_to_date for plan in plans):
            return
        quarters = sorted({q for plan in expecting for q in plan.realisation.missing_actuals})
        count = len(quarters)
        message = (
            f"{went_live}, and no benefit actual has been entered or derived from KPI readings for any quarter "
            f"ended: its benefit plans expected a benefit in {count} quarters "
            f"({quarters[0].label} to {quarters[-1].label}) and nothing says what came of it."
            if count > 1
            else f"{went_live}, and no benefit actual has been entered or derived from KPI readings for any "
            f"quarter ended: its benefit plans expected a benefit in {quarters[0].label} and nothing says what "
            "came of it."
        )
        evidence = [
            {"label": f"Benefit plan “{plan.label}”", "url": links.benefit_plan(plan.line_id)}
            for plan in expecting
        ]
    else:
        lines = inputs.benefits.unplanned.get(row.id)
        if not lines:
            return
        labels = ", ".join(f"“{label}”" for _, label in lines)
        message = (
            f"{went_live}, and its business case promises benefits ({labels}) that no benefit plan tracks: "
            "nothing says what they should bring each quarter, nor what they brought."
        )
        evidence = [{"label": f"Plan “{label}”", "url": links.benefit_plan(pk)} for pk, label in lines]
    yield _signal(
        row,
        "live_no_benefit_actuals",
        AMBER,
        message,
        measured=days,
        threshold=p.benefit_actuals_grace_days,
        evidence=evidence,
    )


def sponsor_overpromised(row, score, inputs, kpis, links):  # type: ignore[no-untyped-def]
    """A proposal (idea, proposed, approved) whose sponsor's initiatives past go-live realised less than
    1 - the threshold of what their money benefit plans promised to date, over at least the minimum number of
    initiatives."""
    p = inputs.policy.signals
    if row.stage not in PROPOSAL_STAGES or row.sponsor_id is None:
        return
    record = inputs.benefits.sponsors.get(row.sponsor_id)
    if record is None or record.initiatives < p.sponsor_min_initiatives:
        return
    rate = record.rate
    floor = 1 - p.sponsor_overpromise
    if rate is None or rate >= floor:
        return
    yield _signal(
        row,
        "sponsor_overpromised",
        AMBER,
        f"The sponsor of {row.code} ({STAGE_LABELS.get(row.stage, row.stage).lower()}): past initiatives realised "
        f"{_percent_down(record.realised / record.promised, '1')}% of what was promised, over "
        f"{record.initiatives} initiatives "
        f"({money_full(record.realised)} of {money_full(record.promised)} expected to date; below "
        f"{floor:.0%}). Test the benefits this one promises.",
        measured=round(rate, 4),
        threshold=round(floor, 4),
        evidence=[
            {"label": f"{row.code} business case", "url": links.initiative(row.id, "business-case")},
            {"label": "Benefits by sponsor", "url": links.benefits},
        ],
    )


INITIATIVE_RULES: list[InitiativeRule] = [
    orphan,
    weak_fit_large_budget,
    scope_changes,
    sponsor_absent,
    unclear_requirements,
    kpi_off_track,
    schedule_slip,
    cost_overrun,
    no_sustainment_owner,
    live_no_reading,
    objective_weakened,
    checkpoint_overdue,
    high_risk_no_mitigation,
    benefits_behind_plan,
    live_no_benefit_actuals,
    sponsor_overpromised,
]


# The stages at which each rule can raise a signal (each returns at once at any other), and so the rules
# worth calling at each stage: a full recompute calls them for every initiative.
RULE_STAGES: dict[InitiativeRule, frozenset[str]] = {
    orphan: ACTIVE,
    weak_fit_large_budget: ACTIVE,
    scope_changes: ACTIVE,
    sponsor_absent: ACTIVE,
    unclear_requirements: frozenset({Stage.APPROVED, Stage.IN_DELIVERY}),
    kpi_off_track: ACTIVE,
    schedule_slip: ACTIVE,
    cost_overrun: ACTIVE,
    no_sustainment_owner: ACTIVE,
    live_no_reading: frozenset({Stage.LIVE}),
    objective_weakened: ACTIVE,
    checkpoint_overdue: GOVERNED,
    high_risk_no_mitigation: UNFINISHED,
    benefits_behind_plan: BENEFIT_STAGES,
    live_no_benefit_actuals: frozenset({Stage.LIVE.value}),
    sponsor_overpromised: PROPOSAL_STAGES,
}
RULES_AT: dict[str, tuple[InitiativeRule, ...]] = {
    stage: tuple(rule for rule in INITIATIVE_RULES if stage in RULE_STAGES[rule]) for stage in Stage.values
}


def initiative_signals(
    row: InitiativeRow,
    score: InitiativeResult,
    inputs: PortfolioInputs,
    kpis: dict[int, f.KPIAssessment],
    links: Links,
) -> list[SignalRow]:
    return [
        signal
        for rule in RULES_AT.get(row.stage, INITIATIVE_RULES)
        for signal in rule(row, score, inputs, kpis, links)
    ]


def leadership_signals(
    inputs: PortfolioInputs, agreements: dict[int, list[tuple[int, str, float, Any]]]
) -> list[SignalRow]:
    """Programs whose latest closed leadership alignment survey (surveys.selectors.program_agreements) has an
    agreement index below the policy's threshold: amber below `leadership_agreement_amber`, red below
    `leadership_agreement_red`; the message says how it moved since the round before."""
    p = inputs.policy.signals
    workshop = url_pattern("surveys:workshop")
    signals = []
    for program_id, rounds in sorted(agreements.items()):
        round_id, title, agreement, _closed_at = rounds[0]
        if agreement >= p.leadership_agreement_amber:
            continue
        trend = f" (it was {rounds[1][2]:.0f} in the round before)" if len(rounds) > 1 else ""
        signals.append(
            SignalRow(
                rule="leadership_misaligned",
                severity=RED if agreement < p.leadership_agreement_red else AMBER,
                subject=f"p{program_id}",
                message=f"Business and IT leaders agree {agreement:.0f}/100 in the survey “{title}”"
                f"{trend}: below {p.leadership_agreement_amber:.0f}.",
                program_id=program_id,
                measured=round(agreement, 2),
                threshold=p.leadership_agreement_amber,
                evidence=[{"label": f"Survey “{title}”", "url": workshop.format(round_id)}],
            )
        )
    return signals


def objective_signals(inputs: PortfolioInputs, portfolio: PortfolioResult, links: Links) -> list[SignalRow]:
    """Priority objectives with enough weight that no open initiative serves moderately or strongly."""
    p = inputs.policy.signals
    covered = set(portfolio.details.get("covered_units", []))
    signals = []
    for pk, facts in portfolio.objectives.items():
        if not facts.is_unit or pk in covered or facts.weight_share < p.important_objective_share:
            continue
        objective = inputs.objectives[pk]
        signals.append(
            SignalRow(
                rule="objective_uncovered",
                severity=RED,
                subject=f"o{pk}",
                message=f"{objective.code} “{objective.title}” carries {facts.weight_share:.0%} of the strategy and no open initiative serves it.",
                objective_id=pk,
                owner_id=objective.owner_id,
                measured=round(facts.weight_share, 4),
                threshold=p.important_objective_share,
                evidence=[{"label": f"Objective {objective.code}", "url": links.objective(pk)}],
            )
        )
    return signals


# ------------------------------------------------------------------------------------- capacity (issue 13)

CAPACITY_STAGES = frozenset({Stage.APPROVED.value, Stage.IN_DELIVERY.value})
CAPACITY_EVIDENCE = 5  # the worst team-months an overload signal links to


def _worst(fact: OverloadFact) -> float:
    return float("inf") if fact.utilisation is None else fact.utilisation


def capacity_overload(row: InitiativeRow, facts: list[OverloadFact], threshold: float) -> list[SignalRow]:
    """A funded initiative (approved, in delivery) with effort in team-months over the capacity policy's
    threshold (capacity.selectors.overload_facts): amber; red when the worst is at least 1.2 x the threshold
    or has no capacity at all. One signal per initiative, the worst team-months as its evidence."""
    if row.stage not in CAPACITY_STAGES or not facts:
        return []
    ranked = sorted(facts, key=lambda fact: (-_worst(fact), fact.month, fact.team))
    worst = ranked[0]
    teams = sorted({fact.team for fact in facts})
    at = "no capacity" if worst.utilisation is None else f"{worst.utilisation:.0f} %"
    severity = RED if _worst(worst) >= 1.2 * threshold else AMBER
    effort = sum(float(fact.effort) for fact in facts)
    count = len(facts)
    return [
        _signal(
            row,
            "capacity_overload",
            severity,
            f"{row.code} needs {effort:,.1f} person-days of {', '.join(teams)} in {count} over-allocated "
            f"team-month{'s' if count != 1 else ''}; the worst: {worst.team} in {month_label(worst.month)} at "
            f"{at} (above {threshold:.0f} %).",
            measured=None if worst.utilisation is None else round(worst.utilisation, 2),
            threshold=threshold,
            evidence=[
                {
                    "label": f"{fact.team}, {month_label(fact.month)}",
                    "url": _cell_url(fact),
                }
                for fact in ranked[:CAPACITY_EVIDENCE]
            ],
        )
    ]


def _cell_url(fact: OverloadFact) -> str:
    return reverse("capacity:cell-detail", args=[fact.team_id, f"{fact.month:%Y-%m}"])


def run_squeeze_signals(facts: list[SqueezeFact]) -> list[SignalRow]:
    """Teams whose run demand leaves less than the target share of their capacity for change over the coming
    year (capacity.selectors.squeeze_facts): amber; red when under half the target."""
    team = url_pattern("capacity:team-detail")
    return [
        SignalRow(
            rule="run_squeeze",
            severity=RED if fact.change_room < fact.target / 2 else AMBER,
            subject=f"t{fact.team_id}",
            message=f"Run demand of {fact.team} takes {float(fact.run):,.0f} of its {float(fact.capacity):,.0f} "
            f"person-days over the coming year: {fact.change_room:.0f} % is left for change, below the "
            f"target of {fact.target:.0f} %.",
            measured=round(fact.change_room, 2),
            threshold=fact.target,
            evidence=[{"label": f"Team {fact.team}", "url": team.format(fact.team_id)}],
        )
        for fact in facts
    ]
