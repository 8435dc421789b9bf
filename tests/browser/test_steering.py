"""A steering member runs today's meeting of the demo portfolio: opens the proposed agenda, reviews two
initiatives against the suggested RAGs and records the committee's decisions, then prints the board pack and
downloads the PDF, which holds both initiatives and their decisions."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from alignment import services
from demo import northwind as demo
from demo.northwind import DEMO_PASSWORD, build_demo
from steering import rules
from steering.models import AgendaItem, CheckpointReview, MeetingStatus, SteeringMeeting
from tests.browser.conftest import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONDITIONAL = "Proceed only with a cut-over plan that avoids the peak trading freeze."
CONDITION = "Present the cut-over plan at the next meeting"
REALIGNED = "Second slip in a row: re-plan with the vendor and show the cost to complete."
PRINT_TIMEOUT_MS = 60_000  # the job prints with headless chromium inside the request (inline runner)


RAG_ICONS = {"green": "●", "amber": "▲", "red": "■"}


def rag_words(rag: str) -> str:
    return {"green": "Green", "amber": "Amber", "red": "Red"}[rag]


def pdf_words(path: str) -> str:
    """The PDF's text with ligatures undone and whitespace collapsed."""
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pdf_page_png(path: str, number: int, name: str) -> None:
    """A picture of one page for a person to look at (poppler's pdftoppm; nothing is asserted on it)."""
    if not shutil.which("pdftoppm"):
        return
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "90",
            "-f",
            str(number),
            "-l",
            str(number),
            "-singlefile",
            path,
            str(ARTIFACTS / name),
        ],
        check=True,
        timeout=60,
    )


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_steering_member_records_two_decisions_and_downloads_the_board_pack(page):
    # given the demo portfolio, with today's meeting and its agenda proposed from the data
    today = timezone.localdate()
    build_demo(as_of=today)
    demo.freeze_review_figures()
    services.backfill_history(today=today, months=6)
    demo.prepare_meetings()
    meeting = SteeringMeeting.objects.get(status=MeetingStatus.PLANNED, held_on=today)
    listed = AgendaItem.objects.filter(meeting=meeting).select_related("initiative").order_by("position")
    items = [item for item in listed if not item.for_noting]
    noting = [item for item in listed if item.for_noting]
    first, second = items[0], items[1]
    suggested = rules.suggest_rag(first.initiative)

    # when the steering member logs in, opens Steering and today's meeting
    login(page, "steering", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Steering").click()
    expect(page.get_by_role("heading", name="Steering", level=1)).to_be_visible()
    today_row = page.locator("a.meeting-row", has_text=meeting.title)
    expect(today_row).to_contain_text("Today")
    expect(today_row).to_contain_text(
        f"{len(listed)} on the agenda · {len(items)} to review · {len(noting)} for noting"
    )
    today_row.click()

    # then the agenda proposed from the data is there, in order, each item with why it is on it and its time
    # box, up to the meeting's two hours; the rest are listed for noting
    expect(page.get_by_role("heading", name=meeting.title, level=1)).to_be_visible()
    rows = page.locator("li.agenda-item")
    expect(rows).to_have_count(len(items))
    expect(page.locator("li.noting-item")).to_have_count(len(noting))
    expect(page.locator("#agenda .card-header")).to_contain_text(
        f"{len(items)} to review · 120 of 120 minutes"
    )
    expect(rows.locator("a.fw-semibold")).to_have_text([item.initiative.code for item in items])
    expect(rows.first.locator(".reason")).to_have_text(first.reasons)
    assert any(reason.startswith("Checkpoint due") for reason in first.reasons)

    # when they open the review of the first initiative
    rows.first.get_by_role("link", name="Review").click()

    # then the review shows the RAG the data suggests for each dimension, preselected
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{first.initiative.code} {first.initiative.title}"
    )
    for dimension in ("schedule", "cost", "scope", "benefits"):
        field = page.get_by_label(dimension.capitalize(), exact=True)
        expect(field).to_have_value(suggested[dimension]["rag"])
        expect(page.locator(f"#id_rag_{dimension}_helptext")).to_have_text(
            f"Suggested {RAG_ICONS[suggested[dimension]['rag']]} "
            f"{rag_words(suggested[dimension]['rag'])} {suggested[dimension]['reason']}"
        )

    # when they record "proceed with conditions" with a rationale, one condition and who took part
    page.locator("label", has_text=re.compile(r"^Proceed with conditions$")).click()
    page.get_by_label("Rationale").fill(CONDITIONAL)
    page.get_by_label("Condition 1", exact=True).fill(CONDITION)
    for name in ("Thomas Berger", "Margaret Okafor", "Claire Dubois", "Daniel Reyes"):
        page.get_by_label(name).check()
    screenshot(page, "steering-review")
    page.get_by_role("button", name="Record decision").click()

    # then they are back on the agenda, the decision shown on its item
    expect(page).to_have_url(re.compile(rf"/steering/meetings/{meeting.pk}/#item-{first.pk}$"))
    expect(page.locator("#messages")).to_contain_text(
        f"Decision on {first.initiative.code} recorded: Proceed with conditions, with 1 action item."
    )

    # when they review the second initiative and record "realign" (who took part is remembered)
    page.locator(f"#item-{second.pk}").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{second.initiative.code} {second.initiative.title}"
    )
    expect(page.get_by_label("Thomas Berger")).to_be_checked()
    page.locator("label", has_text=re.compile(r"^Realign$")).click()
    page.get_by_label("Rationale").fill(REALIGNED)
    page.get_by_role("button", name="Record decision").click()

    # then the meeting shows both decisions, and the condition as an action set here
    expect(page).to_have_url(re.compile(rf"/steering/meetings/{meeting.pk}/#item-{second.pk}$"))
    expect(page.locator(f"#item-{first.pk} .decision")).to_have_text("Proceed with conditions")
    expect(page.locator(f"#item-{second.pk} .decision")).to_have_text("Realign")
    expect(page.locator("#actions-title").locator("xpath=../..")).to_contain_text(CONDITION)
    decided = dict(
        CheckpointReview.objects.filter(meeting=meeting).values_list("initiative__code", "decision")
    )
    assert decided == {first.initiative.code: "proceed_with_conditions", second.initiative.code: "realign"}
    screenshot(page, "steering-meeting")

    # when they print the board pack and the progress bar finishes
    page.get_by_role("button", name="Print the PDF").click()
    bar = page.locator("#boardpack-progress .progress-bar")
    expect(bar).to_have_class(re.compile(r"\bbg-success\b"), timeout=PRINT_TIMEOUT_MS)
    expect(page.locator("#job-message")).to_contain_text("Board pack ready")
    with page.expect_download() as download:
        page.locator("#job-result").click()
    path = download.value.path()

    # then the PDF opens and holds both initiatives, their decisions and the committee's reasons
    assert download.value.suggested_filename == f"board-pack-{today.isoformat()}-{meeting.pk}.pdf"
    text = pdf_words(str(path))
    assert meeting.title in text
    for item in (first, second):
        assert f"{item.initiative.code} · {item.initiative.title}" in text
    assert f"Decision: Proceed with conditions ({today.isoformat()})" in text
    assert f"Decision: Realign ({today.isoformat()})" in text
    assert CONDITIONAL in text
    assert REALIGNED in text
    assert CONDITION in text
    pdf_page_png(str(path), 1, "steering-pdf-page-1")
    pdf_page_png(str(path), 2, "steering-pdf-page-2")
    page.watch.assert_clean()
