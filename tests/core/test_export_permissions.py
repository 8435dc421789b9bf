"""Who may download a list: everyone who may see its page (every role), in both formats; nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PERSONAS
from tests.export_support import XLSX, body

EXPORTS = [
    "portfolio:initiative-export",
    "portfolio:objective-export",
    "portfolio:kpi-export",
    "portfolio:reading-export",
    "portfolio:milestone-export",
    "portfolio:benefit-plan-export",
    "portfolio:benefit-summary-export",
    "risk:risk-export",
    "alignment:signal-export",
    "steering:decision-log-export",
    "steering:portfolio-decision-export",
    "steering:action-export",
]
PAGES = {
    "portfolio:initiative-export": "portfolio:initiative-list",
    "portfolio:objective-export": "portfolio:objective-list",
    "portfolio:kpi-export": "portfolio:objective-list",
    "portfolio:reading-export": "portfolio:objective-list",
    "portfolio:milestone-export": "portfolio:milestone-list",
    "portfolio:benefit-plan-export": "alignment:benefits",
    "portfolio:benefit-summary-export": "alignment:benefits",
    "risk:risk-export": "risk:risk-list",
    "alignment:signal-export": "alignment:signal-list",
    "steering:decision-log-export": "steering:decision-log",
    "steering:portfolio-decision-export": "steering:portfolio-decision-log",
    "steering:action-export": "steering:action-list",
}
TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_list_downloads_for_whoever_may_see_its_page(persona, name, fmt, client):
    # given
    client.force_login(persona)
    page = client.get(reverse(PAGES[name]))

    # when
    response = client.get(reverse(name, args=[fmt]))

    # then the download answers as the page does
    assert response.status_code == page.status_code
    if page.status_code == 200:
        assert response["Content-Type"] == TYPES[fmt]
        assert response["Content-Disposition"].startswith('attachment; filename="bearing-')
        assert len(body(response)) > 0
    else:
        assert persona.username == "outsider"
        assert response.status_code == 403
        assert not response.has_header("Content-Disposition")


@pytest.mark.parametrize("name", EXPORTS)
def test_an_anonymous_visitor_is_sent_to_log_in(name, client, db):
    # when
    response = client.get(reverse(name, args=["csv"]))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_download_answers_only_get(name, method, client, executive):
    # given
    client.force_login(executive)

    # when
    response = getattr(client, method)(reverse(name, args=["csv"]))

    # then
    assert response.status_code == 405
