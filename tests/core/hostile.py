"""A small portfolio whose every entered text is an attack, the pages, fragments and downloads that show it, and
the checks that say whether any of it got through. Shared by the hostile-content test (Django's test client) and
its browser twin (Chromium).

Every CharField and TextField without choices of every model of the entered apps is found through the app
registry, so a field added later is attacked too. Payloads are script (tags, attribute break-outs, a script
element closed early, Plotly's link markup) behind a formula trigger (= + - @ tab CR), so one value tests the
pages and the downloads; link-ish fields get a javascript: URL.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from alignment import services as alignment_services
from api import tokens as api_tokens
from api.models import ApiToken
from capacity import models as cm
from capacity import services as capacity
from core import choices, roles
from core.extensions import registry
from core.models import ImportRun, Job, VersionedModel
from core.stages import Stage
from events.models import Notification, WebhookSubscription
from planning import models as planning_models
from planning import services as planning
from planning.services import scenarios
from planning.whatif import compute_impact
from portfolio import models as pm
from portfolio.benefits import Quarter
from portfolio.imports import runs as import_runs
from portfolio.imports.registry import KINDS as import_kinds
from portfolio.services import business_cases
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from risk import models as rm
from steering import models as sm
from steering import services as steering
from surveys import models as survey_models
from surveys import services as surveys
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    CommitteeFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
    UserFactory,
)

TODAY = datetime.date(2026, 11, 21)
NOW = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
ENTERED_APPS = ("portfolio", "risk", "capacity", "steering", "surveys", "api", "planning")
# The survey's records people type into that are not versioned (questions, scale items, leaders, answers).
ENTERED_PLAIN = (
    "surveys.Question",
    "surveys.ScaleItem",
    "surveys.Respondent",
    "surveys.Answer",
    "api.ApiToken",
    "portfolio.BusinessCaseLine",
    "planning.StrategyWeight",
    "planning.ScenarioRule",
    "planning.ScoringModelVersion",
    "planning.ProposalEvent",
    "planning.IntakePolicy",
    "steering.PortfolioDecision",
    "capacity.CapacityPolicy",
)
# Text no page shows by design (a personal link's hash, an API token's) or no one types (a token's prefix,
# eight hex digits Bearing draws).
NEVER_SHOWN = {
    ("surveys.Respondent", "token_hash"),
    ("api.ApiToken", "digest"),
    ("api.ApiToken", "prefix"),
    ("portfolio.BusinessCase", "irr_note"),  # computed, never typed (the page shows the one computed now)
}
PASSWORD = "correct horse battery staple"

# {n} makes each value unique (codes and names are unique) and says which field it came from
SCRIPTS = (
    '<img src=x onerror="window.__xss={n}">',
    '"><script>window.__xss={n}</script>',
    "</script><script>window.__xss={n}</script><!--",
    "'><svg onload=window.__xss={n}>",
    '" onmouseover="window.__xss={n}" x="',
    '<a href="https://evil.example/{n}" popup=\'");window.__xss={n};("\'>link</a>',
    "<svg onload=alert({n})>",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
JAVASCRIPT_URL = "javascript:window.__xss={n}//"
LINKISH = re.compile(r"reference|url|link|href|website", re.I)
# what fits a 20-character code: markup alone, or a formula alone
SHORT = ("<svg onload=__xss={d}>", "=1+{r}", "-{r}+1", "@A{r}", "+{r}")

# markup that would run if a page printed a payload as it is (compared case-insensitively)
RAW_MARKUP = (
    "<img src=x onerror",
    "<script>window.__xss",
    "<svg onload",
    '" onmouseover="window.__xss',
    '<a href="https://evil.example',
)
URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction|hx-get|hx-post|data-url)\s*=\s*["']?\s*javascript:""", re.I
)
JSON_SCRIPT = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.S)
NUMBER = re.compile(r"\A-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\Z")
# the markup our chart builders put in Plotly labels on purpose
OUR_PLOTLY_TAGS = {"<br>", "<b>", "</b>", "<extra>", "</extra>"}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def foreign_plotly_tags(figure: Any) -> set[str]:
    """Tags in a figure's strings that our builders did not write: Plotly would draw them as markup."""
    return {tag for text in strings(figure) for tag in re.findall(r"<[^<>]*>", text)} - OUR_PLOTLY_TAGS


