"""The risk register: services, exposure bands, the 5x5 heat grid and the register query."""

from __future__ import annotations

import datetime

import pytest

from core.changes import Change
from core.errors import ApplicationError, NotAllowed, StaleEdit
from risk import selectors, services
from risk.models import Risk, RiskStatus, exposure_level
from risk.selectors import HeatCell, heat_grid, heat_grid_from_counts, portfolio_heat_counts, risk_register
from tests.factories import InitiativeFactory, RiskFactory, UserFactory
from tests.portfolio.utils import db_rows

D = datetime.date


@pytest.fixture
def initiative(manager, executive):
    return InitiativeFactory(code="ECOM-1", title="Checkout rebuild", manager=manager, sponsor=executive)


# ------------------------------------------------------------------------------------------------ exposure


@pytest.mark.parametrize(
    ("exposure", "level"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "severe"),
        (25, "severe"),
    ],
)
def test_exposure_level_bands(exposure, level):
    # when / then
    assert exposure_level(exposure) == level


def test_every_cell_of_the_grid_falls_in_the_documented_band():
    # given: the bands as the register page states them
    bands = {"low": range(1, 5), "medium": range(5, 10), "high": range(10, 17), "severe": range(20, 26)}

    # when / then
    for probability in range(1, 6):
        for impact in range(1, 6):
            exposure = probability * impact
            assert exposure in bands[exposure_level(exposure)], (probability, impact)


def test_a_risk_knows_its_exposure_and_level():
    # given
    risk = Risk(title="Vendor late", probability=4, impact=3)

    # when / then
    assert (risk.exposure, risk.level) == (12, "high")


# ------------------------------------------------------------------------------------------------ heat grid

LEVELS = [
    ["medium", "high", "high", "severe", "severe"],
    ["low", "medium", "high", "high", "severe"],
    ["low", "medium", "medium", "high", "high"],
    ["low", "low", "medium", "medium", "high"],
    ["low", "low", "low", "low", "medium"],
]


def test_heat_grid_runs_from_probability_5_at_the_top_and_impact_1_on_the_left():
    # when
    grid = heat_grid_from_counts({})

    # then
    assert [[(c.probability, c.impact) for c in row] for row in grid] == [
        [(p, i) for i in range(1, 6)] for p in range(5, 0, -1)
    ]
    assert [[c.level for c in row] for row in grid] == LEVELS
    assert {c.count for row in grid for c in row} == {0}


def test_heat_grid_places_each_count_in_its_cell():
    # when
    grid = heat_grid_from_counts({(5, 1): 2, (1, 5): 3, (3, 3): 1})

    # then
    assert grid[0][0] == HeatCell(5, 1, 2, "medium")
    assert grid[4][4] == HeatCell(1, 5, 3, "medium")
    assert grid[2][2] == HeatCell(3, 3, 1, "medium")
    assert sum(c.count for row in grid for c in row) == 6


def test_heat_grid_of_loaded_risks_counts_only_active_ones():
    # given
    risks = [
        Risk(probability=2, impact=4, status=RiskStatus.OPEN),
        Risk(probability=2, impact=4, status=RiskStatus.MITIGATING),
        Risk(probability=5, impact=5, status=RiskStatus.ACCEPTED),
        Risk(probability=5, impact=5, status=RiskStatus.CLOSED),
        Risk(probability=1, impact=1, status=RiskStatus.CLOSED),
    ]

    # when
    grid = heat_grid(risks)

    # then
    counts = {(c.probability, c.impact): c.count for row in grid for c in row if c.count}
    assert counts == {(2, 4): 2, (5, 5): 1}


@pytest.mark.django_db
def test_portfolio_heat_counts_counts_active_risks_in_the_database(initiative):
    # given
    other = InitiativeFactory(code="FIN-1")
    RiskFactory(initiative=initiative, probability=3, impact=4)
    RiskFactory(initiative=other, probability=3, impact=4, status=RiskStatus.ACCEPTED)
    RiskFactory(initiative=other, probability=1, impact=2, status=RiskStatus.MITIGATING)
    RiskFactory(initiative=other, probability=3, impact=4, status=RiskStatus.CLOSED)

    # when / then
    assert portfolio_heat_counts(Risk.objects.all()) == {(3, 4): 2, (1, 2): 1}
    assert portfolio_heat_counts(Risk.objects.filter(initiative=initiative)) == {(3, 4): 1}


# ------------------------------------------------------------------------------------------------ register


