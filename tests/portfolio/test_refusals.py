"""Invalid input refused by the services on the right field, with nothing changed."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from core.stages import Stage
from portfolio import services
from portfolio.models import (
    Contribution,
    Initiative,
    Objective,
)
from risk import services as risk_services
from tests.factories import (
    KPIFactory,
    ObjectiveFactory,
)
from tests.portfolio.utils import World, db_rows

pytestmark = pytest.mark.django_db

D = datetime.date


Action = Callable[[], Any]


def _initiative_data(w: World, **changes: Any) -> dict[str, Any]:
    data = {
        "code": "NEW-1",
        "title": "New initiative",
        "sponsor": w.executive,
        "stage": Stage.IN_DELIVERY,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 31),
    }
    return data | changes


def _sub_objective(w: World) -> Objective:
    return ObjectiveFactory(code="O1.1", title="Mobile conversion", parent=w.objective)


def _create_initiative(**changes: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: lambda: services.initiative_create(user=u, data=_initiative_data(w, **changes))


def _update_initiative(**data: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: (
        lambda: services.initiative_update(user=u, initiative_id=w.initiative.pk, version=1, data=data)
    )


def _contribution(**data: Any) -> Callable[[Any, World], Action]:
    return lambda u, w: (
        lambda: services.contribution_create(
            user=u,
            initiative=w.initiative,
            data={"objective": w.objective, "rationale": "Because it shortens the checkout."} | data,
        )
    )


def _contribution_with_foreign_kpi(u: Any, w: World) -> Action:
    foreign = KPIFactory(objective=ObjectiveFactory(code="T2", title="Cut costs"))
    return _contribution(kpi=foreign)(u, w)


def _objective_too_deep(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_create(
        user=u, data={"parent": sub, "code": "O1.1.1", "title": "Too deep"}
    )


def _objective_moved_with_children_too_deep(u: Any, w: World) -> Action:
    _sub_objective(w)
    sibling = ObjectiveFactory(code="O2", title="Sibling", parent=w.theme)
    return lambda: services.objective_update(
        user=u, objective_id=w.objective.pk, version=1, data={"parent": sibling}
    )


def _objective_under_its_child(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_update(
        user=u, objective_id=w.objective.pk, version=1, data={"parent": sub}
    )


def _theme_under_its_grandchild(u: Any, w: World) -> Action:
    sub = _sub_objective(w)
    return lambda: services.objective_update(user=u, objective_id=w.theme.pk, version=1, data={"parent": sub})


@dataclass
class RefusalCase:
    id: str
    arrange: Callable[[Any, World], Action]
    field_errors: dict[str, list[str]]

    def __str__(self) -> str:
        return self.id


GREATER_OR_EQUAL_0 = ["Ensure this value is greater than or equal to 0."]
AT_MOST_5 = ["Ensure this value is less than or equal to 5."]
BETWEEN_DATES = ["An interim target must fall between the baseline and target dates."]
TOO_DEEP = ["The tree is three levels deep at most: theme, objective, sub-objective."]
UNDER_ITSELF = ["An objective cannot sit under itself or one of its children."]

REFUSALS = [
    RefusalCase(
        "planned end before start",
        _create_initiative(planned_start=D(2026, 6, 1), planned_end=D(2026, 5, 31)),
        {"planned_end": ["The planned end cannot be before the planned start."]},
    ),
    RefusalCase(
        "actual end before start",
        _update_initiative(actual_end=D(2026, 1, 14)),
        {"actual_end": ["The actual end cannot be before the actual start."]},
    ),
    RefusalCase(
        "negative capex",
        _create_initiative(budget_capex=Decimal("-0.01")),
        {"budget_capex": GREATER_OR_EQUAL_0},
    ),
    RefusalCase(
        "negative opex", _create_initiative(budget_opex=Decimal("-1")), {"budget_opex": GREATER_OR_EQUAL_0}
    ),
    RefusalCase(
        "negative forecast cost on update",
        _update_initiative(forecast_cost=Decimal("-100")),
        {"forecast_cost": GREATER_OR_EQUAL_0},
    ),
    RefusalCase(
        "requirements clarity 6",
        _update_initiative(requirements_clarity=6),
        {"requirements_clarity": AT_MOST_5},
    ),
    RefusalCase(
        "requirements clarity 0",
        _update_initiative(requirements_clarity=0),
        {"requirements_clarity": ["Ensure this value is greater than or equal to 1."]},
    ),
    RefusalCase(
        "sponsor missing past the idea stage",
        _create_initiative(sponsor=None, stage=Stage.PROPOSED),
        {"sponsor": ["Every initiative past the idea stage needs an executive sponsor."]},
    ),
    RefusalCase(
        "approved without planned dates",
        _create_initiative(stage=Stage.APPROVED, planned_start=None, planned_end=None),
        {
            "planned_start": ["An approved initiative needs a planned start."],
            "planned_end": ["An approved initiative needs a planned end."],
        },
    ),
    RefusalCase(
        "live without a go-live date",
        _update_initiative(stage=Stage.LIVE),
        {"go_live_date": ["A live initiative needs its go-live date."]},
    ),
    RefusalCase(
        "code in lower case",
        _create_initiative(code="ecom-9"),
        {"code": ["Use 2 to 20 capital letters, digits or dashes, e.g. ECOM-12."]},
    ),
    RefusalCase(
        "contribution with a blank rationale",
        _contribution(rationale="  "),
        {"rationale": ["Say why this initiative moves this objective; a contribution needs a rationale."]},
    ),
    RefusalCase(
        "contribution naming a KPI of another objective",
        _contribution_with_foreign_kpi,
        {"kpi": ["Pick a KPI of the objective chosen above (or of one of its sub-objectives)."]},
    ),
    RefusalCase(
        "contribution with an expected change but no KPI",
        _contribution(expected_change=Decimal("1.5")),
        {"expected_change": ["An expected change needs the KPI it applies to."]},
    ),
    RefusalCase(
        "interim target before the baseline date",
        lambda u, w: (
            lambda: services.interim_target_create(
                user=u, kpi=w.kpi, date=D(2024, 12, 31), value=Decimal("11")
            )
        ),
        {"date": BETWEEN_DATES},
    ),
    RefusalCase(
        "interim target on the target date",
        lambda u, w: (
            lambda: services.interim_target_create(user=u, kpi=w.kpi, date=D(2027, 1, 1), value=Decimal("19"))
        ),
        {"date": BETWEEN_DATES},
    ),
    RefusalCase(
        "reading dated tomorrow",
        lambda u, w: (
            lambda: services.reading_record(
                user=u, kpi=w.kpi, date=timezone.localdate() + datetime.timedelta(days=1), value=Decimal("12")
            )
        ),
        {"date": ["A reading cannot be dated in the future."]},
    ),
    RefusalCase(
        "KPI target below the baseline of an increasing KPI",
        lambda u, w: (
            lambda: services.kpi_update(user=u, kpi_id=w.kpi.pk, version=1, data={"target_value": 9})
        ),
        {"target_value": ["Higher is better, so the target cannot be below the baseline."]},
    ),
    RefusalCase("objective four levels deep", _objective_too_deep, {"parent": TOO_DEEP}),
    RefusalCase(
        "objective moved so that its children end up four levels deep",
        _objective_moved_with_children_too_deep,
        {"parent": TOO_DEEP},
    ),
    RefusalCase("objective moved under its own child", _objective_under_its_child, {"parent": UNDER_ITSELF}),
    RefusalCase(
        "theme moved under its own grandchild", _theme_under_its_grandchild, {"parent": UNDER_ITSELF}
    ),
    RefusalCase(
        "objective under itself",
        lambda u, w: (
            lambda: services.objective_update(
                user=u, objective_id=w.objective.pk, version=1, data={"parent": w.objective}
            )
        ),
        {"parent": UNDER_ITSELF},
    ),
    RefusalCase(
        "scope change decided without a decider",
        lambda u, w: (
            lambda: services.scope_change_create(
                user=u,
                initiative=w.initiative,
                data={"date": D(2026, 4, 1), "description": "Add gift cards.", "status": "approved"},
            )
        ),
        {"approved_by": ["Say who approved or rejected this change."]},
    ),
    RefusalCase(
        "risk probability 6",
        lambda u, w: (
            lambda: risk_services.risk_create(
                user=u, initiative=w.initiative, data={"title": "Outage", "probability": 6, "impact": 2}
            )
        ),
        {"probability": AT_MOST_5},
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_invalid_input_is_refused_on_the_right_field_and_changes_nothing(case, world, pmo, recorded_changes):
    # given
    action = case.arrange(pmo, world)
    before = db_rows()
    recorded_changes.clear()

    # when
    with pytest.raises(ApplicationError) as refused:
        action()

    # then
    assert type(refused.value) is ApplicationError
    assert refused.value.field_errors == case.field_errors
    assert db_rows() == before
    assert recorded_changes == []


def test_an_expected_change_may_name_a_kpi_of_a_sub_objective(world, pmo):
    # given
    sub_kpi = KPIFactory(objective=_sub_objective(world), name="Mobile conversion")

    # when
    contribution = services.contribution_create(
        user=pmo,
        initiative=world.initiative,
        data={
            "objective": world.objective,
            "rationale": "Because it shortens the checkout.",
            "kpi": sub_kpi,
            "expected_change": 1,
        },
    )

    # then
    assert Contribution.objects.get(pk=contribution.pk).kpi == sub_kpi


def test_an_invalid_update_rolls_back_the_version_bump(world, pmo):
    # when
    with pytest.raises(ApplicationError):
        services.initiative_update(
            user=pmo, initiative_id=world.initiative.pk, version=1, data={"planned_end": D(2025, 1, 1)}
        )

    # then: the same version can still be saved
    services.initiative_update(
        user=pmo, initiative_id=world.initiative.pk, version=1, data={"title": "Renamed"}
    )
    stored = Initiative.objects.get(pk=world.initiative.pk)
    assert (stored.title, stored.version, stored.planned_end) == ("Renamed", 2, D(2026, 12, 31))
