"""Who may read what, through the web: every read page against every role, and what a manager may not edit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.forms import InitiativeForm
from portfolio.models import Initiative
from tests.portfolio.permission_matrix import (  # noqa: F401  # fixtures
    ENDPOINTS,
    EVERYONE,
    KIND_FORMS,
    login_redirect,
    matrix_actor,
    matrix_world,
)
from tests.portfolio.utils import db_rows, form_data

pytestmark = pytest.mark.django_db


READ_PAGES = [
    ("initiative register", lambda w: reverse("portfolio:initiative-list")),
    ("initiative page", lambda w: reverse("portfolio:initiative-detail", args=[w.initiative.pk])),
    ("objective tree", lambda w: reverse("portfolio:objective-list")),
    ("objective page", lambda w: reverse("portfolio:objective-detail", args=[w.objective.pk])),
    ("KPI page", lambda w: reverse("portfolio:kpi-detail", args=[w.kpi.pk])),
    ("programs", lambda w: reverse("portfolio:program-list")),
    ("milestones", lambda w: reverse("portfolio:milestone-list")),
    ("data-quality worklist", lambda w: reverse("portfolio:worklist")),
    ("risk register", lambda w: reverse("risk:risk-list")),
    ("dashboard", lambda w: reverse("alignment:dashboard")),
    ("signals", lambda w: reverse("alignment:signal-list")),
    ("why this score", lambda w: reverse("alignment:initiative-why", args=[w.initiative.pk])),
    ("recompute page", lambda w: reverse("alignment:recompute")),
    ("steering meetings", lambda w: reverse("steering:meeting-list")),
    ("meeting page", lambda w: reverse("steering:meeting-detail", args=[w.meeting.pk])),
    ("review page", lambda w: reverse("steering:review-create", args=[w.agenda["first"].pk])),
    ("decided review", lambda w: reverse("steering:review-detail", args=[w.review.pk])),
    ("decision log", lambda w: reverse("steering:decision-log")),
    ("actions", lambda w: reverse("steering:action-list")),
]


@pytest.mark.parametrize(("page", "url"), READ_PAGES, ids=[name for name, _ in READ_PAGES])
@pytest.mark.parametrize("actor", EVERYONE, indirect=True)
def test_every_read_page_is_open_to_every_role_and_closed_to_others(page, url, actor, request, client, world):
    # given
    role = request.node.callspec.params["actor"]
    address = url(world)

    # when
    response = client.get(address)

    # then
    if role == "anonymous":
        assert login_redirect(response, address)
    elif role == "outsider":
        assert response.status_code == 403
        assert "Your account has no Bearing role yet." in response.content.decode()
    else:
        assert response.status_code == 200


def test_manager_cannot_edit_someone_elses_initiative(client, world):
    # given
    initiative = world.initiative
    client.force_login(world.users["other_manager"])
    before = db_rows()

    # when
    response = client.post(
        reverse("portfolio:initiative-edit", args=[initiative.pk]),
        form_data(InitiativeForm(instance=initiative), title="Taken over"),
    )

    # then
    assert response.status_code == 403
    assert "You may only edit initiatives you manage." in response.content.decode()
    assert db_rows() == before


def test_manager_posting_a_new_sponsor_through_the_form_does_not_reassign_it(client, world):
    # given: the form shows sponsor and manager disabled for the manager; a crafted post sends them anyway
    initiative, manager, pmo = world.initiative, world.users["manager"], world.users["pmo"]
    client.force_login(manager)
    data = form_data(InitiativeForm(instance=initiative), title="Mine", sponsor=pmo.pk, manager=pmo.pk)

    # when
    response = client.post(reverse("portfolio:initiative-edit", args=[initiative.pk]), data)

    # then
    assert response.status_code == 302
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.sponsor, stored.manager) == ("Mine", initiative.sponsor, manager)
