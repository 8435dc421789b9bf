"""Rule 7, unclear requirements: an approved or delivering initiative with low requirements clarity."""

from __future__ import annotations

import pytest

from core.stages import Stage
from tests.alignment.signal_support import initiative_url, raised, signal, subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("stage", "clarity", "severity", "message"),
    [
        (Stage.IN_DELIVERY, 2, "amber", "SUBJ-1 is in delivery with requirements clarity 2/5."),
        (Stage.IN_DELIVERY, 1, "red", "SUBJ-1 is in delivery with requirements clarity 1/5."),
        (Stage.IN_DELIVERY, None, "red", "SUBJ-1 is in delivery with requirements clarity not assessed."),
        (Stage.APPROVED, 1, "amber", "SUBJ-1 is approved with requirements clarity 1/5."),
    ],
)
def test_unclear_requirements_after_approval(themes, stage, clarity, severity, message):
    initiative = subject(themes, stage=stage, requirements_clarity=clarity)

    assert raised() == [
        (
            "unclear_requirements",
            severity,
            message,
            [{"label": "SUBJ-1 overview", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert (signal("unclear_requirements").measured, signal("unclear_requirements").threshold) == (
        clarity,
        2.0,
    )


@pytest.mark.parametrize(("stage", "clarity"), [(Stage.IN_DELIVERY, 3), (Stage.PROPOSED, 1)])
def test_unclear_requirements_near_miss(themes, stage, clarity):
    subject(themes, stage=stage, requirements_clarity=clarity)

    assert raised() == []
