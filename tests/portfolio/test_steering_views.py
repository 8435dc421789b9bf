"""Steering pages: meetings, the agenda (htmx and plain), the checkpoint review form and its refusals, a decided
review's frozen figures, the decision log's filters, the action list with done in place, bad input, and query
counts that do not grow with the data."""

from __future__ import annotations

import datetime
import html as entities
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio import roles, services
from portfolio.extensions import registry
from portfolio.models import (
    ActionItem,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Initiative,
    MeetingStatus,
    SteeringMeeting,
)
from portfolio.services import steering
from tests.factories import (
    CheckpointReviewFactory,
    CommitteeFactory,
    InitiativeFactory,
    MilestoneFactory,
    ProgramFactory,
    ScopeChangeFactory,
    UserFactory,
)
from tests.portfolio.utils import field_error, snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
HELD_ON = D(2026, 10, 1)
HTMX = {"HTTP_HX_REQUEST": "true"}
HOOKS = ("snapshot_providers", "agenda_sources", "rag_suggesters", "stage_gates")


@pytest.fixture(autouse=True)
def only_test_hooks() -> Iterator[None]:
    """Hooks other apps registered (the alignment app) are set aside while a test runs, and put back after."""
    saved = {name: list(getattr(registry, name)) for name in HOOKS}
    for name in HOOKS:
        getattr(registry, name).clear()
    yield
    for name, hooks in saved.items():
        getattr(registry, name)[:] = hooks


@pytest.fixture
def chair(db):
    return UserFactory(username="chair", first_name="Cleo", last_name="Chair", roles=[roles.EXECUTIVE])


@pytest.fixture
def committee(chair, steering_member, pmo):
    committee = CommitteeFactory(name="Portfolio board", chair=chair)
    committee.members.set([chair, steering_member, pmo])
    return committee


@pytest.fixture
def meeting(committee):
    return SteeringMeeting.objects.create(committee=committee, title="October board", held_on=HELD_ON)


def html(response: Any) -> str:
    return response.content.decode()


def text(response: Any) -> str:
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html(response)))).strip()


def agenda_codes(response: Any) -> list[str]:
    return re.findall(
        r'<li class="list-group-item agenda-item[^"]*" id="item-\d+">.*?class="fw-semibold">([A-Z0-9-]+)</a>',
        html(response),
        re.S,
    )


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def item_on(meeting: SteeringMeeting, initiative: Initiative, position: int, **values: Any) -> AgendaItem:
    return AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=position, **values)


FROZEN = {
    "as_of": "2026-09-01",
    "initiative": {"code": "ECOM-1", "stage": "in_delivery", "stage_label": "In delivery"},
    "spend": {"budget": 120000, "actual_cost": 10000, "forecast_cost": None},
    "milestones": [],
    "scope_changes": {"pending": 0, "pending_cost": 0, "pending_days": 0, "items": []},
}


@pytest.fixture
def board(meeting, initiative, executive, chair, steering_member):
    """October's meeting: ECOM-1 to review (last reviewed in September with figures), PAY-1 decided there."""
    meeting.attendees.set([chair, steering_member])
    september = SteeringMeeting.objects.create(
        committee=meeting.committee, title="September board", held_on=D(2026, 9, 1), status=MeetingStatus.HELD
    )
    frozen = steering.initiative_snapshot(initiative)
    frozen["spend"]["actual_cost"] = 10000
    CheckpointReviewFactory(
        initiative=initiative, meeting=september, held_on=D(2026, 9, 1), decision="realign", snapshot=frozen
    )
    pay = InitiativeFactory(code="PAY-1", title="Payments", sponsor=executive)
    decided = CheckpointReviewFactory(
        initiative=pay, meeting=meeting, held_on=HELD_ON, decision="stop", rationale="No business case."
    )
    return {
        "todo": item_on(meeting, initiative, 0, reasons=["Checkpoint due", "2 red signals"]),
        "done": item_on(
            meeting, pay, 1, reasons=["Added by Pat Office"], status=AgendaStatus.REVIEWED, review=decided
        ),
        "decided": decided,
        "pay": pay,
    }


