"""A small portfolio for scenarios' tests: candidates with stored strategic fits and business cases."""

from __future__ import annotations

import datetime
from decimal import Decimal

from alignment.models import InitiativeScore
from core.stages import Stage
from portfolio.services.business_cases import LineInput, business_case_save
from tests.factories import InitiativeFactory


def candidate(
    code: str, stage: str, fit: float, costs: dict[int, tuple[int, int]] | None = None, *, by=None, **fields
):
    """An initiative with a stored strategic fit and, when `costs` is given, a business case with those
    capex and opex amounts per year."""
    initiative = InitiativeFactory(
        code=code, title=f"Title of {code}", stage=stage, actual_start=None, **fields
    )
    InitiativeScore.objects.create(initiative=initiative, fit=fit)
    if costs is not None:
        lines = [
            LineInput("capex", "Build", {y: Decimal(c) for y, (c, _) in costs.items()}),
            LineInput("opex", "Run", {y: Decimal(o) for y, (_, o) in costs.items()}),
        ]
        business_case_save(
            user=by, initiative_id=initiative.pk, version=None, first_year=min(costs), lines=lines
        )
    return initiative


def build_world(pmo):
    """Four candidates for 2027-2028 and one finished initiative (not a candidate), by code."""
    return {
        "A1": candidate("A1", Stage.PROPOSED, 80, {2027: (300, 0), 2028: (0, 100)}, by=pmo),
        "B1": candidate("B1", Stage.PROPOSED, 60, {2027: (200, 0), 2028: (0, 50)}, by=pmo),
        "C1": candidate("C1", Stage.IDEA, 50, {2027: (100, 0)}, sponsor=None, by=pmo),
        # no business case: its budget (1,200 capex, 600 opex) over 2026-2028, a third a year
        "D1": candidate(
            "D1",
            Stage.APPROVED,
            30,
            None,
            budget_capex=Decimal("1200"),
            budget_opex=Decimal("600"),
            planned_start=datetime.date(2026, 3, 1),
            planned_end=datetime.date(2028, 6, 30),
        ),
        "L1": candidate(
            "L1", Stage.LIVE, 90, {2027: (0, 10)}, by=pmo, go_live_date=datetime.date(2026, 1, 1)
        ),
    }
