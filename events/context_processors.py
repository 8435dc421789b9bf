from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core import roles
from events import selectors


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count: one indexed query, bounded, made only when a page shows the bell."""
    user = getattr(request, "user", None)
    if not roles.can_view(user):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user))}
