"""The engine's events in the outbox (core.outbox): signals raised and cleared, and alignment scores that moved
by more than the threshold (BEARING_EVENT_SCORE_THRESHOLD points). Recorded by the store's writes, in their
transaction, for the one-initiative recompute and the full recompute alike."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.urls import reverse

from alignment.engine.rules import Links
from core import outbox

RAISED = "_raised"  # set on a signal row (store.signal_rows) that was not stored before
FIRST_SCORE = "_first"  # set on a score row (store.score_rows) of an initiative that had no stored score
_history = threading.local()


@contextmanager
def rebuilding_history() -> Iterator[None]:
    """Recomputes as of past days (a history rebuilt for a portfolio loaded in one go) record no events:
    events tell people what changed now, and a signal raised at one month end and cleared at the next is not
    news. The recompute as of today, after them, records what differs from the last of them."""
    _history.on = True
    try:
        yield
    finally:
        _history.on = False


def _record(specs: Sequence[outbox.EventSpec]) -> None:
    if not getattr(_history, "on", False):
        outbox.event_record_many(specs)


class _SignalLinks:
    """Where a signal's event points: its initiative, else its objective, else the signal list (the engine's
    Links: reverse() once per kind, then formatting per signal)."""

    def __init__(self) -> None:
        self.links = Links()
        self.signals = reverse("alignment:signal-list")

    def __call__(self, row: Mapping[str, Any]) -> str:
        if row.get("initiative"):
            return self.links.initiative(row["initiative"])
        if row.get("objective"):
            return self.links.objective(row["objective"])
        return self.signals


def _signal_spec(kind: str, row: Mapping[str, Any], links: _SignalLinks) -> outbox.EventSpec:
    return outbox.EventSpec(
        kind,
        "signal",
        None,
        title=("Raised: " if kind == outbox.SIGNAL_RAISED else "Cleared: ") + str(row["message"]),
        url=links(row),
        about={
            "initiative": [row.get("initiative")],
            "objective": [row.get("objective")],
            "kpi": [row.get("kpi")],
            "program": [row.get("program")],
        },
        recipients=[row.get("owner")],
        data={
            "key": row["key"],
            "rule": row["rule"],
            "severity": row["severity"],
            "initiative_id": row.get("initiative"),
            "objective_id": row.get("objective"),
        },
    )


def signals_raised(rows: Iterable[Mapping[str, Any]]) -> None:
    """Record the signals raised for the first time (rows marked RAISED)."""
    links = _SignalLinks()
    _record([_signal_spec(outbox.SIGNAL_RAISED, row, links) for row in rows])


def signals_cleared(rows: Iterable[Mapping[str, Any]]) -> None:
    """Record the signals no longer raised (their stored values, read before they are deleted)."""
    links = _SignalLinks()
    _record([_signal_spec(outbox.SIGNAL_CLEARED, row, links) for row in rows])


def scores_moved(
    before: Mapping[int, tuple[float, str, str, int | None]], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Record each initiative whose alignment score moved by at least the threshold since it was stored
    (`before`: initiative id -> its stored alignment score, code, title and program, read in the store's one
    query). A first score is not a move."""
    threshold = settings.BEARING_EVENT_SCORE_THRESHOLD
    links = Links()
    specs = []
    for row in rows:
        pk = row["initiative"]
        if pk not in before:
            continue
        old, code, title, program_id = before[pk]
        new = float(row["alignment"])
        if abs(new - old) < threshold:
            continue
        specs.append(
            outbox.EventSpec(
                outbox.SCORE_MOVED,
                "initiative",
                pk,
                title=f"{code} {title}: alignment score {old:.0f} → {new:.0f}",
                url=links.initiative(pk),
                about={"initiative": [pk], "program": [program_id]},
                data={"initiative_id": pk, "code": code, "before": round(old, 2), "after": round(new, 2)},
            )
        )
    _record(specs)
