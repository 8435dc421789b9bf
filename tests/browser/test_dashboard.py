"""An executive opens the dashboard of the demo portfolio: every chart is drawn, a filter swaps the body in
place, a bar of a chart leads to the initiatives behind it, and each chart's data opens as a table."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alignment import dashboard, services
from alignment.models import ALL_SCOPE, StoredDashboard
from core.stages import FUNDED
from demo.northwind import DEMO_PASSWORD, build_demo
from portfolio.models import KPI, Initiative, Objective, Program
from tests.browser.conftest import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHARTS = 7
DRAWN = '[data-chart][data-drawn="1"]'
SIZES = {"desktop-1440": (1440, 900), "laptop-1280": (1280, 800)}
# what charts.js announces when a page's (or a swapped fragment's) charts are all drawn (bench_browser times it)
RECORD_DRAWN = """
window.chartsDrawn = [];
document.addEventListener("bearing:charts-drawn", (event) => {
  window.chartsDrawn.push([event.target.id || event.target.nodeName, event.detail.count]);
});
"""


def screenshots(page: Any, name: str) -> None:
    """Full-page screenshots of the current page at the desktop and laptop widths."""
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        charts = page.locator("[data-chart]")
        if charts.count():
            # Plotly resizes its figures to the new width: wait until every one has been redrawn to fit it
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-chart]')].every(el => {
                       const svg = el.querySelector('.main-svg');
                       return svg && Math.abs(svg.getBoundingClientRect().width - el.clientWidth) < 2;
                   })"""
            )
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def behind_unit(unit_id: int) -> list[str]:
    """The funded initiatives whose budget is attributed (in part) to a priority objective."""
    piece = dashboard.load_slice(dashboard.DashboardFilters(), today=timezone.localdate())
    return sorted(
        r.code
        for r in piece.rows.values()
        if r.stage in {str(s) for s in FUNDED}
        and any(
            s != "none" and unit_id in [u for u, _ in piece.routes.get(o, [])] for o, s in r.contributions
        )
    )


