"""core.constraints reads every check constraint of every model without falling back to the database, and
agrees with Django's own (database) check on records that pass and records that break each constraint."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.constraints import evaluate, validate_constraints
from portfolio.models import KPI, Contribution, Initiative, Objective
from risk.models import Risk

D = datetime.date


def test_every_check_constraint_of_every_model_is_read_without_the_database():
    # given every check constraint of every installed model
    conditions = [
        (model, constraint)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    ]
    assert len(conditions) > 10

    # when each is evaluated on a bare instance, then none is unsupported (Unsupported would be raised)
    for model, constraint in conditions:
        assert isinstance(constraint.condition, Q)
        evaluate(constraint.condition, model())


# each breaks a constraint; PASSING has an end without a start: unknown (NULL) in SQL, which passes
CASES = [
    Initiative(code="A-1", title="x", budget_capex=Decimal("-1")),
    Initiative(code="A-1", title="x", planned_start=D(2026, 2, 1), planned_end=D(2026, 1, 1)),
    Initiative(code="A-1", title="x", actual_start=D(2026, 2, 1), actual_end=D(2026, 1, 1)),
    Initiative(code="A-1", title="x", criticality=9),
    Initiative(code="A-1", title="x", requirements_clarity=0),
    Objective(code="T1", title="x", local_weight=Decimal("0")),
    Objective(code="T1", title="x", horizon_start=D(2026, 2, 1), horizon_end=D(2026, 1, 1)),
    KPI(
        name="k",
        unit="%",
        direction="increase",
        baseline_value=5,
        target_value=3,
        baseline_date=D(2025, 1, 1),
        target_date=D(2026, 1, 1),
    ),
    KPI(
        name="k",
        unit="%",
        direction="decrease",
        baseline_value=5,
        target_value=3,
        baseline_date=D(2026, 1, 1),
        target_date=D(2025, 1, 1),
    ),
    Contribution(rationale=""),
    Contribution(rationale="why", expected_change=Decimal("1")),
    Risk(title="r", probability=6, impact=3),
    Risk(title="r", probability=3, impact=0),
]
PASSING = Initiative(code="A-1", title="x", planned_start=None, planned_end=D(2026, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instance", "breaks"),
    [*((case, True) for case in CASES), (PASSING, False)],
    ids=lambda i: type(i).__name__,
)
def test_the_python_check_agrees_with_djangos_database_check(instance, breaks):
    def outcome(validate):
        try:
            validate()
        except ValidationError as error:
            return sorted(error.message_dict.get("__all__", []))
        return []

    ours = outcome(lambda: validate_constraints(instance))
    djangos = outcome(lambda: instance.validate_constraints())

    assert ours == djangos
    assert bool(ours) is breaks
