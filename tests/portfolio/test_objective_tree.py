"""The objective tree page: themes, objectives and sub-objectives with their weights and KPIs."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db


def test_objective_tree_shows_global_weights(logged_in):
    # given: themes weighted 3 : 1 (and a retired one), objectives 1 : 3 under the first, 1 : 1 under the second
    t1 = ObjectiveFactory(code="T1", title="Grow", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Run", local_weight=Decimal("1"))
    t3 = ObjectiveFactory(code="T3", title="Old", local_weight=Decimal("5"), status="retired")
    ObjectiveFactory(code="O1", title="Convert", parent=t1, local_weight=Decimal("1"))
    o2 = ObjectiveFactory(code="O2", title="Retain", parent=t1, local_weight=Decimal("3"))
    ObjectiveFactory(code="O3", title="Cut cost", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O4", title="Stay up", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O5", title="Legacy", parent=t3)
    ObjectiveFactory(code="S1", title="Loyalty", parent=o2, local_weight=Decimal("1"))
    ObjectiveFactory(code="S2", title="Service", parent=o2, local_weight=Decimal("4"))
    ObjectiveFactory(code="S3", title="Dropped", parent=o2, local_weight=Decimal("10"), status="retired")
    # by hand: T1 = 3/4, T2 = 1/4; O1 = 3/4 * 1/4, O2 = 3/4 * 3/4; O3 = O4 = 1/4 * 1/2; S1 = 9/16 * 1/5, S2 = 9/16 * 4/5
    expected = {
        "T1": "0.750",
        "T2": "0.250",
        "T3": "0.000",
        "O1": "0.188",
        "O2": "0.563",
        "O3": "0.125",
        "O4": "0.125",
        "O5": "0.000",
        "S1": "0.113",
        "S2": "0.450",
        "S3": "0.000",
    }

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    shown = dict(
        re.findall(
            r'<span class="text-body-secondary small fw-semibold">([A-Z0-9.]+)</span>.*?Global <strong>([0-9.]+)</strong>',
            page,
            re.S,
        )
    )
    assert shown == expected
    assert "Local 4 → 0.80 of parent" in page
