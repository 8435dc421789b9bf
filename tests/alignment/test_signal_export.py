"""The signal list downloads as on its page: red first, its filters, every text cell inert."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from alignment.models import Signal
from tests.export_support import csv_rows, download_counts, xlsx_cells
from tests.factories import InitiativeFactory, ObjectiveFactory, UserFactory

SEEN = datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.UTC)
HEADER = [
    "rule",
    "severity",
    "initiative",
    "objective",
    "kpi",
    "program",
    "owner",
    "message",
    "measured",
    "threshold",
    "first_seen",
    "last_seen",
]


def signal(key: str, **fields) -> Signal:
    return Signal.objects.create(key=key, first_seen=SEEN, last_seen=SEEN, **fields)


@pytest.fixture
def signals(db):
    owner = UserFactory(username="olive")
    signal("orphan:1", rule="orphan", severity="amber", initiative=InitiativeFactory(code="ORP-1"), owner=owner,
           message="No objective")  # fmt: skip
    signal("cost:1", rule="cost_overrun", severity="red", initiative=InitiativeFactory(code="CST-1"),
           message="=cost+1", measured=1.25, threshold=1.1)  # fmt: skip
    signal("uncovered:1", rule="objective_uncovered", severity="amber", objective=ObjectiveFactory(code="O7"),
           message="Nobody serves it")  # fmt: skip


def url(fmt: str) -> str:
    return reverse("alignment:signal-export", args=[fmt])


def test_signal_csv_lists_red_first_with_inert_messages(signals, client, executive):
    # given
    client.force_login(executive)

    # when
    rows = csv_rows(client.get(url("csv")))

    # then
    assert rows == [
        HEADER,
        ["cost_overrun", "red", "CST-1", "", "", "", "", "'=cost+1", "1.25", "1.1", "2026-11-01T08:30:00+00:00",
         "2026-11-01T08:30:00+00:00"],
        ["objective_uncovered", "amber", "", "O7", "", "", "", "Nobody serves it", "", "",
         "2026-11-01T08:30:00+00:00", "2026-11-01T08:30:00+00:00"],
        ["orphan", "amber", "ORP-1", "", "", "", "olive", "No objective", "", "", "2026-11-01T08:30:00+00:00",
         "2026-11-01T08:30:00+00:00"],
    ]  # fmt: skip


def test_signal_xlsx_filtered_by_severity_has_typed_times(signals, client, steering_member):
    # given
    client.force_login(steering_member)

    # when
    rows = xlsx_cells(client.get(url("xlsx"), {"severity": "red"}))

    # then
    assert [[cell.value for cell in row] for row in rows] == [
        HEADER,
        ["cost_overrun", "red", "CST-1", None, None, None, None, "'=cost+1", 1.25, 1.1,
         datetime.datetime(2026, 11, 1, 8, 30), datetime.datetime(2026, 11, 1, 8, 30)],
    ]  # fmt: skip
    assert rows[1][10].is_date


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_signal_export_queries_do_not_grow_with_the_rows(signals, client, executive, fmt):
    # given
    client.force_login(executive)
    small = download_counts(client, url(fmt), {"rule": "orphan"})
    for n in range(25):
        signal(
            f"orphan:x{n}", rule="orphan", severity="amber", initiative=InitiativeFactory(), message="None"
        )

    # when
    large = download_counts(client, url(fmt), {"rule": "orphan"})

    # then
    assert (small[1], large[1]) == (1, 26)
    assert large[0] == small[0]
