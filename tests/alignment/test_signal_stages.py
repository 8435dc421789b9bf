"""A full recompute calls at each stage only the rules that can raise a signal there (rules.RULES_AT): every
rule left out at a stage raises nothing at it, whatever the data."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from alignment.engine import formulas as f
from alignment.engine.inputs import (
    BenefitInputs,
    BenefitPlanRow,
    ContributionRow,
    RiskRow,
    ScopeRow,
    SponsorRecord,
)
from alignment.engine.rules import INITIATIVE_RULES, RULE_STAGES, Links
from core.stages import Stage
from portfolio.benefits import Period, Quarter, realisation
from tests.alignment.formula_support import O3, D, example_initiatives, portfolio_inputs, score


@pytest.mark.parametrize("stage", Stage.values)
def test_a_rule_left_out_at_a_stage_raises_nothing_there(stage):
    # given: CHK-1, with every kind of trouble the rules look for, at this stage
    chk = example_initiatives()[0]
    row = replace(
        chk,
        stage=stage,
        go_live_date=D(2026, 6, 1),
        clarity=1,
        sponsor_id=99,
        sustainment_owner_id=None,
        budget=3_000_000.0,
        contributions=[*chk.contributions, ContributionRow(9, O3, "strong", None)],
        risks=[RiskRow(7, "Unmitigated", 5, 5, False)],
        scope_changes=[ScopeRow(n, D(2026, 11, 1), False, "approved") for n in range(6)],
        reviews=chk.reviews * 2,
    )
    inputs = portfolio_inputs([row])
    kpis = {
        pk: f.assess_kpi(kpi, inputs.readings.get(pk, []), inputs.today, inputs.policy.kpi)
        for pk, kpi in inputs.kpis.items()
    }
    result = score(row, inputs)

    # then
    for rule in INITIATIVE_RULES:
        if stage not in RULE_STAGES[rule]:
            assert list(rule(row, result, inputs, kpis, Links())) == [], rule.__name__
            for trouble in benefit_trouble(row.id):  # far behind plan; no actual; benefit lines, no plan
                with_benefits = replace(inputs, benefits=trouble)
                assert list(rule(row, result, with_benefits, kpis, Links())) == [], rule.__name__


def benefit_trouble(pk: int) -> list[BenefitInputs]:
    """Every kind of benefit trouble, for initiative `pk` and sponsor 99 (whose record is 10%)."""
    record = {99: SponsorRecord(Decimal("10"), Decimal("100"), 5)}

    def plan(actual: Decimal | None) -> BenefitPlanRow:
        periods = [Period(Quarter(2026, 2), Decimal("100"), actual)]
        return BenefitPlanRow(
            1, "Saving", True, realisation(periods, D(2026, 11, 21)), int(actual is not None)
        )

    return [
        BenefitInputs(plans={pk: [plan(Decimal("1"))]}, sponsors=record),
        BenefitInputs(plans={pk: [plan(None)]}, sponsors=record),
        BenefitInputs(unplanned={pk: [(1, "Saving")]}, sponsors=record),
    ]


@pytest.mark.parametrize(
    ("stage", "rules"),
    [
        # each of the three kinds of trouble carries the sponsor's record
        (Stage.IDEA, ["sponsor_overpromised"] * 3),
        (Stage.APPROVED, ["sponsor_overpromised"] * 3),
        (Stage.LIVE, ["benefits_behind_plan", "live_no_benefit_actuals", "live_no_benefit_actuals"]),
        (Stage.CLOSED, ["benefits_behind_plan"]),
    ],
)
def test_the_benefit_trouble_is_raised_at_its_stages(stage, rules):
    # given: the same trouble as above (so the test above cannot pass for want of it)
    chk = example_initiatives()[0]
    row = replace(chk, stage=stage, go_live_date=D(2026, 6, 1), sponsor_id=99)
    inputs = portfolio_inputs([row])
    result = score(row, inputs)

    # when
    raised = [
        signal.rule
        for trouble in benefit_trouble(row.id)
        for rule in INITIATIVE_RULES
        if rule.__name__ in {"benefits_behind_plan", "live_no_benefit_actuals", "sponsor_overpromised"}
        for signal in rule(row, result, replace(inputs, benefits=trouble), {}, Links())
    ]

    # then
    assert raised == rules
