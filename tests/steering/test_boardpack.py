"""The board pack of a steering meeting, on the demo portfolio: a one-page summary (decisions needed, top signals
and risks, the portfolio's alignment index and spend mix), then the items to review in agenda order (the frozen
figures of decided items and today's of the others, milestones with their slip, charts with readings up to the
latest one drawn, decisions) and the items for noting in one table; and the PDF headless chromium prints of it
(test_boardpack_printing has the print job and the download)."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from alignment import services
from alignment.models import Severity
from core.models import Job, JobStatus
from demo import northwind as demo
from portfolio.models import Initiative
from steering import boardpack
from steering import services as steering
from steering.boardpack import BOARD_PACK
from steering.models import AgendaItem, BoardPack, CheckpointReview, Decision, MeetingStatus, SteeringMeeting
from tests.steering.utils import HTMX, TODAY

pytestmark = pytest.mark.django_db


CONDITIONAL = "Proceed only with a cut-over plan that avoids the peak trading freeze."
REALIGNED = "Three slips in a row: re-plan with the vendor and show the cost to complete."


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def demo_meeting(db) -> SteeringMeeting:
    """The demo portfolio of 21 November 2026 as seed_demo loads it: past reviews with their figures, six months of
    history, and today's meeting with its agenda proposed from the data (8 to review in 120 minutes, 19 for
    noting, six of them live initiatives due a post-implementation review)."""
    demo.build_demo(as_of=TODAY)
    demo.freeze_review_figures()
    services.backfill_history(today=TODAY, months=6)
    demo.prepare_meetings()
    return SteeringMeeting.objects.select_related("committee").get(status=MeetingStatus.PLANNED)


def agenda(meeting: SteeringMeeting, *, noting: bool = False) -> list[AgendaItem]:
    """The items to review (or those for noting), in the agenda's order."""
    return list(
        meeting.agenda.filter(for_noting=noting).select_related("initiative").order_by("position", "pk")
    )


def record(
    meeting: SteeringMeeting, item: AgendaItem, decision: str, rationale: str, **extra: Any
) -> CheckpointReview:
    """The committee's decision on an item, recorded by the demo's steering member through the real service."""
    member = meeting.committee.members.get(username="steering")
    return steering.review_create(
        user=member,
        item=item,
        rags={"schedule": "amber", "cost": "red", "scope": "green", "benefits": "amber"},
        decision=decision,
        rationale=rationale,
        attendees=list(meeting.committee.members.all()),
        **extra,
    )


@pytest.fixture
def decided(demo_meeting) -> dict[str, Any]:
    """Today's demo meeting with its first item decided "proceed with conditions" and its second "realign"."""
    first, second = agenda(demo_meeting)[:2]
    conditional = record(
        demo_meeting,
        first,
        Decision.PROCEED_WITH_CONDITIONS,
        CONDITIONAL,
        conditions=[{"title": "Present the cut-over plan"}],
    )
    realigned = record(demo_meeting, second, Decision.REALIGN, REALIGNED)
    return {"meeting": demo_meeting, "reviews": [conditional, realigned], "items": [first, second]}


def words(text: str) -> str:
    """Text with ligatures undone and whitespace collapsed, to search what a PDF or a page says."""
    return " ".join(unicodedata.normalize("NFKC", html.unescape(text)).split())


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def print_url(meeting: SteeringMeeting) -> str:
    return reverse("steering:boardpack-generate", args=[meeting.pk])


def pdf_url(meeting: SteeringMeeting) -> str:
    return reverse("steering:boardpack-pdf", args=[meeting.pk])


# ------------------------------------------------------------------------------------------------ content