def test_executive_reads_the_dashboard_filters_it_and_follows_a_bar_to_the_register(page):
    # given the demo portfolio with six months of history and its stored dashboards
    today = timezone.localdate()
    build_demo(as_of=today)
    services.backfill_history(today=today, months=6)
    stored = json.loads(StoredDashboard.objects.get(scope=ALL_SCOPE).payload)

    # when the CIO logs in and opens the dashboard
    page.context.add_init_script(RECORD_DRAWN)
    login(page, "cio", DEMO_PASSWORD)
    page.goto("/dashboard/")

    # then every chart is drawn, and the page said so once, the tiles show the stored values
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    page.wait_for_function("() => window.chartsDrawn.length > 0")
    assert page.evaluate("window.chartsDrawn") == [["#document", CHARTS]]
    for chart in page.locator("[data-chart]").all():
        expect(chart.locator(".main-svg").first).to_be_visible()
    values = page.locator("#tiles .tile-value")
    expect(values).to_have_count(6)
    expect(values).to_have_text([tile["value"] for tile in stored["tiles"]])
    assert all(re.search(r"\d", tile["value"]) for tile in stored["tiles"])
    expect(page.locator("#dashboard-as-of")).to_contain_text("from the stored scores")
    screenshots(page, "dashboard")

    # when the tier filter changes, htmx swaps the body in place (the page is not reloaded)
    page.evaluate("window.stillThere = true")
    page.get_by_label("Tier").select_option("1")

    # then the URL says so, the charts are drawn again from the computed dashboard
    expect(page).to_have_url(re.compile(r"[?&]tier=1(&|$)"))
    expect(page.locator("#dashboard-as-of")).to_contain_text("Computed for these filters")
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    page.wait_for_function("() => window.chartsDrawn.length > 1")
    assert page.evaluate("window.chartsDrawn") == [["#document", CHARTS], ["dashboard-body", CHARTS]]
    assert page.evaluate("window.stillThere") is True
    bubbles = json.loads(page.locator("#figure-bubble").text_content())
    tier1 = sorted(Initiative.objects.filter(score__tier=1, stage__in=FUNDED).values_list("pk", flat=True))
    assert [len(trace["x"]) for trace in bubbles["data"]] == [len(tier1), 0, 0]
    assert len(tier1) == 5
    screenshots(page, "dashboard-tier-1")

    # when the filter is reset and the CIO clicks the spend bar of the most important priority objective
    page.goto("/dashboard/")
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    figure = json.loads(page.locator("#figure-investment").text_content())
    spend = figure["data"][1]
    first = next(n for n, share in enumerate(spend["x"]) if share > 0)
    bar = page.locator("#chart-investment .barlayer .trace").nth(1).locator(".point").nth(first)
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    # then the list behind the bar shows exactly the funded initiatives whose budget that bar counts, and the
    # part of each it counts, adding up to the bar's spend
    unit = Objective.objects.get(code=spend["y"][first].split(" ")[0])
    expect(page).to_have_url(re.compile(rf"/dashboard/spend/{unit.pk}/$"))
    expected = behind_unit(unit.pk)
    assert (unit.code, expected) == ("O1.1", ["ECOM-01", "ECOM-02", "ECOM-03", "ECOM-04", "ECOM-05"])
    codes = page.locator("#spend-lines tbody tr td:first-child a")
    expect(codes).to_have_count(len(expected))
    assert sorted(codes.all_text_contents()) == expected
    table = next(c for c in stored["charts"] if c["key"] == "investment")["table"]
    bar_spend = next(row[4] for row in table["rows"] if row[0] == unit.code)
    expect(page.locator("#spend-lines tfoot td")).to_have_text(f"€{bar_spend:,}")
    screenshots(page, "spend-behind-a-bar")
    # and the register, with whole budgets, is one link away
    page.get_by_role("link", name="Open these initiatives in the register (full budgets)").click()
    expect(page).to_have_url(re.compile(rf"/initiatives/\?.*objective={unit.pk}"))
    assert "stage=funded" in page.url
    expect(page.locator("#results tbody tr td:first-child")).to_have_text(expected)
    page.go_back()

    # when the CIO goes back and opens the funded budget tile
    page.go_back()
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    page.locator("#tiles a.tile").first.click()
    expect(page).to_have_url(re.compile(r"/initiatives/\?stage=funded"))
    funded = sorted(Initiative.objects.filter(stage__in=FUNDED).values_list("code", flat=True))
    expect(page.locator("#results")).to_contain_text(f"{len(funded)} initiatives")

    # and a click on a point of the bubble chart, through Plotly's own click event, opens that initiative
    page.go_back()
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    target = page.evaluate(
        """() => {
            const el = document.querySelector('[data-name="bubble"]');
            const trace = el.data.find(t => t.customdata.length);
            el.emit('plotly_click', {points: [{customdata: trace.customdata[0], data: trace}]});
            return trace.customdata[0];
        }"""
    )
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))

    # when the CIO opens a chart's data as a table
    page.go_back()
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    card = page.locator("#chart-investment")
    card.get_by_text("View as table").click()

    # then the table holds a row per priority objective and one for spend with no objective
    table = card.locator("table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(spend["x"]))
    expect(table.locator("tbody tr").last).to_contain_text("No objective")
    page.watch.assert_clean()


def test_objective_kpi_program_and_worklist_pages_are_drawn(page):
    # given the demo portfolio
    today = timezone.localdate()
    build_demo(as_of=today)
    services.backfill_history(today=today, months=6)
    objective = Objective.objects.get(code="O1.2")
    kpi = KPI.objects.filter(objective=objective).order_by("name").first()
    assert kpi is not None

    # when the CIO opens an objective, then one of its KPIs
    login(page, "cio", DEMO_PASSWORD)
    page.goto(f"/objectives/{objective.pk}/")
    expect(page.locator(DRAWN)).to_have_count(1)
    expect(page.locator("[data-chart] .main-svg").first).to_be_visible()
    screenshots(page, "objective")
    page.goto(f"/kpis/{kpi.pk}/")
    expect(page.locator(DRAWN)).to_have_count(1)
    expect(page.locator("[data-chart] .main-svg").first).to_be_visible()
    screenshots(page, "kpi")

    # and the stored dashboard of one program, then the data-quality worklist
    program = Program.objects.order_by("name").first()
    assert program is not None
    page.goto(f"/dashboard/?program={program.pk}")
    expect(page.locator("#dashboard-as-of")).to_contain_text("from the stored scores")
    expect(page.locator(DRAWN)).to_have_count(CHARTS)
    screenshots(page, "dashboard-program")
    page.goto("/worklist/")
    expect(page.get_by_role("heading", name="Data quality", exact=True)).to_be_visible()
    screenshots(page, "worklist")
    page.watch.assert_clean()
