"""core.bulk.bulk_insert writes new records as bulk_create does (ids given, auto dates stamped, every value
stored as it was), by COPY on PostgreSQL in two statements whatever the number of rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.db.models.signals import post_init

from alignment.models import ScoringPolicy
from core.bulk import BlankRecords, bulk_insert, new_records
from demo.bench_engine import counted
from portfolio.models import BusinessCaseLine, Contribution, Initiative, Program, Strength
from tests.factories import InitiativeFactory, ObjectiveFactory, UserFactory

D = datetime.date
STORED = ["id", "code", "title", "description", "program_id", "sponsor_id", "planned_start", "budget_capex"]


def initiatives(count: int, program: Program | None = None, sponsor: object = None) -> list[Initiative]:
    return [
        Initiative(
            code=f"B-{n}",
            title=f"Tab\there, a quote ', a backslash \\ and a line\nbreak {n}",
            description="" if n % 2 else "Ünïcödé ✓ \\N",
            program=program,
            sponsor=sponsor,  # type: ignore[misc]
            planned_start=D(2026, 1, 1 + n % 28) if n % 3 else None,
            budget_capex=Decimal(f"{n}.05"),
            stage_since=D(2026, 1, 1),
        )
        for n in range(count)
    ]


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC), tick=False)
def test_records_get_ids_and_dates_and_are_stored_as_they_were():
    # given new initiatives with text that COPY must escape, references, empty and typed values
    program = Program.objects.create(name="Digital")
    sponsor = UserFactory(username="exec")
    records = initiatives(5, program, sponsor)

    # when they are inserted in bulk
    bulk_insert(Initiative, records, batch_size=2)

    # then each has its id and is marked saved, and the database holds exactly what the records hold
    assert all(record.pk and not record._state.adding for record in records)
    assert len({record.pk for record in records}) == 5
    stored = list(Initiative.objects.order_by("code").values_list(*STORED))
    assert stored == [tuple(getattr(record, name) for name in STORED) for record in records]
    assert stored[1][2] == "Tab\there, a quote ', a backslash \\ and a line\nbreak 1"
    assert stored[0][3] == "Ünïcödé ✓ \\N"  # not read back as a NULL
    assert stored[1][6] == D(2026, 1, 2)
    assert stored[0][6] is None
    # auto_now and auto_now_add stamped as bulk_create stamps them
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    assert set(Initiative.objects.values_list("created_at", "updated_at")) == {(moment, moment)}
    # the sequence goes on after the ids given
    assert InitiativeFactory().pk > max(record.pk for record in records)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_statements_do_not_grow_with_the_rows_on_postgresql(count):
    # given some new initiatives
    records = initiatives(count)

    # when they are inserted in batches of 10
    with counted() as statements:
        bulk_insert(Initiative, records, batch_size=10)

    # then PostgreSQL took two statements (ids, COPY), seen by the execute wrappers; elsewhere, one per batch
    expected = 2 if connection.vendor == "postgresql" else -(-count // 10)
    assert statements[0] == expected
    assert Initiative.objects.count() == count


@pytest.mark.django_db
def test_a_model_with_a_column_the_database_computes_is_inserted_by_bulk_create():
    # given contributions, whose rationale problem is a generated column read back after the insert
    objective = ObjectiveFactory()
    records = [
        Contribution(
            initiative=InitiativeFactory(code=f"C-{n}"),
            objective=objective,
            strength=Strength.STRONG,
            rationale="tbd" if n else "Cuts the checkout time by half, measured by the conversion KPI.",
        )
        for n in range(2)
    ]

    # when they are inserted in bulk
    bulk_insert(Contribution, records)

    # then they are saved with what the database computed, read back as bulk_create reads it
    stored = dict(Contribution.objects.values_list("pk", "rationale_problem"))
    assert [stored[record.pk] for record in records] == [None, "placeholder"]
    assert [record.rationale_problem for record in records] == [None, "placeholder"]


def test_nothing_to_insert_is_no_statement():
    with counted() as statements:
        bulk_insert(Initiative, [])
    assert statements[0] == 0


def test_new_records_take_the_values_given_by_name_and_the_fields_defaults_for_the_rest():
    # given rows of values for some of a business case line's fields, in an order of the caller's
    rows = [("Licences", 7, "cost"), ("Savings", 8, "saving")]

    # when records are built from them
    records = new_records(BusinessCaseLine, ["label", "case_id", "kind"], rows)

    # then each holds its row's values, the other fields their defaults, and is new
    assert [(r.label, r.case_id, r.kind, r.position, r.kpi_id, r.pk) for r in records] == [
        ("Licences", 7, "cost", 0, None, None),
        ("Savings", 8, "saving", 0, None, None),
    ]
    assert all(r._state.adding for r in records)
    # copies of one blank record, each with its own state and the same values model() gives
    assert BlankRecords(BusinessCaseLine).plain(["label", "case_id", "kind"])
    made = BusinessCaseLine(label="Licences", case_id=7, kind="cost")
    fields = [f.attname for f in BusinessCaseLine._meta.concrete_fields]
    assert [getattr(records[0], name) for name in fields] == [getattr(made, name) for name in fields]
    assert records[0]._state is not records[1]._state
    assert records[0].__dict__ is not records[1].__dict__


def test_blank_records_are_made_by_the_model_when_a_default_is_mutable_or_init_is_listened_to():
    # a policy's parameters default to a new dictionary each: records are made one by one, each its own
    policies = BlankRecords(ScoringPolicy)
    first, second = policies(), policies()
    assert policies.values is None
    assert first.parameters == {}
    assert first.parameters is not second.parameters
    assert not policies.plain(["version"])

    # a model whose init someone listens to: made by the model, so that the listener hears of each
    heard: list[object] = []

    def listener(sender: object, instance: object, **kwargs: object) -> None:
        heard.append(instance)

    post_init.connect(listener, sender=BusinessCaseLine)
    try:
        lines = BlankRecords(BusinessCaseLine)
        line = lines()
    finally:
        post_init.disconnect(listener, sender=BusinessCaseLine)
    assert lines.values is None
    assert heard[-1] is line


def test_only_plain_attributes_and_foreign_key_ids_are_written_directly():
    lines = BlankRecords(BusinessCaseLine)
    assert lines.plain(["label", "position", "case_id", "kpi_id"])
    # the related record's attribute has a setter of its own (it checks and caches the record)
    assert not lines.plain(["case"])
    assert not lines.plain(["label", "kpi"])


def test_new_records_refuse_a_field_the_model_does_not_have_and_a_default_computed_per_record():
    with pytest.raises(ValueError, match="BusinessCaseLine has no field case"):
        new_records(BusinessCaseLine, ["case", "label"], [])
    # a policy's parameters default to a new dictionary each: one shared by all would be a trap
    with pytest.raises(ValueError, match="ScoringPolicy.parameters has a default computed per record"):
        new_records(ScoringPolicy, ["version"], [(1,)])