def test_the_pack_follows_the_agenda_with_frozen_figures_for_decided_items_and_live_ones_for_the_rest(
    decided,
):
    # given two decisions recorded today, after which the first decided initiative's forecast doubles and the
    # engine recomputes
    meeting = decided["meeting"]
    first = decided["items"][0].initiative
    Initiative.objects.filter(pk=first.pk).update(forecast_cost=first.budget_total * 2)
    services.recompute(today=TODAY)

    # when the board pack is put together
    context = boardpack.pack_context(meeting)

    # then the items to review are in agenda order, and those for noting listed apart
    items = agenda(meeting)
    assert [entry["item"].pk for entry in context["items"]] == [item.pk for item in items]
    assert [entry["item"].pk for entry in context["noting"]] == [
        item.pk for item in agenda(meeting, noting=True)
    ]
    assert (len(context["items"]), len(context["noting"]), context["booked"]) == (8, 19, 120)
    # and the decided items show what the committee saw, not the figures after the recompute
    for entry, review in zip(context["items"][:2], decided["reviews"], strict=True):
        assert entry["review"] == review
        assert entry["figures"] == CheckpointReview.objects.get(pk=review.pk).figures
    now = steering.initiative_figures([item.initiative for item in items])
    assert context["items"][0]["figures"]["spend"] != now[first.pk]["spend"]
    # and the others show today's figures
    for entry in context["items"][2:]:
        assert entry["review"] is None
        assert entry["figures"] == now[entry["initiative"].pk]
    # and every item has its charts: the KPIs it should move (where it names any) and its score history
    keys = {
        entry["initiative"].code: [chart["key"] for chart in entry["charts"]] for entry in context["items"]
    }
    assert keys == {
        "ECOM-05": ["kpis", "scores"],
        "ECOM-01": ["kpis", "scores"],
        "STORE-07": ["kpis", "scores"],
        "DATA-01": ["kpis", "scores"],
        "FIN-01": ["scores"],
        "ECOM-02": ["kpis", "scores"],
        "HR-01": ["scores"],
        "INFRA-01": ["kpis", "scores"],
    }
    assert all(chart["figure"].startswith("{") for entry in context["items"] for chart in entry["charts"])
    # and the decisions and the condition's action are summed up
    assert context["decided"] == 2
    assert context["decisions"] == [("Proceed with conditions", 1), ("Realign", 1)]
    assert [(a.initiative_id, a.title) for a in context["actions"]] == [
        (first.pk, "Present the cut-over plan")
    ]


def test_the_summary_holds_the_top_signals_and_risks_and_two_portfolio_charts(decided):
    # when
    context = boardpack.pack_context(decided["meeting"])

    # then the worst signals of the undecided initiatives come first, with their initiatives' codes
    signals = context["top_signals"]
    assert len(signals) == boardpack.SUMMARY_SIGNALS
    assert [signal["severity"] for signal in signals] == sorted(
        (signal["severity"] for signal in signals), key=Severity.rank
    )
    assert [(signal["code"], signal["rule"]) for signal in signals] == [
        ("STORE-07", "checkpoint_overdue"),
        ("STORE-07", "kpi_off_track"),
        ("DATA-01", "checkpoint_overdue"),
        ("FIN-01", "cost_overrun"),
        ("FIN-01", "high_risk_no_mitigation"),
        ("ECOM-02", "checkpoint_overdue"),
    ]
    # and the largest open risks of the agenda's initiatives, by probability x impact
    assert [(risk.initiative.code, risk.probability * risk.impact) for risk in context["top_risks"]] == [
        ("CRM-04", 16),
        ("ECOM-05", 16),
        ("FIN-01", 16),
        ("ECOM-05", 15),
        ("INFRA-01", 15),
    ]
    # and the alignment index over time and the spend mix against its target
    assert [chart["key"] for chart in context["portfolio_charts"]] == ["history", "mix"]


def test_each_item_lists_its_signals_worst_first(decided):
    # given items whose frozen or live figures carry red and amber signals
    context = boardpack.pack_context(decided["meeting"])

    # then each item lists its red signals before its amber ones
    mixed = []
    for entry in context["items"]:
        severities = [signal["severity"] for signal in entry["signals"]]
        assert severities == sorted(severities, key=Severity.rank)
        assert len(severities) == len(entry["figures"].get("signals", []))
        if {"red", "amber"} <= set(severities):
            mixed.append(entry["initiative"].code)
    assert mixed == ["ECOM-05", "ECOM-01", "STORE-07", "DATA-01", "FIN-01", "INFRA-01"]


