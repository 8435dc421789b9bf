from __future__ import annotations

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
    "Artefact",
    "ArtefactKind",
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
