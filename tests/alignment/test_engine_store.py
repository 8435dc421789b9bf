"""The store's bulk upsert and the fingerprint that tells whether a score changed."""

from __future__ import annotations

import datetime

import pytest

from alignment.engine import store
from alignment.models import KPIScore
from tests.alignment.engine_support import D
from tests.factories import KPIFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.django_db
def test_upsert_stores_values_shared_by_every_row_and_values_that_vary_and_updates_on_conflict():
    # given: three KPIs; one timestamp object and one None shared by every row, the rest varying
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
