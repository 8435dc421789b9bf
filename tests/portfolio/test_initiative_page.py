"""The initiative page: every section with what it shows, for each role."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    MilestoneFactory,
    RiskFactory,
    ScopeChangeFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


PORTFOLIO_SECTIONS = [
    "overview",
    "contributions",
    "milestones",
    "risks",
    "scope-changes",
    "artefacts",
    "checkpoints",
    "history",
]


@pytest.fixture
def full_initiative(initiative, objective, kpi, pmo, executive):
    """The shared initiative with one record in every section."""
    ContributionFactory(
        initiative=initiative,
        objective=objective,
        strength="strong",
        rationale="A faster checkout converts more visitors.",
        kpi=kpi,
        expected_change=Decimal("2.5"),
    )
    MilestoneFactory(
        initiative=initiative,
        name="Design signed off",
        baseline_date=D(2026, 3, 31),
        actual_date=D(2026, 4, 10),
    )
    RiskFactory(initiative=initiative, title="Payment vendor late", probability=4, impact=5, mitigation="")
    ScopeChangeFactory(initiative=initiative, description="Add gift cards to checkout.", rationale="")
    ArtefactFactory(initiative=initiative, title="Business case v1")
    CheckpointReviewFactory(initiative=initiative, decision="realign", rationale="Scope creep.")
    return initiative


def test_initiative_page_shows_every_section_with_its_records(client, full_initiative, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse("portfolio:initiative-detail", args=[full_initiative.pk]))

    # then
    page = response.content.decode()
    assert response.status_code == 200
    sections = re.findall(r'<section id="([^"]+)" class="detail-section', page)
    assert [key for key in sections if key in PORTFOLIO_SECTIONS] == PORTFOLIO_SECTIONS
    assert "Sponsor Erin Executive · Manager Mo Manager · Budget €120k" in page
    assert "<dt>Budget</dt><dd>€120,000" in page
    assert "A faster checkout converts more visitors." in page
    assert ": 2.5 %</td>" in page
    assert "Done 10 days late" in page
    assert "4 × 5 = 20" in page
    assert "Add gift cards to checkout." in page
    assert "No rationale given" in page
    assert "No mitigation" in page
    assert "Business case v1" in page
    assert "<strong>Realign</strong>" in page
    assert "<strong>Initiative “Checkout rebuild”</strong> created by system" in page


EDIT_BUTTONS = {
    "edit initiative": lambda i: reverse("portfolio:initiative-edit", args=[i.pk]),
    "add contribution": lambda i: reverse("portfolio:record-create", args=[i.pk, "contributions"]),
    "edit contribution": lambda i: reverse(
        "portfolio:record-edit", args=["contributions", i.contributions.get().pk]
    ),
    "add milestone": lambda i: reverse("portfolio:record-create", args=[i.pk, "milestones"]),
    "edit milestone": lambda i: reverse("portfolio:record-edit", args=["milestones", i.milestones.get().pk]),
    "delete milestone": lambda i: reverse(
        "portfolio:record-delete", args=["milestones", i.milestones.get().pk]
    ),
    "add risk": lambda i: reverse("portfolio:record-create", args=[i.pk, "risks"]),
    "edit risk": lambda i: reverse("portfolio:record-edit", args=["risks", i.risks.get().pk]),
    "log scope change": lambda i: reverse("portfolio:record-create", args=[i.pk, "scope-changes"]),
    "delete scope change": lambda i: reverse(
        "portfolio:record-delete", args=["scope-changes", i.scope_changes.get().pk]
    ),
    "add artefact": lambda i: reverse("portfolio:record-create", args=[i.pk, "artefacts"]),
    "edit artefact": lambda i: reverse("portfolio:record-edit", args=["artefacts", i.artefacts.get().pk]),
}
CONTRIBUTION_BUTTONS = {"add contribution", "edit contribution"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("pmo", set(EDIT_BUTTONS)),
        ("admin_user", set(EDIT_BUTTONS)),
        ("manager", set(EDIT_BUTTONS) - CONTRIBUTION_BUTTONS),
        ("other_manager", set()),
        ("executive", set()),
        ("steering_member", set()),
    ],
    indirect=["persona"],
)
def test_initiative_page_offers_the_edit_buttons_the_role_may_use(client, full_initiative, persona, expected):
    # given
    client.force_login(persona)

    # when
    page = client.get(reverse("portfolio:initiative-detail", args=[full_initiative.pk])).content.decode()

    # then
    shown = {name for name, url in EDIT_BUTTONS.items() if f'href="{url(full_initiative)}"' in page}
    assert shown == expected
