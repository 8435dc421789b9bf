"""The error pages (500, 400) say what happened in the users' words: never the exception's text, a stack
trace or the database's words, whatever the exception carried."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from config import urls as config_urls

SECRET = 'duplicate key value violates unique constraint "x"\nDETAIL:  Key (code)=(ECOM-1) already exists.'
LEAKS = ["duplicate key", "violates", "DETAIL", "ECOM-1", "Traceback", "IntegrityError", "OperationalError"]


def _integrity(request: HttpRequest) -> HttpResponse:
    raise IntegrityError(SECRET)


def _operational(request: HttpRequest) -> HttpResponse:
    raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed: ' + SECRET)


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET)


# Bearing's URLs (the error pages link to them) and three that fail
urlpatterns = [
    path("integrity/", _integrity),
    path("operational/", _operational),
    path("suspicious/", _suspicious),
    *config_urls.urlpatterns,
]


@pytest.fixture
def client_(settings: Any) -> Client:
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/integrity/", "/operational/"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_server_error_shows_the_plain_500_page(client_, url, htmx):
    # when
    response = client_.get(url, headers={"HX-Request": "true"} if htmx else {})

    # then
    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in page
    assert [leak for leak in LEAKS if leak in page] == []


@pytest.mark.urls(__name__)
def test_a_suspicious_request_shows_the_plain_400_page(client_):
    # when
    response = client_.get("/suspicious/")

    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "<h1>That request could not be understood</h1>" in page
    assert [leak for leak in LEAKS if leak in page] == []


def test_a_request_for_another_host_shows_the_plain_400_page(client_):
    # when
    response = client_.get("/initiatives/", headers={"Host": "evil.example"})

    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "<h1>That request could not be understood</h1>" in page
    assert "evil.example" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/admin/portfolio/contribution/", {"strength__exact": "a\x00b"}),
        ("/admin/portfolio/scopechange/", {"status__exact": "a\x00b"}),
        ("/admin/axes/accessattempt/", {"a\x00b": "1"}),
    ],
)
def test_a_nul_character_in_an_admin_query_is_refused_with_the_plain_400_page(
    client_, admin_user, url, query
):
    # given
    client_.force_login(admin_user)

    # when
    response = client_.get(url, query)

    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "<h1>That request could not be understood</h1>" in page
    assert "NUL" not in page