# ------------------------------------------------------------------------------------------ the portfolio


@dataclass
class Hostile:
    users: dict[str, User]
    attacked: dict[str, list[str]] = field(default_factory=dict)  # model label -> fields given payloads
    # (model label, field) -> what a page showing one of its values as text contains
    markers: dict[tuple[str, str], set[str]] = field(default_factory=dict)


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.concrete
        and (model._meta.label, f.name) not in NEVER_SHOWN
    ]


def entered_models() -> list[type[models.Model]]:
    """Every model whose rows people enter (a VersionedModel) in the entered apps; not simple-history's
    copies, nor what steering records by itself (board packs, reminder logs)."""
    return [
        model
        for label in ENTERED_APPS
        for model in apps.get_app_config(label).get_models()
        if (issubclass(model, VersionedModel) or model._meta.label in ENTERED_PLAIN)
        and not model.__name__.startswith("Historical")
    ]


class Payloads:
    def __init__(self, hostile: Hostile) -> None:
        self.hostile = hostile
        self.n = 0

    def value(self, model: type[models.Model], name: str, max_length: int | None, row: int) -> str:
        self.n += 1
        n = self.n
        text = self._text(n, name, max_length or 10_000, row)
        marker = f"__xss={n}" if f"__xss={n}" in text else escape(text.strip())
        self.hostile.markers.setdefault((model._meta.label, name), set()).add(marker)
        return text

    @staticmethod
    def _text(n: int, name: str, limit: int, row: int) -> str:
        if LINKISH.search(name):
            return JAVASCRIPT_URL.format(n=n)
        for step in range(len(SCRIPTS)):
            script = SCRIPTS[(n + step) % len(SCRIPTS)].format(n=n)
            text = f"{FORMULA_TRIGGERS[n % len(FORMULA_TRIGGERS)]}{n}+1{script}"
            if len(text) <= limit:
                return text
        return SHORT[row % len(SHORT)].format(d=row % 9 + 1, r=row)


def attack(hostile: Hostile, editor: User) -> None:
    """Put a payload in every text field of every entered record (and in people's names), saved as an edit
    would be, so the audit trail shows them too. Saved without validation, as rows from before a rule was
    added, or from an import, would be."""
    payloads = Payloads(hostile)
    for model in entered_models():
        fields = text_fields(model)
        if not fields:
            continue
        hostile.attacked[model._meta.label] = [f.name for f in fields]
        for row, record in enumerate(model._default_manager.order_by("pk")):
            for f in fields:
                setattr(record, f.attname, payloads.value(model, f.name, f.max_length, row))
            record._history_user = editor  # type: ignore[attr-defined]
            record.save()
    hostile.attacked["auth.User"] = ["first_name", "last_name"]
    for row, user in enumerate(User.objects.order_by("pk")):
        user.first_name = payloads.value(User, "first_name", 150, row)
        user.last_name = payloads.value(User, "last_name", 150, row)
        user.save()


