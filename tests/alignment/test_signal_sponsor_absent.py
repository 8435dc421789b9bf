"""Rule 6, sponsor absent: the sponsor attended none of the latest checkpoint reviews."""

from __future__ import annotations

import pytest

from tests.alignment.signal_support import D, initiative_url, raised, signal, subject
from tests.factories import CheckpointReviewFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_sponsor_absent_from_the_latest_checkpoints(themes):
    # given: the sponsor attended an older review, not the latest two
    sponsor = UserFactory()
    initiative = subject(themes, sponsor=sponsor, review=None)
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 6, 1)).attendees.set([sponsor])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1)).attendees.set([UserFactory()])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 10, 1))

    # then
    checkpoints = initiative_url(initiative, "checkpoints")
    assert raised() == [
        (
            "sponsor_absent",
            "amber",
            "The sponsor of SUBJ-1 attended none of its last 2 checkpoint reviews.",
            [
                {"label": "Review of 2026-10-01", "url": checkpoints},
                {"label": "Review of 2026-08-01", "url": checkpoints},
            ],
        )
    ]
    assert (signal("sponsor_absent").measured, signal("sponsor_absent").threshold) == (2.0, 2.0)


def test_sponsor_absent_near_miss(themes):
    # given: the sponsor attended the older of the latest two reviews
    sponsor = UserFactory()
    initiative = subject(themes, sponsor=sponsor, review=None)
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1)).attendees.set([sponsor])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 10, 1))

    assert raised() == []
