"""The demo's live initiatives have benefit plans, some derived from KPI readings and some entered, so the
benefits view shows benefits realised."""

from __future__ import annotations

import datetime

import pytest

from alignment import services
from alignment.benefits import benefits_view
from alignment.models import Signal
from demo.northwind import UNMEASURED_BENEFITS, build_demo
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


def test_the_demo_shows_each_benefit_signal():
    # Given the demo built and recomputed for 21 November 2026
    build_demo(as_of=AS_OF)
    services.recompute(today=AS_OF)
    # Then each benefit signal is raised on the initiatives whose data calls for it
    raised = {
        rule: sorted(codes)
        for rule in ("benefits_behind_plan", "live_no_benefit_actuals", "sponsor_overpromised")
        for codes in [Signal.objects.filter(rule=rule).values_list("initiative__code", flat=True)]
    }
    assert raised == {
        "benefits_behind_plan": ["CRM-03", "ECOM-03", "SCM-02", "SCM-05"],
        "live_no_benefit_actuals": [UNMEASURED_BENEFITS],
        # the COO's SCM-02 and SCM-05 realised 37% of their promise; the CMO's three live initiatives 53%
        "sponsor_overpromised": ["CRM-04", "ECOM-06", "ECOM-07", "SCM-04", "STORE-02", "STORE-06"],
    }
