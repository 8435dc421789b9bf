"""Rule 3, objective uncovered: an important objective no open initiative serves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.stages import Stage
from tests.alignment.signal_support import healthy, raised, signal, subject
from tests.factories import ObjectiveFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_objective_uncovered_an_important_objective_nobody_serves(themes):
    # given: T3 carries 1 / (3 + 1 + 1) = 20% of the strategy; only a weak contribution reaches it
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    subject(themes, contributions=[(themes["t1"], "strong"), (t3, "weak")])

    # then
    assert raised() == [
        (
            "objective_uncovered",
            "red",
            "T3 “Know our customers” carries 20% of the strategy and no open initiative serves it.",
            [{"label": "Objective T3", "url": reverse("portfolio:objective-detail", args=[t3.pk])}],
        )
    ]
    uncovered = signal("objective_uncovered")
    assert (uncovered.key, uncovered.objective_id, uncovered.initiative_id) == (
        f"objective_uncovered:o{t3.pk}",
        t3.pk,
        None,
    )
    assert (uncovered.measured, uncovered.threshold) == (0.2, 0.08)


def test_objective_uncovered_near_miss_just_under_the_important_share(themes):
    # given: 0.34 / 4.34 = 7.8% of the strategy
    ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("0.34"))

    assert raised() == []


def test_objective_uncovered_near_miss_served_only_by_a_closed_initiative_is_still_uncovered(themes):
    # given: only a closed initiative serves T3 strongly: closed initiatives do not cover
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    healthy(code="OLD-1", stage=Stage.CLOSED, contributions=[(t3, "strong")])

    assert [r[0] for r in raised()] == ["objective_uncovered"]
