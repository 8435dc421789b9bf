"""A full recompute calls at each stage only the rules that can raise a signal there (rules.RULES_AT): every
rule left out at a stage raises nothing at it, whatever the data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alignment.engine import formulas as f
from alignment.engine.inputs import ContributionRow, RiskRow, ScopeRow
from alignment.engine.rules import INITIATIVE_RULES, RULE_STAGES, Links
from core.stages import Stage
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
