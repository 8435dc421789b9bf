"""core.redirects: a form follows `next` only to a path on this site, and links carry it before their #anchor."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.redirects import next_url, with_next


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/worklist/?check=reading&mine=1", "/worklist/?check=reading&mine=1"),
        ("/initiatives/7/", "/initiatives/7/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/path", "/fallback/"),
        ("/\\evil.example", "/fallback/"),
        ("\\\\evil.example", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        ("worklist/", "/fallback/"),
        ("/work\nlist/", "/fallback/"),
        ("/" + "a" * 2000, "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_only_a_local_path_is_followed(candidate, expected):
    # given
    request = RequestFactory().get("/form/", {"next": candidate})

    # when / then
    assert next_url(request, "/fallback/") == expected


def test_the_posted_next_wins_over_the_query_string():
    # given
    request = RequestFactory().post("/form/?next=/from-query/", {"next": "/from-post/"})

    # when / then
    assert next_url(request, "/fallback/") == "/from-post/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/records/milestones/3/edit/", "/records/milestones/3/edit/?next=%2Fworklist%2F%3Fmine%3D1"),
        ("/kpis/new/?objective=4", "/kpis/new/?objective=4&next=%2Fworklist%2F%3Fmine%3D1"),
        ("/kpis/5/#readings", "/kpis/5/?next=%2Fworklist%2F%3Fmine%3D1#readings"),
    ],
)
def test_a_link_carries_next_before_its_anchor(url, expected):
    assert with_next(url, "/worklist/?mine=1") == expected


def test_a_link_never_carries_a_foreign_next():
    assert with_next("/kpis/5/", "https://evil.example/") == "/kpis/5/"
    assert with_next("/kpis/5/", "") == "/kpis/5/"