def meeting_url(meeting: SteeringMeeting) -> str:
    return reverse("portfolio:meeting-detail", args=[meeting.pk])


# ------------------------------------------------------------------------------------------------ meetings


def test_the_steering_page_lists_planned_meetings_soonest_first_and_past_ones_latest_first(
    client, committee, pmo
):
    # given
    today = timezone.localdate()
    for title, held_on, status in [
        ("Later", today + datetime.timedelta(days=20), "planned"),
        ("Sooner", today + datetime.timedelta(days=5), "planned"),
        ("Held", D(2026, 9, 1), "held"),
        ("Called off", D(2026, 8, 1), "cancelled"),
        ("Held earlier", D(2026, 7, 1), "held"),
    ]:
        SteeringMeeting.objects.create(committee=committee, title=title, held_on=held_on, status=status)
    client.force_login(pmo)

    # when
    response = client.get(reverse("portfolio:meeting-list"))

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
    page = html(client.get(reverse("portfolio:meeting-list")))

    # then
    assert (reverse("portfolio:meeting-create") in page) is offered


def test_a_chair_is_offered_new_meeting_and_only_their_committees(client, committee, chair):
    # given
    CommitteeFactory(name="Security board")
    client.force_login(chair)

    # when
    page = html(client.get(reverse("portfolio:meeting-create")))

    # then
    assert re.findall(r'<option value="\d+"[^>]*>(.*?)</option>', page) == ["Portfolio board"]


def test_an_invalid_meeting_form_is_shown_again_with_422_and_the_error_at_the_field(client, committee, pmo):
    # given
    client.force_login(pmo)
    before = snapshot()

    # when
    response = client.post(
        reverse("portfolio:meeting-create"),
        {"committee": committee.pk, "title": "", "held_on": "2026-02-30", "status": "planned"},
    )

    # then
    assert response.status_code == 422
    assert field_error(html(response), "id_title") == ["This field is required."]
    assert field_error(html(response), "id_held_on") == ["Enter a valid date."]
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ meeting page


def test_the_meeting_page_shows_the_agenda_with_reasons_status_and_what_changed(
    client, board, meeting, initiative, steering_member
):
    # given
    client.force_login(steering_member)

    # when
    response = client.get(meeting_url(meeting))

    # then
    assert response.status_code == 200
    assert agenda_codes(response) == ["ECOM-1", "PAY-1"]
    page, words = html(response), text(response)
    assert "Checkpoint due 2 red signals" in words
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words
    assert "Last reviewed 2026-09-01 (Realign)" not in words
    review = reverse("portfolio:review-detail", args=[board["decided"].pk])
    assert f'<a class="decision decision-stop" href="{review}">Stop</a>' in page
    assert f'href="{reverse("portfolio:checkpoint-decide", args=[board["todo"].pk])}">Review</a>' in page
    assert "Sponsor Erin Executive · Manager Mo Manager · Digital commerce" in words
    assert reverse("portfolio:agenda-move", args=[board["todo"].pk]) not in page
    assert "Present (2) Cleo Chair Chair Sam Steering" in words


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
    for url in ("agenda-move", "agenda-remove"):
        assert reverse(f"portfolio:{url}", args=[todo]) in as_chair
        assert reverse(f"portfolio:{url}", args=[todo]) not in as_executive
    assert reverse("portfolio:agenda-remove", args=[board["done"].pk]) not in as_chair
    assert f'href="{reverse("portfolio:checkpoint-decide", args=[todo])}">Figures</a>' in as_executive


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
    assert f'href="{reverse("portfolio:review-detail", args=[review.pk])}">Pause</a>' in html(response)


