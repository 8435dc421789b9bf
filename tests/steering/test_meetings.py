"""Steering meetings: who plans them, their details and length, moving one (its reviews move with it),
cancelling one, attendance, and the steering page that lists them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from core.changes import Change
from core.errors import ApplicationError, NotAllowed, StaleEdit
from steering import services
from steering.models import CheckpointReview, MeetingStatus, SteeringMeeting
from tests.factories import CheckpointReviewFactory, CommitteeFactory
from tests.portfolio.utils import db_rows, field_error
from tests.steering.utils import HELD_ON, TODAY, D, history_of, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners")]


# ------------------------------------------------------------------------------------------------ services


def test_pmo_plans_a_meeting_with_exactly_the_given_values(committee, pmo):
    # given
    data = {
        "committee": committee,
        "title": "November board",
        "held_on": D(2026, 12, 3),
        "duration_minutes": 90,
        "location": "Board room",
        "status": MeetingStatus.PLANNED,
        "notes": "Budget round.",
    }

    # when
    meeting = services.meeting_create(user=pmo, data=data)

    # then
    stored = SteeringMeeting.objects.get(pk=meeting.pk)
    assert {field: getattr(stored, field) for field in data} == data
    assert list(stored.attendees.all()) == []
    assert (stored.version, history_of(stored)) == (1, [("+", pmo)])


def test_a_meeting_runs_two_hours_unless_told_otherwise_and_between_15_minutes_and_10_hours(committee, pmo):
    # when
    meeting = services.meeting_create(
        user=pmo, data={"committee": committee, "title": "X", "held_on": HELD_ON}
    )
    before = db_rows()
    with pytest.raises(ApplicationError) as short:
        services.meeting_create(
            user=pmo, data={"committee": committee, "title": "Y", "held_on": HELD_ON, "duration_minutes": 10}
        )

    # then
    assert SteeringMeeting.objects.get(pk=meeting.pk).duration_minutes == 120
    assert short.value.field_errors == {
        "duration_minutes": ["Ensure this value is greater than or equal to 15."]
    }
    assert db_rows() == before


def test_a_chair_plans_meetings_of_their_committee_only(committee, chair):
    # given
    other = CommitteeFactory(name="Security board")

    # when
    mine = services.meeting_create(
        user=chair, data={"committee": committee, "title": "Mine", "held_on": HELD_ON}
    )
    with pytest.raises(NotAllowed):
        services.meeting_create(user=chair, data={"committee": other, "title": "Theirs", "held_on": HELD_ON})

    # then
    assert list(SteeringMeeting.objects.filter(title__in=["Mine", "Theirs"])) == [mine]


@pytest.mark.parametrize("persona", ["steering_member", "manager", "executive", "outsider"], indirect=True)
def test_only_the_pmo_admins_and_the_chair_plan_meetings(committee, persona):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        services.meeting_create(user=persona, data={"committee": committee, "title": "X", "held_on": HELD_ON})

    # then
    assert db_rows() == before


def test_a_held_meeting_cannot_be_dated_in_the_future(committee, pmo):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.meeting_create(
            user=pmo,
            data={
                "committee": committee,
                "title": "X",
                "held_on": D(2026, 11, 22),
                "status": MeetingStatus.HELD,
            },
        )

    # then
    assert refused.value.field_errors == {"held_on": ["A held meeting cannot be dated in the future."]}
    assert db_rows() == before


def test_the_chair_updates_a_meeting_and_a_stale_version_is_refused(meeting, chair, pmo):
    # given
    services.meeting_update(user=pmo, meeting_id=meeting.pk, version=1, data={"location": "Room 4"})
    before = db_rows()

    # when
    with pytest.raises(StaleEdit):
        services.meeting_update(user=chair, meeting_id=meeting.pk, version=1, data={"title": "Mine wins"})
    assert db_rows() == before
    updated = services.meeting_update(
        user=chair, meeting_id=meeting.pk, version=2, data={"title": "Mine wins"}
    )

    # then
    stored = SteeringMeeting.objects.get(pk=meeting.pk)
    assert (stored.title, stored.location, stored.version) == ("Mine wins", "Room 4", 3)
    assert updated.version == 3


def test_a_chair_cannot_move_a_meeting_to_another_committee(meeting, chair):
    # given
    other = CommitteeFactory(name="Security board")
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        services.meeting_update(user=chair, meeting_id=meeting.pk, version=1, data={"committee": other})

    # then
    assert db_rows() == before


def test_moving_a_meeting_moves_the_date_of_its_reviews_and_marks_them_changed(
    meeting, initiative, pmo, recorded_changes
):
    # given
    review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=HELD_ON)

    # when
    services.meeting_update(user=pmo, meeting_id=meeting.pk, version=1, data={"held_on": D(2026, 10, 2)})

    # then
    stored = CheckpointReview.objects.get(pk=review.pk)
    assert (stored.held_on, stored.version) == (D(2026, 10, 2), 2)
    assert history_of(stored)[-1] == ("~", pmo)
    assert recorded_changes == [Change(initiative_ids=frozenset({initiative.pk}))]


def test_a_meeting_with_decisions_cannot_be_cancelled(meeting, initiative, pmo):
    # given
    CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=HELD_ON)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.meeting_update(
            user=pmo, meeting_id=meeting.pk, version=1, data={"status": MeetingStatus.CANCELLED}
        )

    # then
    assert refused.value.field_errors == {"status": ["1 decision recorded here."]}
    assert db_rows() == before


def test_attendance_is_recorded_and_marks_the_initiatives_reviewed_there_changed(
    meeting, initiative, pmo, chair, steering_member, recorded_changes
):
    # given
    CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=HELD_ON)

    # when
    services.meeting_record_attendance(
        user=chair, meeting_id=meeting.pk, version=1, attendees=[pmo, steering_member]
    )

    # then
    stored = SteeringMeeting.objects.get(pk=meeting.pk)
    assert set(stored.attendees.all()) == {pmo, steering_member}
    assert stored.version == 2
    assert recorded_changes == [Change(initiative_ids=frozenset({initiative.pk}))]


def test_a_steering_member_cannot_record_attendance(meeting, steering_member):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        services.meeting_record_attendance(
            user=steering_member, meeting_id=meeting.pk, version=1, attendees=[steering_member]
        )

    # then
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ pages


def test_the_steering_page_lists_planned_meetings_soonest_first_and_past_ones_latest_first(
    client, committee, pmo
):
    # given
    for title, held_on, status in [
        ("Later", TODAY + datetime.timedelta(days=20), "planned"),
        ("Sooner", TODAY + datetime.timedelta(days=5), "planned"),
        ("Held", D(2026, 9, 1), "held"),
        ("Called off", D(2026, 8, 1), "cancelled"),
        ("Held earlier", D(2026, 7, 1), "held"),
    ]:
        SteeringMeeting.objects.create(committee=committee, title=title, held_on=held_on, status=status)
    client.force_login(pmo)

    # when
    response = client.get(reverse("steering:meeting-list"))

    # then
    assert response.status_code == 200
    page = html(response)
    planned = page[page.index("Planned meetings") : page.index("Past meetings")]
    past = page[page.index("Past meetings") :]
    assert re.findall(r'<div class="fw-semibold">(.*?)</div>', planned) == ["Sooner", "Later"]
    assert re.findall(r'class="fw-semibold">(.*?)</a>', past) == ["Held", "Called off", "Held earlier"]


@pytest.mark.parametrize(
    ("persona", "offered"),
    [("pmo", True), ("admin_user", True), ("steering_member", False), ("executive", False)],
    indirect=["persona"],
)
def test_new_meeting_is_offered_to_the_pmo_admins_and_chairs(client, committee, persona, offered):
    # given
    client.force_login(persona)

    # when
    page = html(client.get(reverse("steering:meeting-list")))

    # then
    assert (reverse("steering:meeting-create") in page) is offered


def test_a_chair_is_offered_new_meeting_and_only_their_committees(client, committee, chair):
    # given
    CommitteeFactory(name="Security board")
    client.force_login(chair)

    # when
    page = html(client.get(reverse("steering:meeting-create")))

    # then
    assert re.findall(r'<option value="\d+"[^>]*>(.*?)</option>', page) == ["Portfolio board"]
    assert re.search(r'<input type="number" name="duration_minutes" value="120"', page)


def test_an_invalid_meeting_form_is_shown_again_with_422_and_the_error_at_the_field(client, committee, pmo):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(
        reverse("steering:meeting-create"),
        {
            "committee": committee.pk,
            "title": "",
            "held_on": "2026-02-30",
            "duration_minutes": "700",
            "status": "planned",
        },
    )

    # then
    assert response.status_code == 422
    assert field_error(html(response), "id_title") == ["This field is required."]
    assert field_error(html(response), "id_held_on") == ["Enter a valid date."]
    assert field_error(html(response), "id_duration_minutes") == [
        "Ensure this value is less than or equal to 600."
    ]
    assert db_rows() == before
