"""Bad requests to the portfolio pages: unknown ids, malformed ids and kinds get 404, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.portfolio.utils import db_rows, field_error, initiative_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/initiatives/99999999999999999999/",
        "/initiatives/99999999999999999999/edit/",
        "/initiatives/99999999999999999999/milestones/new/",
        "/records/milestones/99999999999999999999/edit/",
        "/records/risks/99999999999999999999/delete/",
        "/objectives/99999999999999999999/",
        "/kpis/99999999999999999999/",
        "/programs/99999999999999999999/edit/",
        "/initiatives/999999999999999999/",
        "/initiatives/0/",
        "/records/horoscopes/1/edit/",
    ],
)
def test_oversized_unknown_or_malformed_ids_give_404(logged_in, url):
    # when
    response = logged_in.get(url)

    # then
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_posting_to_an_oversized_id_gives_404(logged_in):
    # when
    response = logged_in.post("/kpis/99999999999999999999/readings/", {"date": "2026-01-01", "value": "1"})

    # then
    assert response.status_code == 404


def test_a_3_mb_post_body_is_refused_with_400_and_saves_nothing(logged_in):
    # given
    before = db_rows()

    # when
    response = logged_in.post(
        reverse("portfolio:initiative-create"), initiative_post(description="x" * 3_000_000)
    )

    # then
    assert response.status_code == 400
    assert "That request could not be understood" in response.content.decode()
    assert db_rows() == before


def test_a_nul_byte_in_a_record_text_field_is_a_form_error(logged_in, initiative):
    # when
    response = logged_in.post(
        reverse("portfolio:record-create", args=[initiative.pk, "risks"]),
        {"title": "Out\x00age", "category": "technical", "probability": "2", "impact": "2", "status": "open"},
    )

    # then
    assert response.status_code == 422
    assert field_error(response.content.decode(), "id_title") == ["Null characters are not allowed."]
    assert initiative.risks.count() == 0