def test_propose_with_htmx_answers_with_the_agenda_only(client, meeting, initiative, pmo):
    # given
    ScopeChangeFactory(initiative=initiative, status="pending")
    client.force_login(pmo)

    # when
    response = client.post(reverse("portfolio:agenda-propose", args=[meeting.pk]), **HTMX)

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
    response = client.post(reverse("portfolio:agenda-propose", args=[meeting.pk]))

    # then
    assert response.status_code == 302
    assert response["Location"] == meeting_url(meeting) + "#agenda"
    followed = client.get(response["Location"])
    assert "Added 1 initiative from the data: ECOM-1." in text(followed)
    assert agenda_codes(followed) == ["ECOM-1"]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_moving_an_item_reorders_the_agenda(client, board, meeting, pmo, htmx):
    # given
    client.force_login(pmo)

    # when
    response = client.post(
        reverse("portfolio:agenda-move", args=[board["done"].pk]),
        {"direction": "up"},
        **(HTMX if htmx else {}),
    )

    # then
    assert list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("initiative__code", flat=True)
    ) == ["PAY-1", "ECOM-1"]
    if htmx:
        assert response.status_code == 200
        assert agenda_codes(response) == ["PAY-1", "ECOM-1"]
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
    before = snapshot()

    # when
    response = client.post(reverse("portfolio:agenda-move", args=[board["todo"].pk]), data, **HTMX)

    # then
    assert response.status_code == 400
    assert snapshot() == before


def test_adding_and_removing_with_htmx(client, board, meeting, pmo, executive):
    # given
    extra = InitiativeFactory(code="NEW-1", sponsor=executive)
    client.force_login(pmo)

    # when
    added = client.post(reverse("portfolio:agenda-add", args=[meeting.pk]), {"initiative": extra.pk}, **HTMX)
    twice = client.post(reverse("portfolio:agenda-add", args=[meeting.pk]), {"initiative": extra.pk}, **HTMX)
    removed = client.post(
        reverse("portfolio:agenda-remove", args=[board["todo"].pk]), {"version": "1"}, **HTMX
    )

    # then
    assert (added.status_code, agenda_codes(added)) == (200, ["ECOM-1", "PAY-1", "NEW-1"])
    assert "NEW-1 added to the agenda." in text(added)
    assert twice.status_code == 422
    assert "That initiative cannot be added: it is closed, cancelled or already on the agenda." in text(twice)
    assert (removed.status_code, agenda_codes(removed)) == (200, ["PAY-1", "NEW-1"])
    assert list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("position", "initiative__code")
    ) == [(0, "PAY-1"), (1, "NEW-1")]


def test_removing_a_changed_item_is_a_409_and_a_decided_one_a_422(client, board, pmo):
    # given
    client.force_login(pmo)
    before = snapshot()

    # when
    stale = client.post(reverse("portfolio:agenda-remove", args=[board["todo"].pk]), {"version": "4"}, **HTMX)
    decided = client.post(
        reverse("portfolio:agenda-remove", args=[board["done"].pk]), {"version": "1"}, **HTMX
    )
    plain = client.post(reverse("portfolio:agenda-remove", args=[board["done"].pk]), {"version": "1"})

    # then
    assert stale.status_code == 409
    assert "ECOM-1 changed on the agenda while you were looking" in text(stale)
    assert decided.status_code == 422
    assert "The committee's decision on PAY-1 is recorded: it stays on the agenda." in text(decided)
    assert plain.status_code == 302
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------ review page


@pytest.fixture
def suggesting():
    def suggester(initiative: Initiative) -> dict[str, tuple[str, str]]:
        return {"cost": ("red", "Forecast 12% over budget."), "scope": ("amber", "2 scope changes pending.")}

    registry.add_hook(registry.rag_suggesters, suggester)


def review_url(item: AgendaItem) -> str:
    return reverse("portfolio:checkpoint-decide", args=[item.pk])


def _rendered(page: str, pattern: str) -> str:
    """The first group of `pattern` in the page (which must have it)."""
    match = re.search(pattern, page)
    assert match is not None, pattern
    return match.group(1)


