"""The portfolio and risk services: exact writes, audit trail, validation refusals, permissions, change notices."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from portfolio import services
from portfolio.changes import Change
from portfolio.errors import ApplicationError, NotAllowed, StaleEdit
from portfolio.models import (
    KPI,
    Artefact,
    ArtefactKind,
    Category,
    Contribution,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
    Stage,
)
from risk import services as risk_services
from risk.models import Risk, TierPolicy
from tests.factories import (
    ArtefactFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
)
from tests.portfolio.utils import snapshot

pytestmark = pytest.mark.django_db

D = datetime.date


@dataclass
class World:
    """The records a service case needs, built from the shared fixtures."""

    executive: Any
    manager: Any
    theme: Objective
    objective: Objective
    kpi: KPI
    program: Program
    initiative: Initiative


@pytest.fixture
def world(executive, manager, theme, objective, kpi, program, initiative) -> World:
    return World(executive, manager, theme, objective, kpi, program, initiative)


def history_of(record: Any) -> list[tuple[str, Any]]:
    """(type, user) of each audit-trail row of `record`, oldest first."""
    rows = type(record).history.filter(id=record.pk).order_by("history_date", "history_id")
    return [(row.history_type, row.history_user) for row in rows]


# ------------------------------------------------------------------------------------------------ creates


@dataclass
class CreateCase:
    id: str
    model: type
    data: Callable[[World], dict[str, Any]]
    call: Callable[[Any, World, dict[str, Any]], Any]

    def __str__(self) -> str:
        return self.id


CREATES = [
    CreateCase(
        "initiative",
        Initiative,
        lambda w: {
            "code": "CRM-7",
            "title": "CRM consolidation",
            "description": "Merge the two CRMs into one.",
            "sponsor": w.executive,
            "manager": w.manager,
            "program": w.program,
            "category": Category.TRANSFORM,
            "stage": Stage.APPROVED,
            "planned_start": D(2026, 2, 1),
            "planned_end": D(2027, 3, 31),
            "budget_capex": Decimal("250000.00"),
            "budget_opex": Decimal("40000.50"),
            "actual_cost": Decimal("0.00"),
            "forecast_cost": Decimal("300000.00"),
            "expected_annual_benefit": Decimal("120000.00"),
            "requirements_clarity": 3,
            "criticality": 4,
        },
        lambda user, w, data: services.initiative_create(user=user, data=data),
    ),
    CreateCase(
        "contribution",
        Contribution,
        lambda w: {
            "objective": w.objective,
            "strength": "strong",
            "rationale": "A faster checkout converts more visitors.",
            "kpi": w.kpi,
            "expected_change": Decimal("2.5000"),
        },
        lambda user, w, data: services.contribution_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "milestone",
        Milestone,
        lambda w: {"name": "Pilot live", "baseline_date": D(2026, 9, 30), "forecast_date": D(2026, 10, 15)},
        lambda user, w, data: services.milestone_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "scope change",
        ScopeChange,
        lambda w: {
            "date": D(2026, 4, 1),
            "description": "Drop the loyalty module.",
            "rationale": "The loyalty vendor was not selected.",
            "cost_impact": Decimal("-5000.00"),
            "schedule_impact_days": -3,
            "status": "approved",
            "approved_by": w.executive,
        },
        lambda user, w, data: services.scope_change_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "artefact",
        Artefact,
        lambda w: {
            "kind": ArtefactKind.TEST_STRATEGY,
            "title": "Test strategy v2",
            "reference": "DOC-42",
            "dated": D(2026, 5, 5),
        },
        lambda user, w, data: services.artefact_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "risk",
        Risk,
        lambda w: {
            "title": "Vendor insolvency",
            "description": "The payment vendor is loss-making.",
            "category": "vendor",
            "probability": 2,
            "impact": 5,
            "owner": w.manager,
            "mitigation": "Code escrow.",
            "status": "mitigating",
            "review_date": D(2026, 12, 1),
        },
        lambda user, w, data: risk_services.risk_create(user=user, initiative=w.initiative, data=data),
    ),
    CreateCase(
        "objective",
        Objective,
        lambda w: {
            "parent": w.theme,
            "code": "O9",
            "title": "Open a marketplace",
            "description": "Third-party sellers on our site.",
            "owner": w.executive,
            "horizon_start": D(2026, 1, 1),
            "horizon_end": D(2028, 12, 31),
            "status": "active",
            "local_weight": Decimal("2.50"),
        },
        lambda user, w, data: services.objective_create(user=user, data=data),
    ),
    CreateCase(
        "kpi",
        KPI,
        lambda w: {
            "objective": w.objective,
            "name": "Basket size",
            "description": "Average order value.",
            "unit": "EUR",
            "direction": "increase",
            "baseline_value": Decimal("41.2000"),
            "baseline_date": D(2025, 1, 1),
            "target_value": Decimal("48.0000"),
            "target_date": D(2027, 12, 31),
        },
        lambda user, w, data: services.kpi_create(user=user, data=data),
    ),
    CreateCase(
        "reading",
        Reading,
        lambda w: {
            "kpi": w.kpi,
            "date": D(2026, 6, 30),
            "value": Decimal("13.7500"),
            "source": "Web analytics",
        },
        lambda user, w, data: services.reading_record(user=user, **data),
    ),
    CreateCase(
        "interim target",
        InterimTarget,
        lambda w: {"kpi": w.kpi, "date": D(2026, 1, 1), "value": Decimal("15.0000")},
        lambda user, w, data: services.interim_target_create(user=user, **data),
    ),
    CreateCase(
        "program",
        Program,
        lambda w: {"name": "Back office", "description": "Finance and HR systems.", "owner": w.executive},
        lambda user, w, data: services.program_create(user=user, data=data),
    ),
]


@pytest.mark.parametrize("case", CREATES, ids=str)
def test_create_writes_exactly_the_given_values_and_one_history_row_by_the_acting_user(case, world, pmo):
    # given
    data = case.data(world)
    before = case.model.objects.count()

    # when
    record = case.call(pmo, world, data)

    # then
    assert case.model.objects.count() == before + 1
    stored = case.model.objects.get(pk=record.pk)
    assert {field: getattr(stored, field) for field in data} == data
    assert stored.version == 1
    assert history_of(stored) == [("+", pmo)]


def test_reading_records_who_entered_it(kpi, pmo):
    # when
    reading = services.reading_record(user=pmo, kpi=kpi, date=D(2026, 3, 31), value=Decimal("11"))

    # then
    stored = Reading.objects.get(pk=reading.pk)
    assert stored.entered_by == pmo
    assert stored.source == ""


# ------------------------------------------------------------------------------------------------ updates


@dataclass
class UpdateCase:
    id: str
    make: Callable[[World], Any]
    data: Callable[[World], dict[str, Any]]
    call: Callable[..., Any]  # (user=, pk=, version=, data=)

    def __str__(self) -> str:
        return self.id


UPDATES = [
    UpdateCase(
        "initiative",
        lambda w: w.initiative,
        lambda w: {
            "title": "Checkout rebuild, phase 2",
            "stage": Stage.LIVE,
            "go_live_date": D(2026, 11, 1),
            "budget_opex": Decimal("25000.00"),
        },
        lambda *, user, pk, version, data: services.initiative_update(
            user=user, initiative_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "contribution",
        lambda w: ContributionFactory(initiative=w.initiative, objective=w.objective),
        lambda w: {"strength": "weak", "rationale": "Only the mobile checkout changes.", "kpi": w.kpi},
        lambda *, user, pk, version, data: services.contribution_update(
            user=user, contribution_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "milestone",
        lambda w: MilestoneFactory(initiative=w.initiative, name="Design signed off"),
        lambda w: {"name": "Design approved", "actual_date": D(2026, 6, 28)},
        lambda *, user, pk, version, data: services.milestone_update(
            user=user, milestone_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "scope change",
        lambda w: ScopeChangeFactory(initiative=w.initiative),
        lambda w: {"status": "rejected", "approved_by": w.executive, "cost_impact": Decimal("0.00")},
        lambda *, user, pk, version, data: services.scope_change_update(
            user=user, scope_change_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "artefact",
        lambda w: ArtefactFactory(initiative=w.initiative),
        lambda w: {"title": "Business case v2", "dated": D(2026, 2, 20)},
        lambda *, user, pk, version, data: services.artefact_update(
            user=user, artefact_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "risk",
        lambda w: RiskFactory(initiative=w.initiative),
        lambda w: {"probability": 5, "impact": 4, "status": "accepted"},
        lambda *, user, pk, version, data: risk_services.risk_update(
            user=user, risk_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "objective",
        lambda w: w.objective,
        lambda w: {"title": "Raise mobile conversion", "local_weight": Decimal("3.00"), "status": "retired"},
        lambda *, user, pk, version, data: services.objective_update(
            user=user, objective_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "kpi",
        lambda w: w.kpi,
        lambda w: {"target_value": Decimal("25.0000"), "unit": "percent"},
        lambda *, user, pk, version, data: services.kpi_update(
            user=user, kpi_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "reading",
        lambda w: ReadingFactory(kpi=w.kpi),
        lambda w: {"value": Decimal("12.2500"), "source": "Corrected export"},
        lambda *, user, pk, version, data: services.reading_update(
            user=user, reading_id=pk, version=version, data=data
        ),
    ),
    UpdateCase(
        "program",
        lambda w: w.program,
        lambda w: {"name": "Digital channels", "owner": w.manager},
        lambda *, user, pk, version, data: services.program_update(
            user=user, program_id=pk, version=version, data=data
        ),
    ),
]


@pytest.mark.parametrize("case", UPDATES, ids=str)
def test_update_writes_exactly_the_given_values_bumps_the_version_and_adds_one_history_row(case, world, pmo):
    # given
    record = case.make(world)
    data = case.data(world)
    trail = history_of(record)
    untouched = {
        f.attname: getattr(record, f.attname)
        for f in type(record)._meta.concrete_fields
        # stage_since is dated by the service when the stage changes (tests/portfolio/test_steering_services.py)
        if f.name not in data and f.attname not in {"version", "updated_at", "stage_since"}
    }

    # when
    case.call(user=pmo, pk=record.pk, version=1, data=data)

    # then
    stored = type(record).objects.get(pk=record.pk)
    assert {field: getattr(stored, field) for field in data} == data
    assert {name: getattr(stored, name) for name in untouched} == untouched
    assert stored.version == 2
    assert history_of(stored) == [*trail, ("~", pmo)]


def test_tier_policy_update_by_an_admin_writes_the_values_and_one_history_row(admin_user):
    # given
    policy = TierPolicy.objects.get(tier=2)

    # when
    risk_services.tier_policy_update(
        user=admin_user,
        policy_id=policy.pk,
        version=policy.version,
        data={"checkpoint_cadence_days": 45, "required_artefacts": ["business_case", "security_review"]},
    )

    # then
    stored = TierPolicy.objects.get(pk=policy.pk)
    assert stored.checkpoint_cadence_days == 45
    assert stored.required_artefacts == ["business_case", "security_review"]
    assert stored.version == policy.version + 1
    assert history_of(stored) == [("~", admin_user)]


def test_pmo_cannot_change_a_tier_policy(pmo):
    # given
    policy = TierPolicy.objects.get(tier=1)
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        risk_services.tier_policy_update(
            user=pmo, policy_id=policy.pk, version=policy.version, data={"checkpoint_cadence_days": 14}
        )
    assert snapshot() == before


def test_tier_policy_refuses_an_unknown_artefact_kind(admin_user):
    # given
    policy = TierPolicy.objects.get(tier=3)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        risk_services.tier_policy_update(
            user=admin_user,
            policy_id=policy.pk,
            version=policy.version,
            data={"required_artefacts": ["horoscope"]},
        )

    # then
    assert list(refused.value.field_errors) == ["required_artefacts"]
    assert snapshot() == before


def test_updating_a_record_that_no_longer_exists_is_refused_with_a_clear_message(pmo, initiative):
    # given
    pk = initiative.pk
    Initiative.objects.filter(pk=pk).delete()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.initiative_update(user=pmo, initiative_id=pk, version=1, data={"title": "Ghost"})

    # then
    assert type(refused.value) is ApplicationError
    assert refused.value.message == "This initiative no longer exists."


# ------------------------------------------------------------------------------------------------ deletes


@dataclass
class DeleteCase:
    id: str
    make: Callable[[World], Any]
    call: Callable[..., Any]  # (user=, pk=, version=)

    def __str__(self) -> str:
        return self.id


DELETES = [
    DeleteCase(
        "contribution",
        lambda w: ContributionFactory(initiative=w.initiative, objective=w.objective),
        lambda *, user, pk, version: services.contribution_delete(
            user=user, contribution_id=pk, version=version
        ),
    ),
    DeleteCase(
        "milestone",
        lambda w: MilestoneFactory(initiative=w.initiative),
        lambda *, user, pk, version: services.milestone_delete(user=user, milestone_id=pk, version=version),
    ),
    DeleteCase(
        "scope change",
        lambda w: ScopeChangeFactory(initiative=w.initiative),
        lambda *, user, pk, version: services.scope_change_delete(
            user=user, scope_change_id=pk, version=version
        ),
    ),
    DeleteCase(
        "artefact",
        lambda w: ArtefactFactory(initiative=w.initiative),
        lambda *, user, pk, version: services.artefact_delete(user=user, artefact_id=pk, version=version),
    ),
    DeleteCase(
        "risk",
        lambda w: RiskFactory(initiative=w.initiative),
        lambda *, user, pk, version: risk_services.risk_delete(user=user, risk_id=pk, version=version),
    ),
    DeleteCase(
        "reading",
        lambda w: ReadingFactory(kpi=w.kpi),
        lambda *, user, pk, version: services.reading_delete(user=user, reading_id=pk, version=version),
    ),
    DeleteCase(
        "interim target",
        lambda w: InterimTarget.objects.create(kpi=w.kpi, date=D(2026, 1, 1), value=Decimal("15")),
        lambda *, user, pk, version: services.interim_target_delete(user=user, target_id=pk, version=version),
    ),
]


@pytest.mark.parametrize("case", DELETES, ids=str)
def test_delete_removes_the_record_and_leaves_a_deletion_entry_by_the_acting_user(case, world, pmo):
    # given
    record = case.make(world)
    trail = history_of(record)

    # when
    case.call(user=pmo, pk=record.pk, version=1)

    # then
    assert not type(record).objects.filter(pk=record.pk).exists()
    assert history_of(record) == [*trail, ("-", pmo)]


@pytest.mark.parametrize("case", DELETES, ids=str)
def test_delete_of_an_outdated_version_is_refused_and_keeps_the_record(case, world, pmo):
    # given
    record = case.make(world)
    type(record).objects.filter(pk=record.pk).update(version=2)
    before = snapshot()

    # when
    with pytest.raises(StaleEdit) as refused:
        case.call(user=pmo, pk=record.pk, version=1)

    # then
    assert refused.value.current.pk == record.pk
    assert refused.value.current.version == 2
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ refusals


Action = Callable[[], Any]


def _initiative_data(w: World, **changes: Any) -> dict[str, Any]:
    data = {
        "code": "NEW-1",
        "title": "New initiative",
        "sponsor": w.executive,
        "stage": Stage.IN_DELIVERY,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 31),
    }
    return data | changes


def _sub_objective(w: World) -> Objective:
    return ObjectiveFactory(code="O1.1", title="Mobile conversion", parent=w.objective)


def _create_initiative(**changes: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: lambda: services.initiative_create(user=u, data=_initiative_data(w, **changes))


def _update_initiative(**data: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: (
        lambda: services.initiative_update(user=u, initiative_id=w.initiative.pk, version=1, data=data)
    )


def _contribution(**data: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: (
        lambda: services.contribution_create(
            user=u, initiative=w.initiative, data={"objective": w.objective, "rationale": "Because."} | data
        )
    )


def _contribution_with_foreign_kpi(u: Any, w: World) -> Action:
    foreign = KPIFactory(objective=ObjectiveFactory(code="T2", title="Cut costs"))
    return _contribution(kpi=foreign)(u, w)


def _objective_too_deep(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_create(
        user=u, data={"parent": sub, "code": "O1.1.1", "title": "Too deep"}
    )


def _objective_moved_with_children_too_deep(u: Any, w: World) -> Action:
    _sub_objective(w)
    sibling = ObjectiveFactory(code="O2", title="Sibling", parent=w.theme)
    return lambda: services.objective_update(
        user=u, objective_id=w.objective.pk, version=1, data={"parent": sibling}
    )


def _objective_under_its_child(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_update(
        user=u, objective_id=w.objective.pk, version=1, data={"parent": sub}
    )


def _theme_under_its_grandchild(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_update(user=u, objective_id=w.theme.pk, version=1, data={"parent": sub})


@dataclass
class RefusalCase:
    id: str
    arrange: Callable[[Any, World], Action]
    field_errors: dict[str, list[str]]

    def __str__(self) -> str:
        return self.id


GREATER_OR_EQUAL_0 = ["Ensure this value is greater than or equal to 0."]
AT_MOST_5 = ["Ensure this value is less than or equal to 5."]
BETWEEN_DATES = ["An interim target must fall between the baseline and target dates."]
TOO_DEEP = ["The tree is three levels deep at most: theme, objective, sub-objective."]
UNDER_ITSELF = ["An objective cannot sit under itself or one of its children."]

REFUSALS = [
    RefusalCase(
        "planned end before start",
        _create_initiative(planned_start=D(2026, 6, 1), planned_end=D(2026, 5, 31)),
        {"planned_end": ["The planned end cannot be before the planned start."]},
    ),
    RefusalCase(
        "actual end before start",
        _update_initiative(actual_end=D(2026, 1, 14)),
        {"actual_end": ["The actual end cannot be before the actual start."]},
    ),
    RefusalCase(
        "negative capex",
        _create_initiative(budget_capex=Decimal("-0.01")),
        {"budget_capex": GREATER_OR_EQUAL_0},
    ),
    RefusalCase(
        "negative opex", _create_initiative(budget_opex=Decimal("-1")), {"budget_opex": GREATER_OR_EQUAL_0}
    ),
    RefusalCase(
        "negative expected benefit",
        _create_initiative(expected_annual_benefit=Decimal("-1")),
        {"expected_annual_benefit": GREATER_OR_EQUAL_0},
    ),
    RefusalCase(
        "negative forecast cost on update",
        _update_initiative(forecast_cost=Decimal("-100")),
        {"forecast_cost": GREATER_OR_EQUAL_0},
    ),
    RefusalCase(
        "requirements clarity 6",
        _update_initiative(requirements_clarity=6),
        {"requirements_clarity": AT_MOST_5},
    ),
    RefusalCase(
        "requirements clarity 0",
        _update_initiative(requirements_clarity=0),
        {"requirements_clarity": ["Ensure this value is greater than or equal to 1."]},
    ),
    RefusalCase(
        "sponsor missing past the idea stage",
        _create_initiative(sponsor=None, stage=Stage.PROPOSED),
        {"sponsor": ["Every initiative past the idea stage needs an executive sponsor."]},
    ),
    RefusalCase(
        "approved without planned dates",
        _create_initiative(stage=Stage.APPROVED, planned_start=None, planned_end=None),
        {
            "planned_start": ["An approved initiative needs a planned start."],
            "planned_end": ["An approved initiative needs a planned end."],
        },
    ),
    RefusalCase(
        "live without a go-live date",
        _update_initiative(stage=Stage.LIVE),
        {"go_live_date": ["A live initiative needs its go-live date."]},
    ),
    RefusalCase(
        "code in lower case",
        _create_initiative(code="ecom-9"),
        {"code": ["Use 2 to 20 capital letters, digits or dashes, e.g. ECOM-12."]},
    ),
    RefusalCase(
        "contribution with a blank rationale",
        _contribution(rationale="  "),
        {"rationale": ["Say why this initiative moves this objective; a contribution needs a rationale."]},
    ),
    RefusalCase(
        "contribution naming a KPI of another objective",
        _contribution_with_foreign_kpi,
        {"kpi": ["Pick a KPI of this objective (or of one of its sub-objectives)."]},
    ),
    RefusalCase(
        "contribution with an expected change but no KPI",
        _contribution(expected_change=Decimal("1.5")),
        {"expected_change": ["An expected change needs the KPI it applies to."]},
    ),
    RefusalCase(
        "interim target before the baseline date",
        lambda u, w: (
            lambda: services.interim_target_create(
                user=u, kpi=w.kpi, date=D(2024, 12, 31), value=Decimal("11")
            )
        ),
        {"date": BETWEEN_DATES},
    ),
    RefusalCase(
        "interim target on the target date",
        lambda u, w: (
            lambda: services.interim_target_create(user=u, kpi=w.kpi, date=D(2027, 1, 1), value=Decimal("19"))
        ),
        {"date": BETWEEN_DATES},
    ),
    RefusalCase(
        "reading dated tomorrow",
        lambda u, w: (
            lambda: services.reading_record(
                user=u, kpi=w.kpi, date=timezone.localdate() + datetime.timedelta(days=1), value=Decimal("12")
            )
        ),
        {"date": ["A reading cannot be dated in the future."]},
    ),
    RefusalCase(
        "KPI target below the baseline of an increasing KPI",
        lambda u, w: (
            lambda: services.kpi_update(user=u, kpi_id=w.kpi.pk, version=1, data={"target_value": 9})
        ),
        {"target_value": ["Higher is better, so the target cannot be below the baseline."]},
    ),
    RefusalCase("objective four levels deep", _objective_too_deep, {"parent": TOO_DEEP}),
    RefusalCase(
        "objective moved so that its children end up four levels deep",
        _objective_moved_with_children_too_deep,
        {"parent": TOO_DEEP},
    ),
    RefusalCase("objective moved under its own child", _objective_under_its_child, {"parent": UNDER_ITSELF}),
    RefusalCase(
        "theme moved under its own grandchild", _theme_under_its_grandchild, {"parent": UNDER_ITSELF}
    ),
    RefusalCase(
        "objective under itself",
        lambda u, w: (
            lambda: services.objective_update(
                user=u, objective_id=w.objective.pk, version=1, data={"parent": w.objective}
            )
        ),
        {"parent": UNDER_ITSELF},
    ),
    RefusalCase(
        "scope change decided without a decider",
        lambda u, w: (
            lambda: services.scope_change_create(
                user=u,
                initiative=w.initiative,
                data={"date": D(2026, 4, 1), "description": "Add gift cards.", "status": "approved"},
            )
        ),
        {"approved_by": ["Say who approved or rejected this change."]},
    ),
    RefusalCase(
        "risk probability 6",
        lambda u, w: (
            lambda: risk_services.risk_create(
                user=u, initiative=w.initiative, data={"title": "Outage", "probability": 6, "impact": 2}
            )
        ),
        {"probability": AT_MOST_5},
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_invalid_input_is_refused_on_the_right_field_and_changes_nothing(case, world, pmo, recorded_changes):
    # given
    action = case.arrange(pmo, world)
    before = snapshot()
    recorded_changes.clear()

    # when
    with pytest.raises(ApplicationError) as refused:
        action()

    # then
    assert type(refused.value) is ApplicationError
    assert refused.value.field_errors == case.field_errors
    assert snapshot() == before
    assert recorded_changes == []


def test_an_expected_change_may_name_a_kpi_of_a_sub_objective(world, pmo):
    # given
    sub_kpi = KPIFactory(objective=_sub_objective(world), name="Mobile conversion")

    # when
    contribution = services.contribution_create(
        user=pmo,
        initiative=world.initiative,
        data={"objective": world.objective, "rationale": "Because.", "kpi": sub_kpi, "expected_change": 1},
    )

    # then
    assert Contribution.objects.get(pk=contribution.pk).kpi == sub_kpi


def test_an_invalid_update_rolls_back_the_version_bump(world, pmo):
    # when
    with pytest.raises(ApplicationError):
        services.initiative_update(
            user=pmo, initiative_id=world.initiative.pk, version=1, data={"planned_end": D(2025, 1, 1)}
        )

    # then: the same version can still be saved
    services.initiative_update(
        user=pmo, initiative_id=world.initiative.pk, version=1, data={"title": "Renamed"}
    )
    stored = Initiative.objects.get(pk=world.initiative.pk)
    assert (stored.title, stored.version, stored.planned_end) == ("Renamed", 2, D(2026, 12, 31))


# ------------------------------------------------------------------------------------------------ who may


def test_manager_may_edit_their_own_initiative(initiative, manager):
    # when
    services.initiative_update(
        user=manager,
        initiative_id=initiative.pk,
        version=1,
        data={"title": "Checkout rebuild (mobile first)", "sponsor": initiative.sponsor, "manager": manager},
    )

    # then
    stored = Initiative.objects.get(pk=initiative.pk)
    assert stored.title == "Checkout rebuild (mobile first)"
    assert history_of(stored)[-1] == ("~", manager)


@pytest.mark.parametrize("field", ["sponsor", "manager"])
def test_manager_cannot_reassign_the_sponsor_or_manager_of_their_initiative(
    initiative, manager, other_manager, field
):
    # given
    before = snapshot()

    # when
    with pytest.raises(NotAllowed) as refused:
        services.initiative_update(
            user=manager,
            initiative_id=initiative.pk,
            version=1,
            data={"title": "Mine now", field: other_manager},
        )

    # then
    assert refused.value.message == f"Only the PMO can change the {field} of an initiative."
    assert snapshot() == before


def test_manager_cannot_clear_the_sponsor_of_their_initiative(initiative, manager):
    # given
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        services.initiative_update(
            user=manager, initiative_id=initiative.pk, version=1, data={"sponsor": None}
        )
    assert snapshot() == before


def test_pmo_may_reassign_the_manager(initiative, pmo, other_manager):
    # when
    services.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"manager": other_manager}
    )

    # then
    assert Initiative.objects.get(pk=initiative.pk).manager == other_manager


@pytest.mark.parametrize(
    "persona", ["other_manager", "executive", "steering_member", "outsider"], indirect=True
)
def test_only_the_pmo_or_the_initiatives_manager_may_edit_it(initiative, persona):
    # given
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        services.initiative_update(
            user=persona, initiative_id=initiative.pk, version=1, data={"title": "Hijacked"}
        )
    with pytest.raises(NotAllowed):
        services.milestone_create(
            user=persona, initiative=initiative, data={"name": "Hijack", "baseline_date": D(2026, 7, 1)}
        )
    assert snapshot() == before


def test_manager_may_add_milestones_risks_scope_changes_and_artefacts_to_their_initiative(
    initiative, manager
):
    # when
    services.milestone_create(
        user=manager, initiative=initiative, data={"name": "Go", "baseline_date": D(2026, 7, 1)}
    )
    risk_services.risk_create(
        user=manager, initiative=initiative, data={"title": "Late", "probability": 2, "impact": 2}
    )
    services.scope_change_create(
        user=manager, initiative=initiative, data={"date": D(2026, 5, 1), "description": "Add Apple Pay."}
    )
    services.artefact_create(
        user=manager,
        initiative=initiative,
        data={"kind": "cutover_plan", "title": "Cut-over", "dated": D(2026, 8, 1)},
    )

    # then
    assert [
        initiative.milestones.count(),
        initiative.risks.count(),
        initiative.scope_changes.count(),
        initiative.artefacts.count(),
    ] == [1, 1, 1, 1]


def test_manager_cannot_add_a_contribution_even_to_their_own_initiative(initiative, objective, manager):
    # given
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        services.contribution_create(
            user=manager, initiative=initiative, data={"objective": objective, "rationale": "Trust me."}
        )
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["manager", "executive", "steering_member"], indirect=True)
def test_only_the_pmo_edits_the_strategy_and_readings(persona, kpi, objective, program):
    # given
    before = snapshot()

    # when / then
    with pytest.raises(NotAllowed):
        services.objective_create(user=persona, data={"code": "T9", "title": "New theme"})
    with pytest.raises(NotAllowed):
        services.objective_update(user=persona, objective_id=objective.pk, version=1, data={"title": "X"})
    with pytest.raises(NotAllowed):
        services.kpi_update(user=persona, kpi_id=kpi.pk, version=1, data={"unit": "x"})
    with pytest.raises(NotAllowed):
        services.reading_record(user=persona, kpi=kpi, date=D(2026, 1, 31), value=Decimal("1"))
    with pytest.raises(NotAllowed):
        services.program_update(user=persona, program_id=program.pk, version=1, data={"name": "X"})
    assert snapshot() == before


def test_admin_may_edit_the_strategy(admin_user, objective):
    # when
    services.objective_update(
        user=admin_user, objective_id=objective.pk, version=1, data={"title": "Renamed"}
    )

    # then
    assert Objective.objects.get(pk=objective.pk).title == "Renamed"


# ------------------------------------------------------------------------------------------------ milestones


def test_a_milestone_created_with_a_forecast_is_time_stamped(initiative, manager):
    # given
    start = timezone.now()

    # when
    milestone = services.milestone_create(
        user=manager,
        initiative=initiative,
        data={"name": "Pilot", "baseline_date": D(2026, 9, 1), "forecast_date": D(2026, 9, 15)},
    )

    # then
    stamped = Milestone.objects.get(pk=milestone.pk).forecast_updated_at
    assert stamped is not None
    assert start <= stamped <= timezone.now()


def test_a_milestone_created_without_a_forecast_has_no_time_stamp(initiative, manager):
    # when
    milestone = services.milestone_create(
        user=manager, initiative=initiative, data={"name": "Pilot", "baseline_date": D(2026, 9, 1)}
    )

    # then
    assert Milestone.objects.get(pk=milestone.pk).forecast_updated_at is None


def test_changing_a_milestone_forecast_stamps_forecast_updated_at(initiative, manager):
    # given
    milestone = MilestoneFactory(initiative=initiative, forecast_date=D(2026, 7, 1))
    long_ago = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
    Milestone.objects.filter(pk=milestone.pk).update(forecast_updated_at=long_ago)
    start = timezone.now()

    # when
    services.milestone_update(
        user=manager, milestone_id=milestone.pk, version=1, data={"forecast_date": D(2026, 8, 1)}
    )

    # then
    stored = Milestone.objects.get(pk=milestone.pk)
    assert stored.forecast_date == D(2026, 8, 1)
    assert stored.forecast_updated_at is not None
    assert start <= stored.forecast_updated_at <= timezone.now()


def test_editing_a_milestone_without_changing_its_forecast_keeps_the_time_stamp(initiative, manager):
    # given
    milestone = MilestoneFactory(initiative=initiative, forecast_date=D(2026, 7, 1))
    long_ago = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
    Milestone.objects.filter(pk=milestone.pk).update(forecast_updated_at=long_ago)

    # when
    services.milestone_update(
        user=manager,
        milestone_id=milestone.pk,
        version=1,
        data={"name": "Renamed", "forecast_date": D(2026, 7, 1)},
    )

    # then
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.name, stored.forecast_updated_at) == ("Renamed", long_ago)


def test_a_milestone_cannot_be_achieved_in_the_future(initiative, manager):
    # given
    milestone = MilestoneFactory(initiative=initiative)
    before = snapshot()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.milestone_update(
            user=manager,
            milestone_id=milestone.pk,
            version=1,
            data={"actual_date": timezone.localdate() + datetime.timedelta(days=1)},
        )

    # then
    assert refused.value.field_errors == {"actual_date": ["A milestone cannot be achieved in the future."]}
    assert snapshot() == before


def test_a_milestone_cannot_move_to_another_initiative(initiative, manager):
    # given
    milestone = MilestoneFactory(initiative=initiative)
    elsewhere = InitiativeFactory(manager=manager)

    # when
    services.milestone_update(
        user=manager,
        milestone_id=milestone.pk,
        version=1,
        data={"initiative": elsewhere, "name": "Kept here"},
    )

    # then
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.initiative_id, stored.name) == (initiative.pk, "Kept here")


# ------------------------------------------------------------------------------------------------ change notices


def test_initiative_create_and_update_notify_the_initiative(pmo, executive, recorded_changes):
    # when
    created = services.initiative_create(
        user=pmo, data={"code": "NEW-2", "title": "New", "sponsor": executive}
    )
    services.initiative_update(user=pmo, initiative_id=created.pk, version=1, data={"title": "Newer"})

    # then
    assert recorded_changes == [
        Change(initiative_ids=frozenset({created.pk})),
        Change(initiative_ids=frozenset({created.pk})),
    ]


@pytest.mark.parametrize(
    "act",
    [
        lambda u, w: services.contribution_create(
            user=u, initiative=w.initiative, data={"objective": w.objective, "rationale": "Because."}
        ),
        lambda u, w: services.contribution_update(
            user=u,
            contribution_id=ContributionFactory(initiative=w.initiative, objective=w.objective).pk,
            version=1,
            data={"strength": "strong"},
        ),
        lambda u, w: services.contribution_delete(
            user=u,
            contribution_id=ContributionFactory(initiative=w.initiative, objective=w.objective).pk,
            version=1,
        ),
        lambda u, w: services.milestone_create(
            user=u, initiative=w.initiative, data={"name": "M", "baseline_date": D(2026, 9, 1)}
        ),
        lambda u, w: services.milestone_update(
            user=u, milestone_id=MilestoneFactory(initiative=w.initiative).pk, version=1, data={"name": "N"}
        ),
        lambda u, w: services.milestone_delete(
            user=u, milestone_id=MilestoneFactory(initiative=w.initiative).pk, version=1
        ),
        lambda u, w: services.scope_change_delete(
            user=u, scope_change_id=ScopeChangeFactory(initiative=w.initiative).pk, version=1
        ),
        lambda u, w: services.artefact_update(
            user=u, artefact_id=ArtefactFactory(initiative=w.initiative).pk, version=1, data={"title": "v3"}
        ),
        lambda u, w: risk_services.risk_create(
            user=u, initiative=w.initiative, data={"title": "R", "probability": 1, "impact": 1}
        ),
        lambda u, w: risk_services.risk_delete(
            user=u, risk_id=RiskFactory(initiative=w.initiative).pk, version=1
        ),
    ],
    ids=[
        "contribution create",
        "contribution update",
        "contribution delete",
        "milestone create",
        "milestone update",
        "milestone delete",
        "scope change delete",
        "artefact update",
        "risk create",
        "risk delete",
    ],
)
def test_changes_to_an_initiatives_records_notify_that_initiative(act, world, pmo, recorded_changes):
    # given
    InitiativeFactory(code="OTHER-1")

    # when
    act(pmo, world)

    # then
    assert recorded_changes == [Change(initiative_ids=frozenset({world.initiative.pk}))]


def test_objective_create_notifies_the_objective_and_its_parent(pmo, theme, recorded_changes):
    # when
    created = services.objective_create(user=pmo, data={"parent": theme, "code": "O5", "title": "New"})

    # then
    assert recorded_changes == [Change(objective_ids=frozenset({created.pk, theme.pk}))]


def test_moving_an_objective_notifies_it_and_both_its_old_and_new_parent(
    pmo, theme, objective, recorded_changes
):
    # given
    other_theme = ObjectiveFactory(code="T2", title="Run efficiently")
    recorded_changes.clear()

    # when
    services.objective_update(user=pmo, objective_id=objective.pk, version=1, data={"parent": other_theme})

    # then
    assert recorded_changes == [Change(objective_ids=frozenset({objective.pk, theme.pk, other_theme.pk}))]


def test_kpi_reading_and_interim_target_writes_notify_the_kpi(pmo, kpi, objective, recorded_changes):
    # given
    reading = ReadingFactory(kpi=kpi)

    # when
    created = services.kpi_create(
        user=pmo,
        data={
            "objective": objective,
            "name": "Bounce rate",
            "unit": "%",
            "direction": "decrease",
            "baseline_value": 40,
            "baseline_date": D(2025, 1, 1),
            "target_value": 30,
            "target_date": D(2027, 1, 1),
        },
    )
    services.kpi_update(user=pmo, kpi_id=kpi.pk, version=1, data={"unit": "percent"})
    services.reading_record(user=pmo, kpi=kpi, date=D(2026, 2, 28), value=Decimal("13"))
    services.reading_update(user=pmo, reading_id=reading.pk, version=1, data={"value": Decimal("12.5")})
    services.reading_delete(user=pmo, reading_id=reading.pk, version=2)
    target = services.interim_target_create(user=pmo, kpi=kpi, date=D(2026, 1, 1), value=Decimal("15"))
    services.interim_target_delete(user=pmo, target_id=target.pk, version=1)

    # then
    only_kpi = Change(kpi_ids=frozenset({kpi.pk}))
    assert recorded_changes == [Change(kpi_ids=frozenset({created.pk})), *[only_kpi] * 6]


def test_a_listener_that_fails_aborts_the_whole_write(pmo, initiative):
    # given
    def broken(change: Change) -> None:
        raise RuntimeError("listener failed")

    from portfolio import changes

    changes.listen(broken)
    before = snapshot()

    # when
    try:
        with pytest.raises(RuntimeError):
            services.initiative_update(
                user=pmo, initiative_id=initiative.pk, version=1, data={"title": "Lost"}
            )
    finally:
        changes._listeners.remove(broken)

    # then
    assert snapshot() == before
