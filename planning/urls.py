from __future__ import annotations

from django.urls import path

from planning.views import ranking, strategy

app_name = "planning"

urlpatterns = [
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
