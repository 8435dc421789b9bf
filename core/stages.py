"""An initiative's lifecycle stages and every named group of them: the one definition each app uses.

Groups are frozensets of the stage values, so `initiative.stage in FUNDED` and `stage__in=FUNDED` both work.
"""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_DELIVERY = "in_delivery", "In delivery"
    LIVE = "live", "Live"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


STAGE_ORDER: dict[str, int] = {stage: index for index, stage in enumerate(Stage.values)}


def _group(*stages: Stage) -> frozenset[str]:
    return frozenset(stage.value for stage in stages)


# Not closed or cancelled: may still go on a steering agenda, still has work or benefits to watch.
UNFINISHED = _group(Stage.IDEA, Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE)
# Past the idea and not finished: what the alignment engine's signals watch.
ACTIVE = _group(Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE)
# Money is committed: what the portfolio indices weigh.
FUNDED = _group(Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE)
# Under steering governance: checkpoint reviews fall due under the tier's cadence.
GOVERNED = _group(Stage.APPROVED, Stage.IN_DELIVERY)
# Delivery can be measured against plan and budget.
DELIVERING = _group(Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED)
# Outcomes are judged from the start of delivery.
OUTCOME = _group(Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED)
# No longer running: live, closed or cancelled.
STOPPED = _group(Stage.LIVE, Stage.CLOSED, Stage.CANCELLED)

# The groups offered as one choice in stage filters (register, dashboards).
STAGE_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "funded": ("Funded: approved, in delivery or live", FUNDED),
    "active": ("Active: proposed to live", ACTIVE),
}


def in_order(stages: frozenset[str]) -> list[str]:
    """A group's stages in lifecycle order (for choices and messages)."""
    return sorted(stages, key=STAGE_ORDER.__getitem__)
