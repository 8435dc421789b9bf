"""The permission matrix's world and endpoints: one record of each kind, every role, every write endpoint with
who may use it and what it posts. test_write_permissions and test_read_permissions walk it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import reverse

from capacity.forms import ChangeDemandForm
from capacity.models import ChangeDemand, Team
from core import roles
from portfolio.forms import (
    ArtefactForm,
    ContributionForm,
    InitiativeForm,
    KPIForm,
    MilestoneForm,
    ObjectiveForm,
    ProgramForm,
    ScopeChangeForm,
)
from portfolio.models import (
    KPI,
    Artefact,
    BenefitPeriod,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Contribution,
    FinancialPolicy,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
)
from risk.forms import RiskForm
from risk.models import Risk
from steering import rules
from steering import services as steering
from steering.forms import ActionForm, MeetingForm
from steering.models import ActionItem, AgendaItem, CheckpointReview, Committee, SteeringMeeting
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
from tests.portfolio.utils import form_data

EVERYONE = [
    "executive",
    "pmo",
    "manager",
    "other_manager",
    "steering_member",
    "admin_user",
    "outsider",
    "anonymous",
]
PMO = {"pmo", "admin_user"}
PMO_OR_OWNER = PMO | {"manager"}
CHAIR_OR_PMO = PMO | {"executive"}  # the executive persona chairs the world's committee
RECORDERS = PMO | {"steering_member"}


PERSONAS = {
    "executive": ("exec", [roles.EXECUTIVE]),
    "pmo": ("pmo", [roles.PMO]),
    "manager": ("manager", [roles.MANAGER]),
    "other_manager": ("manager2", [roles.MANAGER]),
    "steering_member": ("steer", [roles.STEERING]),
    "admin_user": ("admin", [roles.ADMIN]),
    "outsider": ("outsider", []),
}


@dataclass
class World:
    users: dict[str, Any]
    initiative: Initiative
    theme: Objective
    objective: Objective
    spare_objective: Objective
    kpi: KPI
    reading: Reading
    interim_target: InterimTarget
    program: Program
    records: dict[str, Any]
    committee: Committee
    meeting: SteeringMeeting
    agenda: dict[str, AgendaItem]
    not_on_agenda: Initiative
    review: CheckpointReview
    action: ActionItem
    benefit_line: (
        BusinessCaseLine  # a benefit line, without a plan, of an initiative the manager persona manages
    )


def _build_world() -> World:
    users = {
        name: UserFactory(username=username, roles=groups, is_superuser=name == "admin_user")
        for name, (username, groups) in PERSONAS.items()
    }
    theme = ObjectiveFactory(code="T1", title="Grow digital sales")
    objective = ObjectiveFactory(code="O1", title="Raise online conversion", parent=theme)
    kpi = KPIFactory(objective=objective, name="Conversion rate")
    program = ProgramFactory(name="Digital commerce")
    initiative = InitiativeFactory(
        code="ECOM-1",
        title="Checkout rebuild",
        sponsor=users["executive"],
        manager=users["manager"],
        program=program,
    )
    committee = CommitteeFactory(name="Portfolio board", chair=users["executive"])
    committee.members.set([users["executive"], users["steering_member"], users["pmo"]])
    meeting = SteeringMeeting.objects.create(
        committee=committee, title="October board", held_on=datetime.date(2026, 10, 1)
    )
    second = InitiativeFactory(code="ECOM-2", title="Gift cards", sponsor=users["executive"])
    third = InitiativeFactory(code="ECOM-3", title="Wallets", sponsor=users["executive"])
    ScopeChangeFactory(initiative=third, description="Add wallets.")
    review = CheckpointReviewFactory(initiative=initiative, held_on=datetime.date(2026, 9, 1))
    Team.objects.get_or_create(name="Service desk")  # a team the initiative has no effort estimate for yet
    # the business case edit endpoint enters ECOM-1's case: the benefit plan endpoint uses another initiative's,
    # written directly (the service would recompute the portfolio, and signals would change what the agenda
    # proposes)
    rewards = InitiativeFactory(code="ECOM-4", title="Loyalty points", manager=users["manager"])
    case = BusinessCase.objects.create(initiative=rewards, first_year=2026)
    line = BusinessCaseLine.objects.create(case=case, position=0, kind="revenue", label="Repeat orders")
    BusinessCaseAmount.objects.create(line=line, year=2026, amount=40000)
    return World(
        users=users,
        initiative=initiative,
        theme=theme,
        objective=objective,
        spare_objective=ObjectiveFactory(code="O2", title="Cut cost to serve", parent=theme),
        kpi=kpi,
        reading=ReadingFactory(kpi=kpi),
        interim_target=InterimTarget.objects.create(kpi=kpi, date=datetime.date(2026, 1, 1), value=15),
        program=program,
        records={
            "contributions": ContributionFactory(initiative=initiative, objective=objective),
            "milestones": MilestoneFactory(initiative=initiative, name="Pilot"),
            "scope-changes": ScopeChangeFactory(initiative=initiative),
            "artefacts": ArtefactFactory(initiative=initiative),
            "risks": RiskFactory(initiative=initiative, title="Vendor late"),
            "effort": ChangeDemand.objects.create(
                initiative=initiative,
                team=Team.objects.get_or_create(name="Data platform")[0],
                person_days=10,
            ),
        },
        committee=committee,
        meeting=meeting,
        agenda={
            "first": AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=0),
            "second": AgendaItem.objects.create(meeting=meeting, initiative=second, position=1),
        },
        not_on_agenda=third,
        review=review,
        action=ActionItem.objects.create(
            initiative=initiative,
            review=review,
            title="Refresh the business case",
            owner=users["manager"],
            due_date=datetime.date(2026, 10, 1),
        ),
        benefit_line=line,
    )


def _remove_world(users_before: set[int]) -> None:
    """Delete what the world committed, down to the history its saves wrote in every app and the people its
    factories made on the side: a later test in the same process must find the tables as the migrations left
    them (tests/demo counts every record the demo writes)."""
    Initiative.objects.all().delete()
    SteeringMeeting.objects.all().delete()
    Committee.objects.all().delete()
    Reading.objects.all().delete()
    KPI.objects.all().delete()
    Objective.objects.filter(parent__isnull=False).delete()
    Objective.objects.all().delete()
    Program.objects.all().delete()
    Team.objects.all().delete()  # its demand went with the initiative; a later test may create the team again
    User.objects.exclude(pk__in=users_before).delete()
    for model in apps.get_models(include_auto_created=True):
        if model.__name__.startswith("Historical") and model.__name__ != "HistoricalTierPolicy":
            model._default_manager.all().delete()


@pytest.fixture(scope="module", name="world")
def matrix_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module and committed; each test's own changes are rolled back after it."""
    with django_db_blocker.unblock():
        assert not Initiative.objects.exists()
        users_before = set(User.objects.values_list("pk", flat=True))
        built = _build_world()
    yield built
    with django_db_blocker.unblock():
        _remove_world(users_before)


