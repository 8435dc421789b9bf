from __future__ import annotations

from portfolio.models.benefits import ActualsSource, BenefitPeriod, BenefitPlan
from portfolio.models.business_cases import (
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    FinancialPolicy,
)
from portfolio.models.initiatives import (
    Artefact,
    ArtefactKind,
    Category,
    Contribution,
    Initiative,
    Milestone,
    Program,
    ScopeChange,
    ScopeChangeStatus,
    Strength,
)
from portfolio.models.objectives import KPI, Direction, InterimTarget, Objective, ObjectiveStatus, Reading

__all__ = [
    "KPI",
    "ActualsSource",
    "Artefact",
    "ArtefactKind",
    "BenefitPeriod",
    "BenefitPlan",
    "BusinessCase",
    "BusinessCaseAmount",
    "BusinessCaseLine",
    "Category",
    "Contribution",
    "Direction",
    "FinancialPolicy",
    "Initiative",
    "InterimTarget",
    "Milestone",
    "Objective",
    "ObjectiveStatus",
    "Program",
    "Reading",
    "ScopeChange",
    "ScopeChangeStatus",
    "Strength",
]
