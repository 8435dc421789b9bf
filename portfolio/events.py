"""The portfolio's events in the outbox (core.outbox): recorded by its services inside their transactions."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse

from core import outbox
from core.formatting import money_full, number
from portfolio import benefits
from portfolio.benefits import Quarter
from portfolio.models import KPI, BenefitPlan, BusinessCaseLine, Contribution, Initiative, Reading


def initiative_about(initiative: Initiative) -> dict[str, list[int | None]]:
    return {"initiative": [initiative.pk], "program": [initiative.program_id]}


def _label(name: str, model: type[models.Model] = Initiative) -> str:
    """A field as the model's form names it ("sustainment owner", not "sustainment_owner")."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def initiative_event(
    kind: str, initiative: Initiative, *, actor: Any, fields: Iterable[str] = (), stage_from: str = ""
) -> None:
    """Record an initiative's event: registered, changed (with the fields that changed), moved to a stage."""
    data: dict[str, Any] = {"initiative_id": initiative.pk, "code": initiative.code}
    if kind == outbox.INITIATIVE_CHANGED:
        data["fields"] = sorted(fields)
        labels = ", ".join(_label(name) for name in sorted(fields))
        title = f"{initiative.code} {initiative.title} was changed ({labels})"
    elif kind == outbox.INITIATIVE_STAGE_MOVED:
        data.update({"stage_from": stage_from, "stage_to": initiative.stage})
        title = f"{initiative.code} {initiative.title} moved to {initiative.get_stage_display()}"
    else:
        title = f"{initiative.code} {initiative.title} was registered"
    outbox.event_record(
        kind,
        subject_type="initiative",
        subject_id=initiative.pk,
        title=title,
        url=reverse("portfolio:initiative-detail", args=[initiative.pk]),
        actor=actor,
        about=initiative_about(initiative),
        data=data,
    )


def contribution_event(contribution: Contribution, *, actor: Any, action: str) -> None:
    """Record that a contribution was added, changed or removed (`action`)."""
    initiative, objective = contribution.initiative, contribution.objective
    outbox.event_record(
        outbox.CONTRIBUTION_CHANGED,
        subject_type="contribution",
        subject_id=contribution.pk,
        title=f"{initiative.code}'s contribution to {objective.title} was {action}",
        url=reverse("portfolio:initiative-detail", args=[initiative.pk]),
        actor=actor,
        about={**initiative_about(initiative), "objective": [objective.pk]},
        data={
            "initiative_id": initiative.pk,
            "objective_id": objective.pk,
            "action": action,
            "strength": contribution.strength,
        },
    )


def reading_event(reading: Reading, kpi: KPI, *, actor: Any) -> None:
    outbox.event_record(
        outbox.KPI_READING_RECORDED,
        subject_type="kpi",
        subject_id=kpi.pk,
        title=f"New reading of {kpi.name}: {reading.value} on {reading.date.isoformat()}",
        url=reverse("portfolio:kpi-detail", args=[kpi.pk]),
        actor=actor,
        about={"kpi": [kpi.pk], "objective": [kpi.objective_id]},
        data={
            "kpi_id": kpi.pk,
            "reading_id": reading.pk,
            "date": reading.date.isoformat(),
            "value": str(reading.value),
        },
    )


def benefit_about(plan: BenefitPlan, initiative: Initiative) -> dict[str, list[int | None]]:
    """A benefit plan's event is about its initiative, the initiative's program and the plan's KPI."""
    return {**initiative_about(initiative), "kpi": [plan.kpi_id]}


def _benefit_event(
    kind: str,
    plan: BenefitPlan,
    line: BusinessCaseLine,
    initiative: Initiative,
    *,
    actor: Any,
    title: str,
    data: dict[str, Any],
) -> None:
    """Told to the watchers of the initiative, its program and the KPI, and to the plan's owner (none
    entered: the initiative's sustainment owner, as docs/benefits.md says)."""
    outbox.event_record(
        kind,
        subject_type="benefit_plan",
        subject_id=line.pk,
        title=f"{initiative.code} {initiative.title}: {title}",
        url=reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#benefits",
        actor=actor,
        about=benefit_about(plan, initiative),
        recipients=[plan.owner_id or initiative.sustainment_owner_id],
        data={"initiative_id": initiative.pk, "line_id": line.pk, **data},
    )


def benefit_plan_event(
    plan: BenefitPlan,
    line: BusinessCaseLine,
    initiative: Initiative,
    *,
    actor: Any,
    action: str,
    fields: Iterable[str] = (),
    quarters: Iterable[Quarter] = (),
) -> None:
    """Record that a benefit plan was created, changed (`fields`: owner, kpi, source, quarters; `quarters`:
    those whose expected value was set, changed or removed, or whose actual was removed) or removed."""
    names = sorted(fields)
    words = f" ({', '.join(_label(name, BenefitPlan) for name in names)})" if names else ""
    _benefit_event(
        outbox.BENEFIT_PLAN_CHANGED,
        plan,
        line,
        initiative,
        actor=actor,
        title=f"benefit plan of {line.label} was {action}{words}",
        data={"action": action, "fields": names, "quarters": [q.label for q in sorted(quarters)]},
    )


def benefit_actual_event(
    plan: BenefitPlan,
    line: BusinessCaseLine,
    initiative: Initiative,
    *,
    actor: Any,
    quarter: Quarter,
    expected: Decimal | None,
    actual: Decimal,
) -> None:
    """Record the actual entered for one quarter of a plan, beside the quarter's expected value (money to
    the cent, or a KPI value to 4 decimals)."""
    financial = line.line_kind.is_financial
    places = benefits.CENT if financial else benefits.KPI_PLACES

    def shown(value: Decimal) -> str:
        return money_full(value, cents=True) if financial else number(value, 4)

    versus = f"{shown(expected)} expected" if expected is not None else "nothing expected"
    _benefit_event(
        outbox.BENEFIT_ACTUAL_RECORDED,
        plan,
        line,
        initiative,
        actor=actor,
        title=f"{line.label} realised {shown(actual)} in {quarter.label} ({versus})",
        data={
            "quarter": quarter.label,
            "expected": None if expected is None else str(benefits.rounded(expected, places)),
            "actual": str(benefits.rounded(actual, places)),
        },
    )
