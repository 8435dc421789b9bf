"""The store's bulk upsert and the fingerprint that tells whether a score changed."""

from __future__ import annotations

import datetime

import pytest

from alignment.engine import store
from alignment.models import KPIScore, Signal
from tests.alignment.engine_support import D
from tests.factories import KPIFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


# the rows as one JSON document, and (PostgreSQL, from COPY_ROWS rows) streamed by COPY
COPY_ROWS = [pytest.param(store.COPY_ROWS, id="document"), pytest.param(1, id="copy")]


@pytest.mark.django_db
@pytest.mark.parametrize("copy_rows", COPY_ROWS)
def test_upsert_stores_values_shared_by_every_row_and_values_that_vary_and_updates_on_conflict(
    monkeypatch, copy_rows
):
    # given: three KPIs; one timestamp object and one None shared by every row, the rest varying
    monkeypatch.setattr(store, "COPY_ROWS", copy_rows)
    kpis = [KPIFactory() for _ in range(3)]
    at = datetime.datetime(2026, 11, 21, 8, 30, tzinfo=datetime.UTC)
    rows = [
        {
            "kpi": kpi.pk,
            "status": status,
            "latest_value": value,
            "latest_date": D(2026, 10, n + 1),
            "progress": None,
            "readings_used": n,
            "computed_at": at,
        }
        for n, (kpi, status, value) in enumerate(
            zip(kpis, ["on_track", "at_risk", "off_track"], [1.5, None, -2.25], strict=True)
        )
    ]

    # when
    store.upsert(KPIScore, rows, key="kpi")
    later = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
    store.upsert(
        KPIScore,
        [{**rows[1], "status": "on_track", "latest_value": 7.0, "computed_at": later}],
        key="kpi",
    )

    # then
    stored = list(
        KPIScore.objects.order_by("kpi_id").values_list(
            "status", "latest_value", "latest_date", "progress", "readings_used", "computed_at"
        )
    )
    assert stored == [
        ("on_track", 1.5, D(2026, 10, 1), None, 0, at),
        ("on_track", 7.0, D(2026, 10, 2), None, 1, later),
        ("off_track", -2.25, D(2026, 10, 3), None, 2, at),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("copy_rows", COPY_ROWS)
def test_upsert_keeps_the_rows_order_json_and_custom_updates_with_their_parameters(monkeypatch, copy_rows):
    # given: three signals written in an order of their own, one with evidence, and a stored one to update
    monkeypatch.setattr(store, "COPY_ROWS", copy_rows)
    at = datetime.datetime(2026, 11, 21, 8, 30, tzinfo=datetime.UTC)

    def signal(key: str, message: str, evidence: list[dict[str, str]]) -> dict[str, object]:
        return {
            "key": key,
            "rule": "orphan",
            "severity": "red",
            "message": message,
            "evidence": evidence,
            "digest": "d",
            "first_seen": at,
            "last_seen": at,
        }

    store.upsert(Signal, [signal("s:b", "first", [])], key="key")
    later = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
    evidence = [{"label": "Tab\there, 'quote', \\ and ✓", "url": "/initiatives/1/#x"}]

    # when: written again with two new ones; the stored one keeps its first_seen, its message says how many
    # times it was written (a custom update with a parameter)
    store.upsert(
        Signal,
        [
            {**signal("s:c", "third", evidence), "first_seen": later, "last_seen": later},
            {**signal("s:b", "again", []), "first_seen": later, "last_seen": later},
            {**signal("s:a", "second", []), "first_seen": later, "last_seen": later},
        ],
        key="key",
        update=["severity", "evidence", "digest", "last_seen"],
        update_sql={"message": "EXCLUDED.message || %s"},
        update_params=[" (updated)"],
    )

    # then: new rows numbered in the order given, the JSON and the text as written, the update as asked
    stored = list(
        Signal.objects.order_by("pk").values_list("key", "message", "evidence", "first_seen", "last_seen")
    )
    assert stored == [
        ("s:b", "again (updated)", [], at, later),
        ("s:c", "third", evidence, later, later),
        ("s:a", "second", [], later, later),
    ]


def test_a_fingerprint_depends_on_the_values_only_not_on_which_objects_hold_them():
    shared = "strong " * 3
    one = {"terms": [shared, shared], "fit": 72.5, "missing": []}
    other = {"terms": ["strong " * 3, "strong " * 3], "fit": 72.5, "missing": []}

    assert store.digest(one) == store.digest(other)
    assert store.digest(one) != store.digest({**one, "fit": 72.51})
    assert store.digest(one) != store.digest({**one, "fit": 72})  # an int is not the float
    # a date cannot be marshalled: the fingerprint falls back to repr() and still tells days apart
    day = {"today": datetime.date(2026, 11, 21)}
    assert store.digest(day) == store.digest({"today": datetime.date(2026, 11, 21)})
    assert store.digest(day) != store.digest({"today": datetime.date(2026, 11, 22)})
