"""The outbox: services record their events in their own transaction (a refused change records none), with
ids and display strings; each consumer processes each event once, however often the dispatch runs."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import outbox
from core.errors import NotAllowed
from core.models import EventDelivery, OutboxEvent
from core.stages import Stage
from events.models import Notification
from portfolio import services as portfolio
from portfolio.models import Initiative, Strength
from tests.events.support import NOW, events
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def initiative_data(**changes: Any) -> dict[str, Any]:
    return {
        "code": "EVT-1",
        "title": "Billing <b>rewrite</b>",
        "description": "",
        "category": "grow",
        "stage": Stage.IDEA,
        "requirements_clarity": 3,
        **changes,
    }


def test_registering_an_initiative_records_one_event_with_ids_and_display_strings(pmo, manager):
    program = ProgramFactory(name="Finance")
    initiative = portfolio.initiative_create(user=pmo, data=initiative_data(program=program, manager=manager))

    assert events() == [
        (
            "initiative.registered",
            "initiative",
            initiative.pk,
            {
                "initiative_id": initiative.pk,
                "code": "EVT-1",
                "title": "EVT-1 Billing <b>rewrite</b> was registered",
                "url": f"/initiatives/{initiative.pk}/",
                "about": {"initiative": [initiative.pk], "program": [program.pk]},
                "recipients": [],
            },
        )
    ]
    assert OutboxEvent.objects.get().actor == pmo


def test_a_refused_change_records_no_event(manager):
    with pytest.raises(NotAllowed):
        portfolio.initiative_create(user=manager, data=initiative_data())
    assert OutboxEvent.objects.count() == 0
    assert Initiative.objects.count() == 0


def test_changing_an_initiative_records_the_fields_changed_and_a_stage_move(pmo):
    initiative = InitiativeFactory(code="EVT-2", title="Portal", stage=Stage.APPROVED)
    portfolio.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version,
        data={"stage": Stage.IN_DELIVERY, "title": "Portal v2"},
    )

    moved, changed = events()
    assert moved[0] == "initiative.stage_moved"
    assert (moved[3]["stage_from"], moved[3]["stage_to"]) == ("approved", "in_delivery")
    assert moved[3]["title"] == "EVT-2 Portal v2 moved to In delivery"
    assert changed[0] == "initiative.changed"
    assert changed[3]["fields"] == ["title"]
    assert changed[3]["title"] == "EVT-2 Portal v2 was changed (title)"


def test_a_change_names_the_fields_as_the_form_does(pmo):
    initiative = InitiativeFactory(code="EVT-4", title="Ledger")
    portfolio.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version,
        data={"planned_end": datetime.date(2027, 6, 30), "budget_capex": Decimal("125000")},
    )

    (changed,) = events()
    assert changed[3]["fields"] == ["budget_capex", "planned_end"]
    assert changed[3]["title"] == "EVT-4 Ledger was changed (budget (capex), planned end)"


def test_saving_an_initiative_unchanged_records_nothing(pmo):
    initiative = InitiativeFactory()
    portfolio.initiative_update(user=pmo, initiative_id=initiative.pk, version=initiative.version, data={})
    assert events() == []


def test_contribution_and_reading_events(pmo):
    objective = ObjectiveFactory(title="Grow revenue")
    initiative = InitiativeFactory(code="EVT-3")
    contribution = ContributionFactory(initiative=initiative, objective=objective, strength=Strength.WEAK)
    portfolio.contribution_update(
        user=pmo,
        contribution_id=contribution.pk,
        version=contribution.version,
        data={"strength": Strength.STRONG},
    )
    kpi = KPIFactory(objective=objective, name="Revenue")
    portfolio.reading_record(user=pmo, kpi=kpi, date=datetime.date(2026, 11, 1), value=Decimal("12.5"))

    (kind, subject, _, payload), (kind2, subject2, kpi_id, payload2) = events()
    assert (kind, subject) == ("contribution.changed", "contribution")
    assert payload["title"] == "EVT-3's contribution to Grow revenue was changed"
    assert payload["about"] == {"initiative": [initiative.pk], "objective": [objective.pk]}
    assert (payload["action"], payload["strength"]) == ("changed", "strong")
    assert (kind2, subject2, kpi_id) == ("kpi.reading_recorded", "kpi", kpi.pk)
    assert payload2["title"] == "New reading of Revenue: 12.5 on 2026-11-01"
    assert payload2["about"] == {"kpi": [kpi.pk], "objective": [objective.pk]}


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown event kind"):
        outbox.event_record("made.up", subject_type="x", subject_id=1, title="x")


def test_each_consumer_processes_each_event_once_however_often_dispatch_runs(pmo, manager):
    initiative = InitiativeFactory(manager=manager)
    portfolio.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=initiative.version, data={"title": "New"}
    )

    first = outbox.dispatch_pending()
    second = outbox.dispatch_pending()

    assert (first, second) == (2, 0)  # one event, two consumers (notifications, webhooks)
    assert sorted(EventDelivery.objects.values_list("consumer", flat=True)) == ["notifications", "webhooks"]
    assert Notification.objects.filter(user=manager).count() == 1


def test_the_dispatch_runs_after_the_commit_and_not_before(pmo, manager, django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(manager=manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        portfolio.initiative_update(
            user=pmo, initiative_id=initiative.pk, version=initiative.version, data={"title": "New"}
        )
    assert Notification.objects.count() == 0
    assert [c for c in callbacks if c is outbox.dispatch_now] == [
        outbox.dispatch_now
    ]  # one dispatch, not one per event

    for callback in callbacks:
        callback()
    assert (
        Notification.objects.get(user=manager, kind="initiative.changed").title
        == f"{initiative.code} New was changed (title)"
    )


def test_a_consumer_that_fails_on_one_event_leaves_it_pending_and_processes_the_others(pmo, manager, caplog):
    first, second, third = (InitiativeFactory(manager=manager) for _ in range(3))
    seen: list[list[int]] = []

    def broken(batch: Sequence[OutboxEvent]) -> None:
        seen.append([event.pk for event in batch])
        if any(event.subject_id == second.pk for event in batch):
            raise RuntimeError("boom")

    outbox.register_consumer(outbox.Consumer("broken", broken))
    try:
        for initiative in (first, second, third):
            portfolio.initiative_update(
                user=pmo, initiative_id=initiative.pk, version=initiative.version, data={"title": "New"}
            )
        ids = list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True))
        outbox.dispatch_pending()
        assert seen == [ids, [ids[0]], [ids[1]], [ids[2]]]  # the batch, then each alone
        assert sorted(EventDelivery.objects.filter(consumer="broken").values_list("event_id", flat=True)) == [
            ids[0],
            ids[2],
        ]
        assert EventDelivery.objects.filter(consumer="notifications").count() == 3
        assert list(outbox.pending("broken").values_list("pk", flat=True)) == [ids[1]]
        assert "Consumer broken failed on event" in caplog.text
    finally:
        outbox._consumers.pop("broken")


def test_a_dispatch_takes_the_same_queries_for_ten_events_as_for_a_hundred(pmo, manager):
    """Every consumer reads and processes BATCH events at a time: the queries grow with the batches, not
    with the events (a recompute that moves thousands of scores). A hundred notifications fit in one insert
    on SQLite too (999 parameters a statement)."""
    watched = ObjectiveFactory(owner=manager)

    def record(n: int) -> None:
        outbox.event_record_many(
            [
                outbox.EventSpec(
                    outbox.SCORE_MOVED,
                    "initiative",
                    i,
                    f"Score {i} moved",
                    about={"objective": [watched.pk]},
                    recipients=[manager.pk],
                )
                for i in range(n)
            ]
        )

    record(10)
    with CaptureQueriesContext(connection) as few:
        assert outbox.dispatch_pending() == 20
    record(100)
    with CaptureQueriesContext(connection) as many:
        assert outbox.dispatch_pending() == 200

    assert len(many) == len(few)
    assert Notification.objects.filter(user=manager).count() == 110


def test_the_sweep_drops_processed_events_past_the_retention_only(pmo):
    InitiativeFactory()
    old = outbox.event_record("initiative.changed", subject_type="initiative", subject_id=1, title="old")
    OutboxEvent.objects.filter(pk=old.pk).update(created_at=NOW - datetime.timedelta(days=31))
    fresh = outbox.event_record("initiative.changed", subject_type="initiative", subject_id=1, title="fresh")

    assert outbox.sweep() == 4
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_many_events_are_recorded_in_one_statement_in_the_order_given(pmo):
    specs = [
        outbox.EventSpec(
            outbox.SIGNAL_RAISED,
            "signal",
            None if i == 1 else 900 + i,
            f'Raised: "quoted" <b>{i}</b> \\ é',
            url=f"/initiatives/{i}/",
            about={"initiative": [i + 1, None]},
            recipients=[None, pmo.pk],
            data={"key": f"k{i}", "budget": 1.5 * i},
        )
        for i in range(3)
    ]
    before = OutboxEvent.objects.count()

    with CaptureQueriesContext(connection) as queries:
        assert outbox.event_record_many(specs, actor=pmo) == 3

    assert len(queries) == 1  # SQLite: one executemany
    rows = list(OutboxEvent.objects.order_by("pk")[before:])
    assert [(e.kind, e.subject_type, e.subject_id, e.actor_id) for e in rows] == [
        ("signal.raised", "signal", 900, pmo.pk),
        ("signal.raised", "signal", None, pmo.pk),
        ("signal.raised", "signal", 902, pmo.pk),
    ]
    assert rows[2].payload == {
        "key": "k2",
        "budget": 3.0,
        "title": 'Raised: "quoted" <b>2</b> \\ é',
        "url": "/initiatives/2/",
        "about": {"initiative": [3]},
        "recipients": [pmo.pk],
    }
    assert len({e.created_at for e in rows}) == 1


def test_events_recorded_while_dispatch_is_deferred_wait_for_the_next_dispatch(
    pmo, django_capture_on_commit_callbacks
):
    spec = outbox.EventSpec(outbox.SIGNAL_RAISED, "signal", None, "Raised: late")

    with django_capture_on_commit_callbacks(execute=False) as deferred, outbox.dispatch_deferred():
        outbox.event_record_many([spec])
    with django_capture_on_commit_callbacks(execute=False) as arranged:
        outbox.event_record_many([spec])

    assert deferred == []
    assert [callback.__name__ for callback in arranged] == ["dispatch_now"]
    assert OutboxEvent.objects.filter(payload__title="Raised: late").count() == 2
