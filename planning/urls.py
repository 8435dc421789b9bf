from __future__ import annotations

from django.urls import path

from planning import views

app_name = "planning"

urlpatterns = [
    path("planning/strategy/", views.strategy_list, name="strategy-list"),
    path("planning/strategy/compare/", views.strategy_compare, name="strategy-compare"),
    path("planning/strategy/<id:pk>/", views.strategy_detail, name="strategy-detail"),
    path("planning/strategy/<id:pk>/propose/", views.strategy_propose, name="strategy-propose"),
    path("planning/strategy/<id:pk>/what-if/", views.strategy_whatif, name="strategy-whatif"),
    path("planning/strategy/<id:pk>/what-if/initiatives/", views.strategy_impact, name="strategy-impact"),
    path(
        "planning/strategy/<id:pk>/what-if/initiatives.csv",
        views.strategy_impact_export,
        name="strategy-impact-export",
    ),
    path("planning/strategy/<id:pk>/publish/", views.strategy_publish, name="strategy-publish"),
    path("planning/strategy/<id:pk>/discard/", views.strategy_discard, name="strategy-discard"),
    path(
        "planning/strategy/<id:pk>/pairwise/themes/", views.strategy_pairwise, name="strategy-pairwise-themes"
    ),
    path(
        "planning/strategy/<id:pk>/pairwise/<id:parent>/", views.strategy_pairwise, name="strategy-pairwise"
    ),
]
