"""Rule 10, cost overrun: the forecast (else actual) cost 5% or more over budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.alignment.signal_support import initiative_url, raised, signal, subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("forecast", "severity", "message"), [("126000", "amber", "5%"), ("138000", "red", "15%")]
)
def test_cost_overrun(themes, forecast, severity, message):
    # given: a budget of 120,000
    initiative = subject(themes, forecast_cost=Decimal(forecast))

    assert raised() == [
        (
            "cost_overrun",
            severity,
            f"SUBJ-1 is forecast {message} over its budget of €120k.",
            [{"label": "SUBJ-1 costs", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert signal("cost_overrun").threshold == 0.05


def test_cost_overrun_near_miss(themes):
    subject(themes, forecast_cost=Decimal("125999"))

    assert raised() == []


def test_cost_overrun_without_a_forecast_uses_the_actual_cost(themes):
    subject(themes, actual_cost=Decimal("132000"))

    assert raised()[0][:3] == ("cost_overrun", "amber", "SUBJ-1 is forecast 10% over its budget of €120k.")
