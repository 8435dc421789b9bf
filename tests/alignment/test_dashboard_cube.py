"""The filter cube: dashboards for filters without a program added up from cells drawn with the stored
dashboards, equal to the ones computed from the scores, and used only while the scores are the ones it was
drawn from."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest

from alignment import dashboard, selectors, services
from alignment.models import DashboardCell
from portfolio.models import Initiative
from tests.alignment.dashboard_support import DASHBOARD, count_queries, payload_tiles, resolve, today

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)

CUBE_CASES = [
    {"theme": "T1"},
    {"theme": "T2"},
    {"tier": 1},
    {"tier": 2},
    {"tier": 3},
    {"stage": "funded"},
    {"stage": "active"},
    {"stage": "in_delivery"},
    {"stage": "proposed"},
    {"stage": "closed"},
    {"category": "run"},
    {"category": "grow", "tier": 1},
    {"theme": "T1", "tier": 2},
    {"theme": "T1", "stage": "funded", "category": "transform"},
]


def rounded(value: Any) -> Any:
    """The payload with its numbers to nine places: sums added up in another order may differ in the last."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value


def payloads(flt: dashboard.DashboardFilters) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dashboard of the filters added up from the cube, and computed from the scores."""
    policy = services.current_policy()
    cube = selectors.cube_cells(flt, today=today())
    assert cube is not None  # build_small redrew the dashboards from the scores as they are
    # the history days recorded (45 and 10 days ago and today: the last of each month and a month back)
    assert len(cube.days) == 3
    from_cube = dashboard.filtered_from_cube(flt, cube, today=today(), policy=policy)
    computed = dashboard.dashboard_data(flt, today=today(), policy=policy)
    return tuple(  # type: ignore[return-value]
        json.loads(json.dumps(dashboard.build_payload(data, symbol="€", as_of=None), default=str))
        for data in (from_cube, computed)
    )


@pytest.mark.parametrize("filters", CUBE_CASES, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
def test_a_dashboard_added_up_from_the_cube_is_the_one_computed_from_the_scores(small, filters):
    from_cube, computed = payloads(dashboard.DashboardFilters(**resolve(small, filters)))
    assert rounded(from_cube) == rounded(computed)


def test_a_themes_cells_count_its_initiatives_and_compare_only_its_objectives(small):
    # given theme T1: A-1 (in delivery, €2M, strong on O1) and C-1 (live, €630k, weak on O1.1, strong on O2)
    # are funded; D-1 serves it but is only proposed
    from_cube, _computed = payloads(dashboard.DashboardFilters(theme=small["objectives"]["T1"].pk))
    tiles = payload_tiles(from_cube)

    # then the funded budget is theirs, and the investment chart compares T1's priority objectives only
    assert tiles["budget"]["value"] == "€2.63M"
    investment = next(c for c in from_cube["charts"] if c["key"] == "investment")
    assert [row[0] for row in investment["table"]["rows"]][:2] == ["O1", "O2"]


def test_the_cube_serves_only_the_scores_it_was_drawn_from_and_only_on_its_day(small):
    flt = dashboard.DashboardFilters(tier=1)
    # drawn with the stored dashboards: one cell per stage, category and tier of all initiatives, and again
    # for each theme served; 4 of the six initiatives serve T1 or T2 (E-1 says "none", B-1 is T2's)
    assert DashboardCell.objects.filter(theme__isnull=True).count() == 6
    cube = selectors.cube_cells(flt, today=today())
    assert cube is not None
    assert cube.cells == list(
        DashboardCell.objects.filter(theme__isnull=True, tier=1).values_list("category", "sums")
    )
    # another day counts other milestones as due and other days of history
    assert selectors.cube_cells(flt, today=today() + DAY) is None
    # a change marks an initiative stale: the cube is not used until it is drawn again
    services.mark_stale([small["A-1"].pk])
    assert selectors.cube_cells(flt, today=today()) is None
    services.recompute(today=today())
    assert selectors.cube_cells(flt, today=today()) is None
    services.render_dashboards(today=today())
    assert selectors.cube_cells(flt, today=today()) is not None


def test_the_page_adds_up_the_cube_and_computes_without_it_the_same_dashboard(small, exec_client):
    # given the tier 1 dashboard served from the cube
    url = DASHBOARD + "?tier=1"
    from_cube = exec_client.get(url).content.decode()
    with_cube = count_queries(lambda: exec_client.get(url + "&x=1"))

    # when the cube is gone (as after a change, until the next redraw), the page computes the same dashboard
    DashboardCell.objects.all().delete()
    services.mark_stale([small["B-1"].pk])
    services.recompute(today=today())
    computed = exec_client.get(url).content.decode()
    assert selectors.cube_cells(dashboard.DashboardFilters(tier=1), today=today()) is None
    assert from_cube.count("A-1") == computed.count("A-1") > 0
    assert _tiles_html(computed)[:2] == ["Funded budget", "€2.00M"]  # A-1 alone is of tier 1
    assert _tiles_html(from_cube) == _tiles_html(computed)
    # the cube's page: the session, the user, the roles, the stamp, the latest indices, the policy, the cube's
    # header and cells, the objectives, the largest funded and open initiatives, the KPIs (counts, rows,
    # readings, interim targets), the history days (the sums are the cells'), the filter bar's programs and
    # themes
    assert with_cube == 18


def _tiles_html(page: str) -> list[str]:
    return re.findall(r'<div class="tile-(?:label|value|delta)[^"]*">([^<]*)</div>', page)


def test_the_largest_of_the_cells_largest_are_the_largest_of_the_filters(small, monkeypatch):
    # given charts that name at most two bubbles and one initiative of the heatmap, the cube drawn with them
    monkeypatch.setattr(dashboard, "BUBBLE_INITIATIVES", 2)
    monkeypatch.setattr(dashboard, "HEATMAP_INITIATIVES", 1)
    services.render_dashboards(today=today())
    policy = services.current_policy()
    cases: list[tuple[dict[str, Any], list[str], list[str]]] = [
        # funded with a fit score: A-1 €2M, C-1 €630k, B-1 €300k, E-1 €150k; C-1 alone of tier 2
        ({"stage": "funded"}, ["A-1", "C-1"], ["A-1"]),
        ({"theme": "T1"}, ["A-1", "C-1"], ["A-1"]),
        ({"category": "run"}, ["B-1", "E-1"], ["B-1"]),
        ({"tier": 2}, ["C-1"], ["C-1"]),
    ]
    for filters, bubbles, heat in cases:
        flt = dashboard.DashboardFilters(**resolve(small, filters))
        cube = selectors.cube_cells(flt, today=today())
        assert cube is not None
        data = dashboard.filtered_from_cube(flt, cube, today=today(), policy=policy)
        computed = dashboard.dashboard_data(flt, today=today(), policy=policy)
        # then the cube's are the largest, in order, as the scores give them
        for shown in (data, computed):
            assert [p["code"] for p in shown.charts["bubble"]["points"]] == bubbles, filters
            assert [r["code"] for r in shown.charts["heatmap"]["initiatives"]] == heat, filters
        assert data.charts["bubble"]["total"] == computed.charts["bubble"]["total"]


def test_funded_initiatives_without_a_budget_give_the_dashboard_computed_from_the_scores(small):
    # given the funded "run" initiatives (B-1, E-1) without a budget, and the cube drawn again
    Initiative.objects.filter(code__in=["B-1", "E-1"]).update(budget_capex=0, budget_opex=0)
    services.mark_stale(list(Initiative.objects.filter(code__in=["B-1", "E-1"]).values_list("pk", flat=True)))
    services.recompute(today=today())
    services.render_dashboards(today=today())

    # when the dashboard is filtered on "grow" (its mix shows the other categories of the same filters) or on
    # "run" (nothing funded to compare, no index)
    for flt in (dashboard.DashboardFilters(category="grow"), dashboard.DashboardFilters(category="run")):
        from_cube, computed = payloads(flt)

        # then it is the one computed from the scores
        assert rounded(from_cube) == rounded(computed)
    assert payload_tiles(from_cube)["budget"]["value"] == "€0"
