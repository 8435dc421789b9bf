"""The daily reminder e-mails: overdue action items to their owners (one e-mail per owner), checkpoints due
within a week to the initiative's manager (or its sponsor), at most once a day per person and kind; the Celery
task and its daily beat entry."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.utils import timezone

from alignment.models import InitiativeScore
from config.celery import app
from core.stages import Stage
from portfolio.models import Initiative
from risk.models import TierPolicy
from steering import reminders, tasks
from steering.models import ActionItem, ActionStatus, ReminderLog
from tests.factories import CheckpointReviewFactory, InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
BASE = "https://bearing.example"


@pytest.fixture(autouse=True)
def setup(settings: Any, db: Any) -> None:
    settings.BEARING_BASE_URL = BASE + "/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier, defaults={"name": f"Tier {tier}", "checkpoint_cadence_days": cadence}
        )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def person(username: str, first: str, last: str, email: str | None = None) -> Any:
    return UserFactory(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org" if email is None else email,
    )


def action(initiative: Initiative, owner: Any, title: str, due: datetime.date, **values: Any) -> ActionItem:
    return ActionItem.objects.create(initiative=initiative, owner=owner, title=title, due_date=due, **values)


def link(initiative: Initiative, anchor: str = "") -> str:
    return f"{BASE}/initiatives/{initiative.pk}/{anchor}"


def sent() -> list[tuple[list[str], str]]:
    return sorted((message.to, str(message.subject)) for message in mail.outbox)


# ------------------------------------------------------------------------------------------------ overdue actions


@pytest.fixture
def overdue(today) -> dict[str, Any]:
    """Alice owns two overdue actions on two initiatives, Bob one; open ones not yet due, done or cancelled
    ones past due, and one without an owner, are not overdue reminders."""
    alice = person("alice", "Alice", "Adams")
    bob = person("bob", "Bob", "Baker")
    checkout = InitiativeFactory(code="ECOM-1", title="Checkout rebuild")
    erp = InitiativeFactory(code="FIN-1", title="ERP migration")
    action(checkout, alice, "Refresh the business case", today - 10 * DAY)
    action(erp, alice, "Confirm named consultants", today - DAY)
    action(erp, bob, "Present the licence review", today - 3 * DAY)
    action(checkout, bob, "Due today, not overdue", today)
    action(checkout, alice, "Done late", today - 5 * DAY, status=ActionStatus.DONE, completed_on=today)
    action(checkout, bob, "Dropped", today - 5 * DAY, status=ActionStatus.CANCELLED)
    action(erp, None, "Nobody's", today - 5 * DAY)
    return {"alice": alice, "bob": bob, "checkout": checkout, "erp": erp}


def test_each_owner_of_overdue_actions_gets_one_email_listing_them(overdue, today):
    # when the daily job runs
    result = reminders.send_reminders(today=today)

    # then Alice and Bob each get one e-mail, with the exact subject, listing their open overdue actions
    assert result == {"overdue_actions": 2, "checkpoints_due": 0}
    assert sent() == [
        (["alice@example.org"], "Bearing: 2 overdue action items"),
        (["bob@example.org"], "Bearing: 1 overdue action item"),
    ]
    to_alice = next(message for message in mail.outbox if message.to == ["alice@example.org"])
    assert to_alice.from_email == settings.DEFAULT_FROM_EMAIL
    assert to_alice.body == (
        "Hello Alice Adams,\n\n"
        f"- ECOM-1: Refresh the business case (due {(today - 10 * DAY).isoformat()}, 10 days ago)\n"
        f"  {link(overdue['checkout'], '#checkpoints')}\n"
        f"- FIN-1: Confirm named consultants (due {(today - DAY).isoformat()}, 1 day ago)\n"
        f"  {link(overdue['erp'], '#checkpoints')}\n"
        "\nThis reminder is sent once a day by Bearing.\n"
    )
    to_bob = next(message for message in mail.outbox if message.to == ["bob@example.org"])
    assert to_bob.body == (
        "Hello Bob Baker,\n\n"
        f"- FIN-1: Present the licence review (due {(today - 3 * DAY).isoformat()}, 3 days ago)\n"
        f"  {link(overdue['erp'], '#checkpoints')}\n"
        "\nThis reminder is sent once a day by Bearing.\n"
    )
    # and each e-mail is logged against its day
    assert sorted(ReminderLog.objects.values_list("recipient__username", "kind", "sent_on", "items")) == [
        ("alice", "overdue_actions", today, 2),
        ("bob", "overdue_actions", today, 1),
    ]


def test_an_owner_without_an_email_address_is_skipped(today):
    # given an overdue action whose owner has no e-mail address
    nobody = person("noaddress", "Nora", "Nomail", email="")
    action(InitiativeFactory(), nobody, "Somewhere to send it", today - 2 * DAY)

    # when the job runs, then no e-mail goes out and nothing is logged (a later address still gets it)
    assert reminders.send_reminders(today=today) == {"overdue_actions": 0, "checkpoints_due": 0}
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 0


# ------------------------------------------------------------------------------------------------ checkpoints due


def governed(code: str, today: datetime.date, due_in: int, **values: Any) -> Initiative:
    """A tier-2 initiative in delivery whose checkpoint falls due in `due_in` days (reviewed 60 - due_in ago),
    with that date stored by the engine."""
    initiative = InitiativeFactory(code=code, title=f"Initiative {code}", stage=Stage.IN_DELIVERY, **values)
    InitiativeScore.objects.create(
        initiative=initiative,
        tier=2,
        checkpoint_due=today + due_in * DAY,
        computed_at=timezone.now(),
        stale=False,
    )
    CheckpointReviewFactory(initiative=initiative, held_on=today - (60 - due_in) * DAY)
    return initiative


def test_checkpoints_due_within_seven_days_go_to_the_manager_or_else_the_sponsor(today):
    # given checkpoints due today, in 7 days and in 8 days, and one already past, managed by Mia, and one due
    # in 3 days with no manager, sponsored by Sam
    mia = person("mia", "Mia", "Manager")
    sam = person("sam", "Sam", "Sponsor")
    now = governed("NOW-1", today, 0, manager=mia)
    week = governed("WEEK-1", today, 7, manager=mia)
    governed("LATER-1", today, 8, manager=mia)
    governed("PAST-1", today, -1, manager=mia)
    soon = governed("SOON-1", today, 3, manager=None, sponsor=sam)

    # when the job runs
    result = reminders.send_reminders(today=today)

    # then Mia hears of the two due within a week, Sam of his, and the ones in 8 days or past are left out
    assert result == {"overdue_actions": 0, "checkpoints_due": 2}
    assert sent() == [
        (["mia@example.org"], "Bearing: 2 checkpoint reviews due within 7 days"),
        (["sam@example.org"], "Bearing: 1 checkpoint review due within 7 days"),
    ]
    to_mia = next(message for message in mail.outbox if message.to == ["mia@example.org"])
    assert to_mia.body == (
        "Hello Mia Manager,\n\n"
        f"- NOW-1 Initiative NOW-1: due {today.isoformat()} (tier 2)\n"
        f"  {link(now)}\n"
        f"- WEEK-1 Initiative WEEK-1: due {(today + 7 * DAY).isoformat()} (tier 2)\n"
        f"  {link(week)}\n"
        "\nThis reminder is sent once a day by Bearing.\n"
    )
    to_sam = next(message for message in mail.outbox if message.to == ["sam@example.org"])
    assert (
        f"- SOON-1 Initiative SOON-1: due {(today + 3 * DAY).isoformat()} (tier 2)\n  {link(soon)}\n"
        in to_sam.body
    )


# ------------------------------------------------------------------------------------------------ once a day


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(overdue, today):
    # given a checkpoint due in 8 days as well, managed by Bob
    governed("LATER-1", today, 8, manager=overdue["bob"])
    assert reminders.send_reminders(today=today) == {"overdue_actions": 2, "checkpoints_due": 0}

    # when the job runs again the same day
    mail.outbox.clear()
    again = reminders.send_reminders(today=today)

    # then nothing goes out twice
    assert again == {"overdue_actions": 0, "checkpoints_due": 0}
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 2

    # when it runs the next day, the reminders go out again (and Bob's checkpoint is now within the week)
    tomorrow = reminders.send_reminders(today=today + DAY)
    assert tomorrow == {"overdue_actions": 2, "checkpoints_due": 1}
    assert sent() == [
        (["alice@example.org"], "Bearing: 2 overdue action items"),
        (["bob@example.org"], "Bearing: 1 checkpoint review due within 7 days"),
        # Bob's action due today is overdue tomorrow
        (["bob@example.org"], "Bearing: 2 overdue action items"),
    ]
    assert ReminderLog.objects.filter(sent_on=today + DAY).count() == 3


def test_an_overdue_and_a_checkpoint_reminder_to_the_same_person_are_two_kinds(today):
    # given Mia owns an overdue action and manages a checkpoint due in two days
    mia = person("mia", "Mia", "Manager")
    initiative = governed("BOTH-1", today, 2, manager=mia)
    action(initiative, mia, "Re-plan", today - DAY)

    # then she gets both e-mails the same day, once each
    assert reminders.send_reminders(today=today) == {"overdue_actions": 1, "checkpoints_due": 1}
    assert reminders.send_reminders(today=today) == {"overdue_actions": 0, "checkpoints_due": 0}
    assert [message.subject for message in mail.outbox] == [
        "Bearing: 1 overdue action item",
        "Bearing: 1 checkpoint review due within 7 days",
    ]


# ------------------------------------------------------------------------------------------------ Celery


def test_the_celery_task_runs_the_daily_reminders(overdue):
    # when the task runs as a function (the worker calls it with no arguments)
    tasks.send_reminders()

    # then today's reminders went out
    assert sent() == [
        (["alice@example.org"], "Bearing: 2 overdue action items"),
        (["bob@example.org"], "Bearing: 1 overdue action item"),
    ]


def test_the_celery_task_sent_through_celery_runs_it_too(overdue):
    # when the task goes through Celery (eager in tests, as without Redis)
    tasks.send_reminders.delay()

    # then the reminders went out
    assert len(mail.outbox) == 2


def test_beat_sends_the_reminders_every_morning():
    assert settings.CELERY_BEAT_SCHEDULE["daily-reminders"] == {
        "task": "steering.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    }
    assert app.conf.beat_schedule["daily-reminders"]["task"] == tasks.send_reminders.name
    assert tasks.send_reminders.name == "steering.tasks.send_reminders"
