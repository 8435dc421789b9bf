"""core.history.bulk_history_copy writes the history rows simple-history's own bulk helper writes: every
tracked field as stored, the type, the user and the reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.history import bulk_history_copy
from portfolio.models import Initiative, Program
from tests.factories import UserFactory

D = datetime.date


def history_rows(reason: str) -> list[tuple[object, ...]]:
    fields = [f.attname for f in Initiative.history.model.tracked_fields if f.name != "id"]
    rows = Initiative.history.filter(history_change_reason=reason).order_by("code")
    return list(rows.values_list(*fields, "history_type", "history_user_id", "history_change_reason"))


@pytest.mark.django_db
@pytest.mark.parametrize("history_type", ["+", "~"])
def test_the_copied_rows_are_those_simple_history_writes(history_type):
    # given two initiatives written in bulk, one with references, dates and amounts, one with blanks
    user = UserFactory(username="pmo")
    program = Program.objects.create(name="Digital")
    records = Initiative.objects.bulk_create(
        [
            Initiative(
                code="A-1",
                title="Full",
                program=program,
                sponsor=user,
                planned_start=D(2026, 1, 2),
                budget_capex=Decimal("12.50"),
                stage_since=D(2026, 1, 1),
                criticality=4,
            ),
            Initiative(code="B-2", title="Bare", stage_since=D(2026, 1, 1)),
        ]
    )

    # when their history is copied, and written by simple-history, under two reasons
    bulk_history_copy(Initiative, records, history_type=history_type, user=user, reason="copied")
    Initiative.history.bulk_history_create(
        records, update=history_type == "~", default_user=user, default_change_reason="built"
    )

    # then the rows are the same but for the reason
    copied, built = history_rows("copied"), history_rows("built")
    assert [row[:-1] for row in copied] == [row[:-1] for row in built]
    assert [row[0] for row in copied] == ["A-1", "B-2"]
    assert [row[-3:] for row in copied] == [(history_type, user.pk, "copied")] * 2
    assert sorted(
        Initiative.history.filter(history_change_reason="copied").values_list("id", flat=True)
    ) == sorted(record.pk for record in records)


@pytest.mark.django_db
def test_no_user_is_written_as_none():
    records = Initiative.objects.bulk_create([Initiative(code="A-1", title="x", stage_since=D(2026, 1, 1))])

    bulk_history_copy(Initiative, records, history_type="+", user=None, reason="Imported from a.csv")

    assert list(Initiative.history.values_list("code", "history_user_id", "history_change_reason")) == [
        ("A-1", None, "Imported from a.csv")
    ]