def decision_data(page: str, **changes: Any) -> dict[str, Any]:
    """What the browser posts: the hidden fields as rendered, the suggested RAGs, plus `changes`."""
    data: dict[str, Any] = {
        "version": _rendered(page, r'name="version" value="(\d+)"'),
        "seen": _rendered(page, r'name="seen" value="(\w+)"'),
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
        "rag_schedule": "green",
        "rag_cost": "red",
        "rag_scope": "amber",
        "rag_benefits": "green",
        "decision": "proceed",
        "rationale": "On plan apart from the budget.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_review_page_prefills_the_suggestions_with_their_reasons(
    client, board, suggesting, steering_member, chair
):
    # given
    client.force_login(steering_member)

    # when
    response = client.get(review_url(board["todo"]))

    # then
    assert response.status_code == 200
    page, words = html(response), text(response)
    assert re.search(r'name="rag_cost"[^>]*>.*?<option value="red" selected>', page, re.S)
    assert re.search(r'name="rag_scope"[^>]*>.*?<option value="amber" selected>', page, re.S)
    assert re.search(r'name="rag_schedule"[^>]*>\s*<option value="" selected>', page, re.S)
    assert "Suggested ■ Red Forecast 12% over budget." in words
    assert "No suggestion from the data." in words
    assert 'name="conditions-TOTAL_FORMS" value="3"' in page
    assert len(re.findall(r'name="conditions-\d-title"', page)) == 3
    checked = re.findall(
        r'<input class="form-check-input" type="checkbox" name="attendees" id="[^"]+" value="(\d+)" checked>',
        page,
    )
    assert sorted(int(pk) for pk in checked) == sorted([chair.pk, steering_member.pk])
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words


def test_recording_a_decision_redirects_to_the_agenda_item(
    client, board, suggesting, steering_member, manager
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    data = decision_data(
        page,
        decision="proceed_with_conditions",
        attendees=[str(steering_member.pk)],
        **{
            "conditions-0-title": "Cut the budget",
            "conditions-1-title": "Re-plan",
            "conditions-1-due_date": "2026-10-20",
        },
    )

    # when
    response = client.post(review_url(board["todo"]), data)

    # then
    assert response.status_code == 302
    assert response["Location"] == meeting_url(board["todo"].meeting) + f"#item-{board['todo'].pk}"
    review = CheckpointReview.objects.get(agenda_item=board["todo"])
    assert (review.decision, review.rag_cost, review.rationale) == (
        "proceed_with_conditions",
        "red",
        "On plan apart from the budget.",
    )
    assert review.suggested == {
        "cost": {"rag": "red", "reason": "Forecast 12% over budget."},
        "scope": {"rag": "amber", "reason": "2 scope changes pending."},
    }
    assert list(review.action_items.order_by("pk").values_list("title", "owner", "due_date")) == [
        ("Cut the budget", manager.pk, D(2026, 10, 31)),
        ("Re-plan", manager.pk, D(2026, 10, 20)),
    ]
    assert "Decision on ECOM-1 recorded: Proceed with conditions, with 2 action item(s)." in text(
        client.get(response["Location"])
    )


def test_an_incomplete_decision_is_shown_again_with_422_and_errors_at_the_fields(
    client, board, steering_member
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    before = snapshot()

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(
            page,
            decision="proceed_with_conditions",
            rationale="",
            rag_cost="",
            **{"conditions-2-owner": str(steering_member.pk)},
        ),
    )

    # then
    assert response.status_code == 422
    page = html(response)
    assert field_error(page, "id_rationale") == ["Record why the committee decided this."]
    assert field_error(page, "id_rag_cost") == ["Rate cost."]
    assert field_error(page, "id_conditions-2-title") == ["Say what the condition is, or clear the row."]
    assert (
        '<div class="invalid-feedback d-block" id="id_attendees_error">Tick who took part in the decision.</div>'
        in page
    )
    assert snapshot() == before


def test_proceed_with_conditions_and_no_condition_says_so_next_to_the_conditions(
    client, board, steering_member
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(page, decision="proceed_with_conditions", attendees=[str(steering_member.pk)]),
    )

    # then
    assert response.status_code == 422
    assert (
        '<div class="alert alert-danger py-2" role="alert" id="conditions_error">Proceeding with conditions needs '
        "at least one condition.</div>" in html(response)
    )
    assert not CheckpointReview.objects.filter(agenda_item=board["todo"]).exists()


def test_a_decision_on_figures_that_changed_is_a_409_that_keeps_the_input(
    client, board, steering_member, pmo, initiative
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    services.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"actual_cost": Decimal("70000")}
    )

    # when
    response = client.post(
        review_url(board["todo"]),
        decision_data(page, rationale="Kept text.", attendees=[str(steering_member.pk)]),
    )

    # then
    assert response.status_code == 409
    assert "The figures for this initiative changed while the review was open" in text(response)
    assert re.search(r'name="rationale"[^>]*>\s*Kept text.</textarea>', html(response))
    assert "Actual cost: €10,000 → €70,000 (+€60,000)" in text(response)
    again = client.post(
        review_url(board["todo"]),
        decision_data(html(response), rationale="Kept text.", attendees=[str(steering_member.pk)]),
    )
    assert again.status_code == 302


