"""Shared by the events tests: a small world and a clock."""

from __future__ import annotations

import datetime
from typing import Any

from core.models import OutboxEvent

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


def events(kind: str | None = None) -> list[tuple[str, str, int | None, dict[str, Any]]]:
    rows = OutboxEvent.objects.order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    return [(e.kind, e.subject_type, e.subject_id, e.payload) for e in rows]
