"""Helpers shared by the steering tests: dates, agenda items, engine rows as the engine stores them, the
committee's decision through the real service, and reading pages."""

from __future__ import annotations

import datetime
import html as entities
import re
from typing import Any

from django.urls import reverse
from django.utils import timezone

from alignment.models import InitiativeScore, Signal
from portfolio.models import Initiative
from steering import services
from steering.models import AgendaItem, CheckpointReview, SteeringMeeting

D = datetime.date
DAY = datetime.timedelta(days=1)
TODAY = D(2026, 11, 21)
NOW = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)
HELD_ON = D(2026, 10, 1)
COMPUTED_AT = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=datetime.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
GREEN = {"schedule": "green", "cost": "green", "scope": "green", "benefits": "green"}


def item_on(meeting: SteeringMeeting, initiative: Initiative, position: int, **values: Any) -> AgendaItem:
    return AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=position, **values)


def agenda(meeting: SteeringMeeting) -> list[tuple[int, str, int, bool, list[str]]]:
    """(position, code, minutes, for noting, reasons) of each item, in the agenda's order."""
    return [
        (item.position, item.initiative.code, item.minutes, item.for_noting, item.reasons)
        for item in AgendaItem.objects.filter(meeting=meeting)
        .select_related("initiative")
        .order_by("position")
    ]


def history_of(record: Any) -> list[tuple[str, Any]]:
    rows = type(record).history.filter(id=record.pk).order_by("history_date", "history_id")
    return [(row.history_type, row.history_user) for row in rows]


def scored(initiative: Initiative, **values: Any) -> InitiativeScore:
    """A computed score row, as the engine would have stored it."""
    fields: dict[str, Any] = {
        "policy_version": 1,
        "fit": 50.0,
        "alignment": 50.0,
        "tier": 2,
        "computed_at": COMPUTED_AT,
        "stale": False,
        **values,
    }
    return InitiativeScore.objects.create(initiative=initiative, **fields)


def signal(initiative: Initiative, rule: str, severity: str = "red", message: str = "") -> Signal:
    """An active signal, as the engine would have stored it."""
    now = timezone.now()
    return Signal.objects.create(
        key=f"{rule}:initiative:{initiative.pk}",
        rule=rule,
        severity=severity,
        initiative=initiative,
        message=message or f"{initiative.code}: {rule.replace('_', ' ')}",
        first_seen=now,
        last_seen=now,
    )


def decide(user: Any, item: AgendaItem, **overrides: Any) -> CheckpointReview:
    """The committee's decision on an agenda item, through the real service: amber/red/green/amber, proceed
    with one condition, unless overridden."""
    values: dict[str, Any] = {
        "rags": {"schedule": "amber", "cost": "red", "scope": "green", "benefits": "amber"},
        "decision": "proceed_with_conditions",
        "rationale": "  Over budget; the business case must be refreshed.  ",
        "attendees": [],
        "conditions": [{"title": "Refresh the business case"}],
    }
    values.update(overrides)
    return services.review_create(user=user, item=item, **values)


def html(response: Any) -> str:
    return response.content.decode()


def text(response: Any) -> str:
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html(response)))).strip()


def vary(response: Any) -> list[str]:
    return [value.strip() for value in response.get("Vary", "").split(",")]


def agenda_codes(response: Any) -> list[str]:
    """The codes of the items to review, in the page's order."""
    return re.findall(
        r'<li class="list-group-item agenda-item[^"]*" id="item-\d+">.*?class="fw-semibold">([A-Z0-9-]+)</a>',
        html(response),
        re.S,
    )


def noting_codes(response: Any) -> list[str]:
    """The codes of the items listed for noting, in the page's order."""
    return re.findall(
        r'<li class="noting-item[^"]*" id="item-\d+">.*?class="fw-semibold">([A-Z0-9-]+)</a>',
        html(response),
        re.S,
    )


def meeting_url(meeting: SteeringMeeting) -> str:
    return reverse("steering:meeting-detail", args=[meeting.pk])


def review_url(item: AgendaItem) -> str:
    return reverse("steering:review-create", args=[item.pk])
