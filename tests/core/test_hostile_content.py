"""Hostile content stored in every text field of every entered model never runs: every page and htmx fragment
prints it as text, chart labels hold no markup Plotly would draw, every CSV cell is inert, e-mails are plain
text, and the printed board pack shows it as text (and a script in a printed page could not read the server's
files). Chromium's view of the same pages is in tests/browser/test_hostile_content.py."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from core import printing
from steering import boardpack, reminders
from steering import models as sm
from surveys import models as survey_models
from surveys import services as surveys
from surveys import views as survey_views
from tests.core import hostile as h
from tests.export_support import XLSX

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PAYLOAD_STARTS = (*h.FORMULA_TRIGGERS, "<svg", "javascript:")


@pytest.fixture
def portfolio(db, time_machine) -> h.Hostile:
    time_machine.move_to(h.NOW, tick=False)
    return h.build()


@pytest.fixture
def admin_client(client: Client, portfolio: h.Hostile) -> Client:
    client.force_login(portfolio.users["admin"])
    return client


def test_every_entered_model_with_text_has_records_under_attack(portfolio):
    # then every model of the entered apps with a text field has rows, each field holding a payload
    for model in h.entered_models():
        fields = h.text_fields(model)
        if not fields:
            continue
        rows = list(model._default_manager.values_list(*[f.attname for f in fields]))
        assert rows, f"add a {model.__name__} to the hostile portfolio"
        assert model._meta.label in portfolio.attacked
        for n, f in enumerate(fields):
            # rows written after the attack (the proposed agenda, the decision) may leave a field blank
            attacked = [row[n] for row in rows if row[n].startswith(PAYLOAD_STARTS)]
            assert attacked, f"{model.__name__}.{f.name} holds no payload"


def test_no_page_or_fragment_prints_a_payload_as_markup_and_every_download_is_inert(portfolio, admin_client):
    # given every page, fragment, chart and download, as the admin (who sees every button and form)
    paths = h.urls()

    # when
    visits = h.visit_all(admin_client, paths) + h.visit_all(admin_client, paths, **HTMX)

    # then nothing failed, no HTML prints a payload as markup, no CSV cell is live
    assert [v.url for v in visits if v.status >= 500] == []
    problems: list[str] = []
    quoted = quoted_in_workbooks = 0
    for v in visits:
        if v.content_type.startswith("text/html"):
            problems += h.html_problems(v.url, v.body.decode())
        elif v.content_type.startswith("text/csv"):
            found, count = h.csv_problems(v.url, v.body)
            problems += found
            quoted += count
        elif v.content_type.startswith(XLSX):
            found, count = h.xlsx_problems(v.url, v.body)
            problems += found
            quoted_in_workbooks += count
    assert problems == []
    # and the payloads were there to be shown: every attacked field's text appears on some page
    assert quoted > 0
    assert quoted_in_workbooks > 0
    assert set(portfolio.markers) - h.shown(visits, portfolio) == set()


def test_fragments_answering_posts_print_payloads_as_text(portfolio, admin_client, monkeypatch):
    # given the routes that only answer a post (their fragments), posted by htmx with nothing filled in
    monkeypatch.setattr(boardpack, "render_pdf", lambda meeting, progress=None: b"%PDF-1.4 stub")
    paths = [v.url for v in h.visit_all(admin_client, h.app_urls()) if v.status == 405]
    assert paths

    # when
    responses = [(path, admin_client.post(path, {}, **HTMX)) for path in paths]

    # then
    assert [(path, r.status_code) for path, r in responses if r.status_code >= 500] == []
    problems = [p for path, r in responses for p in h.html_problems(path, r.content.decode())]
    assert problems == []


def test_the_survey_pages_print_payloads_as_text_and_their_downloads_are_inert(portfolio, admin_client):
    # given the closed round (hostile title, questions, names and answers, analysed after the attack)
    closed = survey_models.SurveyRound.objects.get(status="closed")
    program = closed.program_id
    pages = [
        reverse("surveys:round-list"),
        reverse("surveys:round-detail", args=[closed.pk]),
        reverse("surveys:workshop", args=[closed.pk]),
        reverse("surveys:pack", args=[closed.pk]),
        f"{reverse('alignment:dashboard')}?program={program}",
        *[
            f"{reverse('surveys:workshop', args=[closed.pk])}?question={pk}"
            for pk in closed.questions.values_list("pk", flat=True)
        ],
    ]
    downloads = [
        reverse(name, args=[closed.pk])
        for name in ("surveys:terms-csv", "surveys:leaders-csv", "surveys:trend-csv")
    ]

    # when
    visits = h.visit_all(admin_client, pages) + h.visit_all(admin_client, pages, **HTMX)
    files = h.visit_all(admin_client, downloads)

    # then every page answered, printed no payload as markup, and showed the hostile text as text
    assert [(v.url, v.status) for v in visits if v.status != 200] == []
    assert [p for v in visits for p in h.html_problems(v.url, v.body.decode())] == []
    html = "\n".join(v.body.decode() for v in visits)
    for field in [
        ("surveys.SurveyRound", "title"),
        ("surveys.Question", "text"),
        ("surveys.Respondent", "name"),
    ]:
        assert any(marker in html for marker in portfolio.markers[field]), field
    # the dashboard's survey panel holds the round's title, escaped, in its text and its chart
    dashboard = next(v for v in visits if v.url.startswith(reverse("alignment:dashboard")))
    assert 'id="leadership-agreement"' in dashboard.body.decode()
    # and the leaders' names and the rounds' titles are inert in the downloads
    assert [v.status for v in files] == [200, 200, 200]
    checked = [h.csv_problems(v.url, v.body) for v in files]
    assert [p for found, _quoted in checked for p in found] == []
    assert [quoted > 0 for _found, quoted in checked] == [False, True, True]  # terms are letters only


def test_the_answer_page_of_a_personal_link_prints_payloads_as_text(
    portfolio, client, django_capture_on_commit_callbacks
):
    # given a fresh link for the open round's leaders (a reminder, e-mailed once it commits): one of them has
    # a valid address again, the other's is still the attack's (never a header: skipped)
    opened = survey_models.SurveyRound.objects.get(status="open")
    otto = opened.respondents.order_by("-pk")[0]
    survey_models.Respondent.objects.filter(pk=otto.pk).update(email="otto@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        sent = surveys.round_remind(user=portfolio.users["pmo"], round_id=opened.pk)
    assert sent == 1
    assert mail.outbox[-1].to == ["otto@example.org"]
    found = re.search(r"/survey/answer/([A-Za-z0-9_-]+)/", str(mail.outbox[-1].body))
    assert found is not None
    token = found.group(1)

    # when the leader opens it (no account), and sends it empty
    url = reverse("surveys:respond", args=[token])
    shown, refused = client.get(url), client.post(url, {})

    # then the hostile questions and scale items are text, and so is the refusal
    assert (shown.status_code, refused.status_code) == (200, 422)
    for response in (shown, refused):
        assert h.html_problems(url, response.content.decode()) == []
        content = response.content.decode()
        for field in [("surveys.Question", "text"), ("surveys.ScaleItem", "label")]:
            assert any(marker in content for marker in portfolio.markers[field]), field
    # and the invitation is plain text, the hostile title in no header
    assert mail.outbox[-1].content_subtype == "plain"
    assert "\n" not in mail.outbox[-1].subject


def test_the_printed_workshop_pack_shows_payloads_as_text(portfolio, chromium):
    closed = survey_models.SurveyRound.objects.get(status="closed")

    pdf = survey_views.render_pack_pdf(closed)

    text = "".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())
    assert "".join(closed.title.split()) in text


def test_reminder_emails_are_plain_text(portfolio):
    # when
    sent = reminders.send_reminders(today=h.TODAY)

    # then the e-mails carry the payloads as plain text, in no HTML part, and never in a header
    assert sum(sent.values()) == len(mail.outbox) > 0
    for message in mail.outbox:
        assert message.content_subtype == "plain"
        assert getattr(message, "alternatives", []) == []
        assert "__xss" not in message.subject
        assert "__xss" in message.body


def test_the_printed_board_pack_shows_payloads_as_text(portfolio, chromium):
    # given today's meeting, its decision recorded with payloads
    meeting = sm.SteeringMeeting.objects.get(held_on=h.TODAY)
    review = sm.CheckpointReview.objects.get(meeting=meeting)

    # when
    pdf = boardpack.render_pdf(meeting)

    # then the text a reader sees holds the payload's markup as characters
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "".join(review.rationale.split()) in "".join(text.split())


READ_A_FILE = """
var out = document.getElementById('out');
var request = new XMLHttpRequest();
try {{
  request.open('GET', '{url}', false);
  request.send();
  out.textContent = 'read ' + request.responseText;
}} catch (error) {{
  out.textContent = 'refused ' + error.name;
}}
"""
PAGE = '<!doctype html><html><body><p id="out">not run</p>{script}</body></html>'


def test_a_script_in_a_printed_page_cannot_read_the_servers_files(chromium, tmp_path):
    # given a file on the server, and a script that tries to read it, served with the pack's own files
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret 42", encoding="utf-8")
    probe = tmp_path / "probe.js"
    probe.write_text(READ_A_FILE.format(url=secret.as_uri()), encoding="utf-8")
    served = {f"{printing.PRINT_ORIGIN}/static/probe.js": probe}

    # when the board pack printer prints a page that loads it
    pdf = printing.print_html(
        PAGE.format(script=f'<script src="{printing.PRINT_ORIGIN}/static/probe.js"></script>'),
        "footer",
        served,
    )

    # then the script ran and was refused
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert text.splitlines()[0] == "refused NetworkError"
    assert "server secret" not in text


def test_an_inline_script_in_a_printed_page_does_not_run(chromium, tmp_path):
    # given a page whose injected inline script would write into it
    page = PAGE.format(script="<script>document.getElementById('out').textContent = 'ran';</script>")

    # when it is printed, then the print policy kept the script from running
    pdf = printing.print_html(page, "footer", {})
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert text.splitlines()[0] == "not run"
