"""Closing the loop (issue 14, part 3): after go-live the benefits realised feed the outcome evidence, and with
it the alignment score (docs/scoring.md, "Outcome evidence", the worked example of CHK-1 gone live)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment import services
from alignment.engine import formulas as f
from alignment.engine import status
from alignment.engine.inputs import BenefitInputs, BenefitPlanRow
from alignment.engine.policy import DEFAULT_POLICY
from alignment.models import InitiativeScore
from portfolio import benefits
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from tests.alignment.benefit_signal_support import live, plan
from tests.alignment.formula_support import D, example_initiatives, portfolio_inputs, score
from tests.alignment.signal_support import TODAY

Q = benefits.Quarter


def plan_row(line_id: int, label: str, quarters: list[tuple[str, str | None]], financial: bool = True):
    """A plan as the engine reads it: 2026 Q1 to Q3 (ended by 21 November 2026) with expected and actual."""
    periods = [
        benefits.Period(Q(2026, n), Decimal(expected), None if actual is None else Decimal(actual))
        for n, (expected, actual) in enumerate(quarters, start=1)
    ]
    measured = sum(1 for p in periods if p.actual is not None)
    return BenefitPlanRow(line_id, label, financial, benefits.realisation(periods, TODAY), measured)


def chk1_live(plans: list[BenefitPlanRow]):
    """CHK-1 of the worked example, live since 1 October 2026, with its benefit plans."""
    row = replace(example_initiatives()[0], stage="live", go_live_date=D(2026, 10, 1))
    inputs = portfolio_inputs([row])
    inputs.benefits = BenefitInputs(plans={row.id: plans})
    return score(row, inputs)


# BOPS-1's plans of the benefit signals' worked example: 39,000 realised of 60,000 expected to date
LABOUR = plan_row(11, "Store labour saved", [("10000", "8000"), ("20000", "12000"), ("20000", "10000")])
RETURNS = plan_row(12, "Returns avoided", [("0", None), ("5000", "4000"), ("5000", "5000")])


def test_realised_outcome_blends_kpis_and_benefits_half_and_half():
    kpis = f.Outcome(69.25)

    outcome = f.realised_outcome(kpis, f.BenefitEvidence(39000.0, 60000.0), 0.5)

    # then: 0.5 x 69.25 + 0.5 x 100 x 0.65
    assert outcome.value == pytest.approx(67.125, abs=1e-9)
    assert (outcome.kpi_value, outcome.benefit_share, outcome.reason) == (69.25, 0.5, "")


def test_benefits_alone_are_the_outcome_when_no_kpi_gives_evidence():
    kpis = f.Outcome(None, reason="no contribution names a KPI")

    outcome = f.realised_outcome(kpis, f.BenefitEvidence(39000.0, 60000.0), 0.5)

    assert (outcome.value, outcome.kpi_value, outcome.benefit_share, outcome.reason) == (65.0, None, 1.0, "")


def test_realising_more_than_planned_is_full_evidence_and_nothing_is_no_evidence():
    assert f.BenefitEvidence(70000.0, 60000.0).evidence == 1.0
    assert f.BenefitEvidence(0.0, 60000.0).evidence == 0.0
    assert f.realised_outcome(f.Outcome(40.0), f.BenefitEvidence(0.0, 60000.0), 0.5).value == 20.0


def test_no_benefit_evidence_leaves_the_kpis_outcome_as_it_is():
    kpis = f.Outcome(69.25)

    assert f.realised_outcome(kpis, None, 0.5) is kpis


def test_worked_example_chk1_live_with_benefits_realised():
    # when: CHK-1 live with BOPS-1's two money plans and a non-financial one (in a KPI's unit, not money)
    satisfaction = plan_row(13, "Satisfaction", [("5", "0"), ("5", "0"), ("5", "0")], financial=False)
    result = chk1_live([LABOUR, RETURNS, satisfaction])

    # then: O = 0.5 x 69.25 + 0.5 x 65 = 67.125; delivery 83.6111 as without benefits;
    # Q = (0.40 x 67.125 + 0.35 x 83.6111) / 0.75 = 74.8185; A = 100 x (0.5 + 0.5 x 0.748185) = 87.4093
    assert result.outcome == pytest.approx(67.125, abs=1e-9)
    assert result.delivery == pytest.approx((250 / 3 + 80 + 87.5) / 3, abs=1e-9)
    assert round(result.execution, 4) == 74.8185
    assert round(result.alignment, 4) == 87.4093
    assert result.explanation["outcome"]["kpi_value"] == 69.25
    assert result.explanation["outcome"]["benefit_share"] == 0.5
    assert result.explanation["outcome"]["benefits"] == {
        "realised": 39000.0,
        "expected": 60000.0,
        "evidence": 0.65,
    }


def test_benefits_realised_in_full_lift_the_score():
    # given: the same plans with every quarter realised as planned (and one beyond it)
    full = plan_row(11, "Store labour saved", [("10000", "10000"), ("20000", "20000"), ("20000", "25000")])

    result = chk1_live([full, RETURNS])

    # then: B = 100 (capped), O = 0.5 x 69.25 + 50 = 84.625, A = 92.0759
    assert result.outcome == pytest.approx(84.625, abs=1e-9)
    assert round(result.alignment, 4) == 92.0759


def test_without_benefit_plans_the_live_outcome_is_the_kpis_alone():
    result = chk1_live([])

    assert result.outcome == pytest.approx(69.25, abs=1e-9)
    assert round(result.alignment, 4) == 87.9759
    assert "benefits" not in result.explanation["outcome"]


def test_plans_with_no_actual_to_date_do_not_count_as_nothing_realised():
    # given: benefits expected to date and no quarter measured yet (live_no_benefit_actuals speaks instead)
    waiting = plan_row(11, "Store labour saved", [("10000", None), ("20000", None), ("20000", None)])

    result = chk1_live([waiting])

    assert result.outcome == pytest.approx(69.25, abs=1e-9)


def test_an_initiative_in_delivery_is_not_judged_on_benefits_yet():
    row = replace(example_initiatives()[0], stage="in_delivery")
    inputs = portfolio_inputs([row])
    inputs.benefits = BenefitInputs(plans={row.id: [LABOUR, RETURNS]})

    assert score(row, inputs).outcome == pytest.approx(69.25, abs=1e-9)


# --------------------------------------------------------------------------------------- through the database


@pytest.mark.django_db
@pytest.mark.usefixtures("tier_policies")
def test_an_actual_entered_moves_the_stored_outcome_and_the_why_view_shows_it(themes, client, pmo, executive):
    # given: a live initiative whose KPI is at its target (evidence 1) and a money plan 2026 Q1 to Q3
    initiative = live(themes)
    saving = plan(
        initiative,
        "Fewer store visits",
        [((2026, 1), "10000", "8000"), ((2026, 2), "10000", "8000"), ((2026, 3), "10000", None)],
    )
    services.recompute(today=TODAY)
    kpi_only = InitiativeScore.objects.get(initiative=initiative)

    # when: the PMO enters Q3's actual through the service, which marks the initiative for rescoring
    quarters = {
        Q(2026, n): PeriodInput(Decimal("10000"), Decimal(actual))
        for n, actual in ((1, "8000"), (2, "8000"), (3, "5000"))
    }
    benefit_plan_save(user=pmo, line_id=saving.pk, version=saving.version, periods=quarters)
    services.recompute_stale(today=TODAY)
    stored = InitiativeScore.objects.get(initiative=initiative)

    # then: 16,000 of 30,000 (0.5333) before, 21,000 of 30,000 (0.70) after; the KPI's evidence is 1
    assert kpi_only.outcome == round(0.5 * 100 + 0.5 * 100 * 16000 / 30000, 2) == 76.67
    assert stored.outcome == 85.0
    client.force_login(executive)
    page = client.get(reverse("alignment:initiative-why", args=[initiative.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Benefits realised" in html
    assert "€21,000 of €30,000 expected to date" in html
    assert "weighs 50% of the outcome and the KPIs the rest" in html


# ------------------------------------------------------------------------------ the benefits' current status


def test_the_benefits_status_of_a_live_initiative_reads_its_plans():
    policy = DEFAULT_POLICY.signals
    on_track = [("Orders", f.ON_TRACK)]

    # no KPI named: the plans alone (39,000 of 60,000: 65%, amber)
    assert status.benefits([], (Decimal("39000"), Decimal("60000")), policy) == status.Suggestion(
        "amber", "Benefits realised 65% of those expected to date."
    )
    # the KPIs on track but the plans below half: red, both said (44.999% said 44%: rounded down)
    assert status.benefits(on_track, (Decimal("44999"), Decimal("100000")), policy) == status.Suggestion(
        "red", "The named KPIs are on track or achieved. Benefits realised 44% of those expected to date."
    )
    # exactly 80%: green; just below, amber and said 79%; a KPI at risk keeps it amber
    assert status.benefits(on_track, (Decimal("80"), Decimal("100")), policy).rag == "green"
    assert status.benefits([], (Decimal("79.99"), Decimal("100")), policy) == status.Suggestion(
        "amber", "Benefits realised 79% of those expected to date."
    )
    assert status.benefits([("Orders", f.AT_RISK)], (Decimal("90"), Decimal("100")), policy).rag == "amber"
    # nothing to judge the plans by yet: the KPIs alone
    assert status.benefits(on_track, None, policy) == status.Suggestion(
        "green", "The named KPIs are on track or achieved."
    )
