"""Click-through: every tile and chart element opens the records behind its number."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import dashboard
from alignment.models import (
    ALL_SCOPE,
)
from portfolio.models import Initiative, Milestone
from risk.models import Risk
from tests.alignment.dashboard_support import (
    FUNDED,
    bubble_codes,
    chart,
    data_for,
    live_payload,
    payload_tiles,
    register_codes,
    stored_payload,
    tile_href,
    tiles,
    today,
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ click-through


def test_investment_bars_open_the_spend_behind_them_which_adds_up_to_the_bar(small, exec_client):
    # given the dashboard of the whole portfolio
    data = data_for()
    figure = chart(live_payload(), "investment")["figure"]
    bars = figure["data"][1]
    assert bars["y"] == ["O1 Grow conversion", "O2 Cut returns", "T2 Run lean", "No objective"]
    # O1: A-1's 2,000,000 and a quarter of C-1's 630,000 (weak to O1.1 beside strong to O2), of 3,080,000
    assert bars["x"] == [70.0, 15.3, 9.7, 4.9]
    links = dict(zip(bars["y"], bars["customdata"], strict=True))
    o1 = small["objectives"]["O1"]
    assert links["O1 Grow conversion"] == reverse("alignment:dashboard-spend", args=[o1.pk])

    # when the O1 bar is followed
    response = exec_client.get(links["O1 Grow conversion"])

    # then the list shows the part of each budget the bar counts, and its total is the bar's spend
    assert response.status_code == 200
    behind = response.context["behind"]
    assert [(line.code, line.budget, line.amount, line.share) for line in behind.lines] == [
        ("A-1", 2_000_000.0, 2_000_000.0, 1.0),
        ("C-1", 630_000.0, 157_500.0, 0.25),
    ]
    assert [line.through for line in behind.lines] == [[("O1", "strong")], [("O1.1", "weak")]]
    assert behind.total == data.charts["investment"]["units"][0]["spend"] == 2_157_500.0
    assert behind.share == data.charts["investment"]["units"][0]["spend_share"] == 2_157_500 / 3_080_000
    html = response.content.decode()
    assert "Total attributed to O1: the bar's value (70.0%)" in html
    assert '<td class="num text-nowrap"><strong>€2,157,500</strong></td></tr></tfoot>' in html
    assert "<strong>€2,157,500</strong>, 70.0% of the funded spend in view (€3.08M)" in html
    # and the register, with whole budgets, is one link away
    assert register_codes(exec_client, response.context["register_url"]) == ["A-1", "C-1"]

    # the other bars, the same way
    for label, lines, total in [
        ("O2 Cut returns", [("C-1", 472_500.0)], 472_500.0),
        ("T2 Run lean", [("B-1", 300_000.0)], 300_000.0),
        ("No objective", [("E-1", 150_000.0)], 150_000.0),
    ]:
        behind = exec_client.get(links[label]).context["behind"]
        assert [(line.code, line.amount) for line in behind.lines] == lines, label
        assert behind.total == total, label
    assert links["No objective"] == reverse("alignment:dashboard-spend-unaligned")


def test_mix_bars_open_the_register_on_the_funded_initiatives_of_the_category(small, exec_client):
    commerce = small["programs"]["Commerce"].pk
    figure = chart(live_payload(program=commerce), "mix")["figure"]
    links = dict(zip(figure["data"][1]["x"], figure["data"][1]["customdata"], strict=True))
    assert register_codes(exec_client, links["Run"]) == ["B-1"]
    assert register_codes(exec_client, links["Grow"]) == ["A-1"]  # F-1 is closed
    assert register_codes(exec_client, links["Transform"]) == []


def test_bubbles_and_heat_map_cells_open_their_initiative(small, exec_client):
    payload = live_payload()
    ids = {i.code: i.pk for i in Initiative.objects.all()}
    for trace in chart(payload, "bubble")["figure"]["data"]:
        for text, link in zip(trace["hovertext"], trace["customdata"], strict=True):
            assert link == reverse("portfolio:initiative-detail", args=[ids[text.split(" ")[0]]])
    heatmap = chart(payload, "heatmap")["figure"]["data"][0]
    assert heatmap["x"] == [
        "A-1 Initiative A-1",
        "C-1 Initiative C-1",
        "B-1 Initiative B-1",
        "E-1 Initiative E-1",
        "D-1 Initiative D-1",
    ]
    for row in heatmap["customdata"]:
        for label, link in zip(heatmap["x"], row, strict=True):
            assert (
                link
                == reverse("portfolio:initiative-detail", args=[ids[label.split(" ")[0]]]) + "#contributions"
            )
    assert exec_client.get(heatmap["customdata"][0][0].split("#")[0]).status_code == 200


def test_risk_cells_open_the_active_risks_of_the_cell(small, exec_client):
    figure = chart(live_payload(), "risks")
    trace = figure["figure"]["data"][0]
    cells = [row for row in figure["table"]["rows"] if row[4] or (row[0], row[1]) in {(1, 1), (5, 4)}]
    assert sorted((p, i, n) for p, i, _, _, n in cells if n) == [(2, 2, 2), (4, 5, 1), (5, 5, 1)]
    for p, i, _exposure, _band, count in cells:
        link = trace["customdata"][trace["y"].index(str(p))][trace["x"].index(str(i))]
        listed = exec_client.get(link).context["page"].rows
        assert len(listed) == count, (p, i)
        assert all((r.probability, r.impact) == (p, i) for r in listed)
    assert Risk.objects.count() == 4


def test_red_signal_and_predictability_tiles_open_the_lists_they_count(small, exec_client):
    # milestones due of funded initiatives, and of those delivered on time: A-1 two (one on time), B-1 one on
    # time, C-1 one late; D-1 is only proposed, E-1's is not due
    for filters, due_count, on_time_count in [
        ({}, 4, 2),
        ({"program": small["programs"]["Commerce"].pk}, 3, 2),
        ({"program": small["programs"]["Stores"].pk}, 1, 0),
    ]:
        data = data_for(**filters)
        listed = exec_client.get(tile_href(data, "red_signals")).context["page"].rows
        signals = list(listed)
        assert len(signals) == tiles(data)["red_signals"].value
        assert {s.severity for s in signals} <= {"red"}
        milestones = exec_client.get(tile_href(data, "predictability")).context["page"].rows
        due = [m for m in milestones if m.baseline_date <= today()]
        on_time = [m for m in due if m.actual_date is not None and m.actual_date <= m.baseline_date]
        assert (len(milestones), len(due), len(on_time)) == (due_count, due_count, on_time_count)
        assert len(on_time) / len(due) == tiles(data)["predictability"].value
    assert Milestone.objects.count() == 6


def test_the_demos_tiles_and_bars_open_exactly_their_initiatives(demo, exec_client):
    funded = sorted(Initiative.objects.filter(stage__in=FUNDED).values_list("code", flat=True))
    payload = stored_payload(ALL_SCOPE)
    href = payload_tiles(payload)["budget"]["href"]
    assert register_codes(exec_client, href) == funded
    # each investment bar: the funded initiatives with spend attributed to that priority objective, adding up
    # to the bar's spend
    data = data_for()
    figure = chart(payload, "investment")["figure"]
    piece = dashboard.load_slice(dashboard.DashboardFilters(), today=today())
    units = data.charts["investment"]["units"]
    bars = figure["data"][1]
    assert len(bars["customdata"]) == len(units) + 1 == 12  # eleven priority objectives and "No objective"
    for unit, link, share in zip(units, bars["customdata"], bars["x"], strict=False):
        behind = sorted(
            r.code
            for r in piece.rows.values()
            if r.stage in FUNDED
            and any(
                s != "none" and unit["id"] in [u for u, _ in piece.routes.get(o, [])]
                for o, s in r.contributions
            )
        )
        listed = exec_client.get(link).context["behind"]
        assert sorted(line.code for line in listed.lines) == behind, unit["code"]
        assert listed.total == unit["spend"], unit["code"]
        # the dashboard adds the parts up in the register's order (by code): the same sum, to the last digit
        assert sum(line.amount for line in sorted(listed.lines, key=lambda line: line.code)) == unit["spend"]
        assert (share > 0) == bool(behind)
        assert register_codes(exec_client, exec_client.get(link).context["register_url"]) == behind
    unaligned = exec_client.get(bars["customdata"][-1]).context["behind"]
    assert unaligned.total == data.charts["investment"]["unaligned"]
    # each tier of the bubble chart, through the register's tier filter
    for tier in (1, 2, 3):
        tier_data = data_for(tier=tier)
        assert register_codes(exec_client, tile_href(tier_data, "budget")) == bubble_codes(tier_data)