def test_a_decision_already_recorded_elsewhere_is_a_409_with_a_link(client, board, steering_member, pmo):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    first = steering.checkpoint_decide(
        user=pmo,
        item=board["todo"],
        rags={"schedule": "green", "cost": "green", "scope": "green", "benefits": "green"},
        decision="proceed",
        rationale="Fine.",
        attendees=[pmo],
    )
    before = snapshot()

    # when
    response = client.post(
        review_url(board["todo"]), decision_data(page, attendees=[str(steering_member.pk)])
    )

    # then
    assert response.status_code == 409
    assert "The committee's decision on this item was already recorded; nothing was changed." in text(
        response
    )
    assert reverse("portfolio:review-detail", args=[first.pk]) in html(response)
    assert snapshot() == before
    assert client.get(review_url(board["todo"]))["Location"] == reverse(
        "portfolio:review-detail", args=[first.pk]
    )


def test_a_changed_agenda_item_is_a_409(client, board, steering_member):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    AgendaItem.objects.filter(pk=board["todo"].pk).update(version=2, note="Moved to the top.")
    before = snapshot()

    # when
    response = client.post(
        review_url(board["todo"]), decision_data(page, attendees=[str(steering_member.pk)])
    )

    # then
    assert response.status_code == 409
    assert "ECOM-1 changed on the agenda while you were looking" in text(response)
    assert snapshot() == before


def test_an_executive_reads_the_figures_but_cannot_record(client, board, executive):
    # given
    client.force_login(executive)
    page = html(client.get(review_url(board["todo"])))
    before = snapshot()

    # when
    response = client.post(review_url(board["todo"]), {"decision": "stop"})

    # then
    assert 'id="decision-form"' not in page
    assert "Steering members and the PMO record the committee's decision." in page
    assert response.status_code == 403
    assert snapshot() == before


def test_before_the_meetings_day_the_review_page_is_for_preparing(client, board, meeting, steering_member):
    # given
    future = timezone.localdate() + datetime.timedelta(days=9)
    SteeringMeeting.objects.filter(pk=meeting.pk).update(held_on=future, status=MeetingStatus.PLANNED)
    client.force_login(steering_member)

    # when
    page = text(client.get(review_url(board["todo"])))

    # then
    assert "the decision can be recorded from that day" in page
    assert "Record decision" not in page


# ------------------------------------------------------------------------------------------------ review detail


def test_a_decided_review_shows_the_frozen_figures_not_todays(
    client, board, steering_member, pmo, initiative
):
    # given
    client.force_login(steering_member)
    page = html(client.get(review_url(board["todo"])))
    client.post(
        review_url(board["todo"]),
        decision_data(page, attendees=[str(steering_member.pk)], **{"conditions-0-title": "Cut cost"}),
    )
    review = CheckpointReview.objects.get(agenda_item=board["todo"])
    services.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"actual_cost": Decimal("99000")}
    )

    # when
    response = client.get(reverse("portfolio:review-detail", args=[review.pk]))

    # then
    words = text(response)
    assert response.status_code == 200
    assert "ACTUAL COST €50,000" in words.upper()
    assert "€99,000" not in words
    assert "Actual cost: €10,000 → €50,000 (+€40,000)" in words
    assert "Cut cost Mo Manager · due 2026-10-31" in words
    assert "Who took part (1) Sam Steering" in words


