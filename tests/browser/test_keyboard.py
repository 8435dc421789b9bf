"""A keyboard alone is enough: log in, search the register and open an initiative, edit a record, and record a
checkpoint review's decision, without touching the mouse (Tab, type, arrows, Space, Enter)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alignment import services
from demo import northwind as demo
from demo.northwind import DEMO_PASSWORD, build_demo
from portfolio.models import Initiative, Objective
from steering.models import AgendaItem, CheckpointReview, MeetingStatus, SteeringMeeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAX_TABS = 120


def focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector))


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus (it must be reachable by keyboard)."""
    for _ in range(MAX_TABS):
        if focused(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def log_in_by_keyboard(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")


@pytest.fixture
def demo_portfolio() -> None:
    today = timezone.localdate()
    build_demo(as_of=today)
    services.recompute(today=today)
    demo.prepare_meetings()


def test_the_register_is_searched_and_an_initiative_opened_with_the_keyboard(page, demo_portfolio):
    # given the PMO, logged in by keyboard, on the register
    initiative = Initiative.objects.order_by("code")[3]
    log_in_by_keyboard(page, "pmo")
    page.goto("/initiatives/")

    # when they tab to the search box, type the code and press Enter
    tab_to(page, 'input[name="q"]')
    page.keyboard.type(initiative.code)
    page.keyboard.press("Enter")

    # then the register lists that initiative alone
    rows = page.locator("table.register-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(initiative.title)

    # and when they tab to its link and press Enter, its page opens
    tab_to(page, f'table.register-table a[href="/initiatives/{initiative.pk}/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/initiatives/{initiative.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(initiative.title)
    page.watch.assert_clean()


def test_a_form_is_filled_and_saved_with_the_keyboard(page, demo_portfolio):
    # given the PMO on an objective's edit form
    objective = Objective.objects.get(code="O1.2")
    log_in_by_keyboard(page, "pmo")
    page.goto(f"/objectives/{objective.pk}/edit/")

    # when they tab to the title, replace it and press Enter
    tab_to(page, "#id_title")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Grow the loyalty programme")
    page.keyboard.press("Enter")

    # then it is saved and the objective's page shows it
    page.wait_for_url(f"**/objectives/{objective.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grow the loyalty programme")
    assert Objective.objects.get(pk=objective.pk).title == "Grow the loyalty programme"
    page.watch.assert_clean()


def test_a_checkpoint_review_is_recorded_with_the_keyboard(page, demo_portfolio):
    # given a steering member on the review of today's first agenda item
    meeting = SteeringMeeting.objects.get(status=MeetingStatus.PLANNED, held_on=timezone.localdate())
    item = AgendaItem.objects.filter(meeting=meeting, review__isnull=True).order_by("position")[0]
    log_in_by_keyboard(page, "steering")
    page.goto(f"/steering/agenda/{item.pk}/review/")

    # when they choose "Proceed" with the arrow keys, type the rationale, tick themselves as present with Space
    # and press Enter on the button (the suggested RAGs stay as the data proposed them)
    tab_to(page, 'input[name="decision"]')
    for _ in range(6):  # arrows move within the group (and choose); Proceed comes first
        if focused(page, '[value="proceed"]'):
            break
        page.keyboard.press("ArrowLeft")
    if not focused(page, ":checked"):
        page.keyboard.press("Space")
    assert focused(page, 'input[name="decision"][value="proceed"]:checked')
    tab_to(page, "#id_rationale")
    page.keyboard.type("On plan and on budget; the pilot stores report higher basket sizes.")
    steering_user = meeting.committee.members.get(username="steering")
    tab_to(page, f'input[name="attendees"][value="{steering_user.pk}"]')
    if not focused(page, ":checked"):
        page.keyboard.press("Space")
    tab_to(page, 'button[type="submit"].btn-primary')
    page.keyboard.press("Enter")

    # then the decision is recorded as they chose it
    page.wait_for_url(lambda url: "/review/" not in url)
    review = CheckpointReview.objects.get(agenda_item=item)
    assert (review.decision, review.rationale) == (
        "proceed",
        "On plan and on budget; the pilot stores report higher basket sizes.",
    )
    assert list(review.attendees.values_list("username", flat=True)) == ["steering"]
    page.watch.assert_clean()
