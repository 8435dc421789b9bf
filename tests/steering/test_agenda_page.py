"""The agenda on the meeting page: reasons as the data says them today, importance and time boxes, the items
for noting, and the chair's tools (propose, add, move, time box, for noting, remove) with htmx and without;
bad input, and a query count that does not grow with the agenda."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alignment import services as engine
from core.stages import Stage
from portfolio import services as portfolio
from portfolio.models import Initiative
from steering import services
from steering.models import ActionItem, AgendaItem, AgendaStatus, MeetingStatus, SteeringMeeting
from steering.services import agenda as agenda_service
from tests.factories import (
    CheckpointReviewFactory,
    InitiativeFactory,
    MilestoneFactory,
    ScopeChangeFactory,
)
from tests.portfolio.utils import db_rows
from tests.steering.utils import (
    HELD_ON,
    HTMX,
    TODAY,
    D,
    agenda_codes,
    html,
    item_on,
    meeting_url,
    noting_codes,
    review_url,
    scored,
    signal,
    text,
    vary,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners", "tier_policies")]


def reasons_of(response: Any, item: AgendaItem) -> list[str]:
    """The reasons the page gives for one item."""
    page = html(response)
    start = page.index(f'id="item-{item.pk}"')
    end = page.find('id="item-', start + 10)
    return [
        " ".join(reason.split())
        for reason in re.findall(
            r'<li class="reason"><i class="bi bi-flag" aria-hidden="true"></i> (.*?)</li>',
            page[start : end if end > 0 else None],
            re.S,
        )
    ]


@pytest.fixture
def board(meeting, initiative, executive, chair, steering_member):
    """October's meeting: ECOM-1 to review (checkpoint overdue and a red signal; last reviewed in September
    with figures), PAY-1 decided there, LATER-1 for noting."""
    meeting.attendees.set([chair, steering_member])
    scored(initiative, tier=2, checkpoint_due=D(2026, 9, 16))
    signal(initiative, "cost_overrun")
    september = SteeringMeeting.objects.create(
        committee=meeting.committee, title="September board", held_on=D(2026, 9, 1), status=MeetingStatus.HELD
    )
    frozen = services.initiative_figures([initiative])[initiative.pk]
    frozen["spend"]["actual_cost"] = 10000
    CheckpointReviewFactory(
        initiative=initiative, meeting=september, held_on=D(2026, 9, 1), decision="realign", figures=frozen
    )
    pay = InitiativeFactory(code="PAY-1", title="Payments", sponsor=executive)
    decided = CheckpointReviewFactory(
        initiative=pay, meeting=meeting, held_on=HELD_ON, decision="stop", rationale="No business case."
    )
    later = InitiativeFactory(code="LATER-1", title="Later", sponsor=executive)
    ScopeChangeFactory(initiative=later, status="pending")
    return {
        "todo": item_on(meeting, initiative, 0, minutes=15, reasons=["Stale reason from the proposal"]),
        "done": item_on(
            meeting,
            pay,
            1,
            minutes=10,
            reasons=["Checkpoint due 2026-09-01 (tier 2, every 60 days; never reviewed)"],
            status=AgendaStatus.REVIEWED,
            review=decided,
        ),
        "noting": item_on(meeting, later, 2, for_noting=True),
        "decided": decided,
        "pay": pay,
    }


def test_the_meeting_page_shows_the_agenda_with_todays_reasons_importance_time_boxes_and_what_changed(
    client, board, meeting, steering_member
):
    # given
    client.force_login(steering_member)

    # when
    response = client.get(meeting_url(meeting))

    # then: the undecided item says why today, the decided one why it was there when it was decided
    assert response.status_code == 200
    assert agenda_codes(response) == ["ECOM-1", "PAY-1"]
    assert noting_codes(response) == ["LATER-1"]
    assert reasons_of(response, board["todo"]) == [
        "Checkpoint due 2026-09-16 (tier 2, every 60 days; last reviewed 2026-09-01)",
        "1 red signal: Cost overrun",
    ]
    assert reasons_of(response, board["done"]) == [
        "Checkpoint due 2026-09-01 (tier 2, every 60 days; never reviewed)"
    ]
    page, words = html(response), text(response)
    assert "2 to review (1 not decided yet) · 25 of 120 minutes · 1 for noting" in words
    assert "Importance 40" in words
    assert "tier 2: 20 + 1 red signal: 10 + checkpoint 15 days overdue: 10 = 40" in words
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words
    assert "1 scope change awaiting a decision" in words
    review = reverse("steering:review-detail", args=[board["decided"].pk])
    assert f'<a class="decision decision-stop" href="{review}">Stop</a>' in page
    assert (
        f'href="{review_url(board["todo"])}">Review<span class="visually-hidden"> ECOM-1</span></a>' in page
    )
    assert "Sponsor Erin Executive · Manager Mo Manager · Digital commerce" in words
    assert reverse("steering:agenda-move", args=[board["todo"].pk]) not in page
    assert "Present (2) Cleo Chair Chair Sam Steering" in words


def test_a_reason_that_no_longer_holds_leaves_the_agenda_without_proposing_again(
    client, committee, manager, pmo, executive
):
    # given: an initiative going live in 20 days without a sustainment owner, proposed from a recompute
    initiative = InitiativeFactory(
        code="SEC-2",
        title="Token vault",
        stage=Stage.IN_DELIVERY,
        sponsor=executive,
        manager=manager,
        go_live_date=D(2026, 12, 11),
    )
    engine.recompute(today=TODAY)
    meeting = SteeringMeeting.objects.create(committee=committee, title="November board", held_on=TODAY)
    services.agenda_propose(user=pmo, meeting=meeting)
    item = AgendaItem.objects.get(meeting=meeting, initiative=initiative)
    assert "Go-live near, no sustainment owner" in " ".join(item.reasons)
    client.force_login(pmo)

    # when the manager is named sustainment owner and the engine recomputes
    current = Initiative.objects.get(pk=initiative.pk)
    portfolio.initiative_update(
        user=pmo, initiative_id=current.pk, version=current.version, data={"sustainment_owner": manager}
    )
    engine.recompute(today=TODAY)
    response = client.get(meeting_url(meeting))

    # then the page no longer gives that reason
    assert reasons_of(response, item) == ["1 red signal: No objective"]
    assert "sustainment owner" not in text(response)


def test_the_chair_gets_the_agenda_tools_and_an_executive_only_the_figures(
    client, board, meeting, chair, executive
):
    # given / when
    client.force_login(chair)
    as_chair = html(client.get(meeting_url(meeting)))
    client.force_login(executive)
    as_executive = html(client.get(meeting_url(meeting)))

    # then
    todo = board["todo"].pk
    for url in ("agenda-move", "agenda-remove", "agenda-plan"):
        assert reverse(f"steering:{url}", args=[todo]) in as_chair
        assert reverse(f"steering:{url}", args=[todo]) not in as_executive
    assert reverse("steering:agenda-remove", args=[board["done"].pk]) not in as_chair
    assert reverse("steering:agenda-plan", args=[board["done"].pk]) not in as_chair
    assert (
        f'href="{review_url(board["todo"])}">Figures<span class="visually-hidden"> of ECOM-1</span></a>'
        in (as_executive)
    )


def test_a_legacy_decision_without_an_agenda_item_is_listed_at_its_meeting(client, meeting, initiative, pmo):
    # given
    review = CheckpointReviewFactory(
        initiative=initiative, meeting=meeting, held_on=HELD_ON, decision="pause"
    )
    client.force_login(pmo)

    # when
    response = client.get(meeting_url(meeting))

    # then
    assert "Decisions recorded at this meeting" in text(response)
    assert f'href="{reverse("steering:review-detail", args=[review.pk])}">Pause</a>' in html(response)


def test_an_agenda_longer_than_the_meeting_says_so(client, board, meeting, pmo):
    # given
    SteeringMeeting.objects.filter(pk=meeting.pk).update(duration_minutes=20)
    client.force_login(pmo)

    # when
    words = text(client.get(meeting_url(meeting)))

    # then
    assert "The reviews take 25 minutes, 5 more than the meeting's 20" in words


def test_propose_with_htmx_answers_with_the_agenda_only(client, meeting, initiative, pmo):
    # given
    ScopeChangeFactory(initiative=initiative, status="pending")
    client.force_login(pmo)

    # when
    response = client.post(reverse("steering:agenda-propose", args=[meeting.pk]), **HTMX)

    # then
    assert response.status_code == 200
    assert "<html" not in html(response)
    assert "HX-Request" in vary(response)
    assert "Added 1 initiative from the data: ECOM-1." in text(response)
    assert agenda_codes(response) == ["ECOM-1"]


def test_propose_without_htmx_redirects_to_the_agenda_with_a_message(client, meeting, initiative, pmo):
    # given
    ScopeChangeFactory(initiative=initiative, status="pending")
    client.force_login(pmo)

    # when
    response = client.post(reverse("steering:agenda-propose", args=[meeting.pk]))

    # then
    assert response.status_code == 302
    assert response["Location"] == meeting_url(meeting) + "#agenda"
    followed = client.get(response["Location"])
    assert "Added 1 initiative from the data: ECOM-1." in text(followed)
    assert agenda_codes(followed) == ["ECOM-1"]


def test_a_long_proposal_names_ten_codes_and_counts_what_it_left_off(client, meeting, pmo, monkeypatch):
    # given: fourteen initiatives with a pending scope change (10 minutes each) for a 30-minute meeting, and
    # room for eight items for noting
    monkeypatch.setattr(agenda_service, "NOTING_ITEMS", 8)
    SteeringMeeting.objects.filter(pk=meeting.pk).update(duration_minutes=30)
    for n in range(1, 15):
        ScopeChangeFactory(
            initiative=InitiativeFactory(code=f"P-{n:02d}", stage=Stage.IN_DELIVERY), status="pending"
        )
    client.force_login(pmo)

    # when
    response = client.post(reverse("steering:agenda-propose", args=[meeting.pk]), **HTMX)

    # then: three to review and eight for noting are added, three left off
    assert response.status_code == 200
    assert (
        "Added 11 initiatives from the data: P-01, P-02, P-03, P-04, P-05, P-06, P-07, P-08, P-09, P-10 and 1 "
        "more. 3 more flagged initiatives were left off: the agenda lists at most 8 for noting (the worklist "
        "has them all)."
    ) in text(response)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 11


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_moving_an_item_reorders_the_agenda(client, board, meeting, pmo, htmx):
    # given
    client.force_login(pmo)

    # when
    response = client.post(
        reverse("steering:agenda-move", args=[board["done"].pk]),
        {"direction": "up"},
        **(HTMX if htmx else {}),
    )

    # then
    assert list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("initiative__code", flat=True)
    ) == ["PAY-1", "ECOM-1", "LATER-1"]
    if htmx:
        assert (response.status_code, agenda_codes(response)) == (200, ["PAY-1", "ECOM-1"])
    else:
        assert response.status_code == 302


@pytest.mark.parametrize(
    "data",
    [{}, {"direction": "sideways"}, {"position": "-1"}, {"position": "x"}],
    ids=["none", "bad", "neg", "nan"],
)
def test_a_bad_move_is_a_400_and_changes_nothing(client, board, pmo, data):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(reverse("steering:agenda-move", args=[board["todo"].pk]), data, **HTMX)

    # then
    assert response.status_code == 400
    assert db_rows() == before


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_the_chair_sets_a_time_box_and_moves_items_between_review_and_noting(
    client, board, meeting, chair, htmx
):
    # given
    client.force_login(chair)
    headers = HTMX if htmx else {}

    # when
    boxed = client.post(
        reverse("steering:agenda-plan", args=[board["todo"].pk]), {"minutes": "30"}, **headers
    )
    noted = client.post(
        reverse("steering:agenda-plan", args=[board["todo"].pk]), {"plan": "noting"}, **headers
    )
    back = client.post(
        reverse("steering:agenda-plan", args=[board["noting"].pk]), {"plan": "review"}, **headers
    )

    # then
    assert list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("initiative__code", "minutes", "for_noting")
    ) == [("PAY-1", 10, False), ("LATER-1", 10, False), ("ECOM-1", 0, True)]
    if htmx:
        assert [r.status_code for r in (boxed, noted, back)] == [200, 200, 200]
        assert "ECOM-1 has 30 minutes." in text(boxed)
        assert "ECOM-1 is listed for noting." in text(noted)
        assert (agenda_codes(back), noting_codes(back)) == (["PAY-1", "LATER-1"], ["ECOM-1"])
    else:
        assert [r.status_code for r in (boxed, noted, back)] == [302, 302, 302]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"minutes": "3"}, "ECOM-1: A time box is 5 to 240 minutes; list the item for noting instead."),
        ({"minutes": "x"}, "ECOM-1: Enter a whole number."),
        ({}, "ECOM-1: Give a time box in minutes, or say whether to review or note it."),
        ({"plan": "later"}, "ECOM-1: Select a valid choice. later is not one of the available choices."),
    ],
    ids=["short", "nan", "nothing", "bad plan"],
)
def test_a_bad_time_box_is_refused_with_the_reason_and_changes_nothing(client, board, chair, data, error):
    # given
    client.force_login(chair)
    before = db_rows()

    # when
    response = client.post(reverse("steering:agenda-plan", args=[board["todo"].pk]), data, **HTMX)

    # then
    assert response.status_code == 422
    assert error in text(response)
    assert db_rows() == before


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("NOPE-9", "No initiative has the code NOPE-9."),
        ("DONE-1", "DONE-1 is closed: only open initiatives go on an agenda."),
        ("", "This field is required."),
    ],
    ids=["unknown", "closed", "empty"],
)
def test_adding_by_a_code_that_cannot_go_on_the_agenda_says_why_and_changes_nothing(
    client, meeting, pmo, code, error
):
    # given
    InitiativeFactory(code="DONE-1", stage=Stage.CLOSED)
    client.force_login(pmo)
    before = db_rows()

    # when
    response = client.post(reverse("steering:agenda-add", args=[meeting.pk]), {"initiative": code}, **HTMX)

    # then
    assert response.status_code == 422
    assert error in text(response)
    assert db_rows() == before


def test_adding_and_removing_with_htmx(client, board, meeting, pmo, executive):
    # given
    InitiativeFactory(code="NEW-1", sponsor=executive)
    client.force_login(pmo)

    # when
    added = client.post(reverse("steering:agenda-add", args=[meeting.pk]), {"initiative": "new-1 "}, **HTMX)
    twice = client.post(reverse("steering:agenda-add", args=[meeting.pk]), {"initiative": "NEW-1"}, **HTMX)
    removed = client.post(
        reverse("steering:agenda-remove", args=[board["todo"].pk]), {"version": "1"}, **HTMX
    )

    # then
    assert (added.status_code, agenda_codes(added)) == (200, ["ECOM-1", "PAY-1", "NEW-1"])
    assert "NEW-1 added to the agenda." in text(added)
    assert "Added by Pat Office" in text(added)
    assert twice.status_code == 422
    assert "NEW-1 is already on this agenda." in text(twice)
    assert (removed.status_code, agenda_codes(removed)) == (200, ["PAY-1", "NEW-1"])
    assert list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("position", "initiative__code")
    ) == [(0, "PAY-1"), (1, "NEW-1"), (2, "LATER-1")]


def test_removing_a_changed_item_is_a_409_and_a_decided_one_a_422(client, board, pmo):
    # given
    client.force_login(pmo)
    before = db_rows()

    # when
    stale = client.post(reverse("steering:agenda-remove", args=[board["todo"].pk]), {"version": "4"}, **HTMX)
    decided = client.post(
        reverse("steering:agenda-remove", args=[board["done"].pk]), {"version": "1"}, **HTMX
    )
    plain = client.post(reverse("steering:agenda-remove", args=[board["done"].pk]), {"version": "1"})

    # then
    assert stale.status_code == 409
    assert "ECOM-1 changed on the agenda while you were looking" in text(stale)
    assert decided.status_code == 422
    assert "The committee's decision on PAY-1 is recorded: it stays on the agenda." in text(decided)
    assert plain.status_code == 302
    assert db_rows() == before


@pytest.mark.parametrize(
    "name", ["agenda-propose", "agenda-add", "agenda-move", "agenda-remove", "agenda-plan", "action-status"]
)
def test_posting_to_an_unknown_id_is_404(client, pmo, name):
    # given
    client.force_login(pmo)

    # then
    assert client.post(reverse(f"steering:{name}", args=[999999]), {"version": "1"}).status_code == 404


# ------------------------------------------------------------------------------------------------ query count

FROZEN = {
    "as_of": "2026-09-01",
    "initiative": {"code": "ECOM-1", "stage": "in_delivery", "stage_label": "In delivery"},
    "spend": {"budget": 120000, "actual_cost": 10000, "forecast_cost": None},
    "milestones": [],
    "scope_changes": {"pending": 0, "pending_cost": 0, "pending_days": 0, "items": []},
}


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow_agenda(meeting: SteeringMeeting, sponsor: Any, start: int, stop: int) -> None:
    for n in range(start, stop):
        initiative = InitiativeFactory(
            code=f"Q-{n:03d}", sponsor=sponsor, manager=sponsor, forecast_cost=Decimal("1000")
        )
        scored(initiative, tier=1 + n % 3, checkpoint_due=D(2026, 9, 1))
        signal(initiative, "cost_overrun")
        MilestoneFactory(initiative=initiative, name="Pilot")
        ScopeChangeFactory(initiative=initiative, status="pending")
        CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 9, 1), figures=FROZEN)
        CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1), figures=FROZEN)
        ActionItem.objects.create(initiative=initiative, title="Do it", owner=sponsor, due_date=D(2026, 9, 1))
        item_on(
            meeting,
            initiative,
            n,
            minutes=10,
            for_noting=n % 4 == 3,
            added_by=sponsor if n % 5 == 0 else None,
        )


def test_the_meeting_page_query_count_does_not_grow_with_the_agenda(
    client, meeting, chair, steering_member, pmo, django_assert_max_num_queries
):
    # given
    meeting.attendees.set([chair, steering_member])
    client.force_login(pmo)
    _grow_agenda(meeting, chair, 0, 4)
    small = _count(client, meeting_url(meeting))

    # when
    _grow_agenda(meeting, chair, 4, 28)
    large = _count(client, meeting_url(meeting))

    # then
    assert small == large
    # 26, the agenda's figures read the business cases, events' watch button (the choice, the committee), and
    # the post-implementation reviews due (one query)
    with django_assert_max_num_queries(30):
        client.get(meeting_url(meeting))
