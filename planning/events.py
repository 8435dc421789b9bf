"""Planning's events in the outbox (core.outbox): a scenario solved, a scenario approved as the plan. Told to the
scenario's creator; the approval's decision.recorded (steering's portfolio decision) is recorded beside it, as
every portfolio decision is, and names no one, so nobody hears of one approval twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from core import outbox
from core.formatting import number
from planning import optimiser
from planning.models.scenarios import Scenario


def _scenario_event(
    kind: str, scenario: Scenario, *, actor: Any, title: str, data: Mapping[str, Any]
) -> None:
    outbox.event_record(
        kind,
        subject_type="scenario",
        subject_id=scenario.pk,
        title=title,
        url=reverse("planning:scenario-detail", args=[scenario.pk]),
        actor=actor,
        recipients=[scenario.created_by_id],
        data={"scenario_id": scenario.pk, **data},
    )


def solved_title(name: str, summary: Mapping[str, Any]) -> str:
    """What a solve found, in words: a proven optimum, the best found within the time limit, none in time,
    or no plan that keeps every rule."""
    status, value = summary["status"], summary["value"]
    if status == optimiser.INFEASIBLE:
        return f"Scenario {name}: no plan keeps every rule"
    if value is None:
        return f"Scenario {name}: no answer within the time limit"
    found = "solved" if status == optimiser.OPTIMAL else "best plan found within the time limit"
    return (
        f"Scenario {name} {found}: {summary['selected']:,} of {summary['candidates']:,} initiatives "
        f"in the plan, value {number(value, 2)}"
    )


def scenario_solved_event(scenario: Scenario, summary: Mapping[str, Any], *, actor: Any) -> None:
    """A solve stored its answer: its status (optimal, time_limit, infeasible) and value."""
    _scenario_event(
        outbox.SCENARIO_SOLVED,
        scenario,
        actor=actor,
        title=solved_title(scenario.name, summary),
        data={
            "status": summary["status"],
            "value": summary["value"],
            "selected": summary["selected"],
            "candidates": summary["candidates"],
        },
    )


def scenario_approved_event(
    scenario: Scenario, *, actor: Any, decision_id: int, funded: int, moved: int
) -> None:
    """A scenario's answer approved as the plan, with the decision recorded for it in the decision log."""
    _scenario_event(
        outbox.SCENARIO_APPROVED,
        scenario,
        actor=actor,
        title=(
            f"Scenario {scenario.name} approved as the plan: {funded:,} initiatives funded, "
            f"{moved:,} stages changed"
        ),
        data={"decision_id": decision_id, "funded": funded, "moved": moved},
    )
