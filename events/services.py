"""Writes of the events app: watching, preferences, reading notifications, and admins' webhooks."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import outbox, roles
from core.errors import ApplicationError, NotAllowed
from events.models import (
    EXECUTIVE_DIGEST,
    WATCHABLE,
    Channel,
    Notification,
    Preference,
    Watch,
    WebhookSubscription,
)
from events.selectors import watchable_exists

ADMINS_ONLY = "Only admins manage webhooks."


def watch_set(*, user: Any, subject_type: str, subject_id: int, watching: bool) -> Watch:
    """Watch a record (an initiative, objective, program or meeting), or stop watching it (which also stops
    the default watching of its owner, sponsor, manager or committee member)."""
    if not roles.can_view(user):
        raise NotAllowed("Only people with a Bearing role watch records.")
    if subject_type not in WATCHABLE or not watchable_exists(subject_type, subject_id):
        raise ApplicationError("There is no such record to watch.")
    with transaction.atomic():
        watch, _ = Watch.objects.update_or_create(
            user=user,
            subject_type=subject_type,
            subject_id=subject_id,
            defaults={"watching": watching, "changed_at": timezone.now()},
        )
    return watch


def preferences_set(*, user: Any, channels: dict[str, str]) -> None:
    """Set how the user hears of each kind of event (kinds not named keep their choice)."""
    if not roles.can_view(user):
        raise NotAllowed("Only people with a Bearing role have notification preferences.")
    executive = roles.EXECUTIVE in roles.roles_of(user)
    errors = {
        kind: ["Choose how you hear of it."]
        for kind, channel in channels.items()
        if not (
            (kind in outbox.KINDS and channel in Channel.values)
            or (kind == EXECUTIVE_DIGEST and executive and channel in (Channel.WEEKLY, Channel.NONE))
        )
    }
    if errors:
        raise ApplicationError("Not saved: a choice is not one offered.", field_errors=errors)
    with transaction.atomic():
        for kind, channel in channels.items():
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


def notifications_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (those named, or all): never anyone else's. Returns how many."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def _admin(user: Any) -> None:
    if not roles.can_administer(user):
        raise NotAllowed(ADMINS_ONLY)


def _kinds(kinds: Iterable[str]) -> list[str]:
    chosen = sorted(set(kinds))
    if not chosen or set(chosen) - set(outbox.KINDS):
        raise ApplicationError(
            "Choose the kinds of event to send.",
            field_errors={"kinds": ["Choose at least one kind of event."]},
        )
    return chosen


def webhook_create(*, user: Any, name: str, url: str, kinds: Iterable[str]) -> WebhookSubscription:
    """Subscribe a URL to some kinds of event (admins); its secret is made here and shown once."""
    _admin(user)
    with transaction.atomic():
        return WebhookSubscription.objects.create(
            owner=user,
            name=name.strip(),
            url=url.strip(),
            kinds=_kinds(kinds),
            secret=secrets.token_urlsafe(32),
            created_at=timezone.now(),
        )


def webhook_update(
    *, user: Any, webhook_id: int, version: int, name: str, url: str, kinds: Iterable[str], active: bool
) -> WebhookSubscription:
    """Change a webhook (admins). Turning it back on clears its failures; a stale form is refused."""
    _admin(user)
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().filter(pk=webhook_id).first()
        if current is None:
            raise ApplicationError("This webhook no longer exists.")
        if current.version != version:
            raise ApplicationError(
                "Someone changed this webhook while you were editing: nothing was saved. Review it and save "
                "again."
            )
        current.name, current.url, current.kinds = name.strip(), url.strip(), _kinds(kinds)
        if active and not current.active:
            current.consecutive_failures, current.disabled_reason = 0, ""
        current.active = active
        current.version += 1
        current.save()
    return current


def webhook_rotate_secret(*, user: Any, webhook_id: int) -> WebhookSubscription:
    """A new secret for a webhook (admins), shown once; the old one stops signing at once."""
    _admin(user)
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().get(pk=webhook_id)
        current.secret = secrets.token_urlsafe(32)
        current.version += 1
        current.save(update_fields=["secret", "version"])
    return current


def webhook_delete(*, user: Any, webhook_id: int) -> None:
    _admin(user)
    WebhookSubscription.objects.filter(pk=webhook_id).delete()
