"""The worked example of docs/scoring.md, "The sponsor adjustment", entered as data: Dana's record (BOPS-1 and
CRM-9 past go-live, 39,000 realised of 75,000 promised to 21 November 2026, as in rules 16 to 18) and three
candidates for the ranking, NEW-1 hers (shared by the sponsor adjustment's tests)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from alignment.models import InitiativeScore
from core.stages import Stage
from portfolio.models import BusinessCase
from tests.alignment.benefit_signal_support import plan
from tests.factories import InitiativeFactory, RiskFactory, UserFactory

TODAY = datetime.date(2026, 11, 21)
NOON = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
# code: fit, NPV, (probability, impact) of the largest active risk, urgency
CANDIDATES: dict[str, tuple[int, Decimal, tuple[int, int], int]] = {
    "NEW-1": (70, Decimal("1000000"), (3, 4), 3),
    "ALT-2": (70, Decimal("800000"), (3, 4), 3),
    "ALT-3": (50, Decimal("200000"), (2, 3), 4),
}


def dana_record(dana: Any = None, *, suffix: str = "") -> Any:
    """Dana (or another sponsor) with the record of docs/scoring.md: BOPS-1 realised 39,000 of 60,000, CRM-9
    0 of 15,000 to date; two initiatives past go-live."""
    dana = dana or UserFactory(first_name="Dana", last_name="Diaz")
    bops = InitiativeFactory(
        code=f"BOPS-1{suffix}",
        stage=Stage.LIVE,
        sponsor=dana,
        go_live_date=datetime.date(2026, 2, 15),
    )
    plan(
        bops,
        "Store labour saved",
        [((2026, 1), "10000", "8000"), ((2026, 2), "20000", "12000"), ((2026, 3), "20000", "10000")],
    )
    plan(bops, "Returns avoided", [((2026, 2), "5000", "4000"), ((2026, 3), "5000", "5000")], position=1)
    crm = InitiativeFactory(
        code=f"CRM-9{suffix}", stage=Stage.LIVE, sponsor=dana, go_live_date=datetime.date(2026, 6, 1)
    )
    plan(crm, "Churn reduction", [((2026, 3), "15000", None), ((2026, 4), "15000", None)])
    return dana


def candidate(code: str, *, sponsor: Any = None, like: str = "", **extra: Any) -> Any:
    """A proposed initiative with the figures of CANDIDATES[like or code] (a stored fit, an NPV, a risk)."""
    fit, npv, (probability, impact), urgency = CANDIDATES[like or code]
    initiative = InitiativeFactory(
        code=code,
        title=f"Title of {code}",
        stage=Stage.PROPOSED,
        urgency=urgency,
        actual_start=None,
        sponsor=sponsor or UserFactory(),
        **extra,
    )
    InitiativeScore.objects.create(initiative=initiative, fit=fit, stale=False)
    BusinessCase.objects.create(initiative=initiative, first_year=2026, npv=npv)
    RiskFactory(initiative=initiative, probability=probability, impact=impact)
    return initiative


def example_world() -> dict[str, Any]:
    """Dana's record and the three candidates, NEW-1 sponsored by Dana."""
    dana = dana_record()
    return {
        "dana": dana,
        "NEW-1": candidate("NEW-1", sponsor=dana),
        "ALT-2": candidate("ALT-2"),
        "ALT-3": candidate("ALT-3"),
    }