def test_a_review_without_figures_says_so(client, board, pmo):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("portfolio:review-detail", args=[board["decided"].pk]))

    # then
    assert "No figures were frozen with this review" in text(response)


def test_the_initiative_page_links_each_review_to_its_page(client, board, initiative, pmo):
    # given
    client.force_login(pmo)
    review = CheckpointReview.objects.get(initiative=initiative)

    # when
    page = html(client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])))

    # then
    assert f'<a href="{reverse("portfolio:review-detail", args=[review.pk])}">2026-09-01</a>' in page
    assert f"{reverse('portfolio:decision-log')}?initiative={initiative.pk}" in page
    assert (
        f'On the agenda of <a href="{meeting_url(board["todo"].meeting)}#item-{board["todo"].pk}">October board</a>'
        in page
    )


# ------------------------------------------------------------------------------------------------ decision log


@pytest.fixture
def log(committee, executive, pmo):
    other = CommitteeFactory(name="Security board")
    finance, commerce = ProgramFactory(name="Finance"), ProgramFactory(name="Commerce")
    rows = {}
    for code, title, program, on, decision, board_ in [
        ("FIN-1", "Ledger", finance, D(2026, 3, 1), "proceed", committee),
        ("FIN-2", "Payroll", finance, D(2026, 6, 1), "stop", other),
        ("COM-1", "Checkout", commerce, D(2026, 6, 1), "realign", committee),
        ("COM-2", "Ledger feed", commerce, D(2026, 9, 1), "proceed", other),
    ]:
        initiative = InitiativeFactory(code=code, title=title, program=program, sponsor=executive)
        meeting = SteeringMeeting.objects.get_or_create(
            committee=board_, held_on=on, defaults={"title": f"{board_} {on}"}
        )[0]
        rows[code] = CheckpointReviewFactory(
            initiative=initiative, meeting=meeting, held_on=on, decision=decision
        )
    return {"rows": rows, "other": other, "finance": finance}


def logged(response: Any) -> list[str]:
    return re.findall(
        r'<a href="/initiatives/\d+/#checkpoints" class="fw-semibold">([A-Z0-9-]+)</a>', html(response)
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["COM-2", "COM-1", "FIN-2", "FIN-1"]),
        ({"decision": "proceed"}, ["COM-2", "FIN-1"]),
        ({"committee": "other"}, ["COM-2", "FIN-2"]),
        ({"program": "finance"}, ["FIN-2", "FIN-1"]),
        ({"q": "ledger"}, ["COM-2", "FIN-1"]),
        ({"q": "fin ledger"}, ["FIN-1"]),
        ({"date_from": "2026-06-01", "date_to": "2026-06-30"}, ["COM-1", "FIN-2"]),
        ({"initiative": "FIN-2"}, ["FIN-2"]),
        ({"decision": "stop", "program": "finance"}, ["FIN-2"]),
    ],
)
def test_the_decision_log_filters(client, log, pmo, params, expected):
    # given
    resolved = {
        key: {"other": log["other"].pk, "finance": log["finance"].pk}.get(value, value)
        for key, value in params.items()
    }
    if "initiative" in resolved:
        resolved["initiative"] = log["rows"][resolved["initiative"]].initiative_id
    client.force_login(pmo)

    # when
    response = client.get(reverse("portfolio:decision-log"), resolved)

    # then
    assert response.status_code == 200
    assert logged(response) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"committee": "999999"},
        {"date_from": "2026-06-02", "date_to": "2026-06-01"},
        {"page": "0"},
    ],
    ids=["bad date", "unknown committee", "reversed range", "page 0"],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_the_decision_log_answers_bad_filters_with_400(client, log, pmo, params, htmx):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("portfolio:decision-log"), params, **(HTMX if htmx else {}))

    # then
    assert response.status_code == 400
    assert "These filters could not be applied." in text(response)
    assert ("<html" in html(response)) is not htmx