@pytest.fixture
def register(initiative):
    other = InitiativeFactory(code="FIN-1")
    return {
        "a": RiskFactory(
            initiative=other, title="Audit finding", probability=4, impact=4, category="compliance"
        ),
        "b": RiskFactory(initiative=initiative, title="Breach", probability=4, impact=4, category="security"),
        "c": RiskFactory(
            initiative=initiative, title="Cost overrun", probability=2, impact=5, category="financial"
        ),
        "d": RiskFactory(
            initiative=initiative, title="Dropped vendor", probability=5, impact=5, status="closed"
        ),
        "e": RiskFactory(
            initiative=other, title="Exit of key staff", probability=3, impact=2, category="people"
        ),
        "f": RiskFactory(initiative=other, title="Flaky tests", probability=1, impact=3, status="accepted"),
        "g": RiskFactory(
            initiative=initiative, title="Go-live clash", probability=5, impact=4, status="mitigating"
        ),
    }


def _titles(**filters) -> list[str]:
    return list(risk_register(**filters).values_list("title", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {},
            [
                "Dropped vendor",
                "Go-live clash",
                "Breach",
                "Audit finding",
                "Cost overrun",
                "Exit of key staff",
                "Flaky tests",
            ],
        ),
        (
            {"status": "active"},
            ["Go-live clash", "Breach", "Audit finding", "Cost overrun", "Exit of key staff", "Flaky tests"],
        ),
        ({"status": "closed"}, ["Dropped vendor"]),
        ({"status": "mitigating"}, ["Go-live clash"]),
        ({"category": "security"}, ["Breach"]),
        ({"level": "severe"}, ["Dropped vendor", "Go-live clash"]),
        ({"level": "high"}, ["Breach", "Audit finding", "Cost overrun"]),
        ({"level": "medium"}, ["Exit of key staff"]),
        ({"level": "low"}, ["Flaky tests"]),
        (
            {"level": "bogus"},
            [
                "Dropped vendor",
                "Go-live clash",
                "Breach",
                "Audit finding",
                "Cost overrun",
                "Exit of key staff",
                "Flaky tests",
            ],
        ),
        ({"probability": 4}, ["Breach", "Audit finding"]),
        ({"impact": 5, "status": "active"}, ["Cost overrun"]),
        ({"probability": 4, "impact": 4, "category": "compliance"}, ["Audit finding"]),
    ],
)
def test_risk_register_filters_and_orders_worst_first_then_by_initiative_and_title(
    register, filters, expected
):
    # when / then: "Breach" (ECOM-1) before "Audit finding" (FIN-1) at the same exposure
    assert _titles(**filters) == expected


@pytest.mark.django_db
def test_risk_register_annotates_the_exposure(register):
    # when
    exposures = dict(risk_register().values_list("title", "exposure_value"))

    # then
    assert exposures == {
        "Audit finding": 16,
        "Breach": 16,
        "Cost overrun": 10,
        "Dropped vendor": 25,
        "Exit of key staff": 6,
        "Flaky tests": 3,
        "Go-live clash": 20,
    }


# ------------------------------------------------------------------------------------------------ services


@pytest.mark.django_db
def test_manager_adds_a_risk_to_their_initiative_with_exactly_the_given_values(
    initiative, manager, executive
):
    # when
    risk = services.risk_create(
        user=manager,
        initiative=initiative,
        data={
            "title": "Payment vendor late",
            "category": "vendor",
            "probability": 4,
            "impact": 5,
            "owner": executive,
            "mitigation": "Second vendor on standby.",
            "review_date": D(2026, 12, 15),
        },
    )

    # then
    stored = Risk.objects.get(pk=risk.pk)
    assert (
        stored.initiative,
        stored.title,
        stored.category,
        stored.probability,
        stored.impact,
        stored.owner,
        stored.mitigation,
        stored.status,
        stored.review_date,
        stored.exposure,
        stored.level,
    ) == (
        initiative,
        "Payment vendor late",
        "vendor",
        4,
        5,
        executive,
        "Second vendor on standby.",
        "open",
        D(2026, 12, 15),
        20,
        "severe",
    )
    assert [(h.history_type, h.history_user) for h in stored.history.all()] == [("+", manager)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["other_manager", "executive", "steering_member", "outsider"], indirect=True
)
def test_only_the_pmo_and_the_initiatives_manager_may_change_its_risks(initiative, persona):
    # given
    risk = RiskFactory(initiative=initiative)
    before = db_rows()

    # when / then
    with pytest.raises(NotAllowed):
        services.risk_create(
            user=persona, initiative=initiative, data={"title": "X", "probability": 1, "impact": 1}
        )
    with pytest.raises(NotAllowed):
        services.risk_update(user=persona, risk_id=risk.pk, version=1, data={"impact": 5})
    with pytest.raises(NotAllowed):
        services.risk_delete(user=persona, risk_id=risk.pk, version=1)
    assert db_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field_errors"),
    [
        ({"probability": 0}, {"probability": ["Ensure this value is greater than or equal to 1."]}),
        ({"impact": 6}, {"impact": ["Ensure this value is less than or equal to 5."]}),
        ({"title": ""}, {"title": ["This field cannot be blank."]}),
        ({"status": "forgotten"}, {"status": ["Value 'forgotten' is not a valid choice."]}),
    ],
)
def test_an_invalid_risk_update_is_refused_on_the_field_and_changes_nothing(
    initiative, pmo, data, field_errors
):
    # given
    risk = RiskFactory(initiative=initiative)
    before = db_rows()

    # when
    with pytest.raises(ApplicationError) as refused:
        services.risk_update(user=pmo, risk_id=risk.pk, version=1, data=data)

    # then
    assert refused.value.field_errors == field_errors
    assert db_rows() == before