@pytest.fixture(name="actor")
def matrix_actor(request, client, world):
    """The persona named by the parameter, logged in on `client` (None and logged out for "anonymous")."""
    if request.param == "anonymous":
        return None
    user = world.users[request.param]
    client.force_login(user)
    return user


@dataclass
class Endpoint:
    id: str
    url: Callable[[World], str]
    allowed: set[str]
    post: Callable[[World], dict[str, Any]]
    done: Callable[[World], bool]  # the change the POST makes is in the database
    has_form: bool = True
    open_to_read: bool = False  # every role may GET the page; only `allowed` get the form
    form_id: str = "decision-form"  # the id of that form

    def __str__(self) -> str:
        return self.id


def _decision(world: World) -> dict[str, Any]:
    """The review form as a steering member posts it, with the fingerprint of the figures it showed."""
    initiative = Initiative.objects.get(pk=world.initiative.pk)
    seen = steering.figures_digest(
        steering.initiative_figures([initiative])[initiative.pk], rules.suggest_rag(initiative)
    )
    return {
        "version": "1",
        "seen": seen,
        "rag_schedule": "green",
        "rag_cost": "amber",
        "rag_scope": "green",
        "rag_benefits": "green",
        "decision": "proceed",
        "rationale": "On plan.",
        "attendees": [str(world.users["steering_member"].pk)],
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
    }


def _record(kind: str) -> Callable[[World], Any]:
    return lambda w: w.records[kind]


def _reload(record: Any) -> Any:
    return type(record).objects.get(pk=record.pk)


