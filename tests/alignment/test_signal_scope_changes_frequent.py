"""Rule 4, frequent scope changes: three or more scope changes not rejected in the last 180 days."""

from __future__ import annotations

import pytest

from core.stages import Stage
from portfolio.models import ScopeChangeStatus
from tests.alignment.signal_support import D, initiative_url, raised, scope_changes, signal, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


@pytest.mark.parametrize(("count", "severity"), [(3, "amber"), (5, "red")])
def test_scope_changes_frequent(themes, count, severity):
    # given: changes within the 180 days (the oldest exactly 180 days ago)
    initiative = subject(themes)
    scope_changes(initiative, [D(2026, 5, 25)] + [D(2026, 10, day) for day in range(1, count)])

    # then
    assert raised() == [
        (
            "scope_changes_frequent",
            severity,
            f"SUBJ-1 had {count} scope changes in the last 180 days.",
            [{"label": "Scope changes of SUBJ-1", "url": initiative_url(initiative, "scope-changes")}],
        )
    ]
    assert (signal("scope_changes_frequent").measured, signal("scope_changes_frequent").threshold) == (
        count,
        3.0,
    )


def test_scope_changes_frequent_near_miss(themes):
    # given: two recent changes, one 181 days ago, one rejected
    initiative = subject(themes)
    scope_changes(initiative, [D(2026, 10, 1), D(2026, 10, 2), D(2026, 5, 24)])
    scope_changes(initiative, [D(2026, 10, 3)], status=ScopeChangeStatus.REJECTED, approved_by=UserFactory())

    assert raised() == []


def test_scope_changes_of_a_closed_initiative_raise_nothing(themes):
    initiative = subject(themes, stage=Stage.CLOSED, actual_end=D(2026, 11, 1))
    scope_changes(initiative, [D(2026, 10, day) for day in range(1, 6)], rationale="")

    assert raised() == []
