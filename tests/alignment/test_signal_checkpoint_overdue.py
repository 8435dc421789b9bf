"""Rule 14, checkpoint overdue: no checkpoint review within the tier's cadence."""

from __future__ import annotations

import pytest

from core.stages import Stage
from tests.alignment.signal_support import D, healthy, initiative_url, raised, signal, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("review", "severity", "message", "measured"),
    [
        (
            D(2026, 8, 22),
            "amber",
            "SUBJ-1 was last reviewed 2026-08-22, 91 days ago; as a tier 3 initiative it is due a review every 90 days "
            "(due 2026-11-20).",
            91,
        ),
        (
            D(2026, 5, 24),
            "red",
            "SUBJ-1 was last reviewed 2026-05-24, 181 days ago; as a tier 3 initiative it is due a review every 90 days "
            "(due 2026-08-22).",
            181,
        ),
        (
            None,
            "red",
            "SUBJ-1 has had no checkpoint review in the 310 days since it moved to In delivery; as a tier 3 "
            "initiative it is due a review every 90 days (due 2026-04-15).",
            310,
        ),
    ],
)
def test_checkpoint_overdue(themes, review, severity, message, measured):
    initiative = subject(themes, review=review)

    assert raised() == [
        (
            "checkpoint_overdue",
            severity,
            message,
            [{"label": "SUBJ-1 checkpoints", "url": initiative_url(initiative, "checkpoints")}],
        )
    ]
    assert (signal("checkpoint_overdue").measured, signal("checkpoint_overdue").threshold) == (measured, 90.0)


def test_checkpoint_overdue_near_miss(themes):
    # given: reviewed exactly 90 days ago; and a live initiative not reviewed for a year
    subject(themes, review=D(2026, 8, 23))
    healthy(
        code="LIVE-1",
        stage=Stage.LIVE,
        go_live_date=D(2026, 10, 1),
        sustainment_owner=UserFactory(),
        contributions=[(themes["t1"], "moderate")],
        review=D(2025, 11, 1),
    )

    assert raised() == []
