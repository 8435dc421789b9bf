"""Digests: the weekly executive digest (the worked example of docs/events.md, reproduced exactly) and each
person's daily digest of the notifications they chose to receive that way, in HTML and text."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from alignment.models import PortfolioIndex, Signal
from core import roles
from events import digests
from events.models import EXECUTIVE_DIGEST, Channel, Notification, Preference
from steering.models import PortfolioDecision
from tests.events.support import NOW
from tests.factories import CheckpointReviewFactory, InitiativeFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
MONDAY = D(2026, 11, 23)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def week() -> None:
    """The week of 16 to 22 November 2026, as docs/events.md tells it."""
    crm = InitiativeFactory(code="CRM-2", title="CRM <renewal>")
    PortfolioIndex.objects.create(date=D(2026, 11, 16), computed_at=at(D(2026, 11, 16)), alignment_index=70.0)
    PortfolioIndex.objects.create(date=MONDAY, computed_at=at(MONDAY, 6), alignment_index=72.44)
    for key, severity, day, message in [
        ("a", "red", D(2026, 11, 18), "CRM-2: cost overrun of 25%"),
        ("b", "red", D(2026, 11, 10), "Raised before the week"),
        ("c", "amber", D(2026, 11, 19), "Amber, not red"),
    ]:
        Signal.objects.create(
            key=key,
            rule="cost_overrun",
            severity=severity,
            initiative=crm,
            message=message,
            first_seen=at(day),
            last_seen=at(day),
        )
    CheckpointReviewFactory(initiative=crm, held_on=D(2026, 11, 20), decision="realign")
    CheckpointReviewFactory(initiative=crm, held_on=D(2026, 11, 2))
    PortfolioDecision.objects.create(
        kind="proposal_review",
        outcome="approved",
        subject="Data lake",
        rationale="Worth it",
        decided_at=at(D(2026, 11, 17)),
    )
    slipped = MilestoneFactory(
        initiative=crm, name="Go-live", baseline_date=D(2026, 12, 1), forecast_date=D(2026, 12, 15)
    )
    early = MilestoneFactory(
        initiative=crm, name="Design", baseline_date=D(2026, 12, 1), forecast_date=D(2026, 11, 28)
    )
    old = MilestoneFactory(
        initiative=crm, name="Pilot", baseline_date=D(2026, 10, 1), forecast_date=D(2026, 10, 20)
    )
    type(slipped).objects.filter(pk=slipped.pk).update(forecast_updated_at=at(D(2026, 11, 19)))
    type(early).objects.filter(pk=early.pk).update(forecast_updated_at=at(D(2026, 11, 19)))
    type(old).objects.filter(pk=old.pk).update(forecast_updated_at=at(D(2026, 11, 1)))


def test_the_executive_digest_worked_example(week):
    digest = digests.executive_digest(MONDAY)
    assert (digest.start, digest.end, digest.index, digest.index_before, digest.change) == (
        D(2026, 11, 16),
        MONDAY,
        72.4,
        70.0,
        2.4,
    )
    assert digest.red_count == 1
    assert [s["message"] for s in digest.red_signals] == ["CRM-2: cost overrun of 25%"]
    assert digest.decision_count == 2
    assert digest.decisions == [
        {"day": D(2026, 11, 20), "text": "CRM-2 CRM <renewal>: Realign"},
        {"day": D(2026, 11, 17), "text": "Proposal review: Data lake (Approved)"},
    ]
    assert digest.slipped_count == 1
    assert digest.slipped == [
        {
            "initiative": "CRM-2 CRM <renewal>",
            "name": "Go-live",
            "baseline": D(2026, 12, 1),
            "forecast": D(2026, 12, 15),
            "days": 14,
        }
    ]


def test_executives_receive_it_in_html_and_text_unless_they_turned_it_off(week, executive):
    off = UserFactory(username="exec2", roles=[roles.EXECUTIVE])
    Preference.objects.create(user=off, kind=EXECUTIVE_DIGEST, channel=Channel.NONE)
    UserFactory(username="pmo2", roles=[roles.PMO])

    assert digests.executive_digests(today=MONDAY) == 1

    (message,) = mail.outbox
    assert message.to == [executive.email]
    assert message.subject == "Bearing: the portfolio's week to 2026-11-23"
    assert "Alignment index: 72.4 (+2.4 in the week)" in message.body
    assert "New red signals: 1\n- CRM-2: cost overrun of 25%" in message.body
    assert (
        "Decisions: 2\n- 2026-11-20 CRM-2 CRM <renewal>: Realign\n- 2026-11-17 Proposal review: Data lake (Approved)"
        in message.body
    )
    assert (
        "Slipped milestones: 1\n- CRM-2 CRM <renewal>: Go-live, baseline 2026-12-01, forecast 2026-12-15 (+14 days)"
        in message.body
    )
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "<td>CRM-2 CRM &lt;renewal&gt;</td>" in html
    assert "<renewal>" not in html


def test_an_empty_week_says_so(executive):
    digests.executive_digests(today=MONDAY)
    (message,) = mail.outbox
    assert "Alignment index: not computed yet" in message.body
    assert "New red signals: 0" in message.body


def test_the_daily_digest_sends_each_person_one_email_once(manager, executive):
    for user, channel, n in [
        (manager, Channel.DAILY, 3),
        (executive, Channel.WEEKLY, 2),
        (executive, Channel.DAILY, 1),
    ]:
        first = Notification.objects.filter(user=user).count()
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    event_id=first + i + 1,
                    kind="decision.recorded",
                    title=f"<b>Decision {i}</b>",
                    url="/steering/decisions/",
                    channel=channel,
                    created_at=NOW,
                )
                for i in range(n)
            ]
        )

    assert digests.personal_digests(Channel.DAILY, now=NOW) == 2
    assert digests.personal_digests(Channel.DAILY, now=NOW) == 0

    by_person = {m.to[0]: m for m in mail.outbox}
    message = by_person[manager.email]
    assert message.subject == "Bearing: your daily digest (3 notifications)"
    assert (
        "- Decision recorded: <b>Decision 2</b>\n  http://127.0.0.1:8000/steering/decisions/" in message.body
    )
    assert "&lt;b&gt;Decision 0&lt;/b&gt;" in message.alternatives[0][0]  # type: ignore[attr-defined]
    assert by_person[executive.email].subject == "Bearing: your daily digest (1 notification)"
    assert Notification.objects.filter(channel=Channel.WEEKLY, emailed_at__isnull=True).count() == 2
    assert digests.personal_digests(Channel.WEEKLY, now=NOW) == 1
