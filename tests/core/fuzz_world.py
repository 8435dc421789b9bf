"""A small but complete data set for the URL fuzz: every model has at least one row, so every route that
takes an id can be given one that exists, and every page has something to render."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alignment import services as engine
from alignment.tasks import FULL_RECOMPUTE
from api.tokens import token_create
from core import jobs as core_jobs
from core import roles
from core.models import ImportMapping, ScheduledRun
from core.stages import Stage
from identity import services as identity
from portfolio import models as pm
from portfolio.benefits import Quarter
from portfolio.imports import runs as import_runs
from portfolio.services import business_cases
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from risk.models import TierPolicy
from steering import models as sm
from steering import reminders
from steering.models import BoardPack
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

D = datetime.date
# The world is built as of this day (the tests pin the clock to it).
TODAY = D(2026, 11, 21)


def build_world(people: dict[str, Any]) -> dict[str, Any]:
    """Objectives, a KPI with readings and an interim target, two initiatives (one managed by the manager
    persona), every record kind, a committee with a held and a planned meeting, a decided and an open agenda
    item, actions, risks, scores, signals, history, dashboards, a job, a board pack, a reminder and an admin
    log entry. `people` maps persona names to users."""
    executive, pmo, manager = people["executive"], people["pmo"], people["manager"]
    steering, admin = people["steering_member"], people["admin_user"]
    theme = ObjectiveFactory(code="T1", title="Grow digital sales", owner=executive)
    objective = ObjectiveFactory(code="O1", title="Raise online conversion", parent=theme, owner=executive)
    kpi = KPIFactory(objective=objective, name="Conversion rate")
    ReadingFactory(kpi=kpi, date=D(2026, 3, 31), value=Decimal("12"), entered_by=pmo)
    ReadingFactory(kpi=kpi, date=D(2026, 9, 30), value=Decimal("14"), entered_by=pmo)
    pm.InterimTarget.objects.create(kpi=kpi, date=D(2026, 6, 30), value=Decimal("13"))
    program = ProgramFactory(name="Digital commerce", owner=executive)
    initiative = InitiativeFactory(
        code="ECOM-1", title="Checkout rebuild", sponsor=executive, manager=manager, program=program
    )
    other = InitiativeFactory(code="FIN-1", title="Ledger migration", sponsor=executive, stage=Stage.APPROVED)
    contribution = ContributionFactory(
        initiative=initiative, objective=objective, kpi=kpi, expected_change=Decimal("2")
    )
    milestone = MilestoneFactory(initiative=initiative, name="Pilot live", baseline_date=D(2026, 6, 30))
    ScopeChangeFactory(initiative=initiative, status=pm.ScopeChangeStatus.APPROVED, approved_by=steering)
    pending_change = ScopeChangeFactory(initiative=initiative, status=pm.ScopeChangeStatus.PENDING)
    ArtefactFactory(initiative=initiative)
    business_cases.business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=None,
        first_year=2026,
        lines=[
            business_cases.LineInput("capex", "Platform build", {2026: "100000"}),
            business_cases.LineInput("revenue", "Online sales", {2027: "80000", 2028: "90000"}),
            business_cases.LineInput("non_financial", "Happier buyers", {2027: "5"}, kpi=kpi.pk),
        ],
    )
    case_lines = list(pm.BusinessCaseLine.objects.filter(case_id=initiative.pk).order_by("position"))
    benefit_plan_save(
        user=pmo,
        line_id=case_lines[1].pk,
        version=None,
        periods={Quarter(2026, 3): PeriodInput("20000", "15000"), Quarter(2026, 4): PeriodInput("20000")},
    )
    risk = RiskFactory(initiative=initiative, owner=manager, probability=5, impact=5, mitigation="")
    committee = CommitteeFactory(name="Portfolio board", chair=executive)
    committee.members.set([executive, steering, pmo])
    held = sm.SteeringMeeting.objects.create(
        committee=committee, title="October board", held_on=D(2026, 10, 1), status=sm.MeetingStatus.HELD
    )
    held.attendees.set([executive, steering])
    planned = sm.SteeringMeeting.objects.create(
        committee=committee, title="December board", held_on=D(2026, 12, 1)
    )
    review = CheckpointReviewFactory(
        initiative=initiative, meeting=held, held_on=held.held_on, recorded_by=steering
    )
    review.attendees.set([executive, steering])
    sm.AgendaItem.objects.create(
        meeting=held, initiative=initiative, position=1, status=sm.AgendaStatus.REVIEWED, review=review
    )
    open_item = sm.AgendaItem.objects.create(meeting=planned, initiative=initiative, position=1)
    sm.AgendaItem.objects.create(meeting=planned, initiative=other, position=2)
    action = sm.ActionItem.objects.create(
        initiative=initiative,
        review=review,
        title="Confirm the vendor",
        owner=manager,
        due_date=D(2026, 11, 1),
    )
    for title, owner in [
        ("Plan the cut-over", steering),
        ("Brief the stores", manager),
        ("Cost the pilot", pmo),
    ]:
        sm.ActionItem.objects.create(
            initiative=initiative, review=review, title=title, owner=owner, due_date=D(2026, 12, 15)
        )
    engine.mark_portfolio_stale()  # the recompute below clears the mark: a row that says "fresh"
    job = core_jobs.job_start(FULL_RECOMPUTE, user=pmo)
    engine.run_full_recompute(job_id=job.pk, today=TODAY)
    engine.record_history(today=TODAY)
    reminders.send_reminders(today=TODAY)
    BoardPack.objects.create(meeting=held, created_by=pmo, pdf=b"%PDF-1.4 fuzz", size=13)
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[program],
        action_flag=CHANGE,
        change_message="Renamed",
    )
    UserFactory(username="former", roles=[roles.MANAGER], is_active=False)
    Group.objects.create(name="Auditors")  # a group the fuzz may edit in the admin (not a role)
    TierPolicy.objects.get(tier=1).save()  # a history row for the tier policies, which migrations created
    ScheduledRun.objects.create(
        name="sweep-stale-scores", last_run_at=timezone.now(), status=ScheduledRun.DONE
    )
    # an uploaded file checked by a dry run (with a problem), and a saved column mapping
    upload = import_runs.import_run_create(
        user=pmo, kind="initiatives", filename="fuzz.csv", content=b"code,title,stage\nFZ-1,Fuzz,someday\n"
    )
    import_runs.run_import(run_id=upload.pk, write=False)
    ImportMapping.objects.create(name="Fuzz", kind="initiatives", mapping=upload.mapping, created_by=pmo)
    # login throttling's records (axes), for an address and name no test logs in with
    seen = {
        "ip_address": "203.0.113.9",
        "username": "guesser",
        "user_agent": "fuzz",
        "path_info": "/accounts/login/",
    }
    attempt = AccessAttempt.objects.create(
        **seen, http_accept="*/*", get_data="", post_data="", failures_since_start=1
    )
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=timezone.now())
    AccessFailureLog.objects.create(**seen, http_accept="*/*", locked_out=False)
    AccessLog.objects.create(**seen, http_accept="*/*")
    survey = _survey_rounds(pmo, program)
    invitee = identity.account_invite(
        actor=admin,
        username="invitee",
        email="invitee@example.org",
        first_name="Ivy",
        last_name="Invited",
        role_names=[roles.EXECUTIVE],
    )
    # a second factor (an app and recovery codes) for the invitee, whom the fuzz may act on
    totp_device = TOTPDevice.objects.create(user=invitee, name="Authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=invitee, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="fuzzcode")
    token, _raw = token_create(user=pmo, name="Nightly report", scope="read", expires_in_days=30)
    strategy = _strategy_draft(pmo, theme)
    scenario, scenario_job = _scenario(pmo, initiative)
    _capacity(pmo, manager, initiative)
    _scoring_model(pmo, initiative)
    proposal = _intake(pmo, manager, steering, objective)
    _events(people, initiative)
    return {
        "proposal": proposal,
        "strategy": strategy,
        "scenario": scenario,
        "scenario_job": scenario_job,
        "token": token,
        "contribution": contribution,
        "milestone": milestone,
        "risk": risk,
        "review": review,
        "action": action,
        "invitee": invitee,
        "totp_device": totp_device,
        "survey": survey,
        "initiative": initiative,
        "benefit_plan": pm.BenefitPlan.objects.get(pk=case_lines[1].pk),
        "objective": objective,
        "kpi": kpi,
        "program": program,
        "meeting": planned,
        "held": held,
        "job": job,
        "agenda_item": open_item,
        "pending_change": pending_change,
        "content_type": ContentType.objects.get_for_model(pm.Program),
    }


def _capacity(pmo: Any, manager: Any, initiative: Any) -> None:
    """A team with a member and a user, an override, run demand, an effort estimate with its months edited,
    its change load, and a second capacity policy (issue 13)."""
    from capacity import services as capacity

    team = capacity.team_create(user=pmo, data={"name": "Data platform", "manager": manager})
    capacity.member_create(user=pmo, team=team, data={"name": "Alice", "availability": 80})
    capacity.member_create(user=pmo, team=team, data={"user": manager, "availability": 50})
    capacity.override_create(user=pmo, team=team, data={"month": D(2026, 8, 1), "person_days": Decimal("9")})
    capacity.run_demand_fill(
        user=pmo,
        team=team,
        category="support",
        first_month=D(2026, 1, 1),
        last_month=D(2026, 3, 1),
        person_days=Decimal("6"),
    )
    effort = capacity.change_demand_create(
        user=pmo, initiative=initiative, data={"team": team, "person_days": Decimal("40")}
    )
    capacity.change_demand_set_months(
        user=pmo, demand_id=effort.pk, version=effort.version, months={D(2026, 2, 1): Decimal("40")}
    )
    capacity.capacity_policy_publish(user=pmo, change_share_target="35", overload_threshold="100")


def _scenario(pmo: Any, initiative: Any) -> tuple[Any, Any]:
    """A scenario with a limit and a rule, solved (the job kept) and its frontier drawn."""
    from planning.models import Scenario
    from planning.services import scenarios

    scenario = scenarios.scenario_create(
        user=pmo,
        data={"name": "Lean", "first_year": 2027, "years": 2},
        limits=[{"year": 2027, "total": "500000"}],
    )
    scenarios.scenario_rule_add(
        user=pmo,
        scenario_id=scenario.pk,
        version=scenario.version,
        kind="force_in",
        initiative=initiative.code,
    )
    job = scenarios.solve_start(user=pmo, scenario_id=scenario.pk)
    scenarios.frontier_of(Scenario.objects.get(pk=scenario.pk))
    return scenario, job


def _intake(pmo: Any, manager: Any, reviewer: Any, objective: Any) -> Any:
    """An intake policy; an idea returned with a reason and resubmitted (a portfolio decision in the log),
    awaiting review."""
    from planning import services as planning

    planning.intake_policy_publish(
        user=pmo, proposed=["description", "sponsor"], approved=["npv"], note="Board"
    )
    idea = InitiativeFactory(code="IDEA-1", title="Store pickup", manager=manager, stage=Stage.IDEA)
    ContributionFactory(initiative=idea, objective=objective)
    proposal = planning.proposal_submit(user=manager, initiative_id=idea.pk, note="First go")
    planning.proposal_decide(
        user=reviewer, proposal_id=proposal.pk, version=proposal.version, outcome="returned", rationale="Why?"
    )
    return planning.proposal_submit(user=manager, initiative_id=idea.pk, note="Because")


def _strategy_draft(pmo: Any, theme: Any) -> Any:
    """A strategy draft proposing a second theme, weighted three times the first by pairwise comparison, and
    a second objective under the first (so both groups can be compared); its what-if computed (the
    initiatives under the first theme lose fit)."""
    from planning import services as planning
    from planning.models import StrategyVersion
    from planning.whatif import compute_impact

    draft = planning.strategy_draft(user=pmo, title="Refresh", rationale="Board offsite")
    proposed = planning.strategy_objective_propose(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        code="T2",
        title="Run",
        parent_id=None,
        weight="1",
    )
    draft.refresh_from_db()
    planning.strategy_objective_propose(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        code="O9",
        title="Mobile",
        parent_id=theme.pk,
        weight="1",
    )
    draft.refresh_from_db()
    first = draft.weights.get(objective=theme)
    planning.strategy_pairwise_apply(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        parent_id=None,
        judgements={f"{proposed.pk}:{first.pk}": "3"},
    )
    compute_impact(StrategyVersion.objects.get(pk=draft.pk), today=D(2026, 10, 1))
    return StrategyVersion.objects.get(pk=draft.pk)


def _scoring_model(pmo: Any, initiative: Any) -> None:
    """A second version of the scoring model, and a mandatory proposed candidate sized for WSJF, so the
    priorities pages (list, explanation, sensitivity, versions) have rows to show."""
    from planning.services import ranking

    ranking.scoring_model_create(
        user=pmo, weights={"urgency": "0.3"}, rationale="Urgency counts more", based_on=1
    )
    InitiativeFactory(
        code="REG-1",
        title="Records retention",
        stage="proposed",
        program=initiative.program,
        urgency=5,
        mandatory=True,
        mandatory_reason="Records law",
        wsjf_business_value=3,
        wsjf_time_criticality=20,
        wsjf_risk_reduction=8,
        wsjf_job_size=8,
        actual_start=None,
    )


def _events(people: dict[str, Any], initiative: Any) -> None:
    """A watch, a preference, notifications (read and unread), a webhook with a queued delivery and a failed
    attempt; the event processed by the notifications consumer only (the webhook's host is not looked up)."""
    from core import outbox
    from events import notify
    from events import services as events
    from events.models import WebhookAttempt, WebhookDelivery

    now = timezone.now()
    events.watch_set(
        user=people["executive"], subject_type="initiative", subject_id=initiative.pk, watching=True
    )
    events.preferences_set(user=people["manager"], channels={outbox.INITIATIVE_CHANGED: "daily"})
    hook = events.webhook_create(
        user=people["admin_user"],
        name="Chat <b>room</b>",
        url="https://hooks.example.org/bearing",
        kinds=[outbox.INITIATIVE_CHANGED],
    )
    event = outbox.event_record(
        outbox.INITIATIVE_CHANGED,
        subject_type="initiative",
        subject_id=initiative.pk,
        title=f"{initiative.code} <i>changed</i>",
        url=f"/initiatives/{initiative.pk}/",
        about={"initiative": [initiative.pk]},
        recipients=[people[name].pk for name in ("executive", "manager", "admin_user", "steering_member")],
    )
    consumer = next(c for c in outbox.consumers() if c.name == notify.CONSUMER)
    outbox.process(consumer, event)
    events.notifications_read(user=people["steering_member"])
    delivery = WebhookDelivery.objects.create(
        subscription=hook, event_id=event.pk, kind=event.kind, body="{}", next_attempt_at=now, created_at=now
    )
    WebhookAttempt.objects.create(
        subscription=hook,
        delivery=delivery,
        number=1,
        attempted_at=now,
        status_code=500,
        response_ms=12,
        error="The receiver answered 500 <script>",
    )


def empty_models() -> list[str]:
    """Models of the project (and of the contrib apps it uses) that hold no row."""
    return sorted(
        model._meta.label for model in apps.get_models() if not model._meta.proxy and not _exists(model)
    )


def _exists(model: type[models.Model]) -> bool:
    return model._default_manager.exists()


def _survey_rounds(pmo: Any, program: Any) -> dict[str, Any]:
    """A closed leadership survey round (answers, ratings, analysis), an open one and a draft."""
    from surveys import services as surveys

    closed = surveys.round_create(user=pmo, data={"title": "Leaders agree?", "program": program})
    business = surveys.respondent_add(
        user=pmo, round_id=closed.pk, side="business", name="Bea", email="bea@example.org"
    )
    it = surveys.respondent_add(
        user=pmo, round_id=closed.pk, side="it", name="Ivan", email="ivan@example.org", account=pmo
    )
    surveys.round_open(user=pmo, round_id=closed.pk)
    for respondent, text in [(business, "Grow online sales"), (it, "Replace the legacy system")]:
        questions = list(closed.questions.prefetch_related("items"))
        surveys.respondent_answer(
            respondent_id=respondent.pk,
            answers={q.pk: text for q in questions if q.kind == "text"},
            ratings={item.pk: 4 for q in questions for item in q.items.all()},
        )
    surveys.round_close(user=pmo, round_id=closed.pk)
    open_round = surveys.round_create(user=pmo, data={"title": "Leaders, again", "program": program})
    surveys.respondent_add(
        user=pmo, round_id=open_round.pk, side="business", name="Bea", email="bea@example.org", account=pmo
    )
    surveys.respondent_add(user=pmo, round_id=open_round.pk, side="it", name="Ivan", email="ivan@example.org")
    surveys.round_open(user=pmo, round_id=open_round.pk)
    draft = surveys.round_create(user=pmo, data={"title": "Leaders, drafted", "program": program})
    return {
        "open": open_round,
        "closed": closed,
        "draft": draft,
        "question": draft.questions.get(position=0),
        "respondent": open_round.respondents.get(side="it"),
        "history": closed.history.order_by("history_id").values_list("history_id", flat=True)[0],
    }