def build() -> Hostile:
    """The portfolio, attacked, then everything computed from it: scores, signals, dashboards, the agenda of
    today's meeting proposed from the data, one decision recorded (its snapshot frozen), history."""
    users: dict[str, User] = {
        "admin": UserFactory(
            username="h-admin", roles=[roles.ADMIN], is_staff=True, is_superuser=True, password=PASSWORD
        ),
        "pmo": UserFactory(username="h-pmo", roles=[roles.PMO]),
        "steering": UserFactory(username="h-steering", roles=[roles.STEERING]),
        "manager": UserFactory(username="h-manager", roles=[roles.MANAGER]),
        "executive": UserFactory(username="h-executive", roles=[roles.EXECUTIVE]),
    }
    hostile = Hostile(users)
    pmo, manager, executive = users["pmo"], users["manager"], users["executive"]
    program = ProgramFactory(owner=pmo)
    theme = ObjectiveFactory(code="T1", owner=executive, local_weight=Decimal("2"))
    objective = ObjectiveFactory(code="O1", parent=theme, owner=executive)
    other = ObjectiveFactory(code="O2", parent=theme)
    kpis = []
    for n, target in enumerate([objective, theme]):
        kpi = KPIFactory(objective=target, baseline_date=TODAY - 300 * DAY, target_date=TODAY + 300 * DAY)
        for step, value in enumerate(["11", "12", "12.5"]):
            ReadingFactory(
                kpi=kpi,
                date=TODAY - (200 - 60 * step - n) * DAY,
                value=Decimal(value),
                source="Monthly panel",
                entered_by=pmo,
            )
        kpis.append(kpi)
    pm.InterimTarget.objects.create(kpi=kpis[0], date=TODAY + 100 * DAY, value=Decimal("15"))
    delivering = InitiativeFactory(
        code="A-1",
        program=program,
        sponsor=executive,
        manager=manager,
        sustainment_owner=manager,
        stage=Stage.IN_DELIVERY,
        planned_end=TODAY + 20 * DAY,
        budget_capex=Decimal("2000000"),
        forecast_cost=Decimal("2600000"),
    )
    live = InitiativeFactory(
        code="B-1",
        program=program,
        sponsor=executive,
        stage=Stage.LIVE,
        actual_end=TODAY - 90 * DAY,
        go_live_date=TODAY - 90 * DAY,
    )
    proposed = InitiativeFactory(
        code="C-1",
        sponsor=executive,
        manager=manager,
        stage=Stage.PROPOSED,
        urgency=4,
        mandatory=True,
        mandatory_reason="Regulation",
        wsjf_business_value=5,
        wsjf_time_criticality=8,
        wsjf_risk_reduction=3,
        wsjf_job_size=5,
    )
    ContributionFactory(
        initiative=delivering, objective=objective, kpi=kpis[0], strength="strong", expected_change=Decimal(5)
    )
    ContributionFactory(initiative=live, objective=theme, kpi=kpis[1], strength="moderate")
    ContributionFactory(initiative=proposed, objective=other, strength="weak")
    MilestoneFactory(initiative=delivering, baseline_date=TODAY - 30 * DAY, forecast_date=TODAY + 10 * DAY)
    MilestoneFactory(initiative=live, baseline_date=TODAY - 120 * DAY, actual_date=TODAY - 110 * DAY)
    ScopeChangeFactory(initiative=delivering, date=TODAY - 20 * DAY)
    ScopeChangeFactory(
        initiative=delivering,
        date=TODAY - 50 * DAY,
        status=pm.ScopeChangeStatus.APPROVED,
        approved_by=executive,
    )
    ArtefactFactory(initiative=delivering, reference="https://intranet.example/cases/1")
    business_cases.business_case_save(
        user=pmo,
        initiative_id=delivering.pk,
        version=None,
        first_year=2026,
        lines=[
            business_cases.LineInput("capex", "Platform build", {2026: "100000"}),
            business_cases.LineInput("revenue", "Online sales", {2027: "80000", 2028: "90000"}),
            business_cases.LineInput("non_financial", "Happier buyers", {2027: "5"}, kpi=kpis[0].pk),
        ],
    )
    case_lines = list(pm.BusinessCaseLine.objects.filter(case_id=delivering.pk).order_by("position"))
    benefit_plan_save(
        user=pmo,
        line_id=case_lines[1].pk,
        version=None,
        periods={Quarter(2026, 3): PeriodInput("20000", "15000"), Quarter(2026, 4): PeriodInput("20000")},
    )
    RiskFactory(initiative=delivering, probability=5, impact=5, mitigation="", owner=manager)
    RiskFactory(initiative=live, probability=3, impact=3, owner=manager)
    committee = CommitteeFactory(chair=users["steering"])
    committee.members.set([users["steering"], pmo])
    held = sm.SteeringMeeting.objects.create(
        committee=committee, title="Autumn review", held_on=TODAY - 60 * DAY, status=sm.MeetingStatus.HELD
    )
    held.attendees.set([users["steering"], pmo])
    review = CheckpointReviewFactory(initiative=delivering, meeting=held, held_on=held.held_on)
    sm.AgendaItem.objects.create(
        meeting=held,
        initiative=delivering,
        position=0,
        reasons=["Checkpoint review"],
        note="Bring the plan",
        status=sm.AgendaStatus.REVIEWED,
        review=review,
    )
    sm.ActionItem.objects.create(
        initiative=delivering, review=review, title="Re-plan", owner=manager, due_date=TODAY - 10 * DAY
    )
    planned = sm.SteeringMeeting.objects.create(
        committee=committee, title="Winter review", held_on=TODAY, location="Room 1", notes="Minutes"
    )
    steering.agenda_add(user=pmo, meeting=planned, initiative=proposed, note="Asked by the CFO")
    to_close = survey_rounds(pmo, program, users)
    api_tokens.token_create(user=users["admin"], name="Nightly report", scope="read", expires_in_days=None)
    # a strategy draft re-weighting the tree, with a new objective proposed under the theme
    draft = planning.strategy_draft(user=pmo, title="Refresh", rationale="Board offsite")
    planning.strategy_objective_propose(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        code="N1",
        title="New",
        parent_id=theme.pk,
        weight="3",
    )
    intake_round(pmo, manager, users["steering"], objective)
    capacity_plan(pmo, users["manager"], delivering, proposed)

    # two scenarios: a draft with a rule and a limit, and the plan approved before it
    lean = scenarios.scenario_create(
        user=pmo, data={"name": "Lean", "first_year": 2027, "years": 2}, limits=[{"year": 2027, "total": "1"}]
    )
    scenarios.scenario_rule_add(
        user=pmo,
        scenario_id=lean.pk,
        version=lean.version,
        kind="force_out",
        initiative=delivering.code,
        note="x",
    )
    planning_models.Scenario.objects.create(
        name="Plan",
        first_year=2027,
        status=planning_models.ScenarioStatus.APPROVED,
        approval_rationale="Board",
    )
    # a second version of the scoring model, whose rationale is attacked with the rest (the priorities pages)
    planning.ranking.scoring_model_create(
        user=pmo, weights={"urgency": "0.3"}, rationale="Board offsite", based_on=1
    )

    attack(hostile, pmo)

    # closed after the attack, so the analysis it stores holds the hostile questions, names and answers
    surveys.round_close(user=pmo, round_id=to_close.pk)

    alignment_services.backfill_history(today=TODAY, months=2)
    steering.agenda_propose(user=pmo, meeting=planned)
    item = planned.agenda.get(initiative=delivering)
    n = 1000
    steering.review_create(
        user=users["steering"],
        item=item,
        rags={"schedule": "amber", "cost": "red", "scope": "green", "benefits": "amber"},
        decision=sm.Decision.PROCEED_WITH_CONDITIONS,
        rationale=f'={n}+1<img src=x onerror="window.__xss={n}">',
        attendees=[users["steering"], pmo],
        conditions=[{"title": f"@{n + 1}<svg onload=window.__xss={n + 1}>", "owner": manager}],
    )
    alignment_services.recompute_and_render(today=TODAY)
    compute_impact(planning_models.StrategyVersion.objects.get(), today=TODAY)
    # answered after the attack, so the answers and the frontier hold hostile codes, titles and names
    for scenario in planning_models.Scenario.objects.all():
        scenarios.solve_scenario(scenario)
        scenarios.frontier_of(scenario)
    # an upload whose name, columns and cells are payloads, checked by a dry run that reports them back
    script = SCRIPTS[0].format(n=2000)
    upload = import_runs.import_run_create(
        user=pmo,
        kind="initiatives",
        filename=f"{script}.csv",
        content=(f"code,title,stage,{script}\nZ-1,{script},{script},=1+2\n").encode(),
    )
    import_runs.run_import(run_id=upload.pk, write=False)
    return hostile


