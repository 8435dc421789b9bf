"""What the risk register exports: its columns, named as the fields an import of risks accepts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.tabular import Column, Export

RISK_COLUMNS = (
    Column("initiative", "initiative__code"),
    Column("title", "title"),
    Column("description", "description"),
    Column("category", "category"),
    Column("probability", "probability"),
    Column("impact", "impact"),
    Column("exposure", "exposure_value"),
    Column("owner", "owner__username"),
    Column("mitigation", "mitigation"),
    Column("status", "status"),
    Column("review_date", "review_date"),
)


def risk_export(rows: QuerySet[Any]) -> Export:
    """The risk register's rows (selectors.risk_register), worst first as on its page."""
    return Export("bearing-risks", RISK_COLUMNS, rows, "Risks")
