"""The demo's scenarios for the next three years: a balanced plan that maximises strategic value within 60 % of
what every candidate would cost each year, and a variant that maximises NPV under the same limits, both solved,
ready to be compared, changed or approved."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from planning.models import RuleKind, Scenario
from planning.scenarios import load_inputs
from planning.services import scenarios as services

SHARE = Decimal("0.6")  # each year's limit: this share of what every candidate would cost that year


def build_scenarios(*, today: datetime.date, users: dict[str, Any] | None = None) -> int:
    """Load the demo's two scenarios unless one exists; returns how many were added."""
    if Scenario.objects.exists():
        return 0
    pmo = (users or {}).get("pmo") or User.objects.filter(username="pmo").first()
    if pmo is None:
        return 0
    first = today.year + 1
    balanced = services.scenario_create(
        user=pmo,
        data={
            "name": f"Balanced plan {first}-{first + 2}",
            "description": "Strategic value first, within 60 % of the demand each year.",
            "first_year": first,
            "years": 3,
            "maximise": "strategic",
        },
    )
    inputs = load_inputs(balanced)
    demand = {year: Decimal("0") for year in balanced.horizon}
    for candidate in inputs.problem.candidates:
        for year, (capex, opex) in candidate.costs.items():
            demand[year] += Decimal(str(capex + opex))
    limits = [
        {"year": y, "total": str((d * SHARE).quantize(Decimal("1000")))} for y, d in demand.items() if d > 0
    ]
    balanced = services.scenario_update(
        user=pmo, scenario_id=balanced.pk, version=balanced.version, data={}, limits=limits
    )
    npv = services.scenario_copy(user=pmo, scenario_id=balanced.pk, name=f"NPV first {first}-{first + 2}")
    npv = services.scenario_update(
        user=pmo,
        scenario_id=npv.pk,
        version=npv.version,
        data={"maximise": "npv", "description": "The best financial return under the same limits."},
    )
    # the two largest proposals compete for the same team: one or the other
    proposals = sorted(
        (c for c in inputs.candidates.values() if c.stage == "proposed"), key=lambda c: c.code
    )[:2]
    if len(proposals) == 2:
        for scenario in (balanced, npv):
            services.scenario_rule_add(
                user=pmo,
                scenario_id=scenario.pk,
                version=Scenario.objects.get(pk=scenario.pk).version,
                kind=RuleKind.EXCLUDES,
                initiative=proposals[0].code,
                other=proposals[1].code,
                note="The same team would build both.",
            )
    for scenario in (balanced, npv):
        services.solve_scenario(Scenario.objects.get(pk=scenario.pk))
    return 2