def capacity_plan(pmo: User, manager: User, delivering: pm.Initiative, proposed: pm.Initiative) -> None:
    """A team with a named member and a user, an override, run demand and two initiatives' effort (one with
    its months edited), and a second capacity policy."""
    team = capacity.team_create(
        user=pmo, data={"name": "Data platform", "description": "Pipelines", "manager": manager}
    )
    capacity.member_create(user=pmo, team=team, data={"name": "Alice", "availability": 80})
    capacity.member_create(user=pmo, team=team, data={"user": manager, "availability": 50})
    month = TODAY.replace(day=1)
    capacity.override_create(
        user=pmo, team=team, data={"month": month, "person_days": Decimal("9"), "reason": "Holidays"}
    )
    capacity.run_demand_fill(
        user=pmo,
        team=team,
        category="support",
        first_month=month,
        last_month=month,
        person_days=Decimal("6"),
        note="Tickets",
    )
    capacity.change_demand_create(
        user=pmo, initiative=delivering, data={"team": team, "person_days": Decimal("40"), "note": "Build"}
    )
    edited = capacity.change_demand_create(
        user=pmo, initiative=proposed, data={"team": team, "person_days": Decimal("10")}
    )
    capacity.change_demand_set_months(
        user=pmo, demand_id=edited.pk, version=edited.version, months={month: Decimal("10")}
    )
    capacity.capacity_policy_publish(
        user=pmo, change_share_target="35", overload_threshold="100", note="Board"
    )


