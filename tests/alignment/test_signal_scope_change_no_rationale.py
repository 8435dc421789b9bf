"""Rule 5, scope change without rationale: scope changes of the last year logged with no reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.models import ScopeChangeStatus
from tests.alignment.signal_support import D, raised, scope_changes, signal, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_scope_change_no_rationale(themes):
    # given: one change with no reason, one with only blanks (364 days ago), one with a reason
    initiative = subject(themes)
    bare = scope_changes(initiative, [D(2026, 10, 1)], rationale="")
    blank = scope_changes(initiative, [D(2025, 11, 22)], rationale="   ")
    scope_changes(initiative, [D(2026, 10, 2)])

    # then
    assert raised() == [
        (
            "scope_change_no_rationale",
            "amber",
            "SUBJ-1 has 2 scope changes without a rationale.",
            [
                {
                    "label": "Scope change of 2026-10-01",
                    "url": reverse("portfolio:record-edit", args=["scope-changes", bare[0].pk]),
                },
                {
                    "label": "Scope change of 2025-11-22",
                    "url": reverse("portfolio:record-edit", args=["scope-changes", blank[0].pk]),
                },
            ],
        )
    ]
    assert (signal("scope_change_no_rationale").measured, signal("scope_change_no_rationale").threshold) == (
        2.0,
        None,
    )


def test_scope_change_no_rationale_near_miss(themes):
    # given: a bare change 366 days ago and a rejected one
    initiative = subject(themes)
    scope_changes(initiative, [D(2025, 11, 20)], rationale="")
    scope_changes(
        initiative,
        [D(2026, 10, 1)],
        rationale="",
        status=ScopeChangeStatus.REJECTED,
        approved_by=UserFactory(),
    )

    assert raised() == []
