"""A unique value taken by someone else between the form's validation and the save (a race) is refused like
any duplicate: a clear error at the field, nothing saved, and none of the database's words on the page."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connections
from django.urls import reverse

from core import records
from portfolio.models import KPI, Artefact, Contribution, Initiative, Milestone, Program, Reading
from tests.factories import InitiativeFactory, ObjectiveFactory, ProgramFactory
from tests.portfolio.utils import db_rows, field_error

D = datetime.date
DATABASE_WORDS = [
    "duplicate key",
    "violates",
    "DETAIL",
    "UNIQUE constraint",
    "IntegrityError",
    "The record could not be saved",
]


@pytest.fixture
def logged_in(client, pmo):
    client.force_login(pmo)
    return client


@pytest.fixture
def after_validation() -> Iterator[Callable[[Callable[[], Any]], None]]:
    """Run `racer` once, inside the save, after the service has validated the record and before it writes."""
    original = records._validate
    pending: list[Callable[[], Any]] = []

    def validate_then_race(instance: Any) -> None:
        original(instance)
        while pending:
            pending.pop()()

    with mock.patch.object(records, "_validate", validate_then_race):
        yield pending.append


def _page(response: Any) -> str:
    return response.content.decode()


def _no_database_words(page: str) -> list[str]:
    return [word for word in DATABASE_WORDS if word in page]


CASES: list[
    tuple[str, Callable[[dict[str, Any]], tuple[str, dict[str, str]]], Callable[..., Any], str, str]
] = [
    (
        "initiative code",
        lambda w: (
            reverse("portfolio:initiative-create"),
            {"code": "ECOM-9", "title": "Ours", "category": "grow", "stage": "idea", "criticality": "3"}
            | {"budget_capex": "0", "budget_opex": "0", "actual_cost": "0"},
        ),
        lambda w: InitiativeFactory(code="ECOM-9", title="Racer"),
        "code",
        "This code is already used by initiative “ECOM-9 Racer”.",
    ),
    (
        "objective code",
        lambda w: (
            reverse("portfolio:objective-create"),
            {"code": "O9", "title": "Ours", "status": "active", "local_weight": "1"},
        ),
        lambda w: ObjectiveFactory(code="O9", title="Racer"),
        "code",
        "This code is already used by objective “O9 Racer”.",
    ),
    (
        "program name",
        lambda w: (reverse("portfolio:program-create"), {"name": "Loyalty"}),
        lambda w: ProgramFactory(name="Loyalty"),
        "name",
        "This name is already used by program “Loyalty”.",
    ),
    (
        "contribution pair",
        lambda w: (
            reverse("portfolio:record-create", args=[w["initiative"].pk, "contributions"]),
            {
                "objective": str(w["objective"].pk),
                "strength": "strong",
                "rationale": "The new checkout lifts online orders.",
            },
        ),
        lambda w: Contribution.objects.create(
            initiative=w["initiative"], objective=w["objective"], strength="weak", rationale="Racer."
        ),
        "objective",
        "Contribution with this Initiative and Objective already exists.",
    ),
    (
        "milestone name",
        lambda w: (
            reverse("portfolio:record-create", args=[w["initiative"].pk, "milestones"]),
            {"name": "Pilot live", "baseline_date": "2026-06-30"},
        ),
        lambda w: Milestone.objects.create(
            initiative=w["initiative"], name="Pilot live", baseline_date=D(2026, 5, 1)
        ),
        "name",
        "Milestone with this Initiative and Name already exists.",
    ),
    (
        "artefact kind",
        lambda w: (
            reverse("portfolio:record-create", args=[w["initiative"].pk, "artefacts"]),
            {"kind": "business_case", "title": "Ours", "dated": "2026-01-10"},
        ),
        lambda w: Artefact.objects.create(
            initiative=w["initiative"], kind="business_case", title="Racer", dated=D(2026, 1, 1)
        ),
        "kind",
        "Artefact with this Initiative and Kind already exists.",
    ),
    (
        "KPI name",
        lambda w: (
            reverse("portfolio:kpi-create"),
            {
                "objective": str(w["objective"].pk),
                "name": "Basket size",
                "unit": "EUR",
                "direction": "increase",
            }
            | {"baseline_value": "40", "baseline_date": "2026-01-01", "target_value": "50"}
            | {"target_date": "2027-01-01"},
        ),
        lambda w: KPI.objects.create(
            objective=w["objective"],
            name="Basket size",
            unit="EUR",
            direction="increase",
            baseline_value=1,
            baseline_date=D(2026, 1, 1),
            target_value=2,
            target_date=D(2027, 1, 1),
        ),
        "name",
        "KPI with this Objective and Name already exists.",
    ),
    (
        "reading date",
        lambda w: (
            reverse("portfolio:reading-create", args=[w["kpi"].pk]),
            {"date": "2026-10-31", "value": "15"},
        ),
        lambda w: Reading.objects.create(kpi=w["kpi"], date=D(2026, 10, 31), value=14),
        "date",
        "Reading with this Kpi and Date already exists.",
    ),
]


@pytest.mark.parametrize(("case", "form", "racer", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_duplicate_saved_between_validation_and_save_is_a_field_error(
    logged_in, initiative, objective, kpi, after_validation, time_machine, case, form, racer, field, message
):
    # given
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    world = {"initiative": initiative, "objective": objective, "kpi": kpi}
    url, data = form(world)
    before = db_rows()
    after_validation(lambda: racer(world))

    # when
    response = logged_in.post(url, data)

    # then
    page = _page(response)
    assert response.status_code == 422
    assert field_error(page, f"id_{field}") == [message]
    assert _no_database_words(page) == []
    assert db_rows() == before


def test_an_edit_that_takes_a_code_saved_meanwhile_is_a_field_error(logged_in, objective, after_validation):
    # given
    before = db_rows()
    after_validation(lambda: ObjectiveFactory(code="O7", title="Racer"))

    # when
    response = logged_in.post(
        reverse("portfolio:objective-edit", args=[objective.pk]),
        {"code": "O7", "title": objective.title, "parent": str(objective.parent_id), "status": "active"}
        | {"local_weight": "1", "version": str(objective.version)},
    )

    # then
    page = _page(response)
    assert response.status_code == 422
    assert field_error(page, "id_code") == ["This code is already used by objective “O7 Racer”."]
    assert _no_database_words(page) == []
    assert db_rows() == before


def test_a_conflict_validation_cannot_explain_is_refused_without_database_words(logged_in, after_validation):
    # given: a racer that makes the insert fail on something validation does not check (here: the save itself)
    before = db_rows()

    def failing_save(self: Program, *args: Any, **kwargs: Any) -> None:
        from django.db import IntegrityError

        raise IntegrityError(
            'duplicate key value violates unique constraint "x"\nDETAIL:  Key (name)=(Loyalty)'
        )

    # when
    with mock.patch.object(Program, "save", failing_save):
        response = logged_in.post(reverse("portfolio:program-create"), {"name": "Loyalty"})

    # then
    page = _page(response)
    assert response.status_code == 422
    assert "it conflicts with a change someone saved at the same moment" in page
    assert _no_database_words(page) == []
    assert db_rows() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_creating_the_same_code_at_once_on_postgresql(postgres, client, pmo, time_machine):
    """A real race: a second connection commits ECOM-9 after our validation and before our insert."""
    # given
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    client.force_login(pmo)
    original = records._validate
    raced = threading.Event()

    def commit_elsewhere() -> None:
        # a thread has a database connection of its own, in autocommit: this commits at once
        try:
            InitiativeFactory(code="ECOM-9", title="Racer", sponsor=None)
        finally:
            connections.close_all()

    def validate_then_race(instance: Any) -> None:
        original(instance)
        if not raced.is_set():
            raced.set()
            thread = threading.Thread(target=commit_elsewhere)
            thread.start()
            thread.join()

    # when
    with mock.patch.object(records, "_validate", validate_then_race):
        response = client.post(
            reverse("portfolio:initiative-create"),
            {"code": "ECOM-9", "title": "Ours", "category": "grow", "stage": "idea", "criticality": "3"}
            | {"budget_capex": "0", "budget_opex": "0", "actual_cost": "0"},
        )

    # then
    page = _page(response)
    assert response.status_code == 422
    assert field_error(page, "id_code") == ["This code is already used by initiative “ECOM-9 Racer”."]
    assert _no_database_words(page) == []
    assert list(Initiative.objects.values_list("code", "title")) == [("ECOM-9", "Racer")]
    assert list(Initiative.history.values_list("title", flat=True)) == ["Racer"]
