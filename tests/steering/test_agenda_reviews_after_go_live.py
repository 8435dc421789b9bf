"""Post-implementation reviews (issue 14, part 2): a live initiative comes before the committee 3, 6 and 12
months after go-live (portfolio.benefits.review_due), until a checkpoint review covers it."""

from __future__ import annotations

import datetime

import pytest

from core.stages import Stage
from steering import rules
from steering.models import CheckpointReview
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def live(db):
    return InitiativeFactory(
        code="ECOM-1", stage=Stage.LIVE, go_live_date=D(2026, 2, 15), actual_end=D(2026, 2, 15)
    )


def test_a_live_initiative_is_proposed_for_its_review_at_six_months(live):
    # Given a meeting on 20 August 2026, six months and five days after go-live, and no review since
    facts = rules.agenda_facts(D(2026, 8, 20))
    # Then the initiative is flagged, with the reason and the points of a review due
    fact = facts[live.pk]
    assert fact.flagged
    assert fact.reasons() == [
        "Post-implementation review at +6 months due 2026-08-15 (live since 2026-02-15): "
        "benefits realised against the plan"
    ]
    assert fact.importance().parts == (("review +6 months after go-live", 5),)


def test_a_review_held_since_the_date_takes_it_off(live):
    # Given the committee reviewed the initiative on 16 August 2026
    CheckpointReview.objects.create(
        initiative=live, held_on=D(2026, 8, 16), decision="proceed", rationale="Fine."
    )
    # Then a meeting on 20 August has nothing to propose for it
    assert live.pk not in rules.agenda_facts(D(2026, 8, 20))


@pytest.mark.parametrize("held_on", [D(2026, 5, 14), D(2027, 5, 16)])
def test_no_review_before_three_months_or_after_fifteen(live, held_on):
    assert live.pk not in rules.agenda_facts(held_on)


def test_the_reviews_are_read_in_one_query(live, django_assert_num_queries):
    InitiativeFactory(stage=Stage.LIVE, go_live_date=D(2026, 1, 20), actual_end=D(2026, 1, 20))
    with django_assert_num_queries(1):
        found = rules.reviews_after_go_live(rules.Initiative.objects.all(), D(2026, 8, 20))
    assert sorted((due.months, due.due_on) for due in found.values()) == [
        (6, D(2026, 7, 20)),
        (6, D(2026, 8, 15)),
    ]
