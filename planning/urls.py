from __future__ import annotations

from django.urls import path

from planning.views import intake, ranking, scenarios, strategy

app_name = "planning"

urlpatterns = [
    path("planning/proposals/", intake.proposal_list, name="proposal-list"),
    path("planning/proposals/policy/", intake.intake_policy, name="intake-policy"),
    path("planning/proposals/<id:pk>/", intake.proposal_detail, name="proposal-detail"),
    path("planning/proposals/<id:pk>/decide/", intake.proposal_decide, name="proposal-decide"),
    path("planning/initiatives/<id:pk>/submit/", intake.proposal_submit, name="proposal-submit"),
    path("planning/scenarios/", scenarios.scenario_list, name="scenario-list"),
    path("planning/scenarios/compare/", scenarios.scenario_compare, name="scenario-compare"),
    path("planning/scenarios/<id:pk>/", scenarios.scenario_detail, name="scenario-detail"),
    path("planning/scenarios/<id:pk>/rules/", scenarios.scenario_rule_add, name="scenario-rule-add"),
    path(
        "planning/scenarios/<id:pk>/rules/remove/",
        scenarios.scenario_rule_remove,
        name="scenario-rule-remove",
    ),
    path("planning/scenarios/<id:pk>/solve/", scenarios.scenario_solve, name="scenario-solve"),
    path("planning/scenarios/<id:pk>/frontier/", scenarios.scenario_frontier, name="scenario-frontier"),
    path("planning/scenarios/<id:pk>/copy/", scenarios.scenario_copy, name="scenario-copy"),
    path("planning/scenarios/<id:pk>/delete/", scenarios.scenario_delete, name="scenario-delete"),
    path("planning/scenarios/<id:pk>/approve/", scenarios.scenario_approve, name="scenario-approve"),
    path(
        "planning/scenarios/<id:pk>/answer.csv", scenarios.scenario_decisions_csv, name="scenario-answer-csv"
    ),
    path(
        "planning/scenarios/<id:pk>/<str:chart>.csv", scenarios.scenario_chart_csv, name="scenario-chart-csv"
    ),
    path("planning/priorities/", ranking.priorities, name="priorities"),
    path("planning/priorities.csv", ranking.priorities_export, name="priorities-export"),
    path("planning/priorities/scoring-model/", ranking.scoring_model, name="scoring-model"),
    path("planning/priorities/sensitivity/", ranking.priorities_sensitivity, name="priorities-sensitivity"),
    path(
        "planning/priorities/sensitivity.csv",
        ranking.priorities_sensitivity_export,
        name="priorities-sensitivity-export",
    ),
    path("planning/strategy/", strategy.strategy_list, name="strategy-list"),
    path("planning/strategy/compare/", strategy.strategy_compare, name="strategy-compare"),
    path("planning/strategy/<id:pk>/", strategy.strategy_detail, name="strategy-detail"),
    path("planning/strategy/<id:pk>/propose/", strategy.strategy_propose, name="strategy-propose"),
    path("planning/strategy/<id:pk>/what-if/", strategy.strategy_whatif, name="strategy-whatif"),
    path("planning/strategy/<id:pk>/what-if/initiatives/", strategy.strategy_impact, name="strategy-impact"),
    path(
        "planning/strategy/<id:pk>/what-if/initiatives.csv",
        strategy.strategy_impact_export,
        name="strategy-impact-export",
    ),
    path("planning/strategy/<id:pk>/publish/", strategy.strategy_publish, name="strategy-publish"),
    path("planning/strategy/<id:pk>/discard/", strategy.strategy_discard, name="strategy-discard"),
    path(
        "planning/strategy/<id:pk>/pairwise/themes/",
        strategy.strategy_pairwise,
        name="strategy-pairwise-themes",
    ),
    path(
        "planning/strategy/<id:pk>/pairwise/<id:parent>/",
        strategy.strategy_pairwise,
        name="strategy-pairwise",
    ),
]
