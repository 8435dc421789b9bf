"""The decision log and the action list download as on their pages: their filters, exact cells, inert text."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from steering.models import ActionItem
from tests.export_support import csv_rows, download_counts, xlsx_cells, xlsx_values
from tests.factories import CheckpointReviewFactory, InitiativeFactory
from tests.steering.utils import HELD_ON

D = datetime.date
DECISION_HEADER = [
    "held_on",
    "committee",
    "initiative",
    "initiative_title",
    "rag_schedule",
    "rag_cost",
    "rag_scope",
    "rag_benefits",
    "decision",
    "rationale",
    "recorded_by",
]
ACTION_HEADER = [
    "initiative",
    "title",
    "owner",
    "due_date",
    "status",
    "completed_on",
    "note",
    "committee",
    "decided_on",
]


@pytest.fixture
def decisions(meeting, initiative, chair):
    review = CheckpointReviewFactory(
        initiative=initiative, meeting=meeting, held_on=HELD_ON, decision="realign", rag_cost="red",
        rationale="-Over budget; rescope", recorded_by=chair,
    )  # fmt: skip
    CheckpointReviewFactory(
        initiative=InitiativeFactory(code="OLD-1", title="@Legacy"), held_on=D(2026, 2, 1)
    )
    return review


def test_decision_log_csv_is_newest_first_with_inert_text(decisions, client, steering_member):
    # given
    client.force_login(steering_member)

    # when
    rows = csv_rows(client.get(reverse("steering:decision-log-export", args=["csv"])))

    # then
    assert rows == [
        DECISION_HEADER,
        ["2026-10-01", "Portfolio board", "ECOM-1", "Checkout rebuild", "green", "red", "green", "green",
         "realign", "'-Over budget; rescope", "chair"],
        ["2026-02-01", "", "OLD-1", "'@Legacy", "green", "green", "green", "green", "proceed", "On plan.", ""],
    ]  # fmt: skip


def test_decision_log_xlsx_keeps_the_date_filter(decisions, client, executive):
    # given
    client.force_login(executive)

    # when
    rows = xlsx_cells(
        client.get(reverse("steering:decision-log-export", args=["xlsx"]), {"date_to": "2026-06-30"})
    )

    # then
    assert [cell.value for cell in rows[1]][:4] == [datetime.datetime(2026, 2, 1), None, "OLD-1", "'@Legacy"]
    assert rows[1][0].is_date
    assert len(rows) == 2


@pytest.fixture
def actions(decisions, initiative, manager, pmo):
    ActionItem.objects.create(initiative=initiative, review=decisions, title="=Rescope", owner=manager,
                              due_date=D(2026, 11, 1))  # fmt: skip
    ActionItem.objects.create(
        initiative=initiative, title="Update the plan", owner=pmo, due_date=D(2026, 12, 15)
    )
    ActionItem.objects.create(initiative=initiative, title="Done already", owner=manager, due_date=D(2026, 10, 15),
                              status="done", completed_on=D(2026, 10, 10), note="+sent")  # fmt: skip


def test_action_csv_has_the_open_actions_soonest_first(actions, client, executive):
    # given
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(reverse("steering:action-export", args=["csv"])))

    # then
    assert rows == [
        ACTION_HEADER,
        ["ECOM-1", "'=Rescope", "manager", "2026-11-01", "open", "", "", "Portfolio board", "2026-10-01"],
        ["ECOM-1", "Update the plan", "pmo", "2026-12-15", "open", "", "", "", ""],
    ]


def test_action_export_keeps_mine_and_overdue_for_the_user_downloading(actions, client, manager):
    # given today is 21 November 2026 (the steering clock)
    client.force_login(manager)
    path = reverse("steering:action-export", args=["xlsx"])

    # when
    mine = xlsx_values(client.get(path, {"mine": "on", "status": "all"}))
    overdue = xlsx_values(client.get(path, {"overdue": "on"}))

    # then
    assert [row[1] for row in mine] == ["title", "Done already", "'=Rescope"]
    assert mine[1][5:7] == [datetime.datetime(2026, 10, 10), "'+sent"]
    assert [row[1] for row in overdue] == ["title", "'=Rescope"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_steering_exports_queries_do_not_grow_with_the_rows(actions, meeting, client, executive, fmt):
    # given
    client.force_login(executive)
    decisions_url = reverse("steering:decision-log-export", args=[fmt])
    actions_url = reverse("steering:action-export", args=[fmt])
    small = download_counts(client, decisions_url), download_counts(client, actions_url)
    for n in range(20):
        initiative = InitiativeFactory()
        review = CheckpointReviewFactory(
            initiative=initiative, meeting=meeting, held_on=D(2026, 9, 1) + datetime.timedelta(days=n)
        )
        ActionItem.objects.create(
            initiative=initiative, review=review, title=f"Step {n}", due_date=D(2027, 1, 1)
        )

    # when
    large = download_counts(client, decisions_url), download_counts(client, actions_url)

    # then
    assert [counted[1] for counted in small] == [2, 2]
    assert [counted[1] for counted in large] == [22, 22]
    assert [counted[0] for counted in large] == [counted[0] for counted in small]
