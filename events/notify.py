"""The notifications consumer of the outbox: who hears of an event, and how.

Recipients are the watchers of the records the event is about (payload["about"]): the people who chose to
watch them, and by default the owners, sponsors and managers of initiatives, the owners of objectives and
programs, and the chair and members of a meeting's committee; plus the people the event names (an action's
owner). A person who unwatched a record is not told of it by default. The actor is never told of their own
change, and only people with a Bearing role (who may read every page an event links to) are told at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import outbox, roles
from core.models import OutboxEvent
from events.models import Channel, Notification, Preference, Watch
from portfolio.models import Initiative, Objective, Program
from steering.models import SteeringMeeting

log = logging.getLogger(__name__)
CONSUMER = "notifications"


def default_watchers(about: Mapping[str, Iterable[int]]) -> dict[tuple[str, int], set[int]]:
    """Who watches each record by default, (kind, id) -> user ids: a query per kind of record named."""
    watchers: dict[tuple[str, int], set[int]] = {}

    def add(kind: str, pk: int, *users: int | None) -> None:
        watchers.setdefault((kind, pk), set()).update(u for u in users if u is not None)

    if ids := list(about.get("initiative", ())):
        for pk, sponsor, manager in Initiative.objects.filter(pk__in=ids).values_list(
            "pk", "sponsor_id", "manager_id"
        ):
            add("initiative", pk, sponsor, manager)
    if ids := list(about.get("objective", ())):
        for pk, owner in Objective.objects.filter(pk__in=ids).values_list("pk", "owner_id"):
            add("objective", pk, owner)
    if ids := list(about.get("program", ())):
        for pk, owner in Program.objects.filter(pk__in=ids).values_list("pk", "owner_id"):
            add("program", pk, owner)
    if ids := list(about.get("meeting", ())):
        for pk, chair, member in SteeringMeeting.objects.filter(pk__in=ids).values_list(
            "pk", "committee__chair_id", "committee__members"
        ):
            add("meeting", pk, chair, member)
    return watchers


def recipients(event: OutboxEvent) -> set[int]:
    """The ids of the people told of an event (before their preferences)."""
    about: dict[str, list[int]] = event.payload.get("about", {})
    records = [(kind, pk) for kind, ids in about.items() for pk in ids]
    people: set[int] = set()
    for watchers in default_watchers(about).values():
        people |= watchers
    if records:
        condition = Q()
        for kind, pk in records:
            condition |= Q(subject_type=kind, subject_id=pk)
        choices: dict[int, bool] = {}
        for user_id, watching in Watch.objects.filter(condition).values_list("user_id", "watching"):
            # watching any of the records wins over having unwatched another
            choices[user_id] = choices.get(user_id, False) or watching
        people |= {u for u, watching in choices.items() if watching}
        people -= {u for u, watching in choices.items() if not watching}
    people |= set(event.payload.get("recipients", []))
    people.discard(event.actor_id)  # type: ignore[arg-type]
    return people


def channels(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's channel for a kind of event (in the app unless they chose otherwise)."""
    ids = list(user_ids)
    chosen = dict(Preference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "channel"))
    return {pk: chosen.get(pk, Channel.IN_APP) for pk in ids}


def handle(event: OutboxEvent) -> None:
    """Turn one event into notifications (and e-mails for those who want them at once)."""
    people = recipients(event)
    if not people:
        return
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=people, is_active=True).prefetch_related("groups")
        if roles.can_view(u)
    }
    chosen = channels(users, event.kind)
    if event.kind == outbox.WEBHOOK_DISABLED:  # an admin's broken webhook is always shown
        chosen = {pk: Channel.IN_APP if c == Channel.NONE else c for pk, c in chosen.items()}
    now = timezone.now()
    rows = [
        Notification(
            user_id=pk,
            event_id=event.pk,
            kind=event.kind,
            title=str(event.payload.get("title", ""))[:300],
            url=str(event.payload.get("url", ""))[:300],
            channel=channel,
            created_at=now,
        )
        for pk, channel in sorted(chosen.items())
        if channel != Channel.NONE
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for row in rows:
        if row.channel == Channel.EMAIL and users[row.user_id].email:
            send_at_once(users[row.user_id], row)
    Notification.objects.filter(event_id=event.pk, channel=Channel.EMAIL).update(emailed_at=now)


def absolute(path: str) -> str:
    return settings.BEARING_BASE_URL.rstrip("/") + path if path.startswith("/") else ""


def send_at_once(user: Any, notification: Notification) -> None:
    """The e-mail of one notification, in HTML and text."""
    context = {
        "user": user,
        "notification": notification,
        "kind": outbox.KINDS.get(notification.kind, notification.kind),
        "link": absolute(notification.url),
        "preferences": absolute(reverse("events:preferences")),
    }
    message = EmailMultiAlternatives(
        f"Bearing: {notification.title}"[:200].replace("\n", " "),
        render_to_string("events/email/notification.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("events/email/notification.html", context), "text/html")
    message.send()


def register() -> None:
    outbox.register_consumer(outbox.Consumer(CONSUMER, handle))
