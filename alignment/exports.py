"""What the signal list exports: each active signal with what it is about, by code and name."""

from __future__ import annotations

from django.db.models import QuerySet

from alignment.models import Signal
from alignment.selectors import signal_order
from core.tabular import Column, Export

SIGNAL_COLUMNS = (
    Column("rule", "rule"),
    Column("severity", "severity"),
    Column("initiative", "initiative__code"),
    Column("objective", "objective__code"),
    Column("kpi", "kpi__name"),
    Column("program", "program__name"),
    Column("owner", "owner__username"),
    Column("message", "message"),
    Column("measured", "measured"),
    Column("threshold", "threshold"),
    Column("first_seen", "first_seen"),
    Column("last_seen", "last_seen"),
)


def signal_export(rows: QuerySet[Signal]) -> Export:
    return Export("bearing-signals", SIGNAL_COLUMNS, signal_order(rows), "Signals")
