"""The import's quicker checking path (fields read without bound fields, repeated values cleaned once, the
model form's exclusions and construct_instance worked out once per form, history copied by the database)
reports exactly what Django's own path reports, row by row, and writes the same records and history."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from django import forms
from django.db import models, transaction
from django.forms.models import BaseModelForm, construct_instance

from core import cleaning
from portfolio.imports.base import FormKind, ImportFormMixin
from portfolio.imports.engine import Outcome
from portfolio.imports.kinds import InitiativeKind
from portfolio.models import Initiative
from tests.factories import InitiativeFactory
from tests.portfolio.import_support import csv_file, run_import

HEADER = [
    "code",
    "title",
    "category",
    "stage",
    "sponsor",
    "planned_start",
    "planned_end",
    "actual_start",
    "budget_capex",
    "budget_opex",
    "criticality",
    "requirements_clarity",
]
# values repeat, good and bad, so that a remembered cleaning is met again: a bad one must fail every time
ROWS = [
    ["OK-1", "Fine", "grow", "idea", "", "2026-01-15", "2026-06-30", "", "100.50", "0", "3", ""],
    ["OK-2", "Fine too", "grow", "idea", "", "2026-01-15", "2026-06-30", "", "100.50", "0", "3", "2"],
    ["BAD-1", "Too precise", "grow", "idea", "", "", "", "", "100.505", "1e3", "3", ""],
    ["BAD-2", "Too precise again", "grow", "idea", "", "", "", "", "100.505", "-1", "9", "0"],
    ["BAD-3", "Wrong choice", "someday", "sometime", "", "", "", "", "", "", "", ""],
    ["BAD-4", "Wrong choice again", "someday", "sometime", "", "", "", "", "", "", "", ""],
    ["bad code!", "Bad code", "run", "idea", "", "", "", "", "", "", "", ""],
    ["BAD-5", "x" * 201, "run", "idea", "", "", "", "", "", "", "", ""],
    ["BAD-6", "Ends first", "run", "idea", "", "2026-06-30", "2026-01-15", "", "", "", "", ""],
    ["BAD-7", "Approved bare", "run", "approved", "", "", "", "", "", "", "", ""],
    ["BAD-8", "Approved bare again", "run", "approved", "", "", "", "", "", "", "", ""],
    ["BAD-9", "Started later", "run", "idea", "", "", "", "2030-01-01", "", "", "", ""],
    ["BAD-10", "No sponsor", "run", "approved", "nobody", "2026-01-15", "2026-06-30", "", "", "", "", ""],
    ["OK-3", "Approved", "transform", "approved", "exec", "2026-01-15", "2026-06-30", "", "7", "8", "5", "4"],
    ["OLD-1", "Renamed", "run", "idea", "", "", "", "", "12", "", "", ""],
    ["", "No code", "run", "idea", "", "", "", "", "", "", "", ""],
    ["BAD-11", "", "run", "idea", "", "", "", "", "", "", "", ""],
]


def djangos_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put Django's own form and model cleaning back where the import has its quicker versions."""
    monkeypatch.setattr(ImportFormMixin, "_clean_fields", forms.Form._clean_fields)  # type: ignore[attr-defined]
    monkeypatch.setattr(
        ImportFormMixin,
        "_get_validation_exclusions",
        lambda form: {*BaseModelForm._get_validation_exclusions(form), *form.resolved},  # type: ignore[attr-defined]
    )
    monkeypatch.setattr(
        ImportFormMixin,
        "_construct_instance",
        lambda form: construct_instance(form, form.instance, form._meta.fields, form._meta.exclude),
    )
    monkeypatch.setattr(
        cleaning.FieldCleaner, "clean_form_field", lambda self, field, value: field.clean(value)
    )
    monkeypatch.setattr(FormKind, "blank_record", lambda kind: kind.model())
    monkeypatch.setattr(
        FormKind, "_plain_new_records", False
    )  # a new record's texts read from it, row by row
    monkeypatch.setattr(
        cleaning.FieldCleaner,
        "clean_model_fields",
        lambda self, instance, exclude=None: models.Model.clean_fields(instance, exclude=exclude),
    )


def imported(
    pmo: Any, only_valid: bool
) -> tuple[dict[str, Any], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    outcome = run_import("initiatives", csv_file(HEADER, *ROWS), pmo, only_valid=only_valid)
    fields = [f.attname for f in Initiative._meta.concrete_fields if f.name not in {"id", "created_at"}]
    records = list(Initiative.objects.order_by("code").values_list(*[f for f in fields if f != "updated_at"]))
    history = list(
        Initiative.history.order_by("code", "history_type").values_list(
            "code",
            "title",
            "budget_capex",
            "stage_since",
            "history_type",
            "history_change_reason",
            "history_user",
        )
    )
    return outcome.as_dict(), records, history


@pytest.mark.parametrize("only_valid", [False, True])
def test_the_quicker_path_reports_and_writes_exactly_what_djangos_own_path_does(
    today, executive, pmo, monkeypatch, only_valid
):
    # given an initiative the file changes, and a file with rows right and wrong in many ways
    InitiativeFactory(code="OLD-1", title="Old", sponsor=executive, stage="idea")

    # when it is imported by the quicker path, and again (the first rolled back) by Django's own path
    with transaction.atomic():
        quick = imported(pmo, only_valid)
        transaction.set_rollback(True)
    with monkeypatch.context() as patched:
        djangos_own_path(patched)
        slow = imported(pmo, only_valid)

    # then the problems, the counts, the records and their history are the same
    assert quick[0] == slow[0]
    assert quick[0]["problem_count"] == 23
    assert quick[0]["written"] is only_valid
    assert quick[1] == slow[1]
    assert quick[2] == slow[2]


def test_a_blank_record_is_a_new_record_of_its_own_with_the_models_defaults():
    # given the blank records of one chunk
    kind = InitiativeKind()
    first, second = kind.blank_record(), kind.blank_record()

    # then each has the values a new record has, and a state of its own
    fresh = Initiative()
    fields = [f.attname for f in Initiative._meta.concrete_fields]
    assert [getattr(first, name) for name in fields] == [getattr(fresh, name) for name in fields]
    assert first is not second
    assert first._state is not second._state
    assert first._state.adding is True
    assert first._state.db is None

    # when one is changed, the other (and the next) is not
    first.title = "Changed"
    first._state.fields_cache["program"] = None
    assert second.title == ""
    assert kind.blank_record().title == ""
    assert "program" not in second._state.fields_cache


def test_a_chunks_form_and_its_remembered_cleaning_are_freed_without_the_collector(pmo):
    # given a chunk checked while the cyclic collector is paused, as an import pauses it
    kind = InitiativeKind()
    rows = [(n + 2, {"code": f"FREE-{n}", "title": f"Freed {n}", "stage": "idea"}) for n in range(3)]
    gc.collect()
    gc.disable()
    try:
        checked = kind.check_chunk(rows, {"code": "code", "title": "title", "stage": "stage"}, Outcome())
        assert [item.action for item in checked] == ["create", "create", "create"]
        form, cleaner = weakref.ref(kind._form), weakref.ref(kind._cleaner)

        # when the kind moves on to the next chunk
        kind._form = kind._cleaner = None
        del checked

        # then the form and what it remembered are freed at once: no cycle holds them until a collection
        assert form() is None
        assert cleaner() is None
    finally:
        gc.enable()
