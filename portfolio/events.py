"""The portfolio's events in the outbox (core.outbox): recorded by its services inside their transactions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from core import outbox
from portfolio.models import KPI, Contribution, Initiative, Reading


def initiative_about(initiative: Initiative) -> dict[str, list[int | None]]:
    return {"initiative": [initiative.pk], "program": [initiative.program_id]}


def _label(name: str) -> str:
    """A field as the initiative's form names it ("sustainment owner", not "sustainment_owner")."""
    try:
        field = Initiative._meta.get_field(name)
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