@pytest.mark.django_db
def test_rescoring_a_risk_moves_it_on_the_heat_grid(initiative, manager):
    # given
    risk = RiskFactory(initiative=initiative, probability=2, impact=2)

    # when
    services.risk_update(user=manager, risk_id=risk.pk, version=1, data={"probability": 5, "impact": 4})

    # then
    assert portfolio_heat_counts(Risk.objects.all()) == {(5, 4): 1}
    assert Risk.objects.get(pk=risk.pk).level == "severe"


@pytest.mark.django_db
def test_closing_a_risk_takes_it_off_the_heat_grid_but_keeps_it_in_the_register(initiative, manager):
    # given
    risk = RiskFactory(initiative=initiative, title="Late", probability=3, impact=3)

    # when
    services.risk_update(user=manager, risk_id=risk.pk, version=1, data={"status": RiskStatus.CLOSED})

    # then
    assert portfolio_heat_counts(Risk.objects.all()) == {}
    assert _titles(status="") == ["Late"]
    assert _titles(status="active") == []


@pytest.mark.django_db
def test_a_stale_risk_update_is_refused(initiative, manager, pmo):
    # given
    risk = RiskFactory(initiative=initiative, impact=2)
    services.risk_update(user=pmo, risk_id=risk.pk, version=1, data={"impact": 3})

    # when
    with pytest.raises(StaleEdit) as refused:
        services.risk_update(user=manager, risk_id=risk.pk, version=1, data={"impact": 5})

    # then
    assert (refused.value.current.impact, refused.value.current.version) == (3, 2)
    assert Risk.objects.get(pk=risk.pk).impact == 3


@pytest.mark.django_db
def test_deleting_a_risk_leaves_a_deletion_entry_and_notifies_the_initiative(
    initiative, manager, recorded_changes
):
    # given
    risk = RiskFactory(initiative=initiative)
    recorded_changes.clear()

    # when
    services.risk_delete(user=manager, risk_id=risk.pk, version=1)

    # then
    assert not Risk.objects.filter(pk=risk.pk).exists()
    assert [(h.history_type, h.history_user) for h in Risk.history.filter(id=risk.pk)] == [
        ("-", manager),
        ("+", None),
    ]
    assert recorded_changes == [Change(initiative_ids=frozenset({initiative.pk}))]


@pytest.mark.django_db
def test_risk_history_appears_in_the_initiatives_audit_trail(initiative, manager):
    # given
    owner = UserFactory(first_name="Olga", last_name="Owner")
    risk = services.risk_create(
        user=manager, initiative=initiative, data={"title": "Late", "probability": 2, "impact": 2}
    )

    # when
    services.risk_update(user=manager, risk_id=risk.pk, version=1, data={"owner": owner, "impact": 4})

    # then
    from portfolio.selectors import initiative_history

    latest = initiative_history(initiative, limit=1)[0]
    assert (latest.who, latest.action, latest.subject) == ("Mo Manager", "changed", "Risk “Late”")
    assert [(c.field, c.old, c.new) for c in latest.changes] == [
        ("impact", "2", "4"),
        ("owner", "—", "Olga Owner"),
    ]


def test_selectors_expose_labels_for_both_axes():
    # when / then
    assert list(selectors.IMPACT_LABELS) == list(selectors.PROBABILITY_LABELS) == [1, 2, 3, 4, 5]
