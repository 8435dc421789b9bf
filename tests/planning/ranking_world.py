"""The worked example of docs/planning-priorities.md entered as data: five candidate initiatives with the
engine's fit, a business case's NPV, active risks, urgency and WSJF parts (shared by the ranking tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alignment.models import InitiativeScore
from core.stages import Stage
from portfolio.models import BusinessCase
from tests.factories import InitiativeFactory, RiskFactory

# code: title, fit, NPV, (probability, impact) of the largest active risk, urgency, mandatory, WSJF parts
EXAMPLE: dict[str, tuple[Any, ...]] = {
    "CRM": ("Customer portal", 80, Decimal("1200000"), (3, 4), 3, False, (13, 8, 5, 13)),
    "ERP": ("Finance upgrade", 60, Decimal("2000000"), (2, 3), 4, False, (8, 5, 3, 8)),
    "MOB": ("Mobile field app", 90, Decimal("-200000"), (4, 5), 5, False, (5, 13, 2, 5)),
    "DAT": ("Data platform", 40, None, (2, 2), 2, False, (8, 2, 8, 20)),
    "REC": ("Records retention", 30, Decimal("-50000"), (2, 4), 5, True, (3, 20, 8, 8)),
}
# docs/planning-priorities.md: the scores to 4 decimals, in rank order
EXPECTED_SCORES = [("REC", 39.6705), ("ERP", 77.125), ("CRM", 66.7159), ("MOB", 54.125), ("DAT", 46.9643)]


def candidate(key: str, *, code: str = "", stage: str = Stage.PROPOSED, **extra: Any) -> Any:
    """The example's candidate `key` as an initiative (under `code` when given: a copy of its figures)."""
    title, fit, npv, (probability, impact), urgency, mandatory, wsjf = EXAMPLE[key]
    initiative = InitiativeFactory(
        code=code or key,
        title=title,
        stage=stage,
        urgency=urgency,
        mandatory=mandatory,
        mandatory_reason="Records law <b>art. 5</b>" if mandatory else "",
        wsjf_business_value=wsjf[0],
        wsjf_time_criticality=wsjf[1],
        wsjf_risk_reduction=wsjf[2],
        wsjf_job_size=wsjf[3],
        actual_start=None,
        **extra,
    )
    InitiativeScore.objects.create(initiative=initiative, fit=fit, stale=False)
    if npv is not None:
        BusinessCase.objects.create(initiative=initiative, first_year=2026, npv=npv)
    RiskFactory(initiative=initiative, probability=probability, impact=impact)
    RiskFactory(initiative=initiative, probability=1, impact=1)  # a smaller one: the largest counts
    return initiative


def example_world() -> dict[str, Any]:
    return {code: candidate(code) for code in EXAMPLE}
