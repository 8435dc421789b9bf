"""The demo's live initiatives have benefit plans, some derived from KPI readings and some entered, so the
benefits view shows benefits realised."""

from __future__ import annotations

import datetime

import pytest

from alignment.benefits import benefits_view
from demo.northwind import build_demo
from portfolio.models import ActualsSource, BenefitPlan

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 11, 21)


def test_the_demo_shows_benefits_realised():
    # Given the demo built for 21 November 2026
    build_demo(as_of=AS_OF)
    # When the benefits view is computed for that day
    view = benefits_view(AS_OF)
    # Then live initiatives have plans of both sources, and benefits have been realised
    sources = sorted(BenefitPlan.objects.values_list("source", flat=True))
    assert sources.count(ActualsSource.DERIVED) >= 3
    assert sources.count(ActualsSource.ENTERED) >= 3
    assert view.total.plans == 9
    assert view.total.realised_to_date > 0
    assert view.total.expected_to_date > view.total.realised_to_date
    assert [dimension.key for dimension in view.dimensions] == ["objective", "program", "sponsor"]
    assert view.cumulative[-1][1] == view.total.total_expected
