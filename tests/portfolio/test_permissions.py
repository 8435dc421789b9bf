"""Who may do what, through the web: every write endpoint and every read page against every role."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import URLPattern, get_resolver, reverse

from portfolio import roles
from portfolio.extensions import registry
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
    ActionItem,
    AgendaItem,
    Artefact,
    CheckpointReview,
    Committee,
    Contribution,
    Initiative,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
    SteeringMeeting,
)
from portfolio.services import steering
from portfolio.steering_forms import ActionForm, MeetingForm
from risk.forms import RiskForm
from risk.models import Risk
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
from tests.portfolio.utils import form_data, snapshot

pytestmark = pytest.mark.django_db

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
RECORDERS_OR_OWNER = RECORDERS | {"manager"}  # the manager owns the world's action item


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
    program: Program
    records: dict[str, Any]
    committee: Committee
    meeting: SteeringMeeting
    agenda: dict[str, AgendaItem]
    not_on_agenda: Initiative
    review: CheckpointReview
    action: ActionItem


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
    return World(
        users=users,
        initiative=initiative,
        theme=theme,
        objective=objective,
        spare_objective=ObjectiveFactory(code="O2", title="Cut cost to serve", parent=theme),
        kpi=kpi,
        reading=ReadingFactory(kpi=kpi),
        program=program,
        records={
            "contributions": ContributionFactory(initiative=initiative, objective=objective),
            "milestones": MilestoneFactory(initiative=initiative, name="Pilot"),
            "scope-changes": ScopeChangeFactory(initiative=initiative),
            "artefacts": ArtefactFactory(initiative=initiative),
            "risks": RiskFactory(initiative=initiative, title="Vendor late"),
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
    )


def _remove_world(world: World) -> None:
    Initiative.objects.all().delete()
    SteeringMeeting.objects.all().delete()
    Committee.objects.all().delete()
    Reading.objects.all().delete()
    KPI.objects.all().delete()
    Objective.objects.filter(parent__isnull=False).delete()
    Objective.objects.all().delete()
    Program.objects.all().delete()
    User.objects.filter(pk__in=[user.pk for user in world.users.values()]).delete()
    for label in ("portfolio", "risk"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical") and model.__name__ != "HistoricalTierPolicy":
                model._default_manager.all().delete()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module and committed; each test's own changes are rolled back after it."""
    with django_db_blocker.unblock():
        assert not Initiative.objects.exists()
        built = _build_world()
    yield built
    with django_db_blocker.unblock():
        _remove_world(built)


@pytest.fixture
def actor(request, client, world):
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

    def __str__(self) -> str:
        return self.id


