"""Change notices: how the portfolio tells whoever computes on its data that something changed.

Services call `portfolio_changed` inside their transaction (a closed leadership survey round names its program:
the engine's program-level signal and the program's stored dashboard read it). Listeners (the alignment engine registers one
when it starts) mark their derived rows stale in that same transaction and schedule a recompute after
commit. The portfolio app stays unaware of who listens, so dependencies keep pointing one way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    initiative_ids: frozenset[int] = field(default_factory=frozenset)
    objective_ids: frozenset[int] = field(default_factory=frozenset)
    kpi_ids: frozenset[int] = field(default_factory=frozenset)
    program_ids: frozenset[int] = field(default_factory=frozenset)


Listener = Callable[[Change], None]
_listeners: list[Listener] = []
_paused = threading.local()


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def portfolio_changed(
    *,
    initiative_ids: Iterable[int | None] = (),
    objective_ids: Iterable[int | None] = (),
    kpi_ids: Iterable[int | None] = (),
    program_ids: Iterable[int | None] = (),
) -> None:
    change = Change(
        initiative_ids=frozenset(i for i in initiative_ids if i is not None),
        objective_ids=frozenset(i for i in objective_ids if i is not None),
        kpi_ids=frozenset(i for i in kpi_ids if i is not None),
        program_ids=frozenset(i for i in program_ids if i is not None),
    )
    if not (change.initiative_ids or change.objective_ids or change.kpi_ids or change.program_ids):
        return
    if getattr(_paused, "depth", 0):
        return
    for listener in list(_listeners):
        listener(change)


@contextmanager
def paused() -> Iterator[None]:
    """Tell no listener of the changes made inside (in this thread): for a bulk load, such as the demo's, that
    computes everything itself once it is done, rather than a recompute after each of its commits."""
    _paused.depth = getattr(_paused, "depth", 0) + 1
    try:
        yield
    finally:
        _paused.depth -= 1
