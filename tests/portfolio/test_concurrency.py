"""No lost updates: of two overlapping edits of the same record, exactly one is saved and the other is told."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.errors import StaleEdit
from core.records import record_update
from portfolio import services
from portfolio.forms import InitiativeForm
from portfolio.models import Initiative, Milestone
from tests.factories import InitiativeFactory, MilestoneFactory
from tests.portfolio.utils import db_rows, form_data, version_in

pytestmark = pytest.mark.django_db


def test_the_second_of_two_overlapping_edits_is_refused_with_the_current_record(initiative, pmo, manager):
    # given: both opened version 1
    first_saw = Initiative.objects.get(pk=initiative.pk).version
    second_saw = Initiative.objects.get(pk=initiative.pk).version
    assert first_saw == second_saw == 1

    # when
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=first_saw,
        data={"title": "PMO title", "criticality": 5},
    )
    with pytest.raises(StaleEdit) as refused:
        services.initiative_update(
            user=manager, initiative_id=initiative.pk, version=second_saw, data={"title": "Manager title"}
        )

    # then
    current = refused.value.current
    assert (current.pk, current.version, current.title, current.criticality) == (
        initiative.pk,
        2,
        "PMO title",
        5,
    )
    assert refused.value.message.startswith("Initiative “ECOM-1 PMO title” was changed by someone else")
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.criticality, stored.version) == ("PMO title", 5, 2)
    assert [h.history_type for h in Initiative.history.filter(id=initiative.pk)] == ["~", "+"]


def test_a_stale_edit_changes_nothing(initiative, pmo):
    # given
    services.initiative_update(user=pmo, initiative_id=initiative.pk, version=1, data={"title": "First"})
    before = db_rows()

    # when
    with pytest.raises(StaleEdit):
        services.initiative_update(user=pmo, initiative_id=initiative.pk, version=1, data={"title": "Second"})

    # then
    assert db_rows() == before


def test_a_stale_delete_is_refused_and_the_record_kept(initiative, manager, pmo):
    # given: the manager opened the delete page of version 1, then the PMO renamed the milestone
    milestone = MilestoneFactory(initiative=initiative, name="Pilot")
    services.milestone_update(
        user=pmo, milestone_id=milestone.pk, version=1, data={"name": "Pilot (all stores)"}
    )
    before = db_rows()

    # when
    with pytest.raises(StaleEdit) as refused:
        services.milestone_delete(user=manager, milestone_id=milestone.pk, version=1)

    # then
    assert (refused.value.current.name, refused.value.current.version) == ("Pilot (all stores)", 2)
    assert db_rows() == before


def _edit_page(client: Client, initiative: Initiative) -> str:
    response = client.get(reverse("portfolio:initiative-edit", args=[initiative.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_two_people_editing_the_same_initiative_in_the_browser(initiative, pmo, manager):
    # given: both open the edit page of version 1
    url = reverse("portfolio:initiative-edit", args=[initiative.pk])
    pmo_client, manager_client = Client(), Client()
    pmo_client.force_login(pmo)
    manager_client.force_login(manager)
    assert version_in(_edit_page(pmo_client, initiative)) == 1
    assert version_in(_edit_page(manager_client, initiative)) == 1
    opened = InitiativeForm(instance=initiative)
    pmo_post = form_data(opened, title="Checkout rebuild (PMO)", budget_opex=Decimal("30000"))
    manager_post = form_data(opened, title="Checkout rebuild (manager)", criticality=5)

    # when: the PMO saves first, then the manager
    first = pmo_client.post(url, pmo_post)
    second = manager_client.post(url, manager_post)

    # then: the first is saved, the second is refused and shown what differs
    assert first.status_code == 302
    assert second.status_code == 409
    page = second.content.decode()
    assert "was changed by someone else while you were editing" in page
    assert '<th scope="col">Your value</th><th scope="col">Saved now</th>' in page
    assert (
        "<tr><td>Title</td><td>Checkout rebuild (manager)</td><td><strong>Checkout rebuild (PMO)</strong></td></tr>"
        in page
    )
    assert "<tr><td>Budget (opex)</td><td>€20,000</td><td><strong>€30,000</strong></td></tr>" in page
    assert "<tr><td>Business criticality</td><td>5</td><td><strong>3</strong></td></tr>" in page
    assert page.count("<tr><td>") == 3
    assert version_in(page) == 2
    assert 'value="Checkout rebuild (manager)"' in page  # the manager's input is kept
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.budget_opex, stored.criticality, stored.version) == (
        "Checkout rebuild (PMO)",
        Decimal("30000"),
        3,
        2,
    )

    # when: the manager re-posts the form as it now stands
    again = manager_client.post(url, {**manager_post, "version": str(version_in(page))})

    # then: the manager's values win, knowingly
    assert again.status_code == 302
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.budget_opex, stored.criticality, stored.version) == (
        "Checkout rebuild (manager)",
        Decimal("20000"),
        5,
        3,
    )


def test_a_stale_delete_in_the_browser_is_refused_with_409(initiative, manager, pmo, client):
    # given
    milestone = MilestoneFactory(initiative=initiative, name="Pilot")
    url = reverse("portfolio:record-delete", args=["milestones", milestone.pk])
    client.force_login(manager)
    assert version_in(client.get(url).content.decode()) == 1
    services.milestone_update(
        user=pmo, milestone_id=milestone.pk, version=1, data={"name": "Pilot (all stores)"}
    )

    # when
    response = client.post(url, {"version": "1"})

    # then
    assert response.status_code == 409
    assert "was changed by someone else while you were editing" in response.content.decode()
    assert version_in(response.content.decode()) == 2
    assert Milestone.objects.filter(pk=milestone.pk, name="Pilot (all stores)", version=2).exists()


# ------------------------------------------------------------------------------------------------ PostgreSQL


def _edit_in_thread(
    pk: int, title: str, user: Any, both_read: threading.Barrier, outcome: dict[str, str]
) -> None:
    def authorize(_user: Any, current: Initiative) -> bool:
        # Both transactions have read version 1 before either writes.
        both_read.wait(timeout=10)
        return True

    try:
        record_update(Initiative, pk=pk, version=1, user=user, values={"title": title}, authorize=authorize)
        outcome[title] = "saved"
    except StaleEdit as error:
        outcome[title] = f"stale: {error.current.title} at version {error.current.version}"
    except Exception as error:  # noqa: BLE001  reported by the assertion below
        outcome[title] = f"error: {error!r}"
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_truly_parallel_edits_on_postgresql_exactly_one_wins(postgres, pmo):
    # given
    initiative = InitiativeFactory(code="PAR-1", title="Before")
    both_read = threading.Barrier(2)
    outcome: dict[str, str] = {}
    threads = [
        threading.Thread(target=_edit_in_thread, args=(initiative.pk, title, pmo, both_read, outcome))
        for title in ("Edit A", "Edit B")
    ]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then
    assert not any(thread.is_alive() for thread in threads)
    winner = next((title for title, result in outcome.items() if result == "saved"), None)
    loser = "Edit B" if winner == "Edit A" else "Edit A"
    assert outcome == {winner: "saved", loser: f"stale: {winner} at version 2"}
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.title, stored.version) == (winner, 2)
    assert Initiative.history.filter(id=initiative.pk, history_type="~").count() == 1
