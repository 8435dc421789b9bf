"""One definition of "checkpoint due": on the demo portfolio, the agenda's rules, the reminders and the engine
(its stored due date and its checkpoint_overdue signal) agree, initiative by initiative, on which are overdue,
which fall due within the reminders' week and which are not due yet, on the demo's day and on later days."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from alignment import services as engine
from alignment.models import InitiativeScore, Signal
from demo.northwind import build_demo
from steering import reminders, rules
from tests.steering.utils import NOW, TODAY, D

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=reminders.DUE_WITHIN_DAYS)
OVERDUE = "overdue"
THIS_WEEK = "due this week"
LATER = "due later"
UNGOVERNED = "not governed"

# Every demo initiative built for 21 November 2026, as all three sources see it that day.
ON_THE_DEMOS_DAY = {
    **dict.fromkeys(
        ["DATA-01", "DATA-03", "ECOM-02", "ECOM-05", "HR-01", "INFRA-04", "SEC-01", "STORE-01", "STORE-04"]
        + ["STORE-05", "STORE-07"],
        OVERDUE,
    ),
    **dict.fromkeys(
        [
            "CRM-01",
            "CRM-04",
            "DATA-02",
            "ECOM-01",
            "FIN-01",
            "INFRA-01",
            "SCM-01",
            "SCM-03",
            "SCM-04",
            "SEC-02",
        ]
        + ["SEC-04", "STORE-02"],
        LATER,
    ),
    **dict.fromkeys(
        ["CRM-02", "CRM-03", "DATA-04", "ECOM-03", "ECOM-04", "ECOM-06", "ECOM-07", "ECOM-08", "INFRA-02"]
        + ["INFRA-03", "SCM-02", "SCM-05", "SCM-06", "SEC-03", "SEC-05", "STORE-03", "STORE-06"],
        UNGOVERNED,
    ),
}


@pytest.fixture
def demo(time_machine: Any, settings: Any) -> Any:
    """The demo built for 21 November 2026, with the clock at that morning; returns a way to move to a day."""
    settings.BEARING_BASE_URL = "https://bearing.example"
    time_machine.move_to(NOW, tick=False)
    build_demo(as_of=TODAY)

    def on(day: datetime.date) -> None:
        time_machine.move_to(
            datetime.datetime.combine(day, datetime.time(7), tzinfo=datetime.UTC), tick=False
        )
        engine.recompute(today=day)

    return on


def reminded_codes(today: datetime.date) -> set[str]:
    """The initiatives the day's checkpoint reminders name, read from the e-mails' lines."""
    lines = [line for reminder in reminders.checkpoint_reminders(today) for line in reminder.lines]
    return {line.removeprefix("- ").split(" ", 1)[0] for line in lines}


def verdicts(day: datetime.date) -> dict[str, str]:
    """Each initiative's verdict on `day`, after checking that the three sources give the same one."""
    scores = InitiativeScore.objects.select_related("initiative")
    stored = {score.initiative.code: score.checkpoint_due for score in scores}
    signalled = set(
        Signal.objects.filter(rule=rules.CHECKPOINT_OVERDUE_RULE).values_list("initiative__code", flat=True)
    )
    codes = dict(scores.values_list("initiative_id", "initiative__code"))
    agenda_today = {codes[pk]: fact for pk, fact in rules.agenda_facts(day).items()}
    agenda_in_a_week = {codes[pk]: fact for pk, fact in rules.agenda_facts(day + WEEK).items()}
    reminded = reminded_codes(day)
    found = {}
    for code, due in stored.items():
        # the engine: its stored date, and its signal
        by_engine = (
            UNGOVERNED if due is None else OVERDUE if due < day else THIS_WEEK if due <= day + WEEK else LATER
        )
        assert (code in signalled) == (by_engine == OVERDUE), code
        # the agenda: a meeting that day proposes what is due by then (overdue when past its date); a meeting
        # a week on proposes what falls due within the week
        today, in_a_week = agenda_today.get(code), agenda_in_a_week.get(code)
        if today is not None and today.checkpoint is not None:
            by_agenda = OVERDUE if today.overdue_days > 0 else THIS_WEEK
        elif in_a_week is not None and in_a_week.checkpoint is not None:
            by_agenda = THIS_WEEK
        else:
            by_agenda = LATER if due is not None else UNGOVERNED
        assert by_agenda == by_engine, code
        # the reminders: the checkpoints due within the week, and only those
        assert (code in reminded) == (by_engine == THIS_WEEK), code
        found[code] = by_engine
    return found


def test_the_agenda_the_reminders_and_the_engine_agree_on_every_demo_initiative_on_the_demos_day(demo):
    # when the engine recomputes on the demo's day
    demo(TODAY)

    # then all three say the same of each of the 40 initiatives, and it is this
    assert verdicts(TODAY) == ON_THE_DEMOS_DAY


@pytest.mark.parametrize(
    ("day", "due_this_week", "newly_overdue"),
    [
        (D(2026, 11, 28), ["CRM-01", "SCM-01", "SCM-03"], []),
        (D(2026, 12, 2), ["CRM-01", "ECOM-01", "FIN-01", "INFRA-01", "SCM-01", "SCM-03"], []),
        (D(2026, 12, 4), ["ECOM-01", "FIN-01", "INFRA-01"], ["CRM-01", "SCM-01", "SCM-03"]),
    ],
)
def test_they_still_agree_as_the_days_pass(demo, day, due_this_week, newly_overdue):
    # when the clock moves on and the engine recomputes that day
    demo(day)
    found = verdicts(day)

    # then the checkpoints falling due, and those that fell overdue, move together in all three
    assert sorted(code for code, verdict in found.items() if verdict == THIS_WEEK) == due_this_week
    overdue = {code for code, verdict in ON_THE_DEMOS_DAY.items() if verdict == OVERDUE}
    assert sorted({code for code, verdict in found.items() if verdict == OVERDUE} - overdue) == newly_overdue