KIND_FORMS = {
    "contributions": ContributionForm,
    "milestones": MilestoneForm,
    "scope-changes": ScopeChangeForm,
    "artefacts": ArtefactForm,
    "risks": RiskForm,
    "effort": ChangeDemandForm,
}
KIND_MODELS = {
    "contributions": Contribution,
    "milestones": Milestone,
    "scope-changes": ScopeChange,
    "artefacts": Artefact,
    "risks": Risk,
    "effort": ChangeDemand,
}
KIND_RULES = {
    "contributions": PMO,
    "milestones": PMO_OR_OWNER,
    "scope-changes": PMO_OR_OWNER,
    "artefacts": PMO_OR_OWNER,
    "risks": PMO_OR_OWNER,
    "effort": PMO_OR_OWNER,
}
NEW_RECORD = {
    "contributions": lambda w: {
        "objective": w.spare_objective.pk,
        "strength": "weak",
        "rationale": "Fewer calls to the service desk.",
    },
    "milestones": lambda w: {"name": "Roll-out", "baseline_date": "2026-12-01"},
    "scope-changes": lambda w: {
        "date": "2026-05-01",
        "description": "Add Apple Pay.",
        "cost_impact": "0",
        "schedule_impact_days": "0",
        "status": "pending",
    },
    "artefacts": lambda w: {"kind": "test_strategy", "title": "Test strategy", "dated": "2026-05-01"},
    "risks": lambda w: {
        "title": "Data loss",
        "category": "technical",
        "probability": "2",
        "impact": "4",
        "status": "open",
    },
    "effort": lambda w: {
        "team": Team.objects.get(name="Service desk").pk,
        "person_days": "12",
    },
}
NEW_RECORD_MADE = {
    "contributions": lambda w: w.initiative.contributions.filter(objective=w.spare_objective).exists(),
    "milestones": lambda w: w.initiative.milestones.filter(name="Roll-out").exists(),
    "scope-changes": lambda w: w.initiative.scope_changes.filter(description="Add Apple Pay.").exists(),
    "artefacts": lambda w: w.initiative.artefacts.filter(kind="test_strategy").exists(),
    "risks": lambda w: w.initiative.risks.filter(title="Data loss", impact=4).exists(),
    "effort": lambda w: w.initiative.change_demand.filter(team__name="Service desk").exists(),
}
EDIT = {
    "contributions": ("rationale", "Fewer abandoned baskets."),
    "milestones": ("name", "Pilot (all stores)"),
    "scope-changes": ("description", "Add gift cards and vouchers."),
    "artefacts": ("title", "Business case v2"),
    "risks": ("title", "Vendor very late"),
    "effort": ("note", "Re-estimated with the team"),
}


def _record_endpoints(kind: str) -> list[Endpoint]:
    field, value = EDIT[kind]
    return [
        Endpoint(
            f"{kind} create",
            lambda w: reverse("portfolio:record-create", args=[w.initiative.pk, kind]),
            KIND_RULES[kind],
            NEW_RECORD[kind],
            NEW_RECORD_MADE[kind],
        ),
        Endpoint(
            f"{kind} edit",
            lambda w: reverse("portfolio:record-edit", args=[kind, w.records[kind].pk]),
            KIND_RULES[kind],
            lambda w: form_data(KIND_FORMS[kind](instance=w.records[kind]), **{field: value}),
            lambda w: getattr(_reload(w.records[kind]), field) == value,
        ),
        Endpoint(
            f"{kind} delete",
            lambda w: reverse("portfolio:record-delete", args=[kind, w.records[kind].pk]),
            KIND_RULES[kind],
            lambda w: {"version": "1"},
            lambda w: not KIND_MODELS[kind]._default_manager.filter(pk=w.records[kind].pk).exists(),
        ),
    ]


