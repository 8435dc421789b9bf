"""Rule 11, no sustainment owner: nobody owns an initiative after a go-live due within 60 days or past."""

from __future__ import annotations

import pytest

from core.stages import Stage
from tests.alignment.signal_support import D, initiative_url, raised, signal, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("values", "severity", "message", "measured"),
    [
        (
            {"go_live_date": D(2027, 1, 20)},
            "amber",
            "SUBJ-1 goes live in 60 days and nobody owns it after go-live.",
            60,
        ),
        (
            {"go_live_date": D(2026, 12, 21)},
            "red",
            "SUBJ-1 goes live in 30 days and nobody owns it after go-live.",
            30,
        ),
        ({"go_live_date": D(2026, 11, 1)}, "red", "SUBJ-1 went live and nobody owns it after go-live.", -20),
        (
            {"stage": Stage.LIVE, "go_live_date": D(2026, 10, 1)},
            "red",
            "SUBJ-1 is live and nobody owns it after go-live.",
            0,
        ),
    ],
)
def test_no_sustainment_owner(themes, values, severity, message, measured):
    initiative = subject(themes, **values)

    assert raised() == [
        (
            "no_sustainment_owner",
            severity,
            message,
            [{"label": "SUBJ-1 overview", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert (signal("no_sustainment_owner").measured, signal("no_sustainment_owner").threshold) == (
        measured,
        60.0,
    )


@pytest.mark.parametrize(
    "values",
    [
        {"go_live_date": D(2027, 1, 21)},
        {"go_live_date": D(2026, 12, 21), "sustainment_owner": "owner"},
        {"go_live_date": None},
    ],
)
def test_no_sustainment_owner_near_miss(themes, values):
    if values.get("sustainment_owner") == "owner":
        values = {**values, "sustainment_owner": UserFactory()}
    subject(themes, **values)

    assert raised() == []
