"""What the capacity app adds to portfolio pages: an initiative's effort by team (a section and its child
records), its history; and the change notice that keeps even spreads on the initiative's planned months."""

from __future__ import annotations

from typing import Any

from core import roles
from core.changes import listen
from core.extensions import ChildKind, PageSection, registry
from portfolio.models import Initiative


def effort_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    from capacity.models import ChangeDemand

    efforts = list(
        ChangeDemand.objects.filter(initiative=initiative).select_related("team").order_by("team__name")[:100]
    )
    return {"efforts": efforts, "can_edit_effort": roles.can_edit_initiative(user, initiative)}


def register() -> None:
    from capacity import services
    from capacity.forms import ChangeDemandForm
    from capacity.models import ChangeDemand

    registry.add_child_kind(
        ChildKind(
            slug="effort",
            noun="effort estimate",
            section="effort",
            model=ChangeDemand,
            form=ChangeDemandForm,
            create=services.change_demand_create,
            update=lambda *, user, pk, version, data: services.change_demand_update(
                user=user, demand_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.change_demand_delete(
                user=user, demand_id=pk, version=version
            ),
            rule=roles.can_edit_initiative,
        )
    )
    registry.add_section(
        PageSection("effort", "Effort by team", 55, "capacity/_initiative_effort.html", effort_section)
    )
    registry.add_history_source(_effort_history)
    listen(services.on_portfolio_change)


def _effort_history(initiative: Initiative) -> list[Any]:
    from capacity.models import ChangeDemand

    return [ChangeDemand.history.filter(initiative_id=initiative.pk)]
