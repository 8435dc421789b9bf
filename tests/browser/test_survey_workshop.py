"""In the browser: two leaders answer through their personal links (no account), then the facilitator closes
the round and the workshop shows the answers side by side, the word clouds and the leader heat map drawn."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from surveys import services
from surveys.models import RoundStatus, SurveyRound
from tests.browser.conftest import ARTIFACTS, login
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, ask, draft_round, links_sent, program

# the browser fixtures come from tests/browser/conftest.py: re-exporting its session's browser here started a
# second Playwright in the same session, which broke every browser test that ran after this one
__all__ = ["program"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def answer_in_browser(page, token: str, text: str, rating: str) -> None:
    page.goto(f"/survey/answer/{token}/")
    expect(page.get_by_role("heading", name="Checkout alignment")).to_be_visible()
    for area in page.locator("#answer-form textarea").all():
        area.fill(text)
    for group in page.get_by_role("radiogroup").all():
        group.get_by_label(rating, exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#answers-saved")).to_be_visible()


def test_two_leaders_answer_by_link_and_the_facilitator_sees_the_cloud(page, pmo, program):
    # given an open round of the Checkout program with one business and one IT leader invited
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    tokens = links_sent()
    assert len(mail.outbox) == 2

    # when each answers through their link, without an account
    answer_in_browser(page, tokens["bea@example.org"], BUSINESS_GOALS, "5")
    answer_in_browser(page, tokens["ivan@example.org"], IT_GOALS, "3")

    # and the facilitator closes the round
    login(page, "pmo")
    page.goto(f"/surveys/{survey.pk}/")
    page.get_by_role("button", name="Close the round and analyse").click()

    # then the workshop shows the agreement, both answers, the shared cloud drawn and the heat map
    expect(page.get_by_role("heading", name="Workshop: Checkout alignment")).to_be_visible()
    expect(page.locator("#agreement")).to_have_text("15.6")
    expect(page.locator("#question-panel")).to_contain_text("Grow online sales and cut delivery costs")
    expect(page.locator("#question-panel")).to_contain_text("Replace the legacy order system")
    cloud = page.get_by_alt_text(
        "Word cloud: Shared vocabulary: terms both sides use. The same terms are in the table below."
    )
    cloud.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 640", arg=cloud.element_handle())
    expect(page.locator('[data-chart="figure-leaders"][data-drawn="1"]')).to_have_count(1)

    # and another question's panel is swapped in place
    page.get_by_role("link", name="Q2 · 0.16").click()
    expect(page.locator("#question-panel")).to_contain_text("What does success look like, and when?")
    assert SurveyRound.objects.get(pk=survey.pk).status == RoundStatus.CLOSED
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"/surveys/{survey.pk}/workshop/")
    page.locator('[data-chart="figure-leaders"][data-drawn="1"]').wait_for()
    page.screenshot(path=str(ARTIFACTS / "surveys-workshop.png"), full_page=True)
    page.watch.assert_clean()


def test_the_facilitator_rewords_and_moves_a_draft_question_in_place(page, pmo, program):
    # given a draft round
    survey = draft_round(pmo, program)
    login(page, "pmo")
    page.goto(f"/surveys/{survey.pk}/")
    questions = page.locator("#questions ol > li")

    # when the facilitator edits the first question in place and saves it
    page.get_by_role("link", name="Edit question 1").click()
    page.locator("#id_edit_text").fill("What are the program's goals?")
    page.get_by_role("button", name="Save the question").click()

    # then the list shows it, reworded, without leaving the page
    expect(page.locator("#questions .alert-success")).to_have_text("Question saved.")
    expect(questions.nth(0)).to_contain_text("What are the program's goals?")

    # and moving it down swaps it with the second
    page.get_by_role("button", name="Move question 1 down").click()
    expect(page.locator("#questions .alert-success")).to_have_text("Question moved down.")
    expect(questions.nth(1)).to_contain_text("What are the program's goals?")
    expect(questions.nth(0)).to_contain_text("What does success look like, and when?")
    assert list(survey.questions.order_by("position").values_list("text", flat=True)[:2]) == [
        "What does success look like, and when?",
        "What are the program's goals?",
    ]
    assert page.url.endswith(f"/surveys/{survey.pk}/")
    page.watch.assert_clean()