def intake_round(pmo: User, manager: User, reviewer: User, objective: pm.Objective) -> None:
    """An intake policy, an idea submitted and returned with a reason (a portfolio decision in the log) and
    resubmitted, and a proposal awaiting review for Approved."""
    planning.intake_policy_publish(
        user=pmo, proposed=["description"], approved=["description", "sponsor"], note="Board"
    )
    idea = InitiativeFactory(code="D-1", manager=manager, stage=Stage.IDEA)
    ContributionFactory(initiative=idea, objective=objective, strength="weak")
    first = planning.proposal_submit(user=manager, initiative_id=idea.pk, note="First go")
    planning.proposal_decide(
        user=reviewer, proposal_id=first.pk, version=first.version, outcome="returned", rationale="Why now?"
    )
    planning.proposal_submit(user=manager, initiative_id=idea.pk, note="Because")
    planning.proposal_submit(
        user=manager, initiative_id=pm.Initiative.objects.get(code="C-1").pk, note="Costed"
    )


def survey_rounds(pmo: User, program: pm.Program, users: dict[str, User]) -> survey_models.SurveyRound:
    """A round answered by a business and an IT leader (named, not anonymised), to close once attacked; an
    open round (its answers private); a draft. Returns the round to close."""
    answered = surveys.round_create(
        user=pmo, data={"title": "Answered", "program": program, "anonymised": False}
    )
    leaders = [
        surveys.respondent_add(
            user=pmo, round_id=answered.pk, side=side, name=name, email=f"{name.lower()}@example.org"
        )
        for side, name in [("business", "Bea"), ("it", "Ivan"), ("business", "Bob")]
    ]
    surveys.round_open(user=pmo, round_id=answered.pk)
    for respondent, words in zip(leaders[:2], ["Grow online sales", "Replace the order system"], strict=True):
        questions = list(answered.questions.prefetch_related("items"))
        surveys.respondent_answer(
            respondent_id=respondent.pk,
            answers={q.pk: words for q in questions if q.kind == survey_models.QuestionKind.TEXT},
            ratings={item.pk: 4 for q in questions for item in q.items.all()},
        )
    opened = surveys.round_create(user=pmo, data={"title": "Open", "program": program})
    for side, name in [("business", "Olga"), ("it", "Otto")]:
        surveys.respondent_add(
            user=pmo,
            round_id=opened.pk,
            side=side,
            name=name,
            email=f"{name.lower()}@example.org",
            account=users["executive"] if side == "it" else None,
        )
    surveys.round_open(user=pmo, round_id=opened.pk)
    surveys.question_add(
        user=pmo,
        round_id=surveys.round_create(user=pmo, data={"title": "Draft"}).pk,
        kind="scale",
        text="Rate",
        items=["First", "Second"],
    )
    return answered


# ------------------------------------------------------------------------------------------ what to visit

