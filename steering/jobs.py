"""Where steering's jobs are sent: printing a meeting's board pack."""

from __future__ import annotations

from typing import Any

from core import jobs
from core.models import Job
from steering import boardpack, tasks


def enqueue_board_pack(meeting_id: int, *, user: Any = None) -> Job:
    """Start (or join) the printing of a meeting's board pack and return its Job row."""
    return jobs.start(
        boardpack.BOARD_PACK,
        user=user,
        task=tasks.render_board_pack,
        run=boardpack.run_board_pack,
        target=boardpack.meeting_target(meeting_id),
        meeting_id=meeting_id,
        user_id=getattr(user, "pk", None),
    )
