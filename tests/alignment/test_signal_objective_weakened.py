"""Rule 13, objective weakened: an initiative serves an objective retired or down-weighted."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import Objective, ObjectiveStatus
from tests.alignment.signal_support import raised, signal, subject
from tests.factories import ObjectiveFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_objective_weakened_retired(themes):
    # given: a moderate contribution to a retired objective
    retired = ObjectiveFactory(
        code="O1.9", title="Launch a marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    initiative = subject(themes, contributions=[(themes["t1"], "moderate"), (retired, "moderate")])

    assert raised() == [
        (
            "objective_weakened",
            "red",
            "SUBJ-1 serves O1.9, which has been retired.",
            [{"label": "Objective O1.9", "url": reverse("portfolio:objective-detail", args=[retired.pk])}],
        )
    ]
    weakened = signal("objective_weakened")
    assert (weakened.key, weakened.objective_id, weakened.measured) == (
        f"objective_weakened:i{initiative.pk}:o{retired.pk}",
        retired.pk,
        0.0,
    )


def down_weight(objective: Objective, weight: str) -> None:
    """Everything as entered since 1 January 2026; then the objective's weight changed on 1 October."""
    Objective.history.update(history_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    objective.local_weight = Decimal(weight)
    objective.save()
    Objective.history.filter(
        id=objective.pk, history_date__gt=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    ).update(history_date=datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC))


def test_objective_weakened_down_weighted(themes):
    # given: T3 served moderately by the subject; its weight went from 1 to 0.5, its r from 1/3 to 1/6
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    initiative = subject(themes, contributions=[(themes["t1"], "moderate"), (t3, "moderate")])
    down_weight(t3, "0.5")

    # then
    assert raised() == [
        (
            "objective_weakened",
            "amber",
            "SUBJ-1 serves T3, whose weight fell 50% in 90 days.",
            [{"label": "Objective T3", "url": reverse("portfolio:objective-detail", args=[t3.pk])}],
        )
    ]
    assert (signal("objective_weakened").measured, signal("objective_weakened").threshold) == (0.5, 0.3)
    assert signal("objective_weakened").key == f"objective_weakened:i{initiative.pk}:o{t3.pk}"


def test_objective_weakened_near_miss(themes):
    # given: T3's weight went from 1 to 0.71: r fell 29%; and a weak contribution to a retired objective
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    retired = ObjectiveFactory(
        code="O1.9", title="Marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    subject(themes, contributions=[(themes["t1"], "moderate"), (t3, "moderate"), (retired, "weak")])
    down_weight(t3, "0.71")

    assert raised() == []
