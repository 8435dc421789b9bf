"""What the early-warning rule tests share. Each test starts from a quiet portfolio (the `themes` fixture:
two themes, each served strongly by a healthy initiative) and adds one initiative that differs from a
healthy one only in what the rule watches, so the signals asserted are all the signals raised.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.urls import reverse

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from portfolio.models import Initiative, Objective
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    ScopeChangeFactory,
)

D = datetime.date
TODAY = D(2026, 11, 21)
REVIEWED = D(2026, 10, 1)  # 51 days ago: within every tier's cadence


def healthy(
    *,
    code: str = "SUBJ-1",
    contributions: Sequence[tuple[Objective, str]] = (),
    review: D | None = REVIEWED,
    **values: Any,
) -> Initiative:
    """An initiative no rule has anything to say about: in delivery, on plan, on budget, reviewed, clear."""
    fields: dict[str, Any] = {
        "code": code,
        "stage": Stage.IN_DELIVERY,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 27),
        "actual_start": D(2026, 1, 15),
        "stage_since": D(2026, 1, 15),
        "budget_capex": Decimal("100000"),
        "budget_opex": Decimal("20000"),
        "actual_cost": Decimal("50000"),
        "requirements_clarity": 4,
        **values,
    }
    initiative = InitiativeFactory(**fields)
    for objective, strength in contributions:
        ContributionFactory(initiative=initiative, objective=objective, strength=strength)
    if review is not None:
        CheckpointReviewFactory(initiative=initiative, held_on=review)
    ArtefactFactory(initiative=initiative)
    return initiative


def subject(themes: dict[str, Objective], **values: Any) -> Initiative:
    values.setdefault("contributions", [(themes["t1"], "moderate")])
    return healthy(**values)


def raised() -> list[tuple[str, str, str, list[dict[str, str]]]]:
    services.recompute(today=TODAY)
    return [(s.rule, s.severity, s.message, s.evidence) for s in Signal.objects.order_by("key")]


def signal(rule: str) -> Signal:
    return Signal.objects.get(rule=rule)


def initiative_url(initiative: Initiative, anchor: str) -> str:
    return reverse("portfolio:initiative-detail", args=[initiative.pk]) + f"#{anchor}"


def scope_changes(initiative: Initiative, dates: list[D], **values: Any) -> list[Any]:
    return [ScopeChangeFactory(initiative=initiative, date=day, **values) for day in dates]
