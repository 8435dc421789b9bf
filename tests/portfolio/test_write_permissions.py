"""Who may write what, through the web: every write endpoint of the portfolio and steering against every role."""

from __future__ import annotations

from typing import cast

import pytest
from django.urls import URLPattern, get_resolver

from core.extensions import registry
from tests.portfolio.permission_matrix import (  # noqa: F401  # fixtures
    ENDPOINTS,
    EVERYONE,
    KIND_FORMS,
    login_redirect,
    matrix_actor,
    matrix_world,
)
from tests.portfolio.utils import db_rows

pytestmark = pytest.mark.django_db


def test_the_matrix_covers_every_write_url_of_the_portfolio_and_steering():
    # given: the URL names that write (everything but the read pages and the board pack, which has its own tests)
    namespaces = get_resolver().namespace_dict
    patterns = [*namespaces["portfolio"][1].url_patterns, *namespaces["steering"][1].url_patterns]
    read_pages = {
        "initiative-list",
        "initiative-detail",
        "objective-list",
        "objective-detail",
        "kpi-detail",
        "program-list",
        "milestone-list",
        "worklist",
        "contribution-kpi-options",
        "meeting-list",
        "meeting-detail",
        "review-detail",
        "decision-log",
        "portfolio-decision-log",
        "action-list",
        "boardpack-html",
        "boardpack-generate",
        "boardpack-pdf",
    }
    names = {cast(URLPattern, pattern).name for pattern in patterns}
    # the downloads of the lists only read (tests/core/test_export_permissions.py checks them for every
    # role); the import pages have their own tests for every persona (test_import_pages.py)
    exports = {name for name in names if name and name.endswith("-export")}
    assert exports == {
        "initiative-export",
        "objective-export",
        "kpi-export",
        "reading-export",
        "milestone-export",
        "decision-log-export",
        "portfolio-decision-export",
        "action-export",
        "benefit-plan-export",
        "benefit-summary-export",
    }
    imports = {name for name in names if name and name.startswith("import-")}
    writes = names - read_pages - exports - imports

    # then: the matrix has an endpoint for each, and one per record kind for the record URLs
    covered = {
        "initiative-create",
        "initiative-edit",
        "initiative-sustainment-owner",
        "business-case-edit",
        "benefit-plan-edit",
        "financial-policy",
        "objective-create",
        "objective-edit",
        "kpi-create",
        "kpi-edit",
        "reading-create",
        "reading-delete",
        "interim-target-create",
        "interim-target-delete",
        "program-create",
        "program-edit",
        "record-create",
        "record-edit",
        "record-delete",
        "meeting-create",
        "meeting-edit",
        "meeting-attendance",
        "agenda-propose",
        "agenda-add",
        "agenda-move",
        "agenda-remove",
        "agenda-plan",
        "review-create",
        "review-scope-change",
        "action-edit",
        "action-status",
    }
    assert writes == covered
    assert set(registry.child_kinds) == set(KIND_FORMS)
    assert len(ENDPOINTS) == 16 + 3 * len(KIND_FORMS) + 12


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.has_form], ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_get_of_a_write_form(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)

    # when
    response = client.get(url)

    # then
    if role == "anonymous":
        assert login_redirect(response, url)
    elif endpoint.open_to_read and role != "outsider":
        assert response.status_code == 200
        assert (f'id="{endpoint.form_id}"' in response.content.decode()) is (role in endpoint.allowed)
    elif role in endpoint.allowed:
        assert response.status_code == 200
        assert '<input type="hidden" name="csrfmiddlewaretoken"' in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_post_of_valid_data_to_a_write_endpoint(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)
    data = endpoint.post(world)
    allowed = role in endpoint.allowed
    before = None if allowed else db_rows()

    # when
    response = client.post(url, data)

    # then
    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert endpoint.done(world)
    else:
        if role == "anonymous":
            assert login_redirect(response, url)
        else:
            assert response.status_code == 403
        assert db_rows() == before
        assert not endpoint.done(world)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.has_form], ids=str)
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_post_only_endpoints_refuse_get(endpoint, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    url = endpoint.url(world)

    # when
    response = client.get(url)

    # then
    if role == "anonymous":
        assert login_redirect(response, url)
    elif role == "outsider":
        assert response.status_code == 403
    else:
        assert response.status_code == 405
