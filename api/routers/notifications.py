"""The caller's own notifications (the events app), newest first: for a chat bot or a personal dashboard."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from api.common import DEFAULT_LIMIT, Page, page_of
from api.errors import Refused
from api.routers.portfolio import READ, Cursor, Limit
from api.schemas import Out
from core import outbox
from events.models import Notification
from events.selectors import notification_list

router = Router(tags=["notifications"])


class NotificationOut(Out):
    id: int
    event_id: int
    kind: str
    title: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


NotificationPage = Page[NotificationOut]


def notification_out(row: Notification) -> dict[str, Any]:
    return {
        "id": row.pk,
        "event_id": row.event_id,
        "kind": row.kind,
        "title": row.title,
        "url": row.url,
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


@router.get(
    "/notifications",
    response={200: NotificationPage, **READ},
    summary="List my notifications, newest first",
)
def notifications(
    request: HttpRequest,
    kind: Annotated[
        str | None, Query(max_length=40, description="An event kind, e.g. decision.recorded")
    ] = None,
    state: Annotated[str | None, Query(max_length=10, description="unread or read")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    if kind and kind not in outbox.KINDS:
        raise Refused(400, "Not a kind of event.", fields={"kind": ["Not a kind of event."]})
    if state and state not in ("unread", "read"):
        raise Refused(400, "Say unread or read.", fields={"state": ["Say unread or read."]})
    rows = notification_list(request.user, kind=kind or "", state=state or "")
    return page_of(rows, notification_out, NotificationPage, cursor=cursor, limit=limit, descending=True)
