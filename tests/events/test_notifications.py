"""Who is notified of an event, and how: default watchers (sponsor, manager, owners, committee members),
people who chose to watch or unwatch, never the actor, never someone without a role; per-kind preferences
(in the app, e-mail at once, digests, nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from core import outbox, roles
from events import services
from events.models import Channel, Notification
from portfolio import services as portfolio
from steering.models import AgendaItem
from tests.factories import InitiativeFactory, ObjectiveFactory, ProgramFactory, UserFactory
from tests.steering.utils import decide

pytestmark = pytest.mark.django_db


def change_title(user: Any, initiative: Any, title: str = "Renamed") -> None:
    portfolio.initiative_update(
        user=user, initiative_id=initiative.pk, version=initiative.version, data={"title": title}
    )
    outbox.dispatch_pending()


def told(kind: str | None = None) -> list[tuple[str, str]]:
    rows = Notification.objects.order_by("user__username", "pk")
    if kind:
        rows = rows.filter(kind=kind)
    return [(n.user.username, n.title) for n in rows]


def test_the_sponsor_manager_and_program_owner_are_told_and_the_actor_is_not(pmo, manager, executive):
    program = ProgramFactory(name="Finance", owner=pmo)
    initiative = InitiativeFactory(
        code="EV-1", title="Ledger", sponsor=executive, manager=manager, program=program
    )

    change_title(pmo, initiative)

    assert told() == [
        ("exec", "EV-1 Renamed was changed (title)"),
        ("manager", "EV-1 Renamed was changed (title)"),
    ]


def test_someone_who_unwatched_is_not_told_and_someone_who_watches_is(
    pmo, manager, executive, steering_member
):
    initiative = InitiativeFactory(code="EV-2", sponsor=executive, manager=manager)
    services.watch_set(user=manager, subject_type="initiative", subject_id=initiative.pk, watching=False)
    services.watch_set(
        user=steering_member, subject_type="initiative", subject_id=initiative.pk, watching=True
    )

    change_title(pmo, initiative)

    assert [u for u, _ in told()] == ["exec", "steer"]


def test_people_without_a_role_or_inactive_are_never_told(pmo, outsider):
    gone = UserFactory(username="gone", roles=[roles.MANAGER], is_active=False)
    initiative = InitiativeFactory(sponsor=outsider, manager=gone)

    change_title(pmo, initiative)

    assert told() == []


def test_an_outsider_cannot_watch(outsider):
    initiative = InitiativeFactory()
    with pytest.raises(services.NotAllowed):
        services.watch_set(user=outsider, subject_type="initiative", subject_id=initiative.pk, watching=True)


def test_watching_a_record_that_does_not_exist_is_refused(executive):
    with pytest.raises(services.ApplicationError, match="no such record"):
        services.watch_set(user=executive, subject_type="initiative", subject_id=999999, watching=True)


@pytest.mark.parametrize(
    ("channel", "rows", "emails"),
    [
        (Channel.IN_APP, [("in_app", None)], 0),
        (Channel.EMAIL, [("email", "set")], 1),
        (Channel.DAILY, [("daily", None)], 0),
        (Channel.WEEKLY, [("weekly", None)], 0),
        (Channel.NONE, [], 0),
    ],
)
def test_each_channel(pmo, manager, channel, rows, emails):
    initiative = InitiativeFactory(manager=manager, sponsor=None, stage="idea")
    services.preferences_set(user=manager, channels={"initiative.changed": channel})

    change_title(pmo, initiative)

    assert [
        (n.channel, "set" if n.emailed_at else None) for n in Notification.objects.filter(user=manager)
    ] == rows
    assert len(mail.outbox) == emails


def test_an_email_at_once_escapes_what_people_typed(pmo, manager):
    initiative = InitiativeFactory(code="EV-3", manager=manager, sponsor=None, stage="idea")
    services.preferences_set(user=manager, channels={"initiative.changed": Channel.EMAIL})

    change_title(pmo, initiative, title="<script>alert(1)</script> & co")

    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == "Bearing: EV-3 <script>alert(1)</script> & co was changed (title)"
    assert "Initiative changed: EV-3 <script>alert(1)</script> & co was changed (title)" in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html
    assert f'href="http://127.0.0.1:8000/initiatives/{initiative.pk}/"' in html


def test_a_preference_for_an_unknown_kind_or_channel_is_refused_and_nothing_saved(manager):
    with pytest.raises(services.ApplicationError):
        services.preferences_set(user=manager, channels={"initiative.changed": "email", "nope": "email"})
    with pytest.raises(services.ApplicationError):
        services.preferences_set(user=manager, channels={"initiative.changed": "pigeon"})
    assert not services.Preference.objects.exists()


def test_the_committee_hears_of_a_decision_and_the_action_owner_of_the_action(
    meeting, committee, chair, steering_member, pmo, manager, tier_policies
):
    initiative = InitiativeFactory(code="EV-4", title="CRM", manager=manager, sponsor=None, stage="idea")
    item = AgendaItem.objects.create(meeting=meeting, initiative=initiative, position=1)

    decide(steering_member, item, attendees=[steering_member])
    outbox.dispatch_pending()

    assert told(outbox.DECISION_RECORDED) == [
        ("chair", "Decision on EV-4 CRM: Proceed with conditions"),
        ("manager", "Decision on EV-4 CRM: Proceed with conditions"),
        ("pmo", "Decision on EV-4 CRM: Proceed with conditions"),
    ]
    assert told(outbox.ACTION_ASSIGNED) == [
        ("chair", "Action assigned on EV-4: Refresh the business case (due 2026-10-31)"),
        ("manager", "Action assigned on EV-4: Refresh the business case (due 2026-10-31)"),
        ("pmo", "Action assigned on EV-4: Refresh the business case (due 2026-10-31)"),
    ]


def test_an_objective_owner_hears_of_a_new_contribution(pmo, executive):
    objective = ObjectiveFactory(title="Grow", owner=executive)
    initiative = InitiativeFactory(code="EV-5", sponsor=None, stage="idea")
    portfolio.contribution_create(
        user=pmo,
        initiative=initiative,
        data={
            "objective": objective,
            "strength": "strong",
            "rationale": "It moves the revenue KPI directly.",
        },
    )
    outbox.dispatch_pending()
    assert told() == [("exec", "EV-5's contribution to Grow was added")]


def test_marking_read_touches_only_ones_own(pmo, manager, executive):
    initiative = InitiativeFactory(sponsor=executive, manager=manager)
    change_title(pmo, initiative)
    mine = Notification.objects.get(user=manager)
    theirs = Notification.objects.get(user=executive)

    assert services.notifications_read(user=manager, ids=[mine.pk, theirs.pk]) == 1
    assert services.notifications_read(user=manager) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
