"""The objective tree page: themes, objectives and sub-objectives with their weights and KPIs; a tree too large
to show whole shows its top levels, each folded branch opening on demand."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio import selectors
from portfolio.models import Objective
from tests.factories import KPIFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_objective_tree_shows_global_weights(logged_in):
    # given: themes weighted 3 : 1 (and a retired one), objectives 1 : 3 under the first, 1 : 1 under the second
    t1 = ObjectiveFactory(code="T1", title="Grow", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Run", local_weight=Decimal("1"))
    t3 = ObjectiveFactory(code="T3", title="Old", local_weight=Decimal("5"), status="retired")
    ObjectiveFactory(code="O1", title="Convert", parent=t1, local_weight=Decimal("1"))
    o2 = ObjectiveFactory(code="O2", title="Retain", parent=t1, local_weight=Decimal("3"))
    ObjectiveFactory(code="O3", title="Cut cost", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O4", title="Stay up", parent=t2, local_weight=Decimal("2"))
    ObjectiveFactory(code="O5", title="Legacy", parent=t3)
    ObjectiveFactory(code="S1", title="Loyalty", parent=o2, local_weight=Decimal("1"))
    ObjectiveFactory(code="S2", title="Service", parent=o2, local_weight=Decimal("4"))
    ObjectiveFactory(code="S3", title="Dropped", parent=o2, local_weight=Decimal("10"), status="retired")
    # by hand: T1 = 3/4, T2 = 1/4; O1 = 3/4 * 1/4, O2 = 3/4 * 3/4; O3 = O4 = 1/4 * 1/2; S1 = 9/16 * 1/5, S2 = 9/16 * 4/5
    expected = {
        "T1": "0.750",
        "T2": "0.250",
        "T3": "0.000",
        "O1": "0.188",
        "O2": "0.563",
        "O3": "0.125",
        "O4": "0.125",
        "O5": "0.000",
        "S1": "0.113",
        "S2": "0.450",
        "S3": "0.000",
    }

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    shown = dict(
        re.findall(
            r'<span class="text-body-secondary small fw-semibold">([A-Z0-9.]+)</span>.*?Global <strong>([0-9.]+)</strong>',
            page,
            re.S,
        )
    )
    assert shown == expected
    assert "Local 4 → 0.80 of parent" in page


CARD_CODE = re.compile(r'<span class="text-body-secondary small fw-semibold">([A-Z0-9.]+)</span>')


@pytest.fixture
def three_level_tree():
    """Three themes, three objectives under each and two sub-objectives under each objective: 30 in all."""
    for t in range(1, 4):
        theme = ObjectiveFactory(code=f"T{t}", title=f"Theme {t}")
        for o in range(1, 4):
            objective = ObjectiveFactory(code=f"O{t}.{o}", title=f"Objective {t}.{o}", parent=theme)
            for s in range(1, 3):
                ObjectiveFactory(code=f"S{t}.{o}.{s}", title=f"Sub {t}.{o}.{s}", parent=objective)
    return Objective.objects.get(code="O1.1")


def test_a_tree_within_the_limit_is_shown_whole(logged_in, three_level_tree):
    # when: 30 objectives, the limit is 150
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    assert len(CARD_CODE.findall(page)) == 30
    assert "Open a branch" not in page
    assert "?root=" not in page


def test_a_larger_tree_shows_the_top_levels_that_fit_and_folds_the_rest(
    logged_in, three_level_tree, monkeypatch
):
    # given: room for 12 objectives: the 3 themes and their 9 objectives fit, the 18 sub-objectives do not
    monkeypatch.setattr(selectors, "TREE_LIMIT", 12)

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    assert CARD_CODE.findall(page) == ["T1", "O1.1", "O1.2", "O1.3", "T2", "O2.1", "O2.2", "O2.3"] + [
        "T3",
        "O3.1",
        "O3.2",
        "O3.3",
    ]
    assert (
        "30 objectives: showing the top 2 levels (12). Open a branch to see the objectives below it." in page
    )
    branch = reverse("portfolio:objective-list") + f"?root={three_level_tree.pk}"
    assert (
        f'<div id="branch-{three_level_tree.pk}" class="ms-3 mb-2 small"><a href="{branch}" hx-get="{branch}" '
        f'hx-target="#branch-{three_level_tree.pk}" hx-swap="outerHTML">'
        '<i class="bi bi-caret-right" aria-hidden="true"></i> Show the 2 objectives below it</a></div>'
    ) in page
    assert page.count("Show the 2 objectives below it</a>") == 9


def test_only_the_themes_fit_each_says_what_is_below_it(logged_in, three_level_tree, monkeypatch):
    # given: room for 5: the 3 themes fit, their 9 objectives do not
    monkeypatch.setattr(selectors, "TREE_LIMIT", 5)

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    assert CARD_CODE.findall(page) == ["T1", "T2", "T3"]
    assert "30 objectives: showing the first level (3)." in page
    assert page.count("Show the 3 objectives below it and their 6 sub-objectives</a>") == 3


def test_opening_a_branch_with_htmx_answers_with_its_objectives_only(
    logged_in, three_level_tree, monkeypatch
):
    # given
    monkeypatch.setattr(selectors, "TREE_LIMIT", 12)
    theme = three_level_tree.parent

    # when
    response = logged_in.get(
        reverse("portfolio:objective-list"), {"root": theme.pk}, headers={"HX-Request": "true"}
    )

    # then: the fragment that replaces the link: the theme's 3 objectives and their 6 sub-objectives
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.strip().startswith("<ul>")
    assert CARD_CODE.findall(fragment) == ["O1.1", "S1.1.1", "S1.1.2", "O1.2", "S1.2.1", "S1.2.2", "O1.3"] + [
        "S1.3.1",
        "S1.3.2",
    ]
    # the objectives are not themes, and their weights are global: 1/3 of the theme's 1/3
    assert "Theme</span>" not in fragment
    assert fragment.count("Global <strong>0.111</strong>") == 3


def test_a_branch_has_its_own_page_without_htmx(logged_in, three_level_tree):
    # when
    page = logged_in.get(reverse("portfolio:objective-list"), {"root": three_level_tree.pk}).content.decode()

    # then
    assert "<h1>Below O1.1 Objective 1.1</h1>" in page
    assert CARD_CODE.findall(page) == ["S1.1.1", "S1.1.2"]
    assert f'<a href="/objectives/?root={three_level_tree.parent_id}">T1</a>' in page


def test_a_first_level_too_large_for_the_limit_is_paged(logged_in, three_level_tree, monkeypatch):
    # given: room for 2: not even the 3 themes fit
    monkeypatch.setattr(selectors, "TREE_LIMIT", 2)

    # when
    first = logged_in.get(reverse("portfolio:objective-list")).content.decode()
    second = logged_in.get(reverse("portfolio:objective-list"), {"page": "2"}).content.decode()

    # then
    assert CARD_CODE.findall(first) == ["T1", "T2"]
    assert "30 objectives: showing 2 of the 3 on the first level." in first
    assert '<span>and 1 more</span><a href="?page=2">Next 2</a>' in first
    assert CARD_CODE.findall(second) == ["T3"]
    assert '<a href="?page=1">Previous 2</a>' in second
    assert "and 1 more" not in second


def test_each_objective_shows_three_kpis_and_says_how_many_more(logged_in, objective):
    # given
    for name in ("A", "B", "C", "D", "E"):
        KPIFactory(objective=objective, name=f"KPI {name}")

    # when
    page = logged_in.get(reverse("portfolio:objective-list")).content.decode()

    # then
    assert re.findall(r">(KPI [A-E])</a>:", page) == ["KPI A", "KPI B", "KPI C"]
    detail = reverse("portfolio:objective-detail", args=[objective.pk])
    assert f'and 2 more KPIs: <a href="{detail}#kpis">all 5 on its page</a>' in page
