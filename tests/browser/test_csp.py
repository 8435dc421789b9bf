"""Every page of Bearing runs under its Content-Security-Policy without one violation: the pages, their
htmx fragments and Plotly charts (WebGL ones too), the board pack, the account pages and the Django admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alignment import charts, services
from demo.northwind import DEMO_PASSWORD, build_demo
from portfolio.models import KPI, Initiative, Objective
from risk.models import TierPolicy
from steering.models import CheckpointReview, SteeringMeeting
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Collects every violation the browser reports, enforced or report-only, from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
});
"""


def pages() -> list[tuple[str, int]]:
    """(path, charts drawn, -1 for every chart the page holds) of every kind of page, on the demo portfolio."""
    initiative = Initiative.objects.filter(contributions__isnull=False).order_by("code")[0]
    objective = Objective.objects.get(code="O1.2")
    kpi = KPI.objects.filter(objective=objective).order_by("name")[0]
    meeting = SteeringMeeting.objects.order_by("held_on")[0]
    review = CheckpointReview.objects.order_by("pk")[0]
    return [
        ("/dashboard/", -1),
        ("/initiatives/", 0),
        (f"/initiatives/{initiative.pk}/", 0),
        (f"/initiatives/{initiative.pk}/why/", -1),
        (f"/initiatives/{initiative.pk}/edit/", 0),
        ("/initiatives/new/", 0),
        ("/milestones/", 0),
        ("/worklist/", 0),
        ("/objectives/", 0),
        (f"/objectives/{objective.pk}/", 1),
        (f"/kpis/{kpi.pk}/", 1),
        (f"/kpis/{kpi.pk}/interim-targets/new/", 0),
        ("/programs/", 0),
        ("/risks/", 0),
        ("/tiers/", 0),
        (f"/tiers/{TierPolicy.objects.get(tier=1).pk}/edit/", 0),
        ("/signals/", 0),
        ("/scoring/", 0),
        ("/steering/", 0),
        (f"/steering/meetings/{meeting.pk}/", 0),
        (f"/steering/reviews/{review.pk}/", 0),
        ("/steering/decisions/", 0),
        ("/steering/actions/", 0),
        (f"/steering/meetings/{meeting.pk}/pack/", -1),
        ("/accounts/password/change/", 0),
        ("/planning/priorities/", 0),
        ("/planning/priorities/scoring-model/", 0),
        ("/planning/priorities/sensitivity/", 1),
        ("/admin/", 0),
        ("/admin/auth/user/", 0),
        (f"/admin/portfolio/initiative/{initiative.pk}/change/", 0),
        (f"/admin/portfolio/initiative/{initiative.pk}/history/", 0),
    ]


def visit(page: Any, path: str, charts: int) -> list[str]:
    """Open the page and wait until its charts are drawn; the violations it reported."""
    response = page.goto(path)
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")
    # a fragment loaded after the page (the dashboard's capacity panel) swaps itself in with its chart
    expect(page.locator('[hx-trigger="load"]')).to_have_count(0)
    if charts:
        expect(page.locator('[data-chart][data-drawn="1"]')).to_have_count(
            page.locator("[data-chart]").count() if charts < 0 else charts
        )
    return [f"{path}: {v}" for v in page.evaluate("window.__csp")]


def test_every_page_runs_under_the_policy_without_a_violation(page):
    # given the demo portfolio, watched from the first script of every page
    today = timezone.localdate()
    build_demo(as_of=today)
    services.backfill_history(today=today, months=2)
    page.context.add_init_script(WATCH_CSP)
    login(page, "admin", DEMO_PASSWORD)
    # when every kind of page is opened (and a filter swaps the register through htmx)
    violations = {path: visit(page, path, charts) for path, charts in pages()}
    page.goto("/initiatives/")
    page.get_by_label("Search").fill("a")
    expect(page.locator("#results")).to_be_visible()
    page.wait_for_load_state("networkidle")
    violations["/initiatives/ (htmx)"] = page.evaluate("window.__csp")
    # then nothing was refused and nothing was logged as an error
    assert {path: found for path, found in violations.items() if found} == {}
    page.watch.assert_clean()


def test_the_login_and_password_reset_pages_run_under_the_policy(page):
    # given
    page.context.add_init_script(WATCH_CSP)
    # when
    found = [visit(page, path, 0) for path in ("/accounts/login/", "/accounts/password/reset/")]
    # then
    assert found == [[], []]
    page.watch.assert_clean()


# Loads Bearing's Plotly bundle the way charts.js does, then draws the figure in a new element of the page.
DRAW_FIGURE = """
async (figure) => {
  await new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = document.body.dataset.plotlySrc;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
  const element = document.createElement('div');
  element.style.width = '900px';
  element.style.height = '460px';
  document.body.appendChild(element);
  await window.Plotly.newPlot(element, figure.data, figure.layout);
  return {
    types: element._fullData.map(trace => trace.type),
    points: element._fullData.reduce((n, trace) => n + trace._length, 0),
    webgl: element.querySelectorAll('canvas.gl-canvas').length > 0,
    title: element.querySelector('.main-svg .gtitle').textContent,
  };
}
"""


def test_the_webgl_bubbles_of_a_large_portfolio_draw_under_the_policy(page):
    # given: the value-against-risk chart of more than 1,500 initiatives, which Plotly draws with WebGL
    points = [
        {
            "id": i,
            "code": f"I-{i}",
            "title": f"Initiative {i}",
            "budget": 1_000.0 * (1 + i % 50),
            "fit": float(i % 101),
            "exposure": i % 26,
            "tier": 1 + i % 3,
        }
        for i in range(1_600)
    ]
    figure = charts.value_risk_bubbles({"points": points}, lambda pk: f"/initiatives/{pk}/").figure
    page.context.add_init_script(WATCH_CSP)
    page.goto("/accounts/login/")
    # when
    drawn = page.evaluate(DRAW_FIGURE, figure)
    # then
    title = figure["layout"]["title"]["text"]
    assert drawn == {"types": ["scattergl"] * 3, "points": 1_600, "webgl": True, "title": title}
    assert page.evaluate("window.__csp") == []
    page.watch.assert_clean()
