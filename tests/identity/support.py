"""What the sign-in tests of every provider read back: the messages a response carried, the audit log."""

from __future__ import annotations

from django.contrib.messages import get_messages

from identity.models import AuditEvent


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def events() -> list[tuple[str, str, str]]:
    return [(e.kind, e.username, e.detail) for e in AuditEvent.objects.order_by("pk")]