def _decision(world: World) -> dict[str, Any]:
    """The review form as a steering member posts it, with the fingerprint of the figures it showed."""
    initiative = Initiative.objects.get(pk=world.initiative.pk)
    seen = steering.snapshot_digest(
        steering.initiative_snapshot(initiative), steering.rag_suggestions(initiative)
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
}
KIND_MODELS = {
    "contributions": Contribution,
    "milestones": Milestone,
    "scope-changes": ScopeChange,
    "artefacts": Artefact,
    "risks": Risk,
}
KIND_RULES = {
    "contributions": PMO,
    "milestones": PMO_OR_OWNER,
    "scope-changes": PMO_OR_OWNER,
    "artefacts": PMO_OR_OWNER,
    "risks": PMO_OR_OWNER,
}
NEW_RECORD = {
    "contributions": lambda w: {
        "objective": w.spare_objective.pk,
        "strength": "weak",
        "rationale": "Fewer calls.",
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
}
NEW_RECORD_MADE = {
    "contributions": lambda w: w.initiative.contributions.filter(objective=w.spare_objective).exists(),
    "milestones": lambda w: w.initiative.milestones.filter(name="Roll-out").exists(),
    "scope-changes": lambda w: w.initiative.scope_changes.filter(description="Add Apple Pay.").exists(),
    "artefacts": lambda w: w.initiative.artefacts.filter(kind="test_strategy").exists(),
    "risks": lambda w: w.initiative.risks.filter(title="Data loss", impact=4).exists(),
}
EDIT = {
    "contributions": ("rationale", "Fewer abandoned baskets."),
    "milestones": ("name", "Pilot (all stores)"),
    "scope-changes": ("description", "Add gift cards and vouchers."),
    "artefacts": ("title", "Business case v2"),
    "risks": ("title", "Vendor very late"),
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
            "expected_annual_benefit": "0",
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
        lambda w: reverse("portfolio:meeting-create"),
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
        lambda w: reverse("portfolio:meeting-edit", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: form_data(MeetingForm(instance=w.meeting, user=w.users["pmo"]), location="Room 4"),
        lambda w: _reload(w.meeting).location == "Room 4",
    ),
    Endpoint(
        "meeting attendance",
        lambda w: reverse("portfolio:meeting-attendance", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {"version": "1", "attendees": [str(w.users["pmo"].pk), str(w.users["steering_member"].pk)]},
        lambda w: set(_reload(w.meeting).attendees.all()) == {w.users["pmo"], w.users["steering_member"]},
    ),
    Endpoint(
        "agenda propose",
        lambda w: reverse("portfolio:agenda-propose", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {},
        lambda w: AgendaItem.objects.filter(
            meeting=w.meeting, initiative=w.not_on_agenda, reasons=["1 scope change awaiting a decision"]
        ).exists(),
        has_form=False,
    ),
    Endpoint(
        "agenda add",
        lambda w: reverse("portfolio:agenda-add", args=[w.meeting.pk]),
        CHAIR_OR_PMO,
        lambda w: {"initiative": w.not_on_agenda.pk},
        lambda w: AgendaItem.objects.filter(
            meeting=w.meeting, initiative=w.not_on_agenda, position=2
        ).exists(),
        has_form=False,
    ),
    Endpoint(
        "agenda move",
        lambda w: reverse("portfolio:agenda-move", args=[w.agenda["second"].pk]),
        CHAIR_OR_PMO,
        lambda w: {"direction": "up"},
        lambda w: _reload(w.agenda["second"]).position == 0,
        has_form=False,
    ),
    Endpoint(
        "agenda remove",
        lambda w: reverse("portfolio:agenda-remove", args=[w.agenda["second"].pk]),
        CHAIR_OR_PMO,
        lambda w: {"version": "1"},
        lambda w: not AgendaItem.objects.filter(pk=w.agenda["second"].pk).exists(),
        has_form=False,
    ),
    Endpoint(
        "checkpoint decide",
        lambda w: reverse("portfolio:checkpoint-decide", args=[w.agenda["first"].pk]),
        RECORDERS,
        _decision,
        lambda w: CheckpointReview.objects.filter(agenda_item=w.agenda["first"], decision="proceed").exists(),
        open_to_read=True,
    ),
    Endpoint(
        "action edit",
        lambda w: reverse("portfolio:action-edit", args=[w.action.pk]),
        RECORDERS_OR_OWNER,
        lambda w: form_data(ActionForm(instance=w.action, user=w.users["pmo"]), status="done"),
        lambda w: _reload(w.action).status == "done",
    ),
    Endpoint(
        "action status",
        lambda w: reverse("portfolio:action-status", args=[w.action.pk]),
        RECORDERS_OR_OWNER,
        lambda w: {"status": "done", "version": "1"},
        lambda w: _reload(w.action).status == "done",
        has_form=False,
    ),
]


def test_the_matrix_covers_every_write_url_of_the_portfolio():
    # given: the URL names that write (everything but the read pages)
    _prefix, portfolio_urls = get_resolver().namespace_dict["portfolio"]
    read_pages = {
        "initiative-list",
        "initiative-detail",
        "objective-list",
        "objective-detail",
        "kpi-detail",
        "program-list",
        "milestone-list",
        "worklist",
        "meeting-list",
        "meeting-detail",
        "review-detail",
        "decision-log",
        "action-list",
    }
    writes = {cast(URLPattern, pattern).name for pattern in portfolio_urls.url_patterns} - read_pages

    # then: the matrix has an endpoint for each, and one per record kind for the record URLs
    covered = {
        "initiative-create",
        "initiative-edit",
        "objective-create",
        "objective-edit",
        "kpi-create",
        "kpi-edit",
        "reading-create",
        "reading-delete",
        "program-create",
        "program-edit",
        "record-create",
        "record-edit",
        "record-delete",
        "meeting-create",
        "meeting-edit",
        "meeting-attendance",
        "agenda-propose",
        "agenda-add",
        "agenda-move",
        "agenda-remove",
        "checkpoint-decide",
        "action-edit",
        "action-status",
    }
    assert writes == covered
    assert set(registry.child_kinds) == set(KIND_FORMS)
    assert len(ENDPOINTS) == 10 + 3 * len(KIND_FORMS) + 10


def _login_redirect(response: Any, url: str) -> bool:
    return response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.has_form], ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_get_of_a_write_form(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)

    # when
    response = client.get(url)

    # then
    if role == "anonymous":
        assert _login_redirect(response, url)
    elif endpoint.open_to_read and role != "outsider":
        assert response.status_code == 200
        assert ('id="decision-form"' in response.content.decode()) is (role in endpoint.allowed)
    elif role in endpoint.allowed:
        assert response.status_code == 200
        assert '<input type="hidden" name="csrfmiddlewaretoken"' in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_post_of_valid_data_to_a_write_endpoint(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)
    data = endpoint.post(world)
    allowed = role in endpoint.allowed
    before = None if allowed else snapshot()

    # when
    response = client.post(url, data)

    # then
    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert endpoint.done(world)
    else:
        if role == "anonymous":
            assert _login_redirect(response, url)
        else:
            assert response.status_code == 403
        assert snapshot() == before
        assert not endpoint.done(world)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.has_form], ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_post_only_endpoints_refuse_get(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)

    # when
    response = client.get(url)

    # then
    if role == "anonymous":
        assert _login_redirect(response, url)
    elif role == "outsider":
        assert response.status_code == 403
    else:
        assert response.status_code == 405


READ_PAGES = [
    ("initiative register", lambda w: reverse("portfolio:initiative-list")),
    ("initiative page", lambda w: reverse("portfolio:initiative-detail", args=[w.initiative.pk])),
    ("objective tree", lambda w: reverse("portfolio:objective-list")),
    ("objective page", lambda w: reverse("portfolio:objective-detail", args=[w.objective.pk])),
    ("KPI page", lambda w: reverse("portfolio:kpi-detail", args=[w.kpi.pk])),
    ("programs", lambda w: reverse("portfolio:program-list")),
    ("milestones", lambda w: reverse("portfolio:milestone-list")),
    ("data-quality worklist", lambda w: reverse("portfolio:worklist")),
    ("risk register", lambda w: reverse("risk:risk-list")),
    ("dashboard", lambda w: reverse("alignment:dashboard")),
    ("signals", lambda w: reverse("alignment:signal-list")),
    ("why this score", lambda w: reverse("alignment:initiative-why", args=[w.initiative.pk])),
    ("recompute page", lambda w: reverse("alignment:recompute")),
    ("steering meetings", lambda w: reverse("portfolio:meeting-list")),
    ("meeting page", lambda w: reverse("portfolio:meeting-detail", args=[w.meeting.pk])),
    ("review page", lambda w: reverse("portfolio:checkpoint-decide", args=[w.agenda["first"].pk])),
    ("decided review", lambda w: reverse("portfolio:review-detail", args=[w.review.pk])),
    ("decision log", lambda w: reverse("portfolio:decision-log")),
    ("actions", lambda w: reverse("portfolio:action-list")),
]


@pytest.mark.parametrize(("page", "url"), READ_PAGES, ids=[name for name, _ in READ_PAGES])
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_every_read_page_is_open_to_every_role_and_closed_to_others(page, url, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    address = url(world)

    # when
    response = client.get(address)

    # then
    if role == "anonymous":
        assert _login_redirect(response, address)
    elif role == "outsider":
        assert response.status_code == 403
        assert "Your account has no Bearing role yet." in response.content.decode()
    else:
        assert response.status_code == 200


def test_manager_cannot_edit_someone_elses_initiative(client, world):
    # given
    initiative = world.initiative
    client.force_login(world.users["other_manager"])
    before = snapshot()

    # when
    response = client.post(
        reverse("portfolio:initiative-edit", args=[initiative.pk]),
        form_data(InitiativeForm(instance=initiative), title="Taken over"),
    )

    # then
    assert response.status_code == 403
    assert "You may only edit initiatives you manage." in response.content.decode()
    assert snapshot() == before


def test_manager_posting_a_new_sponsor_through_the_form_does_not_reassign_it(client, world):
    # given: the form shows sponsor and manager disabled for the manager; a crafted post sends them anyway
    initiative, manager, pmo = world.initiative, world.users["manager"], world.users["pmo"]
    client.force_login(manager)
    data = form_data(InitiativeForm(instance=initiative), title="Mine", sponsor=pmo.pk, manager=pmo.pk)

    # when
    response = client.post(reverse("portfolio:initiative-edit", args=[initiative.pk]), data)

    # then
    assert response.status_code == 302
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.sponsor, stored.manager) == ("Mine", initiative.sponsor, manager)