def test_the_decision_log_answers_htmx_with_the_results_only(client, log, pmo):
    # given
    client.force_login(pmo)

    # when
    response = client.get(reverse("portfolio:decision-log"), {"decision": "stop"}, **HTMX)

    # then
    assert "<html" not in html(response)
    assert "HX-Request" in vary(response)
    assert logged(response) == ["FIN-2"]


# ------------------------------------------------------------------------------------------------ actions


@pytest.fixture
def actions(initiative, manager, other_manager, pmo):
    review = CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 9, 1))
    today = timezone.localdate()
    made = {}
    for title, owner, due, status in [
        ("Overdue one", manager, today - datetime.timedelta(days=3), "open"),
        ("Due soon", other_manager, today + datetime.timedelta(days=3), "open"),
        ("Done already", manager, today - datetime.timedelta(days=30), "done"),
        ("Dropped", pmo, today + datetime.timedelta(days=10), "cancelled"),
    ]:
        made[title] = ActionItem.objects.create(
            initiative=initiative, review=review, title=title, owner=owner, due_date=due, status=status
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
    response = client.get(reverse("portfolio:action-list"), params)

    # then
    assert response.status_code == 200
    assert listed(response) == expected


def test_the_action_list_answers_bad_filters_with_400(client, actions, manager):
    # given
    client.force_login(manager)

    # when
    response = client.get(reverse("portfolio:action-list"), {"status": "lost", "owner": "abc"})

    # then
    assert response.status_code == 400
    assert "These filters could not be applied." in text(response)


def test_the_owner_marks_an_action_done_in_place_with_htmx(client, actions, manager):
    # given
    action = actions["Overdue one"]
    client.force_login(manager)

    # when
    response = client.post(
        reverse("portfolio:action-status", args=[action.pk]), {"status": "done", "version": "1"}, **HTMX
    )

    # then
    assert response.status_code == 200
    assert html(response).strip().startswith(f'<tr id="action-{action.pk}">')
    assert f"Done {timezone.localdate():%Y-%m-%d}" in text(response)
    assert ">Reopen<" in html(response)
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.version) == ("done", timezone.localdate(), 2)


def test_marking_done_without_htmx_returns_to_the_list_it_came_from(client, actions, manager):
    # given
    action = actions["Overdue one"]
    client.force_login(manager)

    # when
    response = client.post(
        reverse("portfolio:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "next": "/steering/actions/?mine=on"},
    )
    elsewhere = client.post(
        reverse("portfolio:action-status", args=[action.pk]),
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
    before = snapshot()

    # when
    response = client.post(
        reverse("portfolio:action-status", args=[action.pk]), {"status": "done", "version": "1"}, **HTMX
    )

    # then
    assert response.status_code == 409
    assert "was changed by someone else while you were editing" in text(response)
    assert snapshot() == before


def test_only_the_owner_and_the_committee_side_see_and_use_the_buttons(
    client, actions, manager, other_manager
):
    # given
    mine, theirs = actions["Overdue one"], actions["Due soon"]
    client.force_login(manager)
    before = snapshot()

    # when
    page = html(client.get(reverse("portfolio:action-list")))
    refused = client.post(
        reverse("portfolio:action-status", args=[theirs.pk]), {"status": "done", "version": "1"}
    )

    # then
    assert reverse("portfolio:action-status", args=[mine.pk]) in page
    assert reverse("portfolio:action-status", args=[theirs.pk]) not in page
    assert refused.status_code == 403
    assert snapshot() == before


def test_the_owner_edit_form_locks_what_only_the_committee_changes(client, actions, manager):
    # given
    client.force_login(manager)

    # when
    page = html(client.get(reverse("portfolio:action-edit", args=[actions["Overdue one"].pk])))

    # then
    for name in ("title", "owner", "due_date"):
        assert re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*disabled', page), name
    assert not re.search(r'<select[^>]*name="status"[^>]*disabled', page)


# ------------------------------------------------------------------------------------------------ bad ids


@pytest.mark.parametrize(
    "name",
    [
        "meeting-detail",
        "meeting-edit",
        "meeting-attendance",
        "checkpoint-decide",
        "review-detail",
        "action-edit",
    ],
)
def test_unknown_or_oversized_ids_are_404(client, pmo, name):
    # given
    client.force_login(pmo)

    # then
    assert client.get(reverse(f"portfolio:{name}", args=[999999])).status_code == 404
    assert (
        client.get(reverse(f"portfolio:{name}", args=[1]).replace("/1/", f"/{'9' * 30}/")).status_code == 404
    )


@pytest.mark.parametrize(
    "name", ["agenda-propose", "agenda-add", "agenda-move", "agenda-remove", "action-status"]
)
def test_posting_to_an_unknown_id_is_404(client, pmo, name):
    # given
    client.force_login(pmo)

    # then
    assert client.post(reverse(f"portfolio:{name}", args=[999999]), {"version": "1"}).status_code == 404


# ------------------------------------------------------------------------------------------------ query counts


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow_agenda(meeting: SteeringMeeting, sponsor: Any, start: int, stop: int) -> None:
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"Q-{n:03d}", sponsor=sponsor, manager=sponsor)
        MilestoneFactory(initiative=initiative, name="Pilot")
        ScopeChangeFactory(initiative=initiative, status="pending")
        CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 9, 1), snapshot=FROZEN)
        CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1), snapshot=FROZEN)
        ActionItem.objects.create(initiative=initiative, title="Do it", owner=sponsor, due_date=D(2026, 9, 1))
        item_on(meeting, initiative, n)


