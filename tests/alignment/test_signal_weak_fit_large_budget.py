"""Rule 2, weak fit for a large budget: €1.5M or more spent with a strategic fit below 25."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolio.models import Initiative
from tests.alignment.signal_support import healthy, initiative_url, raised, signal, subject
from tests.factories import ObjectiveFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_weak_fit_large_budget(themes):
    # given: weak to T2 (r 1/3): fit 100 x 1/9 = 11.11, on a budget of 1,500,000
    initiative = subject(
        themes,
        contributions=[(themes["t2"], "weak")],
        budget_capex=Decimal("1500000"),
        budget_opex=Decimal("0"),
    )

    # then
    assert raised() == [
        (
            "weak_fit_large_budget",
            "red",
            "SUBJ-1 spends €1.50M with a strategic fit of 11 (below 25).",
            [{"label": "SUBJ-1 contributions", "url": initiative_url(initiative, "contributions")}],
        )
    ]
    assert (signal("weak_fit_large_budget").measured, signal("weak_fit_large_budget").threshold) == (
        11.11,
        25.0,
    )


def test_weak_fit_large_budget_near_miss_just_under_the_budget(themes):
    subject(
        themes,
        contributions=[(themes["t2"], "weak")],
        budget_capex=Decimal("1499999.99"),
        budget_opex=Decimal("0"),
    )

    assert raised() == []


def test_weak_fit_large_budget_near_miss_at_the_fit_threshold(themes):
    # given: weak to T3 with r 2.25 / 3 = 3/4: fit 100 x 3/4 x 1/3 = 25, not below 25
    t3 = ObjectiveFactory(code="T3", title="Third", local_weight=Decimal("2.25"))
    healthy(code="OK-2", contributions=[(t3, "strong")])
    subject(themes, contributions=[(t3, "weak")], budget_capex=Decimal("2000000"), budget_opex=Decimal("0"))

    assert raised() == []
    assert Initiative.objects.get(code="SUBJ-1").score.fit == 25.0
