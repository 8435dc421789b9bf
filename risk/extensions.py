"""What the risk app adds to portfolio pages: the risk section and form of an initiative, and its history."""

from __future__ import annotations

from typing import Any

from core import roles
from core.extensions import ChildKind, PageSection, registry
from portfolio.models import Initiative
from risk import selectors, services
from risk.forms import RiskForm
from risk.models import Risk


def risk_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    risks = list(initiative.risks.select_related("owner"))
    return {"risks": risks, "grid": selectors.heat_grid(risks)}


def register() -> None:
    registry.add_child_kind(
        ChildKind(
            slug="risks",
            noun="risk",
            section="risks",
            model=Risk,
            form=RiskForm,
            create=services.risk_create,
            update=lambda *, user, pk, version, data: services.risk_update(
                user=user, risk_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.risk_delete(user=user, risk_id=pk, version=version),
            rule=roles.can_edit_initiative,
        )
    )
    registry.add_section(PageSection("risks", "Risks", 50, "risk/_initiative_risks.html", risk_section))
    registry.add_history_source(_risk_history)


def _risk_history(initiative: Initiative) -> list[Any]:
    return [Risk.history.filter(initiative_id=initiative.pk)]
