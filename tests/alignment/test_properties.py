"""Properties of the formulas over random inputs, and of the recompute over random small portfolios."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignment import services
from alignment.engine import formulas as f
from alignment.engine.inputs import ObjectiveRow, priority_units, relative
from alignment.engine.policy import DEFAULT_POLICY, STRENGTH_VALUES
from alignment.models import InitiativeScore, KPIScore, ObjectiveScore, PortfolioIndex, Signal
from core.stages import Stage
from portfolio.selectors import global_weights
from risk.models import TierPolicy
from tests.factories import (
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
)

D = datetime.date
TODAY = D(2026, 11, 21)
STRENGTHS = list(STRENGTH_VALUES)
FAST = settings(max_examples=60, deadline=None)

relative_weight = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
strength = st.sampled_from(STRENGTHS)
contributions = st.lists(st.tuples(relative_weight, strength), max_size=6)
component = st.one_of(st.none(), st.floats(min_value=0.0, max_value=100.0, allow_nan=False))


def fit_of(terms: list[tuple[float, str]]) -> float:
    weights = {pk: r for pk, (r, _) in enumerate(terms)}
    return f.strategic_fit([(pk, s) for pk, (_, s) in enumerate(terms)], weights).value


# ------------------------------------------------------------------------------------ strategic fit


@FAST
@given(contributions)
def test_strategic_fit_stays_within_0_and_100(terms):
    fit = f.strategic_fit(
        [(pk, s) for pk, (_, s) in enumerate(terms)], {pk: r for pk, (r, _) in enumerate(terms)}
    )

    assert 0.0 <= fit.value <= 100.0
    assert sum(t.points for t in fit.terms) == pytest.approx(fit.value, abs=1e-9)


@FAST
@given(contributions.filter(bool), st.data())
def test_strategic_fit_never_falls_when_a_contribution_gets_stronger(terms, data):
    # given: one contribution made stronger
    index = data.draw(st.integers(min_value=0, max_value=len(terms) - 1))
    r, s = terms[index]
    stronger = data.draw(st.sampled_from([x for x in STRENGTHS if STRENGTH_VALUES[x] >= STRENGTH_VALUES[s]]))
    changed = [*terms[:index], (r, stronger), *terms[index + 1 :]]

    # then
    assert fit_of(changed) >= fit_of(terms)


@FAST
@given(contributions, relative_weight, strength)
def test_strategic_fit_never_falls_when_a_contribution_is_added(terms, r, s):
    assert fit_of([*terms, (r, s)]) >= fit_of(terms)


# ------------------------------------------------------------------------------------ relative weights


@st.composite
def trees(draw: Any) -> dict[int, ObjectiveRow]:
    """Up to 3 themes with up to 3 objectives each and up to 2 sub-objectives under each, any of them
    retired, local weights 0.01 to 1000."""
    weight = st.sampled_from([0.01, 0.5, 1.0, 2.0, 3.0, 7.5, 1000.0])
    status = st.sampled_from(["active", "active", "retired"])
    rows: dict[int, ObjectiveRow] = {}

    def add(parent: int | None) -> int:
        pk = len(rows) + 1
        rows[pk] = ObjectiveRow(pk, f"O{pk}", f"O{pk}", parent, draw(weight), draw(status), None)
        return pk

    for _ in range(draw(st.integers(1, 3))):
        theme = add(None)
        for _ in range(draw(st.integers(0, 3))):
            objective = add(theme)
            for _ in range(draw(st.integers(0, 2))):
                add(objective)
    return rows


@FAST
@given(trees())
def test_relative_weights_stay_within_0_and_1_and_the_heaviest_unit_has_1(tree):
    # given
    weights = global_weights(tree.values())
    units, _ = priority_units(tree, weights)

    # when
    r = relative(weights, units)

    # then: bounded; the heaviest priority unit is 1; nothing below a unit weighs more than it
    assert all(0.0 <= value <= 1.0 for value in r.values())
    if units and max(units.values()) > 0:
        assert max(r[u] for u in units) == 1.0
    for pk, row in tree.items():
        if row.parent_id is not None and row.parent_id in units:
            assert r[pk] <= r[row.parent_id] + 1e-12


# ------------------------------------------------------------------------------------ alignment score


@FAST
@given(st.floats(min_value=0.0, max_value=100.0, allow_nan=False), component, component, component)
def test_alignment_score_stays_within_0_and_100(fit, outcome, delivery, governance):
    composite = f.alignment_score(
        fit, {"outcome": outcome, "delivery": delivery, "governance": governance}, DEFAULT_POLICY
    )

    assert 0.0 <= composite.value <= 100.0
    assert composite.value <= fit + 1e-9
    assert composite.value >= DEFAULT_POLICY.execution_floor * fit - 1e-9
    assert set(composite.used) | set(composite.missing) == {"outcome", "delivery", "governance"}
    if composite.execution is not None:
        assert -1e-9 <= composite.execution <= 100.0 + 1e-9
    else:
        # nothing to assess: counted at the floor, and said so
        assert composite.value == pytest.approx(DEFAULT_POLICY.execution_floor * fit, abs=1e-9)
        assert composite.note == f.NOT_ASSESSED


# ------------------------------------------------------------------------------------ KPIs

value = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
day = st.integers(min_value=-200, max_value=800)
BASELINE_DATE, TARGET_DATE = D(2026, 1, 1), D(2026, 12, 27)


@st.composite
def kpis(draw: Any) -> f.KPIDefinition:
    direction = draw(st.sampled_from(["increase", "decrease"]))
    baseline = draw(st.floats(min_value=-1000, max_value=1000, allow_nan=False))
    span = draw(st.floats(min_value=0.01, max_value=1000, allow_nan=False))
    target = baseline + span if direction == "increase" else baseline - span
    # interim targets on the way: progress non-decreasing over time
    steps = sorted(draw(st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=3)))
    dates = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=359), min_size=len(steps), max_size=len(steps)))
    )
    interim = tuple(
        (BASELINE_DATE + datetime.timedelta(days=d), baseline + p * (target - baseline))
        for d, p in zip(dates, steps, strict=True)
    )
    return f.KPIDefinition(1, direction, baseline, BASELINE_DATE, target, TARGET_DATE, interim)


@FAST
@given(kpis(), value, value)
def test_kpi_progress_grows_as_the_value_moves_in_the_kpis_direction(kpi, a, b):
    low, high = sorted((a, b))
    better, worse = (high, low) if kpi.direction == "increase" else (low, high)

    assert f.progress(kpi, better) >= f.progress(kpi, worse)


@FAST
@given(kpis())
def test_kpi_progress_is_0_at_the_baseline_and_1_at_the_target(kpi):
    assert f.progress(kpi, kpi.baseline_value) == 0.0
    assert f.progress(kpi, kpi.target_value) == pytest.approx(1.0, abs=1e-9)


@FAST
@given(kpis(), day, day)
def test_expected_progress_never_falls_over_time_and_stays_within_0_1(kpi, a, b):
    early, late = sorted(
        (BASELINE_DATE + datetime.timedelta(days=a), BASELINE_DATE + datetime.timedelta(days=b))
    )

    assert f.expected_progress(kpi, early) <= f.expected_progress(kpi, late) + 1e-9
    assert -1e-9 <= f.expected_progress(kpi, early) <= 1.0 + 1e-9


# ------------------------------------------------------------------------------------ misallocation

money = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)


@FAST
@given(
    st.dictionaries(st.integers(0, 6), money, max_size=6),
    money,
    st.dictionaries(st.integers(0, 6), st.floats(min_value=0.0, max_value=1.0, allow_nan=False), max_size=6),
)
def test_misallocation_stays_within_0_and_1(spend, unaligned, weights):
    weighted = f.misallocation(spend, unaligned, weights, top_n=3)

    assert -1e-9 <= weighted.misallocation <= 1.0 + 1e-9
    assert -1e-9 <= weighted.top_share <= 1.0 + 1e-9


# ------------------------------------------------------------------------------------ the recompute


def computed_rows() -> dict[str, list[dict[str, Any]]]:
    ignore = {"id", "computed_at", "first_seen", "last_seen"}

    def rows(model: Any, order: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in row.items() if k not in ignore}
            for row in model.objects.order_by(order).values()
        ]

    return {
        "initiative_scores": rows(InitiativeScore, "initiative_id"),
        "kpi_scores": rows(KPIScore, "kpi_id"),
        "objective_scores": rows(ObjectiveScore, "objective_id"),
        "portfolio_indices": rows(PortfolioIndex, "date"),
        "signals": rows(Signal, "key"),
    }


initiative_spec = st.fixed_dictionaries(
    {
        "stage": st.sampled_from(Stage.values),
        "budget": st.integers(min_value=0, max_value=3_000_000),
        "forecast": st.one_of(st.none(), st.integers(min_value=0, max_value=4_000_000)),
        "contributions": st.dictionaries(st.integers(0, 3), st.sampled_from(STRENGTHS), max_size=3),
        "names_kpi": st.booleans(),
        "slip": st.one_of(st.none(), st.integers(min_value=-30, max_value=200)),
        "review": st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
        "risk": st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(1, 5), st.booleans())),
        "clarity": st.one_of(st.none(), st.integers(1, 5)),
    }
)
portfolio_spec = st.fixed_dictionaries(
    {
        "weights": st.lists(st.integers(min_value=1, max_value=9), min_size=4, max_size=4),
        "retired": st.sets(st.integers(0, 3), max_size=2),
        "readings": st.lists(st.integers(min_value=0, max_value=40), max_size=4),
        "initiatives": st.lists(initiative_spec, min_size=1, max_size=4),
    }
)


def build(spec: dict[str, Any]) -> None:
    """Two themes with two objectives each, a KPI on the first, and the initiatives of the spec."""
    themes = [
        ObjectiveFactory(local_weight=Decimal(spec["weights"][0])),
        ObjectiveFactory(local_weight=Decimal(spec["weights"][1])),
    ]
    objectives = [
        ObjectiveFactory(
            parent=themes[n // 2],
            local_weight=Decimal(spec["weights"][n]),
            status="retired" if n in spec["retired"] else "active",
        )
        for n in range(4)
    ]
    kpi = KPIFactory(objective=objectives[0], baseline_date=D(2026, 1, 1), target_date=D(2026, 12, 27))
    for n, reading in enumerate(spec["readings"]):
        ReadingFactory(kpi=kpi, date=D(2026, 2 + 2 * n, 1), value=Decimal(reading))
    for item in spec["initiatives"]:
        initiative = InitiativeFactory(
            stage=item["stage"],
            budget_capex=Decimal(item["budget"]),
            budget_opex=Decimal(0),
            forecast_cost=None if item["forecast"] is None else Decimal(item["forecast"]),
            requirements_clarity=item["clarity"],
            go_live_date=D(2026, 6, 1),
        )
        for index, strength in item["contributions"].items():
            ContributionFactory(
                initiative=initiative,
                objective=objectives[index],
                strength=strength,
                kpi=kpi if index == 0 and item["names_kpi"] else None,
            )
        if item["slip"] is not None:
            MilestoneFactory(
                initiative=initiative,
                baseline_date=D(2026, 8, 1),
                actual_date=D(2026, 8, 1) + datetime.timedelta(days=item["slip"]),
            )
        if item["review"] is not None:
            CheckpointReviewFactory(
                initiative=initiative, held_on=TODAY - datetime.timedelta(days=item["review"])
            )
        if item["risk"] is not None:
            probability, impact, mitigated = item["risk"]
            RiskFactory(
                initiative=initiative,
                probability=probability,
                impact=impact,
                mitigation="Plan B" if mitigated else "",
            )


@pytest.fixture
def tier_policies(db):
    for tier, cadence in [(1, 30), (2, 60), (3, 90)]:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={
                "name": f"Tier {tier}",
                "checkpoint_cadence_days": cadence,
                "required_artefacts": ["business_case"],
            },
        )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(portfolio_spec)
def test_recomputing_a_random_portfolio_is_idempotent_and_rebuildable(tier_policies, spec):
    # each example runs in its own savepoint, rolled back at the end, so examples do not see each other
    with transaction.atomic():
        # given
        build(spec)
        services.recompute(today=TODAY)
        first = computed_rows()

        # when: recomputed again, then rebuilt from nothing
        services.recompute(today=TODAY)
        again = computed_rows()
        for model in (Signal, PortfolioIndex, ObjectiveScore, KPIScore, InitiativeScore):
            model.objects.all().delete()
        services.recompute(today=TODAY)
        rebuilt = computed_rows()

        # then
        assert again == first
        assert rebuilt == first
        assert len(first["initiative_scores"]) == len(spec["initiatives"])
        for row in first["initiative_scores"]:
            assert 0.0 <= row["fit"] <= 100.0
            assert 0.0 <= row["alignment"] <= row["fit"]
            assert row["tier"] in (1, 2, 3)
        index = first["portfolio_indices"][0]
        assert index["misallocation"] is None or 0.0 <= index["misallocation"] <= 1.0
        transaction.set_rollback(True)
