"""/healthz: load balancers see whether the database answers; nobody sees what the database said."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

DATABASE_TEXT = 'connection to server at "10.1.2.3", port 5432 failed: FATAL: password authentication failed'


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_hides_the_database_error_and_logs_it(client, monkeypatch, caplog):
    # given: the database refuses the health query
    def refuse(self, sql, params=None):
        raise OperationalError(DATABASE_TEXT)

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    # when
    with caplog.at_level(logging.ERROR, logger="config.views"):
        response = client.get("/healthz")
    # then: a generic answer, unauthenticated callers learn nothing about the database
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert b"10.1.2.3" not in response.content
    assert b"password" not in response.content
    # and the detail is in the log for the operator
    logged = [r for r in caplog.records if r.name == "config.views"]
    assert [r.getMessage() for r in logged] == ["Health check: the database did not answer"]
    assert DATABASE_TEXT in str(logged[0].exc_text)
