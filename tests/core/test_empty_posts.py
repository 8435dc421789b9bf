"""A POST with no fields is a submission with everything missing: the form answers 422 with its errors and
nothing is saved. It is not read as a GET (a blank form with 200), and never a server error."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from steering.models import ActionItem, AgendaItem, SteeringMeeting
from tests.factories import (
    CommitteeFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
)

D = datetime.date


def _counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def records(manager, steering_member, pmo, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    initiative = InitiativeFactory(code="ECOM-1", manager=manager)
    committee = CommitteeFactory(name="Portfolio board")
    committee.members.set([steering_member, pmo])
    meeting = SteeringMeeting.objects.create(
        committee=committee, title="November board", held_on=D(2026, 11, 1)
    )
    return {
        "initiative": initiative,
        "objective": ObjectiveFactory(code="THEME-9"),
        "kpi": KPIFactory(),
        "program": ProgramFactory(),
        "milestone": MilestoneFactory(initiative=initiative),
        "meeting": meeting,
        "item": AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=1),
        "action": ActionItem.objects.create(
            initiative=initiative, title="Confirm the vendor", owner=manager, due_date=D(2026, 12, 1)
        ),
    }


FORMS = [
    ("portfolio:initiative-create", None),
    ("portfolio:initiative-edit", "initiative"),
    ("portfolio:objective-create", None),
    ("portfolio:objective-edit", "objective"),
    ("portfolio:kpi-create", None),
    ("portfolio:kpi-edit", "kpi"),
    ("portfolio:program-create", None),
    ("portfolio:program-edit", "program"),
    ("steering:meeting-create", None),
    ("steering:meeting-edit", "meeting"),
    ("steering:meeting-attendance", "meeting"),
    ("steering:review-create", "item"),
    ("steering:action-edit", "action"),
]


@pytest.mark.parametrize(("name", "record"), FORMS)
def test_an_empty_post_to_a_form_is_refused_with_422_and_saves_nothing(records, pmo, name, record):
    # given
    client = Client(raise_request_exception=False)
    client.force_login(pmo)
    url = reverse(name, args=[records[record].pk] if record else [])
    before = _counts()

    # when
    response = client.post(url)

    # then
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize(
    ("view", "record"),
    [("record-create", "initiative"), ("record-edit", "milestone"), ("record-delete", "milestone")],
)
def test_an_empty_post_to_a_record_form_is_refused_with_422_and_saves_nothing(records, pmo, view, record):
    # given
    client = Client(raise_request_exception=False)
    client.force_login(pmo)
    args = (
        [records[record].pk, "milestones"] if view == "record-create" else ["milestones", records[record].pk]
    )
    url = reverse(f"portfolio:{view}", args=args)
    before = _counts()

    # when
    response = client.post(url)

    # then
    assert response.status_code == 422
    assert _counts() == before
