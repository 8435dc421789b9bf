"""Outcome evidence: the KPIs an initiative names, weighted by its contributions."""

from __future__ import annotations

import pytest

from alignment.engine import formulas as f
from tests.alignment.formula_support import (
    COST,
    COST_KPI,
    COST_READINGS,
    KPI_POLICY,
    ORDERS,
    ORDERS_KPI,
    ORDERS_READINGS,
    TODAY,
    D,
)


def assessments() -> dict[int, f.KPIAssessment]:
    return {
        ORDERS: f.assess_kpi(ORDERS_KPI, ORDERS_READINGS, TODAY, KPI_POLICY),
        COST: f.assess_kpi(COST_KPI, COST_READINGS, TODAY, KPI_POLICY),
    }


def test_outcome_evidence_worked_example():
    # given: CHK-1 names orders (c 1, evidence 0.79) and cost per order (c 1/3, evidence 0.40)
    # when
    outcome = f.outcome_evidence([(ORDERS, 1.0), (COST, 1 / 3)], assessments())

    # then: 100 x (3 x 0.79 + 1 x 0.40) / 4
    assert outcome.value == pytest.approx(69.25, abs=1e-9)
    assert [(t.kpi_id, round(t.evidence, 2)) for t in outcome.terms] == [(ORDERS, 0.79), (COST, 0.4)]
    assert outcome.reason == ""


def test_outcome_counts_an_achieved_kpi_as_full_evidence():
    # given: cost per order read at 3.90, past its target of 4.00 (progress 1.10), on 1 November
    kpis = {
        **assessments(),
        COST: f.assess_kpi(COST_KPI, [*COST_READINGS, (D(2026, 11, 1), 3.9)], TODAY, KPI_POLICY),
    }

    # when
    outcome = f.outcome_evidence([(ORDERS, 1.0), (COST, 1 / 3)], kpis)

    # then: 100 x (3 x 0.79 + 1 x 1) / 4
    assert kpis[COST].status == f.ACHIEVED
    assert outcome.value == pytest.approx(84.25, abs=1e-9)


def test_outcome_is_missing_when_no_contribution_names_a_kpi():
    outcome = f.outcome_evidence([], assessments())

    assert outcome == f.Outcome(None, reason="no contribution names a KPI")


def test_outcome_is_missing_when_the_named_kpis_have_no_readings():
    outcome = f.outcome_evidence([(99, 1.0)], {99: f.KPIAssessment(99, f.NO_DATA)})

    assert outcome == f.Outcome(None, reason="the named KPIs have no readings")


def test_outcome_leaves_out_a_kpi_without_readings():
    kpis = {**assessments(), 99: f.KPIAssessment(99, f.NO_DATA)}

    outcome = f.outcome_evidence([(ORDERS, 2 / 3), (99, 1.0)], kpis)

    assert outcome.value == pytest.approx(79.0, abs=1e-9)


def test_outcome_says_so_when_only_weightless_contributions_name_kpis_with_readings():
    # given: the KPI has readings, but the contribution naming it has no strategic weight (strength none or
    # a retired objective)
    outcome = f.outcome_evidence([(ORDERS, 0.0)], assessments())

    # then: the reason does not claim the KPI has no readings
    assert outcome == f.Outcome(None, reason="the contributions that name KPIs carry no strategic weight")
