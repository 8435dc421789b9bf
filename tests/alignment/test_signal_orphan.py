"""Rule 1, orphan: an open initiative that contributes to no objective, or only with no weight."""

from __future__ import annotations

import pytest

from core.stages import Stage
from portfolio.models import Initiative, ObjectiveStatus
from tests.alignment.signal_support import D, initiative_url, raised, signal, subject
from tests.factories import ObjectiveFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(
    ("stage", "severity", "message"),
    [
        (Stage.IN_DELIVERY, "red", "SUBJ-1 contributes to no objective although it is funded."),
        (Stage.LIVE, "red", "SUBJ-1 contributes to no objective although it is funded."),
        (Stage.PROPOSED, "amber", "SUBJ-1 contributes to no objective."),
    ],
)
def test_orphan_an_open_initiative_with_no_contribution(themes, stage, severity, message):
    # given: no contribution at all
    values = (
        {"sustainment_owner": UserFactory(), "go_live_date": D(2026, 10, 1)} if stage == Stage.LIVE else {}
    )
    orphan = subject(themes, stage=stage, contributions=[], **values)

    # then
    assert raised() == [
        (
            "orphan",
            severity,
            message,
            [{"label": "SUBJ-1 contributions", "url": initiative_url(orphan, "contributions")}],
        )
    ]
    assert (signal("orphan").key, signal("orphan").initiative_id, signal("orphan").measured) == (
        f"orphan:i{orphan.pk}",
        orphan.pk,
        0.0,
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "none",
            "SUBJ-1 contributes to its objectives only with strength none although it is funded: "
            "its strategic fit is 0.",
        ),
        (
            "retired",
            "SUBJ-1 contributes only to retired objectives although it is funded: its strategic fit is 0.",
        ),
        (
            "under-retired",
            "SUBJ-1 contributes only to retired objectives although it is funded: its strategic fit is 0.",
        ),
    ],
)
def test_orphan_an_open_initiative_whose_fit_is_0_says_why(themes, case, message):
    # given: contributions that carry no weight: strength none to T1 and T2; weak to a retired objective (and
    # none to T1); or weak to an active objective under a retired one (a weak one, so that objective_weakened,
    # which watches moderate and strong contributions, stays quiet)
    retired = ObjectiveFactory(
        code="O1.9", title="Marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    below = ObjectiveFactory(code="O1.9.1", title="Sellers", parent=retired)
    contributions = {
        "none": [(themes["t1"], "none"), (themes["t2"], "none")],
        "retired": [(retired, "weak"), (themes["t1"], "none")],
        "under-retired": [(below, "weak")],
    }[case]
    orphan = subject(themes, contributions=contributions)

    # then
    assert raised() == [
        (
            "orphan",
            "red",
            message,
            [{"label": "SUBJ-1 contributions", "url": initiative_url(orphan, "contributions")}],
        )
    ]
    assert Initiative.objects.get(pk=orphan.pk).score.fit == 0.0
    assert (signal("orphan").measured, signal("orphan").threshold) == (0.0, None)


@pytest.mark.parametrize("stage", [Stage.IDEA, Stage.CLOSED, Stage.CANCELLED])
def test_orphan_near_miss_an_idea_or_a_finished_initiative(themes, stage):
    subject(themes, stage=stage, contributions=[])

    assert raised() == []


def test_orphan_near_miss_a_weak_contribution_is_a_contribution(themes):
    subject(themes, contributions=[(themes["t2"], "weak")])

    assert raised() == []
