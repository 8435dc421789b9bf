"""Action items: who may mark one done, cancel or reopen it (its owner, the chair of the committee that set it,
the PMO, admins) and who may change the rest; done or cancelled needs a note, kept in the action's history; the
action list, its filters, done in place with htmx and without, and a query count that does not grow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from portfolio.selectors import initiative_history
from steering import services
from steering.models import ActionItem, SteeringMeeting
from tests.factories import (
    CheckpointReviewFactory,
    CommitteeFactory,
    InitiativeFactory,
    ProgramFactory,
    UserFactory,
)
from tests.portfolio.utils import db_rows
from tests.steering.utils import DAY, HELD_ON, HTMX, TODAY, D, history_of, html, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners")]


@pytest.fixture
def action(meeting, initiative, manager) -> ActionItem:
    """Set by the Portfolio board's October review of ECOM-1, owned by the manager."""
    review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=HELD_ON)
    return ActionItem.objects.create(
        initiative=initiative, review=review, title="Refresh the case", owner=manager, due_date=D(2026, 11, 1)
    )


@pytest.mark.parametrize("persona", ["manager", "chair", "pmo", "admin_user"], indirect=True)
def test_the_owner_the_chair_the_pmo_and_admins_mark_an_action_done_with_a_note(action, persona):
    # when
    done = services.action_update(
        user=persona, action_id=action.pk, version=1, data={"status": "done", "note": "  Case refreshed.  "}
    )

    # then
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.note, stored.version) == (
        "done",
        TODAY,
        "Case refreshed.",
        2,
    )
    assert done.version == 2
    assert history_of(stored) == [("+", None), ("~", persona)]
    assert list(stored.history.order_by("history_date").values_list("status", "note")) == [
        ("open", ""),
        ("done", "Case refreshed."),
    ]


@pytest.mark.parametrize(
    "persona", ["steering_member", "executive", "other_manager", "outsider"], indirect=True
)
def test_no_one_else_updates_an_action_not_even_a_steering_member(action, persona):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        services.action_update(
            user=persona, action_id=action.pk, version=1, data={"status": "done", "note": "x"}
        )

    # then
    assert db_rows() == before


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("done", "Say what was done: a note is kept with the action."),
        ("cancelled", "Say why it is cancelled: a note is kept with the action."),
    ],
)
@pytest.mark.parametrize("note", [None, "", "   "], ids=["none", "empty", "blank"])
def test_done_or_cancelled_needs_a_note(action, manager, status, message, note):
    # given
    before = db_rows()
    data = {"status": status} if note is None else {"status": status, "note": note}

    # when
    with pytest.raises(ApplicationError) as refused:
        services.action_update(user=manager, action_id=action.pk, version=1, data=data)

    # then
    assert refused.value.field_errors == {"note": [message]}
    assert db_rows() == before


def test_reopening_clears_the_note_and_the_completion_date(action, manager):
    # given
    services.action_update(
        user=manager, action_id=action.pk, version=1, data={"status": "done", "note": "Done."}
    )

    # when
    reopened = services.action_update(user=manager, action_id=action.pk, version=2, data={"status": "open"})

    # then
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.note, stored.version) == ("open", None, "", 3)
    assert reopened.version == 3


def test_the_owner_cannot_move_their_own_due_date_but_the_chair_can(action, manager, chair, pmo):
    # given
    before = db_rows()

    # when
    with pytest.raises(NotAllowed) as refused:
        services.action_update(user=manager, action_id=action.pk, version=1, data={"due_date": D(2027, 1, 1)})
    assert db_rows() == before
    services.action_update(
        user=chair,
        action_id=action.pk,
        version=1,
        data={
            "due_date": D(2027, 1, 1),
            "owner": pmo,
            "status": "done",
            "completed_on": D(2026, 10, 20),
            "note": "Presented on 20 October.",
        },
    )

    # then
    assert (
        refused.value.message
        == "Only the committee's chair and the PMO change an action's title, owner or due date."
    )
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.due_date, stored.owner, stored.status, stored.completed_on) == (
        D(2027, 1, 1),
        pmo,
        "done",
        D(2026, 10, 20),
    )


def test_the_chair_of_another_committee_has_no_say(action, committee):
    # given another committee, chaired by someone else
    other_chair = UserFactory(username="other-chair", roles=[roles.EXECUTIVE])
    CommitteeFactory(name="Security board", chair=other_chair)
    before = db_rows()

    # when
    with pytest.raises(NotAllowed):
        services.action_update(
            user=other_chair, action_id=action.pk, version=1, data={"status": "done", "note": "x"}
        )

    # then
    assert db_rows() == before


