"""The executive dashboard's capacity panel: tiles and a chart with its table and CSV, read live."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from alignment import charts
from alignment.selectors import capacity_panel

D = datetime.date


def test_the_panel_sums_every_team_month_by_month(world, time_machine):
    time_machine.move_to(datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC))
    panel = capacity_panel(D(2027, 3, 10))
    assert panel is not None
    table = panel["table"]
    assert table.columns[0] == "Month"
    # March: capacity 34.5, run 14.5, committed 10, proposed 15: (14.5 + 10) / 34.5 = 71.0 %
    assert table.rows[0] == ["2027-03", 34.5, 14.5, 10.0, 15.0, 71.0, 0]
    # April: 22 x 1.5 = 33; LAKE-1 10, LAKE-2 15
    assert table.rows[1] == ["2027-04", 33.0, 0.0, 10.0, 15.0, 30.3, 0]
    assert (panel["over"], panel["teams_over"]) == (0, 0)


def test_the_chart_has_title_units_legend_and_a_table():
    chart = charts.capacity_load(
        {
            "months": [("2027-03", Decimal("10"), Decimal("4"), Decimal("8"), Decimal("2"))],
            "over": {"2027-03": 1},
        }
    )
    figure = chart.figure
    assert figure["layout"]["title"]["text"] == "Capacity and demand of all teams, next 12 months"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Person-days"
    assert [t["name"] for t in figure["data"]] == [
        "Run demand",
        "Committed change",
        "Proposed change",
        "Capacity",
    ]
    assert chart.table.rows == [["2027-03", 10.0, 4.0, 8.0, 2.0, 120.0, 1]]


@pytest.mark.parametrize("persona", ["executive", "pmo", "steering_member"], indirect=True)
def test_the_dashboard_loads_the_panel_as_a_fragment(client, persona, world):
    client.force_login(persona)
    response = client.get("/dashboard/capacity/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-capacity"' in html
    assert "Over-allocated team-months" in html
    # opened as a page of its own: the dashboard
    assert client.get("/dashboard/capacity/").status_code == 302
    csv = client.get("/dashboard/capacity.csv")
    assert csv.status_code == 200
    assert csv.content.decode().splitlines()[0].startswith("Month,Capacity (person-days)")


def test_an_outsider_gets_no_panel(client, outsider, world):
    client.force_login(outsider)
    assert client.get("/dashboard/capacity/", headers={"HX-Request": "true"}).status_code == 403
