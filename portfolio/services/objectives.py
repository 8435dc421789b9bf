"""Writes for the strategy side: objectives, KPIs, interim targets, readings and programs (PMO only)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from core.changes import portfolio_changed
from core.records import record_create, record_delete, record_update
from core.roles import can_edit_portfolio
from portfolio.events import reading_event
from portfolio.models import KPI, InterimTarget, Objective, Program, Reading


def _pmo(user: Any, _record: Any) -> bool:
    return can_edit_portfolio(user)


def objective_create(*, user: Any, data: dict[str, Any]) -> Objective:
    """Add an objective to the tree (a theme when it has no parent)."""
    with transaction.atomic():
        objective = record_create(Objective, user=user, values=data, allowed=can_edit_portfolio(user))
        portfolio_changed(objective_ids=[objective.pk, objective.parent_id])
    return objective


def objective_update(*, user: Any, objective_id: int, version: int, data: dict[str, Any]) -> Objective:
    """Change an objective; a weight, parent or status change re-weights every objective below its parent."""
    with transaction.atomic():
        parent_before = Objective.objects.filter(pk=objective_id).values_list("parent_id", flat=True).first()
        objective = record_update(
            Objective, pk=objective_id, version=version, user=user, values=data, authorize=_pmo
        )
        portfolio_changed(objective_ids=[objective.pk, objective.parent_id, parent_before])
    return objective


def kpi_create(*, user: Any, data: dict[str, Any]) -> KPI:
    with transaction.atomic():
        kpi = record_create(KPI, user=user, values=data, allowed=can_edit_portfolio(user))
        portfolio_changed(kpi_ids=[kpi.pk])
    return kpi


def kpi_update(*, user: Any, kpi_id: int, version: int, data: dict[str, Any]) -> KPI:
    with transaction.atomic():
        kpi = record_update(KPI, pk=kpi_id, version=version, user=user, values=data, authorize=_pmo)
        portfolio_changed(kpi_ids=[kpi.pk])
    return kpi


def interim_target_create(*, user: Any, kpi: KPI, date: datetime.date, value: Decimal) -> InterimTarget:
    with transaction.atomic():
        target = record_create(
            InterimTarget,
            user=user,
            values={"kpi": kpi, "date": date, "value": value},
            allowed=can_edit_portfolio(user),
        )
        portfolio_changed(kpi_ids=[kpi.pk])
    return target


def interim_target_delete(*, user: Any, target_id: int, version: int) -> None:
    with transaction.atomic():
        kpi_id = InterimTarget.objects.filter(pk=target_id).values_list("kpi_id", flat=True).first()
        record_delete(InterimTarget, pk=target_id, version=version, user=user, authorize=_pmo)
        portfolio_changed(kpi_ids=[kpi_id])


def reading_record(*, user: Any, kpi: KPI, date: datetime.date, value: Decimal, source: str = "") -> Reading:
    """Record a KPI reading; one reading per KPI and date."""
    with transaction.atomic():
        reading = record_create(
            Reading,
            user=user,
            values={"kpi": kpi, "date": date, "value": value, "source": source, "entered_by": user},
            allowed=can_edit_portfolio(user),
        )
        portfolio_changed(kpi_ids=[kpi.pk])
        reading_event(reading, kpi, actor=user)
    return reading


def reading_update(*, user: Any, reading_id: int, version: int, data: dict[str, Any]) -> Reading:
    with transaction.atomic():
        reading = record_update(
            Reading, pk=reading_id, version=version, user=user, values=data, authorize=_pmo
        )
        portfolio_changed(kpi_ids=[reading.kpi_id])
    return reading


def reading_delete(*, user: Any, reading_id: int, version: int) -> None:
    with transaction.atomic():
        kpi_id = Reading.objects.filter(pk=reading_id).values_list("kpi_id", flat=True).first()
        record_delete(Reading, pk=reading_id, version=version, user=user, authorize=_pmo)
        portfolio_changed(kpi_ids=[kpi_id])


def program_create(*, user: Any, data: dict[str, Any]) -> Program:
    return record_create(Program, user=user, values=data, allowed=can_edit_portfolio(user))


def program_update(*, user: Any, program_id: int, version: int, data: dict[str, Any]) -> Program:
    return record_update(Program, pk=program_id, version=version, user=user, values=data, authorize=_pmo)
