"""The objective page shows one global weight: the header and the weight tile agree right after a weight is
saved, while the engine's portfolio refresh (which rewrites the stored figures) has not run yet; the weights are
read from the objective's path and the themes, not the whole tree. Its lists are bounded, saying how many more
there are and where to see them."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment import selectors, services
from alignment.engine.inputs import load_objectives, priority_units, relative_weights
from alignment.models import ObjectiveScore
from alignment.selectors import CONTRIBUTORS_SHOWN
from portfolio.models import Objective
from portfolio.views.objectives import CONTRIBUTIONS_SHOWN
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ReadingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """T1 (3) and T2 (7); under T1, O1 (1) and O2 (4): O1 weighs 0.3 x 1/5 = 0.06."""
    t1 = ObjectiveFactory(code="T1", title="Grow online", local_weight=Decimal("3"))
    ObjectiveFactory(code="T2", title="Run efficiently", local_weight=Decimal("7"))
    o1 = ObjectiveFactory(code="O1", title="Faster checkout", parent=t1, local_weight=Decimal("1"))
    ObjectiveFactory(code="O2", title="More repeat buyers", parent=t1, local_weight=Decimal("4"))
    services.recompute()
    return o1


def header_weight(html: str) -> str:
    match = re.search(r"global weight ([0-9.]+) · local weight", html)
    assert match is not None
    return match.group(1)


def tile(html: str, label: str) -> tuple[str, str]:
    match = re.search(
        rf'<div class="small text-body-secondary">{label}</div><div class="component-value">([^<]+)</div>'
        r'<div class="small text-body-secondary">([^<]+)</div>',
        html,
    )
    assert match is not None, f"no {label} tile"
    return match.group(1), match.group(2)


def test_header_and_tile_show_the_new_weight_before_the_portfolio_refresh_runs(
    client, pmo, tree, django_capture_on_commit_callbacks
):
    # given
    client.force_login(pmo)
    edit = reverse("portfolio:objective-edit", args=[tree.pk])
    data = {
        "parent": tree.parent_id,
        "code": "O1",
        "title": "Faster checkout",
        "status": "active",
        "local_weight": "2",
        "version": "1",
    }
    # when: the weight is saved, and the recompute it enqueues has not run yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(edit, data)
    html = client.get(reverse("portfolio:objective-detail", args=[tree.pk])).content.decode()

    # then: O1 = 0.3 x 2/6 = 0.1; the largest priority unit is T2 (0.7, no sub-objectives): r = 0.1/0.7
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert ObjectiveScore.objects.get(objective=tree).global_weight == pytest.approx(0.06)
    assert header_weight(html) == "0.100"
    assert tile(html, "Global weight") == ("0.100", "r = 0.143 of the top priority objective")
    assert tile(html, "Share of the strategy") == ("10.0%", "weight among priority objectives")
    assert "The weights changed: spend and coverage are being recomputed under them." in html


def test_once_the_refresh_ran_the_page_no_longer_says_it_is_recomputing(client, pmo, tree):
    # given
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:objective-detail", args=[tree.pk])).content.decode()

    # then: O1 = 0.06, r = 0.06 / 0.7
    assert header_weight(html) == "0.060"
    assert tile(html, "Global weight") == ("0.060", "r = 0.086 of the top priority objective")
    assert "being recomputed" not in html


def test_the_page_shows_the_fifty_largest_contributions_and_says_how_many_more(client, pmo, executive):
    # given: 51 initiatives in delivery contribute to O1, each with a larger budget than the last
    theme = ObjectiveFactory(code="T1", title="Grow online")
    objective = ObjectiveFactory(code="O1", title="Faster checkout", parent=theme)
    for n in range(CONTRIBUTIONS_SHOWN + 1):
        initiative = InitiativeFactory(
            code=f"BIG-{n:03d}", sponsor=executive, budget_capex=Decimal(1000 * (n + 1)), budget_opex=0
        )
        ContributionFactory(initiative=initiative, objective=objective, strength="strong")
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:objective-detail", args=[objective.pk])).content.decode()

    # then: the 50 largest in both tables, largest first; the smallest (BIG-000) left out of each
    contributions = html[html.index('id="contributions"') :]
    shown = re.findall(r">(BIG-\d{3})</a>", contributions)
    assert shown == [f"BIG-{n:03d}" for n in range(CONTRIBUTIONS_SHOWN, 0, -1)]
    assert "The 50 largest budgets of 51" in contributions
    register = reverse("portfolio:initiative-list") + f"?objective={objective.pk}&amp;sort=-budget"
    assert (
        f'and 1 more contribution: <a href="{register}">the initiatives serving O1 in the register</a>'
        in contributions
    )
    alignment = html[html.index("Strategic fit and spend") : html.index('id="contributions"')]
    assert re.findall(r">(BIG-\d{3})</a>", alignment) == shown[:CONTRIBUTORS_SHOWN]
    assert "· the 20 with the most spend attributed here, of 51" in alignment
    spend = reverse("alignment:dashboard-spend", args=[objective.pk])
    assert (
        f'and 31 more initiatives serving it: <a href="{spend}">spend initiative by initiative</a>'
        in alignment
    )
    # the total is over all 51: 1,000 + 2,000 + ... + 51,000
    assert "Funded spend attributed through all 51 contributions" in alignment
    assert "<strong>€1.33M</strong>" in alignment


def test_fifty_contributions_fit_the_contributions_table_and_twenty_the_spend_table(client, pmo, executive):
    # given
    objective = ObjectiveFactory(code="T1", title="Grow online")
    for n in range(CONTRIBUTIONS_SHOWN):
        initiative = InitiativeFactory(code=f"FIT-{n:03d}", sponsor=executive)
        ContributionFactory(initiative=initiative, objective=objective)
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:objective-detail", args=[objective.pk])).content.decode()

    # then
    assert len(re.findall(r">(FIT-\d{3})</a>", html)) == CONTRIBUTIONS_SHOWN + CONTRIBUTORS_SHOWN
    assert "more contribution" not in html
    assert "and 30 more initiatives serving it" in html
    assert "50 contributions, largest budget first" in html


def test_live_weights_read_from_the_path_and_the_themes_equal_the_engines_over_the_whole_tree():
    # given: a random tree of 4 themes, 12 objectives and 24 sub-objectives, some retired
    rng = random.Random(7)
    themes = [
        ObjectiveFactory(code=f"T{t}", local_weight=Decimal(rng.randint(1, 50)), status=_status(rng, 0.25))
        for t in range(4)
    ]
    middle = [
        ObjectiveFactory(
            code=f"O{o}",
            parent=themes[o % 4],
            local_weight=Decimal(rng.randint(1, 50)),
            status=_status(rng, 0.3),
        )
        for o in range(12)
    ]
    for s in range(24):
        ObjectiveFactory(
            code=f"S{s}",
            parent=middle[s % 12],
            local_weight=Decimal(rng.randint(1, 50)),
            status=_status(rng, 0.2),
        )
    tree = load_objectives()
    weights, relative = relative_weights(tree)
    units, _ = priority_units(tree, weights)

    for objective in Objective.objects.all():
        # when
        live = selectors.objective_weights(objective)

        # then
        assert live.global_weight == pytest.approx(weights[objective.pk], abs=1e-12)
        assert live.relative_weight == pytest.approx(relative[objective.pk], abs=1e-12)
        assert live.is_unit == (objective.pk in units)
        share = units[objective.pk] / sum(units.values()) if objective.pk in units else 0.0
        assert live.weight_share == pytest.approx(share, abs=1e-12)


def _status(rng: random.Random, retired: float) -> str:
    return "retired" if rng.random() < retired else "active"


def test_the_kpi_chart_comes_with_a_request_of_its_own(client, pmo, tree):
    # given: O1 with a KPI and a reading; O2 without any
    kpi = KPIFactory(objective=tree, name="Checkout conversion")
    ReadingFactory(kpi=kpi)
    other = Objective.objects.get(code="O2")
    client.force_login(pmo)
    chart_url = reverse("alignment:objective-kpi-chart", args=[tree.pk])

    # when
    page = client.get(reverse("portfolio:objective-detail", args=[tree.pk])).content.decode()
    chart = client.get(chart_url, headers={"HX-Request": "true"}).content.decode()
    none = client.get(
        reverse("alignment:objective-kpi-chart", args=[other.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    opened = client.get(chart_url)

    # then: the page asks for the chart once shown, which draws the KPI; an objective without KPIs has none
    assert f'hx-get="{chart_url}" hx-trigger="load" hx-swap="outerHTML"' in page
    assert "data-chart=" not in page
    assert chart.count("data-chart=") == 1
    assert "KPIs of O1: readings, expected progress, target and forecast" in chart
    assert "Checkout conversion" in chart
    assert none.strip() == ""
    # and opened as a page of its own, it sends the browser to the objective's page
    assert (opened.status_code, opened["Location"]) == (
        302,
        reverse("portfolio:objective-detail", args=[tree.pk]) + "#kpis",
    )