def test_the_kpi_charts_say_the_date_of_the_latest_reading_not_the_packs(decided):
    # when
    context = boardpack.pack_context(decided["meeting"])

    # then the demo's readings end at the last quarter end, and the titles say so (or that there are none)
    titles = {
        entry["initiative"].code: json.loads(chart["figure"])["layout"]["title"]["text"]
        for entry in context["items"]
        for chart in entry["charts"]
        if chart["key"] == "kpis"
    }
    assert titles == {
        "ECOM-05": "KPIs ECOM-05 should move (readings up to 2026-09-30)",
        "ECOM-01": "KPIs ECOM-01 should move (readings up to 2026-09-30)",
        "STORE-07": "KPIs STORE-07 should move (readings up to 2026-09-30)",
        "DATA-01": "KPIs DATA-01 should move (no reading yet)",
        "ECOM-02": "KPIs ECOM-02 should move (readings up to 2026-09-30)",
        "INFRA-01": "KPIs INFRA-01 should move (readings up to 2026-09-30)",
    }


def test_the_html_pack_shows_the_summary_each_item_with_its_milestones_and_decisions_and_the_list_for_noting(
    decided,
):
    # when the board pack is rendered
    page = words(re.sub(r"<[^>]+>", " ", boardpack.render_html(decided["meeting"])))

    # then it names the meeting and sums up the agenda
    meeting = decided["meeting"]
    assert meeting.title in page
    assert (
        "8 initiatives to review in 120 of 120 minutes; 2 decided; 19 for noting, listed at the end." in page
    )
    assert "Top signals" in page
    assert "Top risks" in page
    assert "Portfolio indices as of 2026-11-21." in page
    # and every item to review with its code, title and time box, each decision with its rationale
    for number, item in enumerate(agenda(meeting), start=1):
        assert f"{number}. {item.initiative.code} · {item.initiative.title} ({item.minutes} minutes)" in page
    assert f"Decision: Proceed with conditions ({meeting.held_on.isoformat()})" in page
    assert f"Decision: Realign ({meeting.held_on.isoformat()})" in page
    assert CONDITIONAL in page
    assert REALIGNED in page
    assert "Present the cut-over plan" in page
    assert page.count("Not reviewed yet.") == 6
    assert "Decisions: Proceed with conditions 1; Realign 1." in page
    # and the milestone tables keep the slip
    assert page.count("Milestone Baseline Forecast Actual Slip (days) State") == 8
    # and the items for noting in one table, not a section each
    assert "For noting (19)" in page
    for item in agenda(meeting, noting=True):
        assert f"{item.initiative.code} {item.initiative.title}" in page
        assert f". {item.initiative.code} · {item.initiative.title}" not in page


# ------------------------------------------------------------------------------------------------ the real PDF


@pytest.fixture
def print_spy(monkeypatch, chromium) -> list[dict[str, Any]]:
    """What the page held at the moment chromium printed it: live charts left, and the images that replaced
    them (the printing thread calls Page.pdf, so the spy sits on the class)."""
    from playwright.sync_api import Page

    seen: list[dict[str, Any]] = []
    original = Page.pdf

    def pdf(self: Page, **kwargs: Any) -> bytes:
        seen.append(
            self.evaluate(
                """() => ({
                    live: document.querySelectorAll('[data-chart]').length,
                    images: [...document.querySelectorAll('img.chart-image')].map(i => i.src.slice(0, 18)),
                    drawn: [...document.querySelectorAll('img.chart-image')].every(i => i.naturalWidth > 0),
                })"""
            )
        )
        return original(self, **kwargs)

    monkeypatch.setattr(Page, "pdf", pdf)
    return seen


