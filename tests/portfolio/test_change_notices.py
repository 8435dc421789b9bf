"""Change notices: every write tells the listeners which initiatives, objectives and KPIs it touched."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.changes import Change
from portfolio import services
from risk import services as risk_services
from tests.factories import (
    ArtefactFactory,
    ContributionFactory,
    InitiativeFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
)
from tests.portfolio.utils import db_rows

pytestmark = pytest.mark.django_db

D = datetime.date


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
            user=u,
            initiative=w.initiative,
            data={"objective": w.objective, "rationale": "Because it shortens the checkout."},
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

    from core import changes

    changes.listen(broken)
    before = db_rows()

    # when
    try:
        with pytest.raises(RuntimeError):
            services.initiative_update(
                user=pmo, initiative_id=initiative.pk, version=1, data={"title": "Lost"}
            )
    finally:
        changes._listeners.remove(broken)

    # then
    assert db_rows() == before
