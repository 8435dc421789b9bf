from __future__ import annotations

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
    "Category",
    "Contribution",
    "Direction",
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
