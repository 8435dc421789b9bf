"""Rule 8, KPI off track: a contribution names a KPI that is at risk or off track."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import KPI, Objective
from tests.alignment.signal_support import D, raised, signal, subject
from tests.factories import ContributionFactory, KPIFactory, ReadingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def kpi_with_readings(objective: Objective, values: tuple[str, str, str]) -> KPI:
    """0 -> 360 over 360 days, read on days 60, 120 and 180: the forecast is the trend on day 360."""
    kpi = KPIFactory(
        objective=objective,
        name="Weekly orders",
        baseline_value=Decimal("0"),
        target_value=Decimal("360"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in zip((D(2026, 3, 2), D(2026, 5, 1), D(2026, 6, 30)), values, strict=True):
        ReadingFactory(kpi=kpi, date=day, value=Decimal(value))
    return kpi


@pytest.mark.parametrize(
    ("values", "severity", "label", "measured", "threshold"),
    [
        (("56.4", "112.8", "169.2"), "amber", "at risk", 0.94, 0.95),
        (("42", "84", "126"), "red", "off track", 0.7, 0.75),
    ],
)
def test_kpi_off_track(themes, values, severity, label, measured, threshold):
    # given: a contribution names a KPI whose trend reaches 94% (70%) of the way to its target: below on
    # track's 0.95 (below at risk's 0.75)
    kpi = kpi_with_readings(themes["t1"], values)
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    # then
    assert raised() == [
        (
            "kpi_off_track",
            severity,
            f"SUBJ-1 is expected to move “Weekly orders”, which is {label}: the trend reaches {measured:.0%} of the "
            "way to its target by 2026-12-27.",
            [{"label": "KPI Weekly orders", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    off = signal("kpi_off_track")
    assert (off.key, off.kpi_id, off.objective_id) == (
        f"kpi_off_track:i{initiative.pk}:k{kpi.pk}",
        kpi.pk,
        themes["t1"].pk,
    )
    assert (off.measured, off.threshold) == (measured, threshold)


@pytest.mark.parametrize(
    ("value", "severity", "label", "measured", "threshold"),
    [("144", "amber", "at risk", 0.8, 0.9), ("117", "red", "off track", 0.65, 0.7)],
)
def test_kpi_off_track_without_a_trend_explains_the_progress_against_expected(
    themes, value, severity, label, measured, threshold
):
    # given: one reading on 30 June, day 180 of 360, when half the progress was expected: 144 is progress
    # 0.40, 0.40 / 0.50 = 0.80, below on track's 0.90; 117 is 0.325, 0.325 / 0.50 = 0.65, below at risk's 0.70
    kpi = KPIFactory(
        objective=themes["t1"],
        name="Weekly orders",
        baseline_value=Decimal("0"),
        target_value=Decimal("360"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    ReadingFactory(kpi=kpi, date=D(2026, 6, 30), value=Decimal(value))
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    # then
    assert raised() == [
        (
            "kpi_off_track",
            severity,
            f"SUBJ-1 is expected to move “Weekly orders”, which is {label}: progress is {measured:.0%} of what was "
            "expected by 2026-06-30.",
            [{"label": "KPI Weekly orders", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    assert (signal("kpi_off_track").measured, signal("kpi_off_track").threshold) == (measured, threshold)


def test_kpi_off_track_near_miss_on_track_exactly_at_the_threshold(themes):
    # given: forecast to reach exactly 95% of its target
    kpi = kpi_with_readings(themes["t1"], ("57", "114", "171"))
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    assert raised() == []
