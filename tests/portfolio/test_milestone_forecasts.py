"""Milestone forecasts: a new forecast date is time-stamped so stale forecasts can be found."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from portfolio import services
from portfolio.models import (
    Milestone,
)
from tests.factories import (
    InitiativeFactory,
    MilestoneFactory,
)
from tests.portfolio.utils import db_rows

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_milestone_created_with_a_forecast_is_time_stamped(initiative, manager, time_machine):
    # given
    now = datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)

    # when
    milestone = services.milestone_create(
        user=manager,
        initiative=initiative,
        data={"name": "Pilot", "baseline_date": D(2026, 9, 1), "forecast_date": D(2026, 9, 15)},
    )

    # then
    assert Milestone.objects.get(pk=milestone.pk).forecast_updated_at == now


def test_a_milestone_created_without_a_forecast_has_no_time_stamp(initiative, manager):
    # when
    milestone = services.milestone_create(
        user=manager, initiative=initiative, data={"name": "Pilot", "baseline_date": D(2026, 9, 1)}
    )

    # then
    assert Milestone.objects.get(pk=milestone.pk).forecast_updated_at is None


def test_changing_a_milestone_forecast_stamps_forecast_updated_at(initiative, manager, time_machine):
    # given
    milestone = MilestoneFactory(initiative=initiative, forecast_date=D(2026, 7, 1))
    long_ago = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
    Milestone.objects.filter(pk=milestone.pk).update(forecast_updated_at=long_ago)
    now = datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)

    # when
    services.milestone_update(
        user=manager, milestone_id=milestone.pk, version=1, data={"forecast_date": D(2026, 8, 1)}
    )

    # then
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.forecast_date, stored.forecast_updated_at) == (D(2026, 8, 1), now)


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
    before = db_rows()

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
    assert db_rows() == before


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