def test_an_action_cannot_be_completed_in_the_future_or_from_a_stale_version(action, pmo):
    # given
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as future:
        services.action_update(
            user=pmo,
            action_id=action.pk,
            version=1,
            data={"status": "done", "note": "x", "completed_on": D(2026, 11, 22)},
        )
    with pytest.raises(StaleEdit):
        services.action_update(user=pmo, action_id=action.pk, version=2, data={"status": "done", "note": "x"})

    # then
    assert future.value.field_errors == {"completed_on": ["An action cannot be completed in the future."]}
    assert db_rows() == before


# ------------------------------------------------------------------------------------------------ the list


@pytest.fixture
def actions(meeting, initiative, manager, other_manager, pmo) -> dict[str, ActionItem]:
    review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=D(2026, 9, 1))
    made = {}
    for title, owner, due, status, note in [
        ("Overdue one", manager, TODAY - 3 * DAY, "open", ""),
        ("Due soon", other_manager, TODAY + 3 * DAY, "open", ""),
        ("Done already", manager, TODAY - 30 * DAY, "done", "Signed off by the sponsor."),
        ("Dropped", pmo, TODAY + 10 * DAY, "cancelled", "Overtaken by the re-plan."),
    ]:
        made[title] = ActionItem.objects.create(
            initiative=initiative,
            review=review,
            title=title,
            owner=owner,
            due_date=due,
            status=status,
            note=note,
        )
    return made


def listed(response: Any) -> list[str]:
    return re.findall(r'<tr id="action-\d+">\s*<td>(.*?)<div', html(response), re.S)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Overdue one", "Due soon"]),
        ({"status": "all"}, ["Done already", "Overdue one", "Due soon", "Dropped"]),
        ({"status": "done"}, ["Done already"]),
        ({"mine": "on"}, ["Overdue one"]),
        ({"mine": "on", "status": "all"}, ["Done already", "Overdue one"]),
        ({"overdue": "on"}, ["Overdue one"]),
        ({"owner": "other"}, ["Due soon"]),
        ({"q": "ecom", "status": "cancelled"}, ["Dropped"]),
        ({"q": "nothing"}, []),
    ],
)
def test_the_action_list_filters(client, actions, manager, other_manager, params, expected):
    # given
    client.force_login(manager)
    params = {key: other_manager.pk if value == "other" else value for key, value in params.items()}

    # when
    response = client.get(reverse("steering:action-list"), params)

    # then
    assert response.status_code == 200
    assert listed(response) == expected


def test_the_action_list_shows_the_notes_of_closed_actions(client, actions, manager):
    # given
    client.force_login(manager)

    # when
    words = text(client.get(reverse("steering:action-list"), {"status": "all"}))

    # then
    assert "Done already From the decision of 2026-09-01 Signed off by the sponsor." in words
    assert "Dropped From the decision of 2026-09-01 Overtaken by the re-plan." in words


def test_the_action_list_answers_bad_filters_with_400(client, actions, manager):
    # given
    client.force_login(manager)

    # when
    response = client.get(reverse("steering:action-list"), {"status": "lost", "owner": "abc"})

    # then
    assert response.status_code == 400
    assert "These filters could not be applied." in text(response)


def test_the_owner_marks_an_action_done_in_place_with_htmx_and_a_note(client, actions, manager):
    # given
    action = actions["Overdue one"]
    client.force_login(manager)

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": "Sent to the board."},
        **HTMX,
    )

    # then
    assert response.status_code == 200
    assert html(response).strip().startswith(f'<tr id="action-{action.pk}">')
    assert "Done 2026-11-21" in text(response)
    assert "Sent to the board." in text(response)
    assert ">Reopen<" in html(response)
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.note, stored.version) == (
        "done",
        TODAY,
        "Sent to the board.",
        2,
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_marking_done_without_a_note_says_so_and_changes_nothing(client, actions, manager, htmx):
    # given
    action = actions["Overdue one"]
    client.force_login(manager)
    before = db_rows()

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": " "},
        **(HTMX if htmx else {}),
    )

    # then
    if htmx:
        assert response.status_code == 422
        assert "Say what was done: a note is kept with the action." in text(response)
        assert 'aria-invalid="true"' in html(response)
    else:
        assert response.status_code == 302
        followed = text(client.get(response["Location"]))
        assert "“Overdue one” was not updated: Say what was done: a note is kept with the action." in followed
    assert db_rows() == before