def test_pdf_printed_by_a_steering_member_holds_the_meeting_its_items_decisions_and_charts_as_images(
    client, decided, print_spy
):
    meeting = decided["meeting"]
    steering = meeting.committee.members.get(username="steering")
    client.force_login(steering)
    assert client.get(pdf_url(meeting)).status_code == 404

    # when the steering member prints the board pack (the job runs inline in tests)
    response = client.post(print_url(meeting), **HTMX)

    # then the job is done with the stored pack, and the progress bar offers the download
    job = Job.objects.get(kind=BOARD_PACK)
    pack = BoardPack.objects.get(meeting=meeting)
    assert (job.status, job.progress, job.message, job.result) == (
        JobStatus.DONE,
        100,
        "Board pack ready",
        {"board_pack": pack.pk},
    )
    assert 'id="job-result"' in response.content.decode()

    # and at the moment of printing every chart had been replaced by a drawn static SVG image
    context = boardpack.pack_context(meeting)
    charts = len(context["portfolio_charts"]) + sum(len(entry["charts"]) for entry in context["items"])
    assert charts == 16
    assert print_spy == [{"live": 0, "images": ["data:image/svg+xml"] * charts, "drawn": True}]

    # when the PDF is downloaded
    download = client.get(pdf_url(meeting))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(download.content))
    pages = [words(page.extract_text()) for page in reader.pages]
    text = " ".join(pages)

    # then the first page is the whole summary, with its two charts drawn, and nothing else
    summary = pages[0]
    assert meeting.title in summary
    assert (
        "8 initiatives to review in 120 of 120 minutes; 2 decided; 19 for noting, listed at the end."
        in summary
    )
    assert "Alignment index (0-100)" in summary
    assert "Spend mix against target (% of funded budget)" in summary
    assert "Top signals" in summary
    assert "Top risks" in summary
    assert "Decisions and actions" not in summary
    assert pages[1].startswith("Decisions and actions")
    # and each item to review starts a page, the items for noting share one at the end
    for number, item in enumerate(agenda(meeting), start=1):
        assert f"{number}. {item.initiative.code} · {item.initiative.title}" in text
    # then the benefits realised start a page (two here), and the list for noting the last one
    assert pages[16].startswith("Benefits realised")
    assert pages[-1].startswith("For noting (19)")
    first, second = (item.initiative for item in decided["items"])
    assert f"Decision: Proceed with conditions ({meeting.held_on.isoformat()})" in text
    assert f"Decision: Realign ({meeting.held_on.isoformat()})" in text
    assert CONDITIONAL in text
    assert REALIGNED in text
    assert "Present the cut-over plan" in text
    # and the charts' own words (titles, legends) are printed: they were drawn
    assert text.count("Scores over time (0-100)") == 8
    assert f"KPIs {first.code} should move (readings up to 2026-09-30)" in text
    # and the pack is the summary, the decisions, each item to review from a page of its own (two pages with
    # its charts, one for FIN-01 and HR-01 that name no KPI), the benefits and the list for noting: 19 pages,
    # numbered
    starts = [
        next(n for n, page in enumerate(pages) if page.startswith(f"{number}. {item.initiative.code} · "))
        for number, item in enumerate(agenda(meeting), start=1)
    ]
    assert starts == [2, 4, 6, 8, 10, 11, 13, 14]
    assert len(reader.pages) == 19
    assert re.search(rf"Page 1 of {len(reader.pages)}\b", text)


def test_the_pack_reads_the_same_queries_whatever_its_agenda(decided):
    # given: the demo meeting's pack with its eight items to review (two decided), and then with three (the
    # two decided and one to decide): what differs is how many items, not what kind of items
    meeting = decided["meeting"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            boardpack.pack_context(SteeringMeeting.objects.select_related("committee").get(pk=meeting.pk))
        return len(captured)

    full = queries()
    for item in agenda(meeting)[3:]:
        item.delete()

    # when
    trimmed = queries()

    # then
    assert len(agenda(meeting)) == 3
    assert full == trimmed
