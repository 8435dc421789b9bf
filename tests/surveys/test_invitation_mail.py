"""Invitations survive bad stored data: a leader whose stored address is not valid (a row from before validation,
an import) is skipped and the others still get their link; a title with line breaks is sent on one line; a mail
server failing after the commit never fails the saved change."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail

from surveys import services
from surveys.models import Respondent, RoundStatus
from tests.surveys.conftest import ask, draft_round

pytestmark = pytest.mark.django_db


def test_a_leader_with_an_invalid_stored_address_is_skipped_and_the_others_invited(
    pmo, program, django_capture_on_commit_callbacks
):
    survey = draft_round(pmo, program, title="Round\r\nBcc: everyone@example.org")
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    Respondent.objects.filter(pk=bea.pk).update(email="bea@example.org\r\nBcc: x@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        invited = services.round_open(user=pmo, round_id=survey.pk)

    assert invited == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["ivan@example.org"], "Leadership alignment survey: Round Bcc: everyone@example.org")
    ]
    bea.refresh_from_db()
    ivan.refresh_from_db()
    assert (bea.invited_at, bea.token_hash) == (None, "")
    assert ivan.invited_at is not None


def test_a_mail_server_down_after_the_commit_leaves_the_round_open(
    pmo, program, django_capture_on_commit_callbacks
):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])

    with (
        mock.patch("surveys.services.get_connection", side_effect=OSError("connection refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invited = services.round_open(user=pmo, round_id=survey.pk)

    survey.refresh_from_db()
    assert (invited, survey.status, mail.outbox) == (2, RoundStatus.OPEN, [])