# The model whose primary key fills each route's <id:pk>; a route added to the URLconf must be added here.
PK_MODELS: dict[str, type[models.Model] | None] = {
    "portfolio:initiative-detail": pm.Initiative,
    "portfolio:initiative-edit": pm.Initiative,
    "portfolio:initiative-sustainment-owner": pm.Initiative,
    "portfolio:business-case-edit": pm.Initiative,
    "portfolio:benefit-plan-edit": pm.BusinessCaseLine,
    "portfolio:record-create": pm.Initiative,
    "portfolio:record-edit": None,  # the child kind's model
    "portfolio:record-delete": None,
    "portfolio:objective-detail": pm.Objective,
    "portfolio:objective-edit": pm.Objective,
    "portfolio:kpi-detail": pm.KPI,
    "portfolio:kpi-edit": pm.KPI,
    "portfolio:reading-create": pm.KPI,
    "portfolio:reading-delete": pm.Reading,
    "portfolio:program-edit": pm.Program,
    "portfolio:interim-target-create": pm.KPI,
    "portfolio:interim-target-delete": pm.InterimTarget,
    "risk:tier-policy-edit": rm.TierPolicy,
    **{f"capacity:{name}": cm.Team for name in ("team-detail", "team-edit", "team-delete", "run-fill")},
    "capacity:effort-months": cm.ChangeDemand,
    "capacity:effort-reset": cm.ChangeDemand,
    **{
        f"surveys:{name}": survey_models.SurveyRound
        for name in (
            "round-detail",
            "round-edit",
            "question-add",
            "respondent-add",
            "round-open",
            "round-remind",
            "round-close",
            "respond-signed-in",
            "workshop",
            "terms-csv",
            "leaders-csv",
            "trend-csv",
            "pack",
            "pack-pdf",
        )
    },
    "surveys:question-delete": survey_models.Question,
    "surveys:question-edit": survey_models.Question,
    "surveys:question-move": survey_models.Question,
    "surveys:respondent-revoke": survey_models.Respondent,
    "steering:meeting-detail": sm.SteeringMeeting,
    "steering:meeting-edit": sm.SteeringMeeting,
    "steering:meeting-attendance": sm.SteeringMeeting,
    "steering:agenda-propose": sm.SteeringMeeting,
    "steering:agenda-add": sm.SteeringMeeting,
    "steering:agenda-move": sm.AgendaItem,
    "steering:agenda-remove": sm.AgendaItem,
    "steering:agenda-plan": sm.AgendaItem,
    **{
        f"planning:strategy-{name}": planning_models.StrategyVersion
        for name in (
            "detail",
            "propose",
            "whatif",
            "impact",
            "impact-export",
            "publish",
            "discard",
            "pairwise-themes",
        )
    },
    **{
        f"planning:scenario-{name}": planning_models.Scenario
        for name in (
            "detail",
            "rule-add",
            "rule-remove",
            "solve",
            "frontier",
            "copy",
            "delete",
            "approve",
            "answer-csv",
        )
    },
    "planning:proposal-detail": planning_models.Proposal,
    "planning:proposal-decide": planning_models.Proposal,
    "planning:proposal-submit": pm.Initiative,
    "steering:review-create": sm.AgendaItem,
    "steering:review-detail": sm.CheckpointReview,
    "steering:action-edit": sm.ActionItem,
    "steering:action-status": sm.ActionItem,
    "alignment:initiative-why": pm.Initiative,
    "api:token-revoke": ApiToken,
    "core:job-status": Job,
    "alignment:objective-kpi-chart": pm.Objective,
    "alignment:objective-kpis-csv": pm.Objective,
    "alignment:kpi-chart-csv": pm.KPI,
    "alignment:dashboard-spend": pm.Objective,
    "steering:boardpack-html": sm.SteeringMeeting,
    "steering:boardpack-generate": sm.SteeringMeeting,
    "steering:boardpack-pdf": sm.SteeringMeeting,
    "portfolio:import-detail": ImportRun,
    "portfolio:import-mapping": ImportRun,
    "portfolio:import-confirm": ImportRun,
    "portfolio:import-errors": ImportRun,
    **{
        f"identity:{name}": User
        for name in (
            "account-detail",
            "account-deactivate",
            "account-reactivate",
            "account-resend",
            "account-sign-out",
            "account-two-factor-off",
        )
    },
    "events:notification-open": Notification,
    **{f"events:webhook-{name}": WebhookSubscription for name in ("edit", "rotate", "delete", "log")},
}
CHART_KEYS = ("heatmap", "bubble", "investment", "mix", "kpis", "history", "risks")
# The records behind each resource of the REST API (its JSON is checked for server errors here; its schema by
# tests/api/test_contract.py)
API_MODELS: dict[str, type[models.Model]] = {
    "objectives": pm.Objective,
    "kpis": pm.KPI,
    "programs": pm.Program,
    "initiatives": pm.Initiative,
    "contributions": pm.Contribution,
    "milestones": pm.Milestone,
    "scope-changes": pm.ScopeChange,
    "risks": rm.Risk,
    "meetings": sm.SteeringMeeting,
    "reviews": sm.CheckpointReview,
    "actions": sm.ActionItem,
    "planning": planning_models.Scenario,  # /planning/scenarios/<id>
    "proposals": planning_models.Proposal,
    "benefit-plans": pm.BenefitPlan,
}
NOT_VISITED = {"logout", "identity:sign-out-everywhere"}  # they would end the session the walk uses
# a password reset link's arguments come from an e-mail, and its page shows no stored text
UNFILLED_CONVERTERS = {"uidb64", "token"}


