"""Updating records through the services: exact changes, the version check and the audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from core.errors import ApplicationError, NotAllowed
from core.stages import Stage
from portfolio import services
from portfolio.models import (
    Initiative,
)
from risk import services as risk_services
from risk.models import TierPolicy
from tests.factories import (
    ArtefactFactory,
    ContributionFactory,
    MilestoneFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
)
from tests.portfolio.utils import World, db_rows, history_of

pytestmark = pytest.mark.django_db

D = datetime.date


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
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        risk_services.tier_policy_update(
            user=pmo, policy_id=policy.pk, version=policy.version, data={"checkpoint_cadence_days": 14}
        )
    assert db_rows() == before


def test_tier_policy_refuses_an_unknown_artefact_kind(admin_user):
    # given
    policy = TierPolicy.objects.get(tier=3)
    before = db_rows()

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
    assert db_rows() == before


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
