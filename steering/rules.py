"""Steering's rules over what the alignment engine computed: when a checkpoint review is due, which initiatives
a meeting should look at and how important each is, what RAG the data suggests, and the gate that holds tier-1
initiatives until a committee has decided to proceed. docs/steering.md gives each rule with an example."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from alignment.engine import status
from alignment.engine.inputs import BENEFIT_STAGES, load_benefits
from alignment.engine.rules import RULES
from alignment.models import InitiativeScore, KPIScore, Severity, Signal
from alignment.services import current_policy
from core.stages import GOVERNED, STAGE_ORDER, UNFINISHED, Stage
from portfolio.benefits import PIR_WINDOW_MONTHS, ReviewDue, add_months, review_due
from portfolio.models import Initiative, Milestone, Program, ScopeChange, ScopeChangeStatus
from risk import selectors as risk_selectors
from steering.models import PROCEED_DECISIONS, RAG_DIMENSIONS, CheckpointReview

# The engine's signal that says the same as a checkpoint due (with dates): counted once, as the checkpoint.
CHECKPOINT_OVERDUE_RULE = "checkpoint_overdue"
# The engine's signal on a program whose business and IT leaders disagree on its goals (its latest leadership
# survey): the program comes before the committee through its lead initiative (lead_initiatives).
LEADERSHIP_RULE = "leadership_misaligned"

# ------------------------------------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class CheckpointDue:
    """When a governed initiative's next checkpoint review is due, as the engine last computed it
    (alignment.engine.formulas.checkpoint_due): the one date the agenda, the reminders and the engine's
    overdue signal share."""

    due_on: datetime.date
    tier: int
    cadence_days: int
    last_review: datetime.date | None

    def reason(self) -> str:
        """Why it is on an agenda, as the chair reads it."""
        when = f"last reviewed {self.last_review.isoformat()}" if self.last_review else "never reviewed"
        return f"Checkpoint due {self.due_on.isoformat()} (tier {self.tier}, every {self.cadence_days} days; {when})"

    def overdue_days(self, on: datetime.date) -> int:
        """Days past the due date on a day (0 until it is overdue)."""
        return max(0, (on - self.due_on).days)


def checkpoints_due(initiatives: QuerySet[Initiative] | None = None) -> dict[int, CheckpointDue]:
    """The next checkpoint of each governed initiative (approved or in delivery) that the engine has scored,
    in three queries however many initiatives."""
    cadences = {tier: cadence for tier, (cadence, _artefacts) in risk_selectors.tier_policies().items()}
    rows = (initiatives if initiatives is not None else Initiative.objects.all()).filter(
        stage__in=GOVERNED, score__checkpoint_due__isnull=False
    )
    last = dict(
        CheckpointReview.objects.filter(initiative__in=rows, held_on__lte=timezone.localdate())
        .values("initiative_id")
        .annotate(last=Max("held_on"))
        .values_list("initiative_id", "last")
    )
    due: dict[int, CheckpointDue] = {}
    for pk, due_on, tier in rows.values_list("pk", "score__checkpoint_due", "score__tier"):
        if due_on is not None and tier is not None:  # the engine stores both for a governed initiative
            due[pk] = CheckpointDue(due_on, tier, cadences[tier], last.get(pk))
    return due


# ------------------------------------------------------------------------------------------------ agenda

# Importance points (0-100): see docs/steering.md, "Which initiatives come first".
TIER_POINTS = {1: 30, 2: 20, 3: 10}
RED_SIGNAL_POINTS, RED_SIGNALS_COUNTED = 10, 3
CHECKPOINT_DUE_POINTS, OVERDUE_DAYS_PER_POINT, OVERDUE_POINTS_MAX = 5, 3, 20
PENDING_CHANGE_POINTS, PENDING_CHANGES_COUNTED = 5, 3
LEADERSHIP_POINTS = 10
REVIEW_DUE_POINTS = 5  # a post-implementation review due after go-live
# The time box an item gets by default, from its importance: (at least this important, minutes).
TIME_BOXES = ((60, 20), (40, 15), (0, 10))
HAND_ADDED_MINUTES = 10


@dataclass(frozen=True)
class Importance:
    """How much an initiative needs the committee, in points (0-100), with the parts that make them up."""

    points: int
    parts: tuple[tuple[str, int], ...]

    def minutes(self) -> int:
        """The default time box of an item this important."""
        return next(minutes for floor, minutes in TIME_BOXES if self.points >= floor)

    def explanation(self) -> str:
        """ "tier 1: 30 + 2 red signals: 20 = 50"."""
        if not self.parts:
            return "0"
        return " + ".join(f"{label}: {points}" for label, points in self.parts) + f" = {self.points}"


@dataclass(frozen=True)
class AgendaFacts:
    """What the data says about one open initiative for a meeting on `held_on`: its tier, its checkpoint if
    due by that day, its red signals and its scope changes awaiting a decision."""

    initiative_id: int
    held_on: datetime.date
    tier: int | None = None
    checkpoint: CheckpointDue | None = None
    red_signals: tuple[str, ...] = field(default_factory=tuple)  # the rules' titles
    pending_changes: int = 0
    # the leadership_misaligned signal of the program it leads: (program name, agreement 0-100)
    leadership: tuple[str, float] | None = None
    # a post-implementation review due (+3, +6 or +12 months after go-live: portfolio.benefits.review_due)
    review: ReviewDue | None = None

    @property
    def flagged(self) -> bool:
        """Whether the data puts it on the agenda."""
        return bool(
            self.checkpoint or self.red_signals or self.pending_changes or self.leadership or self.review
        )

    @property
    def overdue_days(self) -> int:
        return self.checkpoint.overdue_days(self.held_on) if self.checkpoint else 0

    def reasons(self) -> list[str]:
        """Why it should come before the committee, as the chair reads it (none when it is not flagged)."""
        reasons = []
        if self.checkpoint:
            reasons.append(self.checkpoint.reason())
        if self.red_signals:
            n = len(self.red_signals)
            reasons.append(f"{n} red signal{'s' if n > 1 else ''}: {' · '.join(self.red_signals)}")
        if self.pending_changes:
            n = self.pending_changes
            reasons.append(f"{n} scope change{'s' if n != 1 else ''} awaiting a decision")
        if self.leadership:
            program, agreement = self.leadership
            reasons.append(f"Leadership of {program} disagree on its goals (agreement {agreement:.0f}/100)")
        if self.review:
            reasons.append(self.review.reason())
        return reasons

    def importance(self) -> Importance:
        """Tier (1: 30, 2: 20, 3: 10), red signals (10 each, up to 3), a checkpoint due (5, plus 1 per 3 days
        overdue on the meeting's day, up to 20), scope changes awaiting a decision (5 each, up to 3), its
        program's leaders disagreeing (10), a post-implementation review due (5)."""
        parts: list[tuple[str, int]] = []
        if self.tier in TIER_POINTS:
            parts.append((f"tier {self.tier}", TIER_POINTS[self.tier]))
        if self.red_signals:
            n = len(self.red_signals)
            parts.append(
                (f"{n} red signal{'s' if n > 1 else ''}", RED_SIGNAL_POINTS * min(n, RED_SIGNALS_COUNTED))
            )
        if self.checkpoint:
            overdue = self.overdue_days
            late = min(overdue // OVERDUE_DAYS_PER_POINT, OVERDUE_POINTS_MAX)
            label = f"checkpoint {overdue} days overdue" if overdue else "checkpoint due"
            parts.append((label, CHECKPOINT_DUE_POINTS + late))
        if self.pending_changes:
            n = self.pending_changes
            parts.append(
                (
                    f"{n} scope change{'s' if n != 1 else ''} pending",
                    PENDING_CHANGE_POINTS * min(n, PENDING_CHANGES_COUNTED),
                )
            )
        if self.leadership:
            parts.append(("program leaders disagree", LEADERSHIP_POINTS))
        if self.review:
            parts.append((f"review +{self.review.months} months after go-live", REVIEW_DUE_POINTS))
        return Importance(sum(points for _label, points in parts), tuple(parts))


# A program's lead initiative: in delivery before approved, then the largest budget, then by code.
LEAD_ORDER = (
    Case(When(stage=Stage.IN_DELIVERY, then=Value(0)), default=Value(1), output_field=IntegerField()),
    Cast(F("budget_capex") + F("budget_opex"), FloatField()).desc(),
    "code",
    "pk",
)


def lead_initiatives() -> dict[int, tuple[str, float]]:
    """The programs the engine flags with `leadership_misaligned`, each through its lead initiative: its
    largest initiative in delivery (by budget, then code), or else its largest approved one. A committee
    governs initiatives, so a program comes before it as the initiative that carries most of its spend; a
    program with neither in delivery nor approved initiatives is not proposed. Returns lead initiative id ->
    (program name, agreement 0-100), in one query however many programs and initiatives."""
    lead = Initiative.objects.filter(program=OuterRef("pk"), stage__in=GOVERNED).order_by(*LEAD_ORDER)
    flagged = Signal.objects.filter(rule=LEADERSHIP_RULE, program=OuterRef("pk")).order_by("pk")
    rows = (
        Program.objects.filter(pk__in=Signal.objects.filter(rule=LEADERSHIP_RULE).values("program_id"))
        .annotate(agreement=Subquery(flagged.values("measured")[:1]), lead=Subquery(lead.values("pk")[:1]))
        .filter(agreement__isnull=False, lead__isnull=False)
        .values_list("lead", "name", "agreement")
    )
    return {lead_id: (name, agreement) for lead_id, name, agreement in rows}


def reviews_after_go_live(
    open_initiatives: QuerySet[Initiative], held_on: datetime.date
) -> dict[int, ReviewDue]:
    """The post-implementation reviews due by `held_on` (portfolio.benefits.review_due) of the live initiatives
    among `open_initiatives`, in one query however many initiatives."""
    live = open_initiatives.filter(
        stage=Stage.LIVE,
        go_live_date__lte=held_on,
        # a few days' margin for month ends: review_due decides
        go_live_date__gte=add_months(held_on, -PIR_WINDOW_MONTHS) - datetime.timedelta(days=3),
    )
    latest = CheckpointReview.objects.filter(initiative=OuterRef("pk"), held_on__lte=held_on).order_by(
        "-held_on"
    )
    rows = live.annotate(last=Subquery(latest.values("held_on")[:1])).values_list(
        "pk", "go_live_date", "last"
    )
    found = {pk: review_due(go_live, held_on, last) for pk, go_live, last in rows}
    return {pk: due for pk, due in found.items() if due is not None}


def agenda_facts(
    held_on: datetime.date, initiative_ids: Collection[int] | None = None
) -> dict[int, AgendaFacts]:
    """The agenda facts of every open initiative (or of the given ones) for a meeting on `held_on`, in a fixed
    number of queries. Initiatives the data does not flag are included only when asked for by id."""
    open_initiatives = Initiative.objects.filter(stage__in=UNFINISHED)
    if initiative_ids is not None:
        open_initiatives = open_initiatives.filter(pk__in=list(initiative_ids))
    due = {
        pk: checkpoint
        for pk, checkpoint in checkpoints_due(open_initiatives).items()
        if checkpoint.due_on <= held_on
    }
    red: dict[int, list[str]] = defaultdict(list)
    for initiative_id, rule in (
        Signal.objects.filter(severity=Severity.RED, initiative__in=open_initiatives)
        .exclude(rule=CHECKPOINT_OVERDUE_RULE)
        .order_by("initiative_id", "rule")
        .values_list("initiative_id", "rule")
    ):
        title = RULES[rule].title if rule in RULES else rule.replace("_", " ")
        if title not in red[initiative_id]:
            red[initiative_id].append(title)
    pending = dict(
        ScopeChange.objects.filter(status=ScopeChangeStatus.PENDING, initiative__in=open_initiatives)
        .values("initiative_id")
        .annotate(n=Count("pk"))
        .values_list("initiative_id", "n")
    )
    leadership = lead_initiatives()
    if initiative_ids is not None:
        leadership = {pk: facts for pk, facts in leadership.items() if pk in set(initiative_ids)}
    reviews = reviews_after_go_live(open_initiatives, held_on)
    ids = set(due) | set(red) | set(pending) | set(leadership) | set(reviews) | set(initiative_ids or ())
    tiers = dict(
        InitiativeScore.objects.filter(initiative_id__in=ids, computed_at__isnull=False).values_list(
            "initiative_id", "tier"
        )
    )
    return {
        pk: AgendaFacts(
            initiative_id=pk,
            held_on=held_on,
            tier=tiers.get(pk),
            checkpoint=due.get(pk),
            red_signals=tuple(sorted(red.get(pk, ()))),
            pending_changes=pending.get(pk, 0),
            leadership=leadership.get(pk),
            review=reviews.get(pk),
        )
        for pk in sorted(ids)
    }


# ------------------------------------------------------------------------------------------------ suggested RAG


def suggest_rag(initiative: Initiative) -> dict[str, dict[str, str]]:
    """Per dimension (schedule, cost, scope, benefits), the RAG the data suggests and why, under the signal
    thresholds of the policy (alignment.engine.status, which the engine's stored current status uses too); the
    schedule also reads each milestone's slip (see docs/steering.md)."""
    policy = current_policy().signals
    today = timezone.localdate()
    score = InitiativeScore.objects.filter(initiative=initiative, computed_at__isnull=False).first()
    milestones = Milestone.objects.filter(initiative=initiative, actual_date__isnull=True).values_list(
        "name", "baseline_date", "forecast_date"
    )
    changes = ScopeChange.objects.filter(
        initiative=initiative, date__gte=today - datetime.timedelta(days=policy.scope_window_days)
    ).values_list("date", "status")
    statuses = KPIScore.objects.filter(kpi__contributions__initiative=initiative).values_list(
        "kpi__name", "status"
    )
    suggestions = {
        "schedule": status.schedule(
            milestones,
            score.slip_days if score else None,
            score.slip_ratio if score else None,
            today,
            policy,
        ),
        "cost": status.cost(score.overrun if score else None, policy),
        "scope": status.scope(changes, today, policy),
        "benefits": status.benefits(
            statuses,
            load_benefits(today=today, initiative_ids=[initiative.pk]).money_to_date(initiative.pk)
            if initiative.stage in BENEFIT_STAGES
            else None,
            policy,
        ),
    }
    return {
        dimension: {"rag": suggestions[dimension].rag, "reason": suggestions[dimension].reason}
        for dimension in RAG_DIMENSIONS
    }


# ------------------------------------------------------------------------------------------------ stage gate


def tier_one_gate(initiative: Initiative, new_stage: str) -> str | None:
    """A tier-1 initiative moves on to a later stage only when the latest review held since it entered its
    current stage decided to proceed (with or without conditions): a later "realign", "pause" or "stop"
    shuts the gate again."""
    if STAGE_ORDER.get(new_stage, 0) <= STAGE_ORDER.get(initiative.stage, 0) or new_stage == Stage.CANCELLED:
        return None
    tier = InitiativeScore.objects.filter(initiative=initiative).values_list("tier", flat=True).first()
    if tier != 1:
        return None
    since = initiative.stage_since or initiative.created_at.date()
    latest = (
        CheckpointReview.objects.filter(
            initiative=initiative, held_on__gte=since, held_on__lte=timezone.localdate()
        )
        .order_by("-held_on", "-pk")
        .first()
    )
    stage = initiative.get_stage_display()
    if latest is not None and latest.decision in PROCEED_DECISIONS:
        return None
    if latest is not None:
        return (
            f"{initiative.code} is a tier 1 initiative: its latest review ({latest.held_on.isoformat()}) decided "
            f"“{latest.get_decision_display()}”, so it does not move on from “{stage}” until a steering "
            "committee records a proceed decision at a later review."
        )
    return (
        f"{initiative.code} is a tier 1 initiative: it moves on from “{stage}” only "
        f"after a steering committee records a proceed decision at a checkpoint review held since "
        f"{since.isoformat()}. Put it on a meeting's agenda first."
    )