def routes() -> Iterator[tuple[str, URLPattern]]:
    """(namespaced name, pattern) of every named route outside the admin."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif entry.name:
                yield f"{namespace}{entry.name}", entry

    yield from walk(get_resolver().url_patterns, "")


def urls(records: int | None = None) -> list[str]:
    """The pages of the app and of the admin; `records` caps how many records fill each route."""
    return app_urls(records) + admin_urls(records or 3, history=records is None)


def app_urls(records: int | None = None) -> list[str]:
    """Every route outside the admin, filled with every fitting record (or the first `records` of them), every
    chart and every child kind."""

    def pks(model: type[models.Model]) -> list[Any]:
        return list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:records])

    found = []
    for name, pattern in routes():
        converters = pattern.pattern.converters
        if name in NOT_VISITED or UNFILLED_CONVERTERS & set(converters):
            continue
        if not converters:
            found.append(reverse(name))
        elif set(converters) == {"fmt"}:  # a list's downloads
            found += [reverse(name, args=[fmt]) for fmt in ("csv", "xlsx")]
        elif name == "portfolio:import-template":
            found += [reverse(name, args=[kind, fmt]) for kind in import_kinds for fmt in ("csv", "xlsx")]
        elif set(converters) == {"chart"}:
            found += [reverse(name, args=[key]) for key in CHART_KEYS]
        elif name == "portfolio:record-create":
            found += [
                reverse(name, args=[pk, kind]) for pk in pks(pm.Initiative) for kind in registry.child_kinds
            ]
        elif name == "steering:review-scope-change":
            pairs = sm.AgendaItem.objects.filter(initiative__scope_changes__isnull=False).order_by("pk")
            found += [
                reverse(name, args=pair)
                for pair in pairs.values_list("pk", "initiative__scope_changes")[:records]
            ]
        elif name == "surveys:cloud":
            found += [
                reverse(name, args=[pk, kind])
                for pk in pks(survey_models.SurveyRound)
                for kind in ("shared", "business_only", "it_only")
            ]
        elif name == "planning:scenario-chart-csv":
            found += [
                reverse(name, args=[pk, chart])
                for pk in pks(planning_models.Scenario)
                for chart in ("spend", "frontier")
            ]
        elif name == "planning:strategy-pairwise":
            found += [
                reverse(name, args=[pk, parent])
                for pk in pks(planning_models.StrategyVersion)
                for parent in pm.Objective.objects.filter(children__isnull=False)
                .distinct()
                .values_list("pk", flat=True)
            ]
        elif name == "core:choice-options":  # every long list, its first options and a search
            found += [reverse(name, args=[key]) for key in choices.source_keys()]
            found += [f"{reverse(name, args=[key])}?search=%3C" for key in choices.source_keys()]
        elif name == "capacity:cell-detail":
            months = cm.ChangeDemandMonth.objects.order_by("pk").values_list("team_id", "month")[:records]
            found += [reverse(name, args=[pk, f"{month:%Y-%m}"]) for pk, month in months]
        elif name == "capacity:team-record-create":
            found += [
                reverse(name, args=[pk, kind])
                for pk in pks(cm.Team)
                for kind in ("members", "overrides", "run")
            ]
        elif name.startswith("capacity:team-record-"):
            kinds: tuple[tuple[str, type[models.Model]], ...] = (
                ("members", cm.TeamMember),
                ("overrides", cm.CapacityOverride),
                ("run", cm.RunDemand),
            )
            for kind, team_model in kinds:
                found += [reverse(name, args=[kind, pk]) for pk in pks(team_model)]
        elif set(converters) == {"kind", "pk"}:
            for kind, child in registry.child_kinds.items():
                found += [reverse(name, args=[kind, pk]) for pk in pks(child.model)]
        elif name.startswith("api-v1:") and set(converters) == {"id", "job_id"}:  # a scenario's jobs
            jobs = Job.objects.filter(target__startswith="scenario:").values_list("target", "pk")
            found += [reverse(name, args=[int(target.split(":")[1]), pk]) for target, pk in jobs]
        elif name.startswith("api-v1:") and set(converters) == {"id"}:
            segment = str(pattern.pattern).split("/")[0]
            assert segment in API_MODELS, f"{name}: say in API_MODELS which records fill /{segment}/<id>"
            found += [reverse(name, args=[pk]) for pk in pks(API_MODELS[segment])]
        elif set(converters) == {"pk"}:
            assert name in PK_MODELS, f"{name}: say in PK_MODELS which records fill its <id:pk>"
            model = PK_MODELS[name]
            assert model is not None, name
            found += [reverse(name, args=[pk]) for pk in pks(model)]
        else:
            raise AssertionError(f"{name}: its arguments {sorted(converters)} are not filled by the walk")
    # each program's dashboard (its leadership survey panel) and one computed under a further filter
    dashboard = reverse("alignment:dashboard")
    for pk in pks(pm.Program):
        found += [f"{dashboard}?program={pk}", f"{dashboard}?program={pk}&category=grow"]
    return found


def admin_urls(records: int = 3, *, history: bool = True) -> list[str]:
    """The admin's pages of every registered model: its list, and the form (and history) of a few records."""
    found = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        found.append(reverse("admin:{}_{}_changelist".format(*info)))
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:records]:
            found.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
            if history:
                found.append(reverse("admin:{}_{}_history".format(*info), args=[pk]))
    return found


