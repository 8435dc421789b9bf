"""Deleting records through the services: the version check and the audit trail's deletion entry."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from core.errors import StaleEdit
from portfolio import services
from portfolio.models import (
    InterimTarget,
)
from risk import services as risk_services
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
    before = db_rows()

    # when
    with pytest.raises(StaleEdit) as refused:
        case.call(user=pmo, pk=record.pk, version=1)

    # then
    assert refused.value.current.pk == record.pk
    assert refused.value.current.version == 2
    assert db_rows() == before
