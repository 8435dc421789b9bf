"""What planning's pages share: reading a posted id or version, and saying a refusal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from core.errors import ApplicationError, NotAllowed, StaleEdit


def is_id(text: str) -> bool:
    """Digits short enough to be an id (a longer number would overflow the database's integer)."""
    return text.isdigit() and len(text) < 10


def posted_version(request: Any) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if is_id(raw) else None


def refused(request: Any, error: ApplicationError, url: str, what: str = "draft") -> HttpResponseRedirect:
    """A refused write said on the page it came from: a permission refusal is a 403; a stale form and any
    other refusal a message, and nothing changed."""
    if isinstance(error, NotAllowed):
        raise PermissionDenied(error.message)
    if isinstance(error, StaleEdit):
        messages.error(
            request, f"Someone changed this {what} since you opened it: here it is as it stands now."
        )
    else:
        messages.error(request, error.message)
    return HttpResponseRedirect(url)
