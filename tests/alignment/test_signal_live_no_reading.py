"""Rule 12, live with no KPI reading: benefits not measured 90 days after go-live."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.stages import Stage
from portfolio.models import KPI, Initiative, Objective
from tests.alignment.signal_support import D, initiative_url, raised, signal, subject
from tests.factories import ContributionFactory, KPIFactory, ReadingFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def live_with_kpi(themes: dict[str, Objective], go_live: D, reading_on: D) -> tuple[Initiative, KPI]:
    kpi = KPIFactory(objective=themes["t1"], name="Repeat buyers")
    ReadingFactory(kpi=kpi, date=reading_on, value=Decimal("20"))  # at its target: achieved
    initiative = subject(
        themes, stage=Stage.LIVE, go_live_date=go_live, sustainment_owner=UserFactory(), contributions=[]
    )
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)
    return initiative, kpi


def test_live_no_reading_since_go_live(themes):
    # given: live for 90 days, the last reading taken on the go-live day
    _, kpi = live_with_kpi(themes, go_live=D(2026, 8, 23), reading_on=D(2026, 8, 23))

    # then
    assert raised() == [
        (
            "live_no_reading",
            "amber",
            "SUBJ-1 went live on 2026-08-23 and has no KPI reading since: its benefits are not measured.",
            [{"label": "KPI Repeat buyers", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    assert (signal("live_no_reading").measured, signal("live_no_reading").threshold) == (90.0, 90.0)


def test_live_no_reading_when_no_kpi_is_named(themes):
    initiative = subject(
        themes, stage=Stage.LIVE, go_live_date=D(2026, 5, 1), sustainment_owner=UserFactory()
    )

    assert raised() == [
        (
            "live_no_reading",
            "amber",
            "SUBJ-1 went live on 2026-05-01 and names no KPI since: its benefits are not measured.",
            [{"label": "SUBJ-1 contributions", "url": initiative_url(initiative, "contributions")}],
        )
    ]


@pytest.mark.parametrize(
    ("go_live", "reading_on"), [(D(2026, 8, 24), D(2026, 8, 24)), (D(2026, 5, 1), D(2026, 5, 2))]
)
def test_live_no_reading_near_miss(themes, go_live, reading_on):
    # given: live for 89 days; or long live with a reading the day after go-live
    live_with_kpi(themes, go_live=go_live, reading_on=reading_on)

    assert raised() == []