def test_marking_done_without_htmx_returns_to_the_list_it_came_from(client, actions, manager):
    # given
    action = actions["Overdue one"]
    client.force_login(manager)

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": "Done.", "next": "/steering/actions/?mine=on"},
    )
    elsewhere = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "open", "version": "2", "next": "https://example.org/"},
    )

    # then
    assert (response.status_code, response["Location"]) == (302, "/steering/actions/?mine=on")
    assert (elsewhere.status_code, elsewhere["Location"]) == (302, "/steering/actions/")
    assert ActionItem.objects.get(pk=action.pk).status == "open"


def test_a_stale_done_is_a_409_row_that_says_why(client, actions, manager):
    # given
    action = actions["Overdue one"]
    ActionItem.objects.filter(pk=action.pk).update(version=2)
    client.force_login(manager)
    before = db_rows()

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": "x"},
        **HTMX,
    )

    # then
    assert response.status_code == 409
    assert "was changed by someone else while you were editing" in text(response)
    assert db_rows() == before


@pytest.mark.parametrize(
    ("persona", "updates"),
    [
        ("manager", ["Overdue one", "Done already"]),
        ("chair", ["Overdue one", "Due soon", "Done already", "Dropped"]),
    ],
    indirect=["persona"],
)
def test_each_person_sees_the_buttons_of_the_actions_they_may_update(client, actions, persona, updates):
    # given
    client.force_login(persona)

    # when
    page = html(client.get(reverse("steering:action-list"), {"status": "all"}))

    # then
    offered = [
        title
        for title, action in actions.items()
        if reverse("steering:action-status", args=[action.pk]) in page
    ]
    assert offered == updates


def test_a_steering_member_who_does_not_own_it_is_refused(client, actions, steering_member):
    # given
    client.force_login(steering_member)
    before = db_rows()

    # when
    response = client.post(
        reverse("steering:action-status", args=[actions["Due soon"].pk]),
        {"status": "done", "version": "1", "note": "x"},
    )

    # then
    assert response.status_code == 403
    assert db_rows() == before


def test_the_owner_edit_form_locks_what_only_the_committee_changes(client, actions, manager):
    # given
    client.force_login(manager)

    # when
    page = html(client.get(reverse("steering:action-edit", args=[actions["Overdue one"].pk])))

    # then
    for name in ("title", "owner", "due_date"):
        assert re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*disabled', page), name
    assert not re.search(r'<select[^>]*name="status"[^>]*disabled', page)
    assert re.search(r'<textarea[^>]*name="note"', page)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_unknown_action_status_changes_nothing(client, actions, manager, htmx):
    # given
    client.force_login(manager)
    before = db_rows()

    # when
    response = client.post(
        reverse("steering:action-status", args=[actions["Overdue one"].pk]),
        {"status": "finished", "version": "1"},
        **(HTMX if htmx else {}),
    )

    # then
    assert response.status_code == (422 if htmx else 302)
    assert db_rows() == before


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(committee: Any, owner: Any, start: int, stop: int) -> None:
    program = ProgramFactory(name=f"Program {start}")
    meeting = SteeringMeeting.objects.create(
        committee=committee, title=f"Board {start}", held_on=D(2026, 9, 1)
    )
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"L-{n:03d}", sponsor=owner, program=program)
        review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=D(2026, 9, 1))
        ActionItem.objects.create(
            initiative=initiative, review=review, title=f"Act {n}", owner=owner, due_date=D(2026, 9, 30)
        )


def test_the_action_list_query_count_does_not_grow_with_the_data(
    client, committee, chair, django_assert_max_num_queries
):
    # given
    client.force_login(chair)
    url = reverse("steering:action-list")
    _grow(committee, chair, 0, 5)
    small = _count(client, url)

    # when
    _grow(committee, chair, 5, 60)
    large = _count(client, url)

    # then
    assert small == large
    with django_assert_max_num_queries(8):
        client.get(url)


def test_the_note_is_in_the_initiatives_history(action, initiative, manager):
    # when
    services.action_update(
        user=manager, action_id=action.pk, version=1, data={"status": "done", "note": "Case refreshed."}
    )

    # then the initiative's audit trail says who closed the action, and why
    entry = initiative_history(initiative)[0]
    assert (entry.who, entry.action, entry.subject) == (
        "Mo Manager",
        "changed",
        "Action item “Refresh the case”",
    )
    assert [(change.field, change.old, change.new) for change in entry.changes] == [
        ("status", "Open", "Done"),
        ("completed on", "—", "2026-11-21"),
        ("note", "—", "Case refreshed."),
    ]
