"""A healthy portfolio raises no signal, and a raised signal follows the data until it disappears."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolio.models import Initiative
from tests.alignment.signal_support import raised, signal, subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_a_healthy_portfolio_raises_nothing(themes):
    subject(themes)

    assert raised() == []


# ------------------------------------------------------------------------------------ lifecycle of a signal


def test_a_signal_disappears_when_the_data_no_longer_triggers_it(themes):
    # given: a signal raised
    initiative = subject(themes, forecast_cost=Decimal("138000"))
    assert [r[0] for r in raised()] == ["cost_overrun"]
    first_seen = signal("cost_overrun").first_seen

    # when: it changes severity, then the forecast comes back within budget
    Initiative.objects.filter(pk=initiative.pk).update(forecast_cost=Decimal("126000"))
    assert raised()[0][:2] == ("cost_overrun", "amber")
    assert signal("cost_overrun").first_seen == first_seen
    Initiative.objects.filter(pk=initiative.pk).update(forecast_cost=Decimal("120000"))

    # then
    assert raised() == []
