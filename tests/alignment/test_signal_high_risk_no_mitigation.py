"""Rule 15, high risk without mitigation: an open risk of exposure 15 or more with no mitigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment.models import Signal
from core.stages import Stage
from risk.models import RiskStatus
from tests.alignment.signal_support import healthy, raised, subject
from tests.factories import RiskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def test_high_risk_no_mitigation(themes):
    # given: 3 x 5 = 15 with no mitigation, and one whose mitigation is only blanks
    initiative = subject(themes)
    risk = RiskFactory(
        initiative=initiative, title="Vendor insolvent", probability=3, impact=5, mitigation=""
    )
    blank = RiskFactory(initiative=initiative, title="Data loss", probability=4, impact=4, mitigation="  ")

    # then
    assert raised() == [
        (
            "high_risk_no_mitigation",
            "red",
            "SUBJ-1: “Vendor insolvent” (3 × 5 = 15) has no mitigation.",
            [{"label": "Vendor insolvent", "url": reverse("portfolio:record-edit", args=["risks", risk.pk])}],
        ),
        (
            "high_risk_no_mitigation",
            "red",
            "SUBJ-1: “Data loss” (4 × 4 = 16) has no mitigation.",
            [{"label": "Data loss", "url": reverse("portfolio:record-edit", args=["risks", blank.pk])}],
        ),
    ]
    assert Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}").measured == 15.0
    assert Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}").threshold == 15.0


def test_high_risk_no_mitigation_near_miss(themes):
    # given: 3 x 4 = 12 unmitigated; 5 x 5 mitigated; 5 x 5 closed; 5 x 5 on a closed initiative
    initiative = subject(themes)
    RiskFactory(initiative=initiative, probability=3, impact=4, mitigation="")
    RiskFactory(initiative=initiative, probability=5, impact=5)
    RiskFactory(initiative=initiative, probability=5, impact=5, mitigation="", status=RiskStatus.CLOSED)
    closed = healthy(code="OLD-1", stage=Stage.CLOSED, contributions=[(themes["t1"], "moderate")])
    RiskFactory(initiative=closed, probability=5, impact=5, mitigation="")

    assert raised() == []
