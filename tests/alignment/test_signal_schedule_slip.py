"""Rule 9, schedule slip: milestones or the planned end late by 10% of the planned duration or more."""

from __future__ import annotations

import pytest

from tests.alignment.signal_support import D, initiative_url, raised, signal, subject
from tests.factories import MilestoneFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("milestone", "severity", "message", "measured"),
    [
        (
            {"actual_date": D(2026, 10, 7)},
            "amber",
            "SUBJ-1 is 36 days late, 10% of its planned duration.",
            0.1,
        ),
        (
            {"forecast_date": D(2026, 11, 30)},
            "red",
            "SUBJ-1 is 90 days late, 25% of its planned duration.",
            0.25,
        ),
    ],
)
def test_schedule_slip(themes, milestone, severity, message, measured):
    # given: 360 planned days and a milestone due 1 September, achieved (forecast) late
    initiative = subject(themes)
    MilestoneFactory(initiative=initiative, baseline_date=D(2026, 9, 1), **milestone)

    # then
    assert raised() == [
        (
            "schedule_slip",
            severity,
            message,
            [{"label": "SUBJ-1 milestones", "url": initiative_url(initiative, "milestones")}],
        )
    ]
    assert (signal("schedule_slip").measured, signal("schedule_slip").threshold) == (measured, 0.1)


def test_schedule_slip_near_miss(themes):
    # given: 35 days late, 9.7% of the planned duration
    initiative = subject(themes)
    MilestoneFactory(initiative=initiative, baseline_date=D(2026, 9, 1), actual_date=D(2026, 10, 6))

    assert raised() == []


def test_schedule_slip_of_an_initiative_running_past_its_planned_end(themes):
    # given: planned 1 January to 1 October 2026 (273 days), still in delivery on 21 November: 51 days late
    subject(themes, planned_end=D(2026, 10, 1))

    assert raised()[0][:3] == (
        "schedule_slip",
        "amber",
        "SUBJ-1 is 51 days late, 19% of its planned duration.",
    )
