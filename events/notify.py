"""The notifications consumer of the outbox: who hears of an event, and how.

Recipients are the watchers of the records the event is about (payload["about"]): the people who chose to
watch them, and by default the owners, sponsors and managers of initiatives, the owners of objectives and
programs, and the chair and members of a meeting's committee; plus the people the event names (an action's
owner). A person who unwatched a record is not told of it by default. The actor is never told of their own
change, and only people with a Bearing role (who may read every page an event links to) are told at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
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


def watch_choices(records: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[int, bool]]:
    """The people who chose to watch (True) or unwatch (False) each record, (kind, id) -> {user id: choice}:
    one query however many records."""
    by_kind: dict[str, set[int]] = {}
    for kind, pk in records:
        by_kind.setdefault(kind, set()).add(pk)
    if not by_kind:
        return {}
    condition = Q()
    for kind, ids in by_kind.items():
        condition |= Q(subject_type=kind, subject_id__in=sorted(ids))
    choices: dict[tuple[str, int], dict[int, bool]] = {}
    for kind, pk, user_id, watching in Watch.objects.filter(condition).values_list(
        "subject_type", "subject_id", "user_id", "watching"
    ):
        choices.setdefault((kind, pk), {})[user_id] = watching
    return choices


def _records(event: OutboxEvent) -> list[tuple[str, int]]:
    about: dict[str, list[int]] = event.payload.get("about", {})
    return [(kind, pk) for kind, ids in about.items() for pk in ids]


def recipients(
    event: OutboxEvent,
    defaults: Mapping[tuple[str, int], set[int]],
    choices: Mapping[tuple[str, int], Mapping[int, bool]],
) -> set[int]:
    """The ids of the people told of an event (before their preferences), from the default watchers and the
    watch choices of the records it is about."""
    records = _records(event)
    people: set[int] = set()
    chosen: dict[int, bool] = {}
    for record in records:
        people |= defaults.get(record, set())
        for user_id, watching in choices.get(record, {}).items():
            # watching any of the records wins over having unwatched another
            chosen[user_id] = chosen.get(user_id, False) or watching
    people |= {u for u, watching in chosen.items() if watching}
    people -= {u for u, watching in chosen.items() if not watching}
    people |= set(event.payload.get("recipients", []))
    people.discard(event.actor_id)  # type: ignore[arg-type]
    return people


def channels(user_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], str]:
    """Each person's channel for each kind of event, (user id, kind) -> channel: in the app unless they
    chose otherwise."""
    ids, wanted = list(user_ids), set(kinds)
    chosen = {
        (user_id, kind): channel
        for user_id, kind, channel in Preference.objects.filter(user_id__in=ids, kind__in=wanted).values_list(
            "user_id", "kind", "channel"
        )
    }
    return {(pk, kind): chosen.get((pk, kind), Channel.IN_APP) for pk in ids for kind in wanted}


def handle(events: Sequence[OutboxEvent]) -> None:
    """Turn a batch of events into notifications (and e-mails for those who want them at once), in a number
    of queries that does not grow with the batch (but for the e-mails)."""
    about: dict[str, set[int]] = {}
    for event in events:
        for kind, ids in event.payload.get("about", {}).items():
            about.setdefault(kind, set()).update(ids)
    defaults = default_watchers(about)
    choices = watch_choices(record for event in events for record in _records(event))
    told = {event.pk: recipients(event, defaults, choices) for event in events}
    everyone = set().union(*told.values())
    if not everyone:
        return
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=everyone, is_active=True).prefetch_related("groups")
        if roles.can_view(u)
    }
    chosen = channels(users, {event.kind for event in events})
    now = timezone.now()
    rows = []
    for event in events:
        for pk in sorted(told[event.pk] & users.keys()):
            channel = chosen[(pk, event.kind)]
            if event.kind == outbox.WEBHOOK_DISABLED and channel == Channel.NONE:
                channel = Channel.IN_APP  # an admin's broken webhook is always shown
            if channel == Channel.NONE:
                continue
            rows.append(
                Notification(
                    user_id=pk,
                    event_id=event.pk,
                    kind=event.kind,
                    title=str(event.payload.get("title", ""))[:300],
                    url=str(event.payload.get("url", ""))[:300],
                    channel=channel,
                    created_at=now,
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    emailed = [row for row in rows if row.channel == Channel.EMAIL and users[row.user_id].email]
    for row in emailed:
        send_at_once(users[row.user_id], row)
    if any(row.channel == Channel.EMAIL for row in rows):
        Notification.objects.filter(
            event_id__in=[event.pk for event in events], channel=Channel.EMAIL
        ).update(emailed_at=now)


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
