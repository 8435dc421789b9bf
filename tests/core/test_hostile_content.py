"""Hostile content stored in every text field of every entered model never runs: every page and htmx fragment
prints it as text, chart labels hold no markup Plotly would draw, every CSV cell is inert, e-mails are plain
text, and the printed board pack shows it as text (and a script in a printed page could not read the server's
files). Chromium's view of the same pages is in tests/browser/test_hostile_content.py."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from core import printing
from steering import boardpack, reminders
from steering import models as sm
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
