"""The board pack of a steering meeting, on the demo portfolio: what it shows (agenda order, the frozen figures of
decided items and today's of the others, charts, decisions), the live HTML view, who may print it, the print job
(one per meeting at a time, joined by a second print), and the printed PDF itself.

Printing runs headless chromium and takes seconds: only the tests named test_pdf_* print for real; the others
replace the printer with a stub."""

from __future__ import annotations

import html
import re
import unicodedata
from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from alignment import boardpack, demo, services
from alignment.models import BoardPack, Job, JobKind, JobStatus
from portfolio.models import (
    AgendaItem,
    CheckpointReview,
    Decision,
    Initiative,
    MeetingStatus,
    SteeringMeeting,
)
from portfolio.services import steering as portfolio_steering
from tests.factories import CommitteeFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FAKE_PDF = b"%PDF-1.4 stub board pack"
CONDITIONAL = "Proceed only with a cut-over plan that avoids the peak trading freeze."
REALIGNED = "Three slips in a row: re-plan with the vendor and show the cost to complete."


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def demo_meeting(db) -> SteeringMeeting:
    """The demo portfolio with six months of history and today's meeting, its agenda proposed from the data."""
    today = timezone.localdate()
    demo.build_demo(as_of=today)
    services.backfill_history(today=today, months=6)
    demo.prepare_meetings()
    return SteeringMeeting.objects.select_related("committee").get(status=MeetingStatus.PLANNED)


def agenda(meeting: SteeringMeeting) -> list[AgendaItem]:
    return list(meeting.agenda.select_related("initiative").order_by("position", "pk"))


