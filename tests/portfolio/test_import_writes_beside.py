"""Initiatives are written while the next chunk of the file is checked (core.bulk.WritesBeside): on
PostgreSQL the writes run in a thread of their own, on the same connection and inside the import's one
transaction, so a dry run, a refused file and a failed write all leave nothing behind."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DataError, connection, connections

from core.bulk import WritesBeside
from portfolio.imports import engine
from portfolio.imports.kinds import InitiativeKind
from portfolio.models import Initiative
from tests.portfolio.import_support import csv_file, run_import

HEADER = ["code", "title", "category", "stage"]


def initiatives(count: int) -> bytes:
    return csv_file(HEADER, *([f"WB-{n}", f"Written beside {n}", "grow", "idea"] for n in range(count)))


@pytest.fixture
def chunks_of_three(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 3)


@pytest.fixture
def writers(monkeypatch) -> list[tuple[str, bool, int]]:
    """Each write of a chunk: the thread it ran in, whether on the test's own connection, how many rows."""
    seen: list[tuple[str, bool, int]] = []
    shared = connections["default"]
    original = InitiativeKind.write

    def write(self: Any, checked: list[Any], **kwargs: Any) -> None:
        seen.append((threading.current_thread().name, connections["default"] is shared, len(checked)))
        original(self, checked, **kwargs)

    monkeypatch.setattr(InitiativeKind, "write", write)
    return seen


def test_on_postgresql_each_chunk_is_written_beside_on_the_same_connection(
    postgres, pmo, chunks_of_three, writers
):
    # when ten initiatives are imported three at a time
    outcome = run_import("initiatives", initiatives(10), pmo)

    # then every chunk was written by the one writing thread, on the import's connection, and all landed
    assert outcome.created == 10
    assert outcome.written is True
    assert writers == [
        ("writes-beside_0", True, 3),
        ("writes-beside_0", True, 3),
        ("writes-beside_0", True, 3),
        ("writes-beside_0", True, 1),
    ]
    assert Initiative.objects.filter(code__startswith="WB-").count() == 10
    assert list(Initiative.history.order_by("code").values_list("code", "history_change_reason"))[:2] == [
        ("WB-0", "Imported from initiatives.csv"),
        ("WB-1", "Imported from initiatives.csv"),
    ]
    assert Initiative.history.count() == 10


def test_on_postgresql_a_dry_run_written_beside_leaves_nothing(postgres, pmo, chunks_of_three, writers):
    outcome = run_import("initiatives", initiatives(7), pmo, write=False)

    assert outcome.created == 7
    assert outcome.written is False
    assert [name for name, _shared, _rows in writers] == ["writes-beside_0"] * 3
    assert Initiative.objects.count() == 0
    assert Initiative.history.count() == 0


def test_on_postgresql_a_failed_write_is_the_error_raised_and_nothing_is_saved(
    postgres, pmo, chunks_of_three, monkeypatch
):
    # given a database that refuses the second chunk's write (the transaction is then aborted, so the next
    # chunk's lookups, made meanwhile, fail too)
    original = InitiativeKind.write
    calls = []

    def write(self: Any, checked: list[Any], **kwargs: Any) -> None:
        calls.append(len(checked))
        original(self, checked, **kwargs)
        if len(calls) == 2:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr(InitiativeKind, "write", write)

    # when ten initiatives are imported, the error raised is the write's own
    with pytest.raises(DataError, match="division by zero"):
        run_import("initiatives", initiatives(10), pmo)

    # and nothing of the file is saved, not even the chunks written before
    assert Initiative.objects.count() == 0
    assert Initiative.history.count() == 0


def test_elsewhere_the_chunks_are_written_in_place(pmo, chunks_of_three, writers):
    outcome = run_import("initiatives", initiatives(4), pmo)

    expected = "writes-beside_0" if connection.vendor == "postgresql" else "MainThread"
    assert [name for name, _shared, _rows in writers] == [expected, expected]
    assert outcome.created == 4
    assert Initiative.objects.count() == 4


def test_writes_beside_waits_for_each_write_in_turn_and_for_the_last_at_its_end(db):
    order: list[str] = []
    with WritesBeside() as writes:
        writes.submit(order.append, "first")
        writes.submit(order.append, "second")  # after the first is done
        order.append("checked meanwhile")
    assert sorted(order) == ["checked meanwhile", "first", "second"]
    assert order.index("first") < order.index("second")


def test_a_write_that_failed_is_raised_in_place_of_the_error_it_caused(db):
    def refused() -> None:
        raise ValueError("the write was refused")

    def import_whose_write_fails() -> None:
        with WritesBeside() as writes:
            writes.submit(refused)
            raise RuntimeError("what the failed write caused")

    with pytest.raises(ValueError, match="the write was refused") as raised:
        import_whose_write_fails()
    # beside (PostgreSQL), the block's error came first and is kept as the cause; in place, the write failed
    # before it
    beside = connection.vendor == "postgresql"
    assert type(raised.value.__cause__) is (RuntimeError if beside else type(None))