ENDPOINTS = [
    Endpoint(
        "initiative create",
        lambda w: reverse("portfolio:initiative-create"),
        PMO,
        lambda w: {
            "code": "NEW-9",
            "title": "Self-service returns",
            "category": "grow",
            "stage": "idea",
            "budget_capex": "0",
            "budget_opex": "0",
            "actual_cost": "0",
            "criticality": "3",
        },
        lambda w: Initiative.objects.filter(code="NEW-9", title="Self-service returns").exists(),
    ),
    Endpoint(
        "initiative edit",
        lambda w: reverse("portfolio:initiative-edit", args=[w.initiative.pk]),
        PMO_OR_OWNER,
        lambda w: form_data(InitiativeForm(instance=w.initiative), title="Checkout rebuild v2"),
        lambda w: _reload(w.initiative).title == "Checkout rebuild v2",
    ),
    Endpoint(
        "sustainment owner",
        lambda w: reverse("portfolio:initiative-sustainment-owner", args=[w.initiative.pk]),
        PMO_OR_OWNER,
        lambda w: {"sustainment_owner": w.initiative.manager_id, "version": w.initiative.version},
        lambda w: _reload(w.initiative).sustainment_owner_id == w.initiative.manager_id,
    ),
    Endpoint(
        "business case edit",
        lambda w: reverse("portfolio:business-case-edit", args=[w.initiative.pk]),
        PMO_OR_OWNER,
        lambda w: {
            "version": "",
            "first_year": "2026",
            "years": "2026,2027,2028,2029,2030",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-kind": "capex",
            "lines-0-label": "Checkout platform",
            "lines-0-y2026": "100000",
        },
        lambda w: BusinessCaseLine.objects.filter(
            case_id=w.initiative.pk, label="Checkout platform"
        ).exists(),
    ),
    Endpoint(
        "benefit plan edit",
        lambda w: reverse("portfolio:benefit-plan-edit", args=[w.benefit_line.pk]),
        PMO_OR_OWNER,
        lambda w: {"version": "", "source": "entered", "q2026-2-expected": "1000", "q2026-2-actual": "900"},
        lambda w: BenefitPeriod.objects.filter(
            plan_id=w.benefit_line.pk, year=2026, quarter=2, expected=1000, actual=900
        ).exists(),
    ),
    Endpoint(
        "financial policy publish",
        lambda w: reverse("portfolio:financial-policy"),
        PMO,
        lambda w: {"discount_rate": "9.5", "horizon_years": "6", "note": "Board, 2026-12"},
        lambda w: FinancialPolicy.objects.filter(version=2, discount_rate="9.5", horizon_years=6).exists(),
        open_to_read=True,
        form_id="policy-form",
    ),
    *[endpoint for kind in KIND_FORMS for endpoint in _record_endpoints(kind)],
    Endpoint(
        "objective create",
        lambda w: reverse("portfolio:objective-create"),
        PMO,
        lambda w: {
            "parent": w.theme.pk,
            "code": "O7",
            "title": "Open a marketplace",
            "status": "active",
            "local_weight": "1",
        },
        lambda w: Objective.objects.filter(code="O7", parent=w.theme).exists(),
    ),
    Endpoint(
        "objective edit",
        lambda w: reverse("portfolio:objective-edit", args=[w.objective.pk]),
        PMO,
        lambda w: form_data(ObjectiveForm(instance=w.objective), title="Raise mobile conversion"),
        lambda w: _reload(w.objective).title == "Raise mobile conversion",
    ),
    Endpoint(
        "KPI create",
        lambda w: reverse("portfolio:kpi-create"),
        PMO,
        lambda w: {
            "objective": w.objective.pk,
            "name": "Bounce rate",
            "unit": "%",
            "direction": "decrease",
            "baseline_value": "40",
            "baseline_date": "2025-01-01",
            "target_value": "30",
            "target_date": "2027-01-01",
        },
        lambda w: KPI.objects.filter(name="Bounce rate", objective=w.objective).exists(),
    ),
    Endpoint(
        "KPI edit",
        lambda w: reverse("portfolio:kpi-edit", args=[w.kpi.pk]),
        PMO,
        lambda w: form_data(KPIForm(instance=w.kpi), unit="percent"),
        lambda w: _reload(w.kpi).unit == "percent",
    ),
    Endpoint(
        "reading create",
        lambda w: reverse("portfolio:reading-create", args=[w.kpi.pk]),
        PMO,
        lambda w: {"date": "2026-02-28", "value": "13.5", "source": "Web analytics"},
        lambda w: w.kpi.readings.filter(date="2026-02-28", value="13.5").exists(),
        has_form=False,
    ),
    Endpoint(
        "reading delete",
        lambda w: reverse("portfolio:reading-delete", args=[w.reading.pk]),
        PMO,
        lambda w: {"version": "1"},
        lambda w: not Reading.objects.filter(pk=w.reading.pk).exists(),
        has_form=False,
    ),
    Endpoint(
        "interim target create",
        lambda w: reverse("portfolio:interim-target-create", args=[w.kpi.pk]),
        PMO,
        lambda w: {"date": "2026-06-30", "value": "16.5"},
        lambda w: w.kpi.interim_targets.filter(date="2026-06-30", value="16.5").exists(),
    ),
    Endpoint(
        "interim target delete",
        lambda w: reverse("portfolio:interim-target-delete", args=[w.interim_target.pk]),
        PMO,
        lambda w: {"version": "1"},
        lambda w: not InterimTarget.objects.filter(pk=w.interim_target.pk).exists(),
        has_form=False,
    ),
    Endpoint(
        "program create",
        lambda w: reverse("portfolio:program-create"),
        PMO,
        lambda w: {"name": "Back office", "description": "Finance and HR."},
        lambda w: Program.objects.filter(name="Back office").exists(),
    ),
    Endpoint(
        "program edit",
        lambda w: reverse("portfolio:program-edit", args=[w.program.pk]),
        PMO,
        lambda w: form_data(ProgramForm(instance=w.program), name="Digital channels"),
        lambda w: _reload(w.program).name == "Digital channels",
    ),
    Endpoint(
        "meeting create",
        lambda w: reverse("steering:meeting-create"),
        CHAIR_OR_PMO,
        lambda w: {
            "committee": w.committee.pk,
            "title": "Extra board",
            "held_on": "2026-11-02",
            "status": "planned",
        },
        lambda w: SteeringMeeting.objects.filter(title="Extra board", committee=w.committee).exists(),
    ),
    Endpoint(
        "meeting edit",
        lambda w: reverse("steering:meeting-edit", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: form_data(MeetingForm(instance=w.meeting, user=w.users["pmo"]), location="Room 4"),
        lambda w: _reload(w.meeting).location == "Room 4",
    ),
    Endpoint(
        "meeting attendance",
        lambda w: reverse("steering:meeting-attendance", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {"version": "1", "attendees": [str(w.users["pmo"].pk), str(w.users["steering_member"].pk)]},
        lambda w: set(_reload(w.meeting).attendees.all()) == {w.users["pmo"], w.users["steering_member"]},
    ),
    Endpoint(
        "agenda propose",
        lambda w: reverse("steering:agenda-propose", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {},
        lambda w: AgendaItem.objects.filter(
            meeting=w.meeting, initiative=w.not_on_agenda, reasons=["1 scope change awaiting a decision"]
        ).exists(),
        has_form=False,
    ),
    Endpoint(
        "agenda add",
        lambda w: reverse("steering:agenda-add", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {"initiative": w.not_on_agenda.code},
        lambda w: AgendaItem.objects.filter(
            meeting=w.meeting, initiative=w.not_on_agenda, position=2
        ).exists(),
        has_form=False,
    ),
    Endpoint(
        "agenda move",
        lambda w: reverse("steering:agenda-move", args=[w.agenda["second"].pk]),
        CHAIR_OR_PMO,
        lambda w: {"direction": "up"},
        lambda w: _reload(w.agenda["second"]).position == 0,
        has_form=False,
    ),
    Endpoint(
        "agenda remove",
        lambda w: reverse("steering:agenda-remove", args=[w.agenda["second"].pk]),
        CHAIR_OR_PMO,
        lambda w: {"version": "1"},
        lambda w: not AgendaItem.objects.filter(pk=w.agenda["second"].pk).exists(),
        has_form=False,
    ),
    Endpoint(
        "agenda plan",
        lambda w: reverse("steering:agenda-plan", args=[w.agenda["second"].pk]),
        CHAIR_OR_PMO,
        lambda w: {"minutes": "25"},
        lambda w: _reload(w.agenda["second"]).minutes == 25,
        has_form=False,
    ),
    Endpoint(
        "review scope change",
        lambda w: reverse(
            "steering:review-scope-change", args=[w.agenda["first"].pk, w.records["scope-changes"].pk]
        ),
        RECORDERS,
        lambda w: {"status": "approved", "version": "1"},
        lambda w: _reload(w.records["scope-changes"]).status == "approved",
        has_form=False,
    ),
    Endpoint(
        "review create",
        lambda w: reverse("steering:review-create", args=[w.agenda["first"].pk]),
        RECORDERS,
        _decision,
        lambda w: CheckpointReview.objects.filter(agenda_item=w.agenda["first"], decision="proceed").exists(),
        open_to_read=True,
    ),
    Endpoint(
        "action edit",
        lambda w: reverse("steering:action-edit", args=[w.action.pk]),
        PMO_OR_OWNER,  # the owner, the PMO and admins: the world's action was set outside a committee's meeting
        lambda w: form_data(ActionForm(instance=w.action, user=w.users["pmo"]), status="done", note="Done."),
        lambda w: _reload(w.action).status == "done",
    ),
    Endpoint(
        "action status",
        lambda w: reverse("steering:action-status", args=[w.action.pk]),
        PMO_OR_OWNER,
        lambda w: {"status": "done", "version": "1", "note": "Done."},
        lambda w: _reload(w.action).status == "done",
        has_form=False,
    ),
]


def login_redirect(response: Any, url: str) -> bool:
    return response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"