def record(
    meeting: SteeringMeeting, item: AgendaItem, decision: str, rationale: str, **extra: Any
) -> CheckpointReview:
    """The committee's decision on an item, recorded by the demo's steering member through the real service."""
    steering = meeting.committee.members.get(username="steering")
    return portfolio_steering.checkpoint_decide(
        user=steering,
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


@pytest.fixture
def small_meeting(db) -> SteeringMeeting:
    """A meeting today with one initiative on its agenda (for the tests that do not need the demo)."""
    meeting = SteeringMeeting.objects.create(
        committee=CommitteeFactory(name="Digital board"), title="Digital board", held_on=timezone.localdate()
    )
    AgendaItem.objects.create(meeting=meeting, initiative=InitiativeFactory(code="SMALL-1"), position=0)
    return meeting


@pytest.fixture
def stub_printer(monkeypatch) -> list[int]:
    """Replace chromium by a stub that returns a fixed PDF; records the meetings it printed."""
    printed: list[int] = []

    def render_pdf(meeting: SteeringMeeting, *, progress: Any = None) -> bytes:
        printed.append(meeting.pk)
        if progress:
            progress(30, "Drawing the charts and printing")
        return FAKE_PDF

    monkeypatch.setattr(boardpack, "render_pdf", render_pdf)
    return printed


def words(text: str) -> str:
    """Text with ligatures undone and whitespace collapsed, to search what a PDF or a page says."""
    return " ".join(unicodedata.normalize("NFKC", html.unescape(text)).split())


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def print_url(meeting: SteeringMeeting) -> str:
    return reverse("alignment:boardpack-generate", args=[meeting.pk])


def pdf_url(meeting: SteeringMeeting) -> str:
    return reverse("alignment:boardpack-pdf", args=[meeting.pk])


# ------------------------------------------------------------------------------------------------ content


def test_the_pack_follows_the_agenda_with_frozen_figures_for_decided_items_and_live_ones_for_the_rest(
    decided,
):
    # given two decisions recorded today, after which the first decided initiative's forecast doubles and the
    # engine recomputes
    meeting = decided["meeting"]
    first = decided["items"][0].initiative
    Initiative.objects.filter(pk=first.pk).update(forecast_cost=first.budget_total * 2)
    services.recompute()

    # when the board pack is put together
    context = boardpack.pack_context(meeting)

    # then the items are in agenda order
    items = agenda(meeting)
    assert [entry["item"].pk for entry in context["items"]] == [item.pk for item in items]
    assert len(items) == 21
    # and the decided items show what the committee saw, not the figures after the recompute
    for entry, review in zip(context["items"][:2], decided["reviews"], strict=True):
        assert entry["review"] == review
        assert entry["snapshot"] == CheckpointReview.objects.get(pk=review.pk).snapshot
    now = portfolio_steering.initiative_snapshots([item.initiative for item in items])
    assert context["items"][0]["snapshot"]["spend"] != now[first.pk]["spend"]
    # and the others show today's figures
    for entry in context["items"][2:]:
        assert entry["review"] is None
        assert entry["snapshot"] == now[entry["initiative"].pk]
    # and every item has its charts: the KPIs it claims to move (where it names any) and its score history
    for entry in context["items"]:
        keys = [chart["key"] for chart in entry["charts"]]
        assert keys in (["kpis", "scores"], ["scores"]), entry["initiative"].code
        assert all(chart["figure"].startswith("{") for chart in entry["charts"])
    assert sum(len(entry["charts"]) == 2 for entry in context["items"]) >= 10
    # and the decisions and the condition's action are summed up
    assert context["decided"] == 2
    assert context["decisions"] == [("Proceed with conditions", 1), ("Realign", 1)]
    assert [(a.initiative_id, a.title) for a in context["actions"]] == [
        (first.pk, "Present the cut-over plan")
    ]


def test_the_pack_lists_the_worst_signals_first(decided):
    # given items whose frozen or live figures carry red and amber signals
    context = boardpack.pack_context(decided["meeting"])

    # then each item lists its red signals before its amber ones
    mixed = 0
    for entry in context["items"]:
        severities = [signal["severity"] for signal in entry["signals"]]
        assert severities == sorted(severities, key=lambda s: boardpack.SEVERITY_RANK[s])
        assert len(severities) == len(entry["snapshot"].get("signals", []))
        mixed += {"red", "amber"} <= set(severities)
    assert mixed >= 1


def test_the_html_pack_shows_each_item_and_each_decision(decided):
    # when the board pack is rendered
    page = words(re.sub(r"<[^>]+>", " ", boardpack.render_html(decided["meeting"])))

    # then it names the meeting, every agenda item with its code and title, and each decision with its rationale
    meeting = decided["meeting"]
    assert f"{meeting.title}" in page
    for number, item in enumerate(agenda(meeting), start=1):
        assert f"{number}. {item.initiative.code} · {item.initiative.title}" in page
    assert f"Decision: Proceed with conditions ({meeting.held_on.isoformat()})" in page
    assert f"Decision: Realign ({meeting.held_on.isoformat()})" in page
    assert CONDITIONAL in page
    assert REALIGNED in page
    assert "Present the cut-over plan" in page
    assert page.count("Not reviewed yet.") == 19
    assert "Decisions: Proceed with conditions 1; Realign 1." in page


# ------------------------------------------------------------------------------------------------ HTML view


def test_the_html_pack_needs_a_login(client, small_meeting):
    response = client.get(reverse("alignment:boardpack-html", args=[small_meeting.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("executive", 200),
        ("pmo", 200),
        ("manager", 200),
        ("steering_member", 200),
        ("admin_user", 200),
        ("outsider", 403),
    ],
    indirect=["persona"],
)
def test_every_role_reads_the_html_pack(client, small_meeting, persona, status):
    client.force_login(persona)

    response = client.get(reverse("alignment:boardpack-html", args=[small_meeting.pk]))

    assert response.status_code == status
    if status == 200:
        assert "SMALL-1" in response.content.decode()
        assert response["Content-Type"].startswith("text/html")


# ------------------------------------------------------------------------------------------------ printing


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("persona", ["executive", "manager", "outsider"], indirect=True)
def test_only_steering_members_pmo_and_admins_print(client, small_meeting, stub_printer, persona, headers):
    client.force_login(persona)

    response = client.post(print_url(small_meeting), **headers)

    assert response.status_code == 403
    assert Job.objects.count() == 0
    assert BoardPack.objects.count() == 0
    assert stub_printer == []


@pytest.mark.parametrize("persona", ["steering_member", "pmo", "admin_user"], indirect=True)
def test_a_print_runs_as_a_job_that_stores_the_pack_and_offers_the_download(
    client, small_meeting, stub_printer, persona
):
    client.force_login(persona)

    # when they print with htmx (the job runs inline in tests)
    response = client.post(print_url(small_meeting), **HTMX)

    # then the job is done with the pack's id, and the answer is its progress bar with the download link
    job = Job.objects.get()
    pack = BoardPack.objects.get()
    assert (job.kind, job.target, job.status, job.progress) == (
        JobKind.BOARD_PACK,
        f"meeting:{small_meeting.pk}",
        JobStatus.DONE,
        100,
    )
    assert job.result == {"board_pack": pack.pk}
    assert job.requested_by == persona
    assert (pack.meeting, pack.created_by, bytes(pack.pdf), pack.size) == (
        small_meeting,
        persona,
        FAKE_PDF,
        len(FAKE_PDF),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="{pdf_url(small_meeting)}" id="boardpack-download" download' in body
    assert "Board pack ready" in body
    assert stub_printer == [small_meeting.pk]


def test_a_print_without_htmx_goes_back_to_the_meeting(client, small_meeting, stub_printer, steering_member):
    client.force_login(steering_member)

    response = client.post(print_url(small_meeting))

    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:meeting-detail", args=[small_meeting.pk])
    assert Job.objects.get().status == JobStatus.DONE


def test_the_pdf_is_not_found_before_any_print(client, small_meeting, steering_member):
    client.force_login(steering_member)

    response = client.get(pdf_url(small_meeting))

    assert response.status_code == 404


def test_the_pdf_download_is_the_newest_print(
    client, small_meeting, stub_printer, executive, steering_member
):
    # given two prints, the second of another content
    client.force_login(steering_member)
    client.post(print_url(small_meeting), **HTMX)
    BoardPack.objects.create(meeting=small_meeting, pdf=b"%PDF-1.4 newer", size=14)

    # when an executive downloads it
    client.force_login(executive)
    response = client.get(pdf_url(small_meeting))

    # then it is the newest, as an attachment named after the meeting's date
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="board-pack-{small_meeting.held_on.isoformat()}-{small_meeting.pk}.pdf"'
    )
    assert response.content == b"%PDF-1.4 newer"


def test_the_polled_progress_of_a_finished_print_offers_the_download(
    client, small_meeting, stub_printer, steering_member
):
    # given a print that has finished
    client.force_login(steering_member)
    client.post(print_url(small_meeting), **HTMX)
    job = Job.objects.get()

    # when the progress bar polls the job's status for this meeting
    response = client.get(
        reverse("alignment:job-status", args=[job.pk]) + f"?download={small_meeting.pk}", **HTMX
    )

    # then it shows the download link
    assert response.status_code == 200
    assert f'href="{pdf_url(small_meeting)}" id="boardpack-download"' in response.content.decode()


def test_a_second_print_while_one_runs_joins_it(client, small_meeting, stub_printer, steering_member, pmo):
    # given a print of the meeting running (started by the PMO a moment ago)
    running = Job.objects.create(
        kind=JobKind.BOARD_PACK,
        target=services.meeting_target(small_meeting.pk),
        status=JobStatus.RUNNING,
        progress=30,
        message="Drawing the charts and printing",
        requested_by=pmo,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    # when a steering member prints it too
    client.force_login(steering_member)
    response = client.post(print_url(small_meeting), **HTMX)

    # then they watch the running job instead of starting another
    assert list(Job.objects.values_list("pk", "status")) == [(running.pk, JobStatus.RUNNING)]
    assert stub_printer == []
    assert BoardPack.objects.count() == 0
    body = response.content.decode()
    assert (
        f'hx-get="{reverse("alignment:job-status", args=[running.pk])}?download={small_meeting.pk}"' in body
    )
    assert "30%" in body


def test_two_meetings_print_at_once(client, small_meeting, stub_printer, steering_member):
    # given a print of another meeting running
    other = SteeringMeeting.objects.create(
        committee=small_meeting.committee, title="Other board", held_on=small_meeting.held_on
    )
    running, created = services.job_start_or_join(
        JobKind.BOARD_PACK, target=services.meeting_target(other.pk)
    )
    assert created

    # when this meeting is printed
    client.force_login(steering_member)
    client.post(print_url(small_meeting), **HTMX)

    # then it gets a job of its own, while the other is still running
    assert stub_printer == [small_meeting.pk]
    assert sorted(Job.objects.values_list("target", "status")) == [
        (f"meeting:{small_meeting.pk}", JobStatus.DONE),
        (f"meeting:{other.pk}", JobStatus.QUEUED),
    ]
    # and a second start for the other meeting joins its job
    assert services.job_start_or_join(JobKind.BOARD_PACK, target=services.meeting_target(other.pk)) == (
        running,
        False,
    )


@pytest.mark.parametrize(
    ("persona", "can_print"), [("steering_member", True), ("executive", False)], indirect=["persona"]
)
def test_the_meeting_page_offers_the_pack_and_printing_to_those_who_may(
    client, small_meeting, persona, can_print
):
    # given a printed pack
    BoardPack.objects.create(meeting=small_meeting, pdf=FAKE_PDF, size=len(FAKE_PDF))
    client.force_login(persona)

    # when they open the meeting
    page = client.get(reverse("portfolio:meeting-detail", args=[small_meeting.pk])).content.decode()

    # then the board pack section links the HTML pack and the PDF, and offers printing to steering members
    assert f'href="{reverse("alignment:boardpack-html", args=[small_meeting.pk])}"' in page
    assert f'href="{pdf_url(small_meeting)}" download' in page
    assert ("Print again" in page) is can_print
    assert (f'action="{print_url(small_meeting)}"' in page) is can_print


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
    job = Job.objects.get(kind=JobKind.BOARD_PACK)
    pack = BoardPack.objects.get(meeting=meeting)
    assert (job.status, job.progress, job.message, job.result) == (
        JobStatus.DONE,
        100,
        "Board pack ready",
        {"board_pack": pack.pk},
    )
    assert 'id="boardpack-download"' in response.content.decode()

    # and at the moment of printing every chart had been replaced by a drawn static SVG image
    charts = sum(len(entry["charts"]) for entry in boardpack.pack_context(meeting)["items"])
    assert print_spy == [{"live": 0, "images": ["data:image/svg+xml"] * charts, "drawn": True}]
    assert charts >= 30

    # when the PDF is downloaded
    download = client.get(pdf_url(meeting))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(download.content))
    text = pdf_text(download.content)

    # then it opens, and says the meeting, every item, the decisions and their rationale
    assert len(reader.pages) >= 21
    # the summary starts on the cover page, not after a page break of its own
    assert "21 initiatives on the agenda; 2 decided." in words(reader.pages[0].extract_text())
    assert meeting.title in text
    assert "21 initiatives on the agenda; 2 decided." in text
    for item in agenda(meeting):
        assert f"{item.initiative.code} · {item.initiative.title}" in text
    first, second = (item.initiative for item in decided["items"])
    assert f"{first.code} {first.title}" in text  # the summary row
    assert f"Decision: Proceed with conditions ({meeting.held_on.isoformat()})" in text
    assert f"Decision: Realign ({meeting.held_on.isoformat()})" in text
    assert CONDITIONAL in text
    assert REALIGNED in text
    assert "Present the cut-over plan" in text
    # and the charts' own words (titles, legends) are printed: they were drawn
    assert text.count("Scores over time (0-100)") == 21
    assert f"KPIs {first.code} claims to move" in text
    # and the footer numbers the pages
    assert re.search(rf"Page 1 of {len(reader.pages)}\b", text)
