"""A running job's heartbeat: a small daemon thread that refreshes the job's heartbeat_at every few seconds,
whatever the job is doing (one long statement, a slow chart), so only a dead worker falls silent."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)
TICK = 0.1  # seconds: how soon a stopped heartbeat notices


class Heartbeat:
    """Call `beat` every `interval` seconds from a thread of its own until the block ends.

    The thread uses its own database connection and closes it when it stops. A failed beat is logged and
    the next one tried on a fresh connection (a database restart must not stop the heartbeat for good).
    Inside a caller's transaction the thread is not started: the job's row is that transaction's, invisible
    or locked to another connection.
    """

    def __init__(self, beat: Callable[[], None], *, interval: float, name: str) -> None:
        self.beat = beat
        self.interval = interval
        self.name = name
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopped.set()
        if self.thread is not None:
            # a beat stuck on an unreachable database must not hold the job up: the thread is a daemon
            self.thread.join(timeout=self.interval)

    def _run(self) -> None:
        try:
            while self._sleep():
                try:
                    self.beat()
                except DatabaseError as error:
                    log.warning(
                        "%s: heartbeat not written (%s); retrying on a fresh connection", self.name, error
                    )
                    close_connection()
        finally:
            close_connection()

    def _sleep(self) -> bool:
        """Sleep one interval in short ticks, and say whether to beat (False once stopped).

        Ticks of time.sleep rather than one timed Event.wait: a timed wait turns its timeout into a deadline
        on the monotonic clock, which a shifted clock (libfaketime, as CI runs the suite) moves days away.
        """
        slept = 0.0
        while slept < self.interval:
            if self.stopped.is_set():
                return False
            time.sleep(TICK)
            slept += TICK
        return not self.stopped.is_set()


def close_connection() -> None:
    """Close this thread's database connection, even one the server already dropped; the next query opens
    a fresh one."""
    with contextlib.suppress(DatabaseError):
        connection.close()