# ------------------------------------------------------------------------------------------ the checks


def html_problems(url: str, html: str) -> list[str]:
    """What would let a payload run: its markup printed as it is, a javascript: URL in a link or form, a
    JSON script element broken open, or a chart whose labels hold markup Plotly would draw."""
    problems = []
    lowered = html.lower()
    for markup in RAW_MARKUP:
        if markup.lower() in lowered:
            at = lowered.index(markup.lower())
            problems.append(f"{url}: raw {markup!r} in ...{html[max(0, at - 80) : at + 80]!r}...")
    problems += [f"{url}: javascript: URL {m.group(0)!r}" for m in URL_ATTRIBUTE.finditer(html)]
    for source in JSON_SCRIPT.findall(html):
        try:
            figure = json.loads(source)
        except ValueError:
            problems.append(f"{url}: a JSON script element does not parse: {source[:120]!r}")
            continue
        tags = foreign_plotly_tags(figure)
        if tags:
            problems.append(f"{url}: Plotly would draw markup {sorted(tags)}")
    return problems


def csv_problems(url: str, content: bytes) -> tuple[list[str], int]:
    """Cells a spreadsheet would run (a formula trigger first, not a plain number); and how many cells had
    been neutralised (so a download without hostile text is noticed)."""
    problems, quoted = [], 0
    for row in csv.reader(io.StringIO(content.decode())):
        for cell in row:
            if cell.startswith("'"):
                quoted += 1
            elif cell.startswith(FORMULA_TRIGGERS) and not NUMBER.match(cell):
                problems.append(f"{url}: live cell {cell!r}")
    return problems, quoted


def xlsx_problems(url: str, content: bytes) -> tuple[list[str], int]:
    """A workbook's cells a spreadsheet would run (a formula cell, or text starting with a formula trigger);
    and how many text cells had been neutralised."""
    from openpyxl import load_workbook

    problems, quoted = [], 0
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{url}: formula cell {cell.coordinate} {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value.startswith("'"):
                    quoted += 1
                elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    problems.append(f"{url}: live cell {cell.coordinate} {cell.value!r}")
    return problems, quoted


@dataclass
class Visit:
    url: str
    status: int
    content_type: str
    body: bytes


def visit_all(client: Client, paths: list[str], **headers: Any) -> list[Visit]:
    visits = []
    for path in paths:
        response = client.get(path, **headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        visits.append(Visit(path, response.status_code, response.get("Content-Type", ""), body))
    return visits


def shown(visits: list[Visit], hostile: Hostile) -> set[tuple[str, str]]:
    """The (model, field) pairs one of whose payloads some page shows (as text)."""
    pages = "\n".join(
        v.body.decode(errors="replace") for v in visits if v.content_type.startswith("text/html")
    )
    return {key for key, markers in hostile.markers.items() if any(m in pages for m in markers)}
