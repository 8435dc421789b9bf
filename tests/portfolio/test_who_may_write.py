"""Who may write what through the services: the PMO, managers of their own initiatives, nobody else."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.errors import NotAllowed
from portfolio import services
from portfolio.models import (
    Initiative,
    Objective,
)
from risk import services as risk_services
from tests.portfolio.utils import db_rows, history_of

pytestmark = pytest.mark.django_db

D = datetime.date


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
    before = db_rows()

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
    assert db_rows() == before


def test_manager_cannot_clear_the_sponsor_of_their_initiative(initiative, manager):
    # given
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        services.initiative_update(
            user=manager, initiative_id=initiative.pk, version=1, data={"sponsor": None}
        )
    assert db_rows() == before


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
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        services.initiative_update(
            user=persona, initiative_id=initiative.pk, version=1, data={"title": "Hijacked"}
        )
    with pytest.raises(NotAllowed):
        services.milestone_create(
            user=persona, initiative=initiative, data={"name": "Hijack", "baseline_date": D(2026, 7, 1)}
        )
    assert db_rows() == before


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
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        services.contribution_create(
            user=manager,
            initiative=initiative,
            data={"objective": objective, "rationale": "Trust me, it shortens the checkout."},
        )
    assert db_rows() == before


@pytest.mark.parametrize("persona", ["manager", "executive", "steering_member"], indirect=True)
def test_only_the_pmo_edits_the_strategy_and_readings(persona, kpi, objective, program):
    # given
    before = db_rows()

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
    assert db_rows() == before


def test_admin_may_edit_the_strategy(admin_user, objective):
    # when
    services.objective_update(
        user=admin_user, objective_id=objective.pk, version=1, data={"title": "Renamed"}
    )

    # then
    assert Objective.objects.get(pk=objective.pk).title == "Renamed"
