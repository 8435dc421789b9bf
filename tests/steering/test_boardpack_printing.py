"""Reading and printing a board pack: the live HTML view is open to every role, only steering members, the PMO
and admins print; a print is a job that stores the PDF and offers the download, joined by a second print of the
same meeting, alongside the print of another. The printer is a stub here (test_boardpack prints for real)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core import jobs as core_jobs
from core.models import Job, JobStatus
from steering import boardpack
from steering.boardpack import BOARD_PACK
from steering.models import AgendaItem, BoardPack, SteeringMeeting
from tests.factories import CommitteeFactory, InitiativeFactory
from tests.steering.utils import HTMX

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.4 stub board pack"


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


def print_url(meeting: SteeringMeeting) -> str:
    return reverse("steering:boardpack-generate", args=[meeting.pk])


def pdf_url(meeting: SteeringMeeting) -> str:
    return reverse("steering:boardpack-pdf", args=[meeting.pk])


# ------------------------------------------------------------------------------------------------ HTML view


def test_the_html_pack_needs_a_login(client, small_meeting):
    response = client.get(reverse("steering:boardpack-html", args=[small_meeting.pk]))

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

    response = client.get(reverse("steering:boardpack-html", args=[small_meeting.pk]))

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
        BOARD_PACK,
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
    assert f'href="{pdf_url(small_meeting)}" id="job-result" download' in body
    assert "Board pack ready" in body
    assert stub_printer == [small_meeting.pk]


def test_a_print_without_htmx_goes_back_to_the_meeting(client, small_meeting, stub_printer, steering_member):
    client.force_login(steering_member)

    response = client.post(print_url(small_meeting))

    assert response.status_code == 302
    assert response["Location"] == reverse("steering:meeting-detail", args=[small_meeting.pk])
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
    response = client.get(reverse("core:job-status", args=[job.pk]), **HTMX)

    # then it shows the download link
    assert response.status_code == 200
    assert f'<a href="{pdf_url(small_meeting)}" id="job-result" download>Download the PDF</a>' in (
        response.content.decode()
    )


def test_a_second_print_while_one_runs_joins_it(client, small_meeting, stub_printer, steering_member, pmo):
    # given a print of the meeting running (started by the PMO a moment ago)
    running = Job.objects.create(
        kind=BOARD_PACK,
        target=boardpack.meeting_target(small_meeting.pk),
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
    assert f'hx-get="{reverse("core:job-status", args=[running.pk])}"' in body
    assert "30%" in body


def test_two_meetings_print_at_once(client, small_meeting, stub_printer, steering_member):
    # given a print of another meeting running
    other = SteeringMeeting.objects.create(
        committee=small_meeting.committee, title="Other board", held_on=small_meeting.held_on
    )
    running, created = core_jobs.job_start_or_join(BOARD_PACK, target=boardpack.meeting_target(other.pk))
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
    assert core_jobs.job_start_or_join(BOARD_PACK, target=boardpack.meeting_target(other.pk)) == (
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
    page = client.get(reverse("steering:meeting-detail", args=[small_meeting.pk])).content.decode()

    # then the board pack section links the HTML pack and the PDF, and offers printing to steering members
    assert f'href="{reverse("steering:boardpack-html", args=[small_meeting.pk])}"' in page
    assert f'href="{pdf_url(small_meeting)}" download' in page
    assert ("Print again" in page) is can_print
    assert (f'action="{print_url(small_meeting)}"' in page) is can_print