def test_the_meeting_page_query_count_does_not_grow_with_the_agenda(
    client, meeting, chair, steering_member, pmo, django_assert_max_num_queries
):
    # given
    meeting.attendees.set([chair, steering_member])
    registry.add_hook(registry.snapshot_providers, lambda initiative: {"scores": {"fit": 1}})
    client.force_login(pmo)
    _grow_agenda(meeting, chair, 0, 3)
    small = _count(client, meeting_url(meeting))

    # when
    _grow_agenda(meeting, chair, 3, 25)
    large = _count(client, meeting_url(meeting))

    # then
    assert small == large
    with django_assert_max_num_queries(18):
        client.get(meeting_url(meeting))


def _grow_log(committee: Any, sponsor: Any, start: int, stop: int) -> None:
    program = ProgramFactory(name=f"Program {start}")
    meeting = SteeringMeeting.objects.create(
        committee=committee, title=f"Board {start}", held_on=D(2026, 9, 1)
    )
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"L-{n:03d}", sponsor=sponsor, program=program)
        review = CheckpointReviewFactory(initiative=initiative, meeting=meeting, held_on=D(2026, 9, 1))
        review.attendees.set([sponsor])
        ActionItem.objects.create(
            initiative=initiative, review=review, title=f"Act {n}", owner=sponsor, due_date=D(2026, 9, 30)
        )


def test_the_decision_log_and_action_list_query_counts_do_not_grow_with_the_data(
    client, committee, pmo, django_assert_max_num_queries
):
    # given
    client.force_login(pmo)
    urls = [
        reverse("portfolio:decision-log"),
        reverse("portfolio:action-list"),
        reverse("portfolio:meeting-list"),
    ]
    _grow_log(committee, pmo, 0, 5)
    small = [_count(client, url) for url in urls]

    # when
    _grow_log(committee, pmo, 5, 60)
    large = [_count(client, url) for url in urls]

    # then
    assert small == large
    for url in urls:
        with django_assert_max_num_queries(8):
            client.get(url)


def test_a_review_post_without_its_hidden_fields_is_a_422_not_a_500(client, board, steering_member):
    # given
    client.force_login(steering_member)
    before = snapshot()

    # when
    response = client.post(review_url(board["todo"]), {"decision": "proceed"})

    # then
    assert response.status_code == 422
    assert snapshot() == before


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_unknown_action_status_changes_nothing(client, actions, manager, htmx):
    # given
    client.force_login(manager)
    before = snapshot()

    # when
    response = client.post(
        reverse("portfolio:action-status", args=[actions["Overdue one"].pk]),
        {"status": "finished", "version": "1"},
        **(HTMX if htmx else {}),
    )

    # then
    assert response.status_code == (422 if htmx else 302)
    assert snapshot() == before
