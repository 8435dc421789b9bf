from __future__ import annotations

from django.urls import path

from planning.views import intake, strategy

app_name = "planning"

urlpatterns = [
    path("planning/proposals/", intake.proposal_list, name="proposal-list"),
    path("planning/proposals/policy/", intake.intake_policy, name="intake-policy"),
    path("planning/proposals/<id:pk>/", intake.proposal_detail, name="proposal-detail"),
    path("planning/proposals/<id:pk>/decide/", intake.proposal_decide, name="proposal-decide"),
    path("planning/initiatives/<id:pk>/submit/", intake.proposal_submit, name="proposal-submit"),
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
