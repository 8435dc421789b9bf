"""The executive dashboard: tiles equal to the engine's stored indices, stored and live dashboards that agree,
filters that restrict exactly, click-through links that land on the records behind a number, the page and its
fragment, CSV, the redraw permission, stale marking, and query counts that do not grow with the portfolio."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alignment import charts, dashboard, selectors, services
from alignment.demo import build_demo
from alignment.models import (
    ALL_SCOPE,
    DashboardSnapshot,
    InitiativeScore,
    Job,
    JobKind,
    PortfolioIndex,
    Signal,
    program_scope,
)
from portfolio.models import Initiative, Milestone, Program, Stage
from risk.models import Risk
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
FUNDED = {Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE}
DASHBOARD = reverse("alignment:dashboard")
TILE_INDEX = {  # tile key -> the PortfolioIndex field it shows
    "budget": "funded_budget",
    "alignment": "alignment_index",
    "top_share": "top_share",
    "misallocation": "misallocation",
    "red_signals": "red_signals",
    "predictability": "predictability",
}


def today() -> datetime.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------------------ portfolios


@pytest.fixture
def small(db) -> dict[str, Any]:
    """Six initiatives in two programs (and one in none), scored at three dates so the tiles have history.

    Two themes: T1 with the priority objectives O1 (and its sub-objective O1.1) and O2; T2 a priority
    objective itself. A-1 is large and risky (tier 1), C-1 risky (tier 2); D-1 is only proposed, F-1 closed,
    E-1 serves nothing (its one contribution says "none").
    """
    now = today()
    t1 = ObjectiveFactory(code="T1", title="Win online", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Run lean", local_weight=Decimal("1"))
    o1 = ObjectiveFactory(code="O1", title="Grow conversion", parent=t1, local_weight=Decimal("2"))
    o11 = ObjectiveFactory(code="O1.1", title="Grow the app", parent=o1)
    o2 = ObjectiveFactory(code="O2", title="Cut returns", parent=t1, local_weight=Decimal("1"))
    kpi = KPIFactory(
        objective=o1, name="Conversion", baseline_date=now - 400 * DAY, target_date=now + 300 * DAY
    )
    for n, value in enumerate(["11", "12", "13.5"]):
        ReadingFactory(kpi=kpi, date=now - (200 - 60 * n) * DAY, value=Decimal(value))
    p1, p2 = ProgramFactory(name="Commerce"), ProgramFactory(name="Stores")

    def initiative(code: str, program: Program | None, stage: str, category: str, budget: int) -> Initiative:
        return InitiativeFactory(
            code=code,
            title=f"Initiative {code}",
            program=program,
            stage=stage,
            category=category,
            budget_capex=Decimal(budget) * Decimal("0.9"),
            budget_opex=Decimal(budget) * Decimal("0.1"),
        )

    rows = {
        "A-1": initiative("A-1", p1, Stage.IN_DELIVERY, "grow", 2_000_000),
        "B-1": initiative("B-1", p1, Stage.APPROVED, "run", 200_000),
        "C-1": initiative("C-1", p2, Stage.LIVE, "transform", 300_000),
        "D-1": initiative("D-1", p2, Stage.PROPOSED, "grow", 100_000),
        "E-1": initiative("E-1", None, Stage.IN_DELIVERY, "run", 150_000),
        "F-1": initiative("F-1", p1, Stage.CLOSED, "grow", 400_000),
    }
    for code, objective, strength in [
        ("A-1", o1, "strong"),
        ("B-1", t2, "moderate"),
        ("C-1", o11, "weak"),
        ("C-1", o2, "strong"),
        ("D-1", o1, "strong"),
        ("E-1", o2, "none"),
        ("F-1", o1, "strong"),
    ]:
        ContributionFactory(initiative=rows[code], objective=objective, strength=strength)
    for code, baseline, actual in [
        ("A-1", now - 90 * DAY, now - 95 * DAY),
        ("A-1", now - 20 * DAY, None),
        ("B-1", now - 40 * DAY, now - 41 * DAY),
        ("C-1", now - 60 * DAY, now - 50 * DAY),
        ("D-1", now - 30 * DAY, now - 30 * DAY),
        ("E-1", now + 30 * DAY, None),
    ]:
        MilestoneFactory(initiative=rows[code], baseline_date=baseline, actual_date=actual)
    for code, probability, impact in [("A-1", 5, 5), ("C-1", 4, 5), ("E-1", 2, 2), ("D-1", 2, 2)]:
        RiskFactory(initiative=rows[code], probability=probability, impact=impact)

    # three recomputes: 45 days ago, 10 days ago, today; the portfolio changes in between
    services.recompute(today=now - 45 * DAY)
    services.snapshot_history(today=now - 45 * DAY)
    Initiative.objects.filter(pk=rows["B-1"].pk).update(budget_opex=Decimal("120000"))
    services.recompute(today=now - 10 * DAY)
    services.snapshot_history(today=now - 10 * DAY)
    Initiative.objects.filter(pk=rows["C-1"].pk).update(budget_capex=Decimal("600000"))
    services.recompute(today=now)
    services.snapshot_history(today=now)
    services.render_dashboards(today=now)
    tiers = dict(InitiativeScore.objects.values_list("initiative__code", "tier"))
    assert (tiers["A-1"], tiers["C-1"], tiers["B-1"]) == (1, 2, 3), tiers  # the filters need all three
    return {
        "objectives": {"T1": t1, "T2": t2, "O1": o1, "O1.1": o11, "O2": o2},
        "programs": {"Commerce": p1, "Stores": p2},
        "kpi": kpi,
        **rows,
    }


@pytest.fixture
def demo(db) -> None:
    build_demo(as_of=today())
    services.backfill_history(today=today(), months=6)


@pytest.fixture
def exec_client(client: Client, executive) -> Client:
    client.force_login(executive)
    return client


def budget_of(code: str) -> float:
    initiative = Initiative.objects.get(code=code)
    return float(initiative.budget_capex + initiative.budget_opex)


# ------------------------------------------------------------------------------------------ helpers


def data_for(**filters: Any) -> dashboard.DashboardData:
    return dashboard.dashboard_data(
        dashboard.DashboardFilters(**filters), today=today(), policy=services.current_policy()
    )


def tiles(data: dashboard.DashboardData) -> dict[str, dashboard.Tile]:
    return {t.key: t for t in data.tiles}


def chart(payload: dict[str, Any], key: str) -> dict[str, Any]:
    found = next(c for c in payload["charts"] if c["key"] == key)
    return {**found, "figure": json.loads(found["figure"])}


def payload_tiles(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in payload["tiles"]}


def index(scope: str, on: datetime.date) -> PortfolioIndex:
    row = PortfolioIndex.objects.filter(scope=scope, date__lte=on).order_by("-date").first()
    assert row is not None
    return row


def register_codes(client: Client, url: str) -> list[str]:
    """The codes of every initiative the register lists at this URL (all pages)."""
    assert urlsplit(url).path == reverse("portfolio:initiative-list")
    response = client.get(url)
    assert response.status_code == 200, response.content[:2000]
    listed = list(response.context["page"].paginator.object_list)  # the register pages primary keys
    return sorted(Initiative.objects.filter(pk__in=listed).values_list("code", flat=True))


def assert_tiles_equal_index(data: dashboard.DashboardData, scope: str) -> None:
    now, earlier = index(scope, today()), index(scope, today() - dashboard.MONTH)
    assert now is not None
    assert now.date == today()
    assert earlier is not None
    assert earlier.date <= today() - dashboard.MONTH
    for key, field in TILE_INDEX.items():
        tile = tiles(data)[key]
        assert tile.value == pytest.approx(getattr(now, field), abs=1e-6), key
        assert tile.previous == pytest.approx(getattr(earlier, field), abs=1e-6), key


# ------------------------------------------------------------------------------------------ tiles = indices


def test_tiles_equal_the_stored_indices_of_today_and_a_month_ago(small):
    # given the portfolio scored 45 days ago, 10 days ago and today
    data = data_for()

    # then each tile is today's index, and its month-earlier value the index of 45 days ago (not 10)
    assert_tiles_equal_index(data, ALL_SCOPE)
    assert index(ALL_SCOPE, today() - dashboard.MONTH).date == today() - 45 * DAY
    values = tiles(data)
    assert values["budget"].value == sum(map(budget_of, ["A-1", "B-1", "C-1", "E-1"])) == 3_080_000
    assert values["budget"].previous == 2_650_000  # before B-1's and C-1's budgets grew
    assert values["budget"].trend == "up"
    assert values["budget"].good is True
    # predictability: A-1 one of two, B-1 and C-1 late or on time; D-1 is not funded, E-1 not due
    assert values["predictability"].value == pytest.approx(2 / 4)


def test_program_tiles_equal_the_programs_stored_indices(small):
    for program in small["programs"].values():
        data = data_for(program=program.pk)
        assert_tiles_equal_index(data, program_scope(program.pk))
    commerce = tiles(data_for(program=small["programs"]["Commerce"].pk))
    assert commerce["budget"].value == budget_of("A-1") + budget_of("B-1")


def test_the_stored_dashboard_shows_the_stored_indices_as_text(small, exec_client):
    response = exec_client.get(DASHBOARD)
    payload = stored_payload(ALL_SCOPE)
    assert response.context["view"].stored is True
    now, earlier = index(ALL_SCOPE, today()), index(ALL_SCOPE, today() - dashboard.MONTH)
    shown = payload_tiles(payload)
    for key, field in TILE_INDEX.items():
        kind = next(t.kind for t in data_for().tiles if t.key == key)
        assert shown[key]["value"] == dashboard.format_value(kind, getattr(now, field), "€"), key
        assert shown[key]["previous"] == dashboard.format_value(kind, getattr(earlier, field), "€"), key
    assert shown["budget"]["value"] == "€3.08M"
    assert shown["budget"]["delta"] == "+€430k in a month"
    html = response.content.decode()
    for tile in payload["tiles"]:
        assert f'<div class="tile-value">{tile["value"]}</div>' in html


def test_the_demos_tiles_equal_its_stored_indices(demo):
    assert_tiles_equal_index(data_for(), ALL_SCOPE)
    for program in Program.objects.all():
        assert_tiles_equal_index(data_for(program=program.pk), program_scope(program.pk))


# ------------------------------------------------------------------------------------------ stored = live


def live_payload(**filters: Any) -> dict[str, Any]:
    payload = dashboard.build_payload(data_for(**filters), symbol="€", as_of=None)
    return json.loads(json.dumps(payload))


def stored_payload(scope: str) -> dict[str, Any]:
    return json.loads(DashboardSnapshot.objects.get(scope=scope).payload)


def test_the_stored_dashboards_equal_the_live_computation(small):
    for scope, filters in [(ALL_SCOPE, {})] + [
        (program_scope(p.pk), {"program": p.pk}) for p in small["programs"].values()
    ]:
        stored, live = stored_payload(scope), live_payload(**filters)
        assert stored.pop("as_of") is not None
        live.pop("as_of")
        assert stored == live, scope


def test_the_demos_stored_program_dashboards_equal_the_live_computation(demo):
    programs = list(Program.objects.all())
    assert len(programs) >= 2
    for program in programs:
        stored, live = stored_payload(program_scope(program.pk)), live_payload(program=program.pk)
        stored.pop("as_of"), live.pop("as_of")
        assert stored == live, program.name


# ------------------------------------------------------------------------------------------ filters


def bubble_codes(data: dashboard.DashboardData) -> list[str]:
    return sorted(p["code"] for p in data.charts["bubble"]["points"])


FILTER_CASES = [
    ({}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1", "D-1"]),
    ({"program": "Commerce"}, ["A-1", "B-1"], ["A-1", "B-1"]),
    ({"program": "Stores"}, ["C-1"], ["C-1", "D-1"]),
    ({"theme": "T1"}, ["A-1", "C-1"], ["A-1", "C-1", "D-1"]),
    ({"theme": "T2"}, ["B-1"], ["B-1"]),
    ({"tier": 1}, ["A-1"], ["A-1"]),
    ({"tier": 2}, ["C-1"], ["C-1"]),
    ({"stage": "funded"}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1"]),
    ({"stage": "active"}, ["A-1", "B-1", "C-1", "E-1"], ["A-1", "C-1", "B-1", "E-1", "D-1"]),
    ({"stage": "proposed"}, [], ["D-1"]),
    ({"stage": "closed"}, [], []),
    ({"category": "run"}, ["B-1", "E-1"], ["B-1", "E-1"]),
    ({"program": "Commerce", "category": "grow"}, ["A-1"], ["A-1"]),
]


def resolve(small: dict[str, Any], filters: dict[str, Any]) -> dict[str, Any]:
    resolved = dict(filters)
    if "program" in resolved:
        resolved["program"] = small["programs"][resolved["program"]].pk
    if "theme" in resolved:
        resolved["theme"] = small["objectives"][resolved["theme"]].pk
    return resolved


@pytest.mark.parametrize(("filters", "funded", "open_rows"), FILTER_CASES, ids=lambda v: str(v))
def test_each_filter_restricts_the_dashboard_exactly_and_its_tiles_open_the_same_initiatives(
    small, exec_client, filters, funded, open_rows
):
    # when
    data = data_for(**resolve(small, filters))

    # then the bubbles are the funded initiatives in the filter, the heat map its open ones, largest first
    assert bubble_codes(data) == funded
    assert [i["code"] for i in data.charts["heatmap"]["initiatives"]] == open_rows
    assert tiles(data)["budget"].value == sum(map(budget_of, funded))
    assert data.charts["mix"]["total"] == sum(map(budget_of, funded))

    # and the budget and alignment tiles open the register on exactly those initiatives
    listed = funded
    if filters.get("stage") in ("proposed", "closed"):
        # nothing funded is chosen: the tile shows zero and opens the initiatives the filter chose
        assert tiles(data)["budget"].value == 0
        listed = sorted(Initiative.objects.filter(stage=filters["stage"]).values_list("code", flat=True))
    for key in ("budget", "alignment"):
        assert register_codes(exec_client, tiles(data)[key].href) == listed, key
    if listed == funded:
        response = exec_client.get(tiles(data)["budget"].href)
        assert float(response.context["budget"]) == tiles(data)["budget"].value


def test_bubble_chart_keeps_the_largest_initiatives_by_budget_and_says_how_many_it_left_out(
    small, monkeypatch
):
    # given a cap of two bubbles and four funded initiatives
    monkeypatch.setattr(dashboard, "BUBBLE_INITIATIVES", 2)
    funded = ["A-1", "B-1", "C-1", "E-1"]
    largest = sorted(funded, key=lambda code: -budget_of(code))[:2]

    # when the dashboard is computed
    data = data_for()

    # then the two largest are drawn, largest first, and the chart says it shows 2 of 4
    assert [p["code"] for p in data.charts["bubble"]["points"]] == largest
    assert data.charts["bubble"]["total"] == 4
    built = charts.value_risk_bubbles(data.charts["bubble"], str)
    assert built.description == (
        "The 2 largest of 4 funded initiatives by budget, by strategic fit and risk exposure; "
        "the register lists them all."
    )
    assert [row[0] for row in built.table.rows] == largest
    # the tiles still count every funded initiative
    assert tiles(data)["budget"].value == sum(map(budget_of, funded))


@pytest.mark.django_db
def test_a_filtered_history_shows_the_last_scored_day_of_each_month_and_the_day_a_month_back():
    # given the portfolio scored every day from 1 September 2025 to 20 November 2026
    first, last = datetime.date(2025, 9, 1), datetime.date(2026, 11, 20)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    now = timezone.now()
    PortfolioIndex.objects.bulk_create(PortfolioIndex(date=d, computed_at=now) for d in days)

    # when the days of a filtered view's history are chosen on 20 November 2026
    chosen = dashboard.history_days(datetime.date(2026, 11, 20))

    # then: the month ends from November 2025 (the last twelve months), 21 October (30 days back, for the
    # tiles' change) and today
    month_ends = [
        datetime.date(2025, 11, 30),
        datetime.date(2025, 12, 31),
        *[datetime.date(2026, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, 10)],  # Jan-Sep
    ]
    assert chosen == [
        *month_ends,
        datetime.date(2026, 10, 21),
        datetime.date(2026, 10, 31),
        datetime.date(2026, 11, 20),
    ]
    # and weeks after the last scored day, no day is invented: the latest is still 20 November
    later = dashboard.history_days(datetime.date(2027, 1, 5))
    assert later[0] == datetime.date(2026, 1, 31)
    assert later[-2:] == [datetime.date(2026, 10, 31), datetime.date(2026, 11, 20)]
    assert len(later) == 11


def test_filters_in_the_query_string_reach_the_dashboard(small, exec_client):
    commerce = small["programs"]["Commerce"].pk
    response = exec_client.get(DASHBOARD, {"program": commerce, "category": "grow", "stage": "funded"})
    assert response.status_code == 200
    assert response.context["view"].stored is False
    points = chart(response.context["payload"], "bubble")["figure"]["data"]
    assert sorted(text.split(" ")[0] for trace in points for text in trace["text"]) == ["A-1"]


# ------------------------------------------------------------------------------------------ click-through


def tile_href(data: dashboard.DashboardData, key: str) -> str:
    return tiles(data)[key].href


def test_investment_bars_open_the_register_on_the_initiatives_whose_spend_they_show(small, exec_client):
    payload = live_payload()
    figure = chart(payload, "investment")["figure"]
    links = dict(zip(figure["data"][1]["x"], figure["data"][1]["customdata"], strict=True))
    spend = dict(zip(figure["data"][1]["x"], figure["data"][1]["y"], strict=True))
    # O1 is served by A-1 directly and by C-1 through its sub-objective O1.1; O2 by C-1 (E-1 says "none")
    assert register_codes(exec_client, links["O1"]) == ["A-1", "C-1"]
    assert register_codes(exec_client, links["O2"]) == ["C-1"]
    assert register_codes(exec_client, links["T2"]) == ["B-1"]
    assert spend["No objective"] > 0
    orphans = exec_client.get(links["No objective"]).context["page"].object_list
    assert sorted(s.initiative.code for s in orphans) == ["E-1"]


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
        for text, link in zip(trace["text"], trace["customdata"], strict=True):
            assert link == reverse("portfolio:initiative-detail", args=[ids[text.split(" ")[0]]])
    heatmap = chart(payload, "heatmap")["figure"]["data"][0]
    for row in heatmap["customdata"]:
        for code, link in zip(heatmap["x"], row, strict=True):
            assert link == reverse("portfolio:initiative-detail", args=[ids[code]]) + "#contributions"
    assert exec_client.get(heatmap["customdata"][0][0].split("#")[0]).status_code == 200


def test_risk_cells_open_the_active_risks_of_the_cell(small, exec_client):
    figure = chart(live_payload(), "risks")
    trace = figure["figure"]["data"][0]
    cells = [row for row in figure["table"]["rows"] if row[4] or (row[0], row[1]) in {(1, 1), (5, 4)}]
    assert sorted((p, i, n) for p, i, _, _, n in cells if n) == [(2, 2, 2), (4, 5, 1), (5, 5, 1)]
    for p, i, _exposure, _band, count in cells:
        link = trace["customdata"][trace["y"].index(str(p))][trace["x"].index(str(i))]
        listed = exec_client.get(link).context["page"].paginator.object_list
        assert len(listed) == count, (p, i)
        assert all((r.probability, r.impact) == (p, i) for r in listed)
    assert Risk.objects.count() == 4


def test_red_signal_and_predictability_tiles_open_the_lists_they_count(small, exec_client):
    for filters in [
        {},
        {"program": small["programs"]["Commerce"].pk},
        {"program": small["programs"]["Stores"].pk},
    ]:
        data = data_for(**filters)
        listed = exec_client.get(tile_href(data, "red_signals")).context["page"].paginator.object_list
        signals = Signal.objects.filter(pk__in=list(listed))
        assert len(signals) == tiles(data)["red_signals"].value
        assert {s.severity for s in signals} <= {"red"}
        milestones = exec_client.get(tile_href(data, "predictability")).context["page"].paginator.object_list
        due = [m for m in milestones if m.baseline_date <= today()]
        on_time = [m for m in due if m.actual_date is not None and m.actual_date <= m.baseline_date]
        assert len(milestones) == len(due) > 0
        assert len(on_time) / len(due) == tiles(data)["predictability"].value
    assert Milestone.objects.count() == 6


def test_the_demos_tiles_and_bars_open_exactly_their_initiatives(demo, exec_client):
    funded = sorted(Initiative.objects.filter(stage__in=FUNDED).values_list("code", flat=True))
    payload = stored_payload(ALL_SCOPE)
    href = payload_tiles(payload)["budget"]["href"]
    assert register_codes(exec_client, href) == funded
    # each investment bar: the funded initiatives with spend attributed to that priority objective
    data = data_for()
    figure = chart(payload, "investment")["figure"]
    piece = dashboard.load_slice(dashboard.DashboardFilters(), today=today())
    for unit, link, share in zip(
        data.charts["investment"]["units"],
        figure["data"][1]["customdata"],
        figure["data"][1]["y"],
        strict=False,
    ):
        behind = sorted(
            r.code
            for r in piece.rows.values()
            if r.stage in FUNDED
            and any(
                s != "none" and unit["id"] in [u for u, _ in piece.routes.get(o, [])]
                for o, s in r.contributions
            )
        )
        assert register_codes(exec_client, link) == behind, unit["code"]
        assert (share > 0) == bool(behind)
    # each tier of the bubble chart, through the register's tier filter
    for tier in (1, 2, 3):
        tier_data = data_for(tier=tier)
        assert register_codes(exec_client, tile_href(tier_data, "budget")) == bubble_codes(tier_data)


# ------------------------------------------------------------------------------------------ the page


def test_the_dashboard_page_and_its_htmx_fragment(small, exec_client):
    # without htmx: the whole page with the filters
    page = exec_client.get(DASHBOARD)
    assert page.status_code == 200
    assert "HX-Request" in page["Vary"]
    html = page.content.decode()
    assert "<html" in html
    assert 'id="dashboard-filters"' in html
    assert 'id="tiles"' in html
    assert html.count("data-chart=") == 7

    # with htmx: only the body the filter form swaps
    fragment = exec_client.get(DASHBOARD, {"tier": "1"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment["Vary"]
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'id="dashboard-filters"' not in body
    assert 'id="tiles"' in body
    assert body.count("data-chart=") == 7
    assert "Computed now from the scores of" in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tier": "9"}, "Tier: Select a valid choice. 9 is not one of the available choices."),
        ({"program": "999999"}, "Program: Select a valid choice."),
        ({"stage": "someday"}, "Stage: Select a valid choice. someday is not one of the available choices."),
        ({"theme": "abc"}, "Strategic theme: Select a valid choice."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_bad_filter_values_give_400_with_the_message(exec_client, query, message, htmx):
    response = exec_client.get(DASHBOARD, query, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters could not be applied." in html
    assert message in html.replace("&#x27;", "'")
    assert "data-chart=" not in html
    assert ('id="dashboard-filters"' in html) is not htmx


def test_theme_filter_accepts_only_themes(small, exec_client):
    response = exec_client.get(DASHBOARD, {"theme": small["objectives"]["O1"].pk})
    assert response.status_code == 400


def read_csv(response: Any) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def as_csv(table: dict[str, Any]) -> list[list[str]]:
    return [table["columns"]] + [["" if c is None else str(c) for c in row] for row in table["rows"]]


def test_the_csv_is_exactly_the_charts_table(small, exec_client):
    # given the stored dashboard and a filtered one
    for query, payload in [
        ({}, stored_payload(ALL_SCOPE)),
        ({"category": "grow"}, live_payload(category="grow")),
    ]:
        for key in ["heatmap", "bubble", "investment", "mix", "kpis", "history", "risks"]:
            # when
            response = exec_client.get(reverse("alignment:dashboard-csv", args=[key]), query)

            # then
            assert response.status_code == 200
            assert response["Content-Disposition"] == f'attachment; filename="bearing-{key}.csv"'
            rows = read_csv(response)
            assert rows == as_csv(chart(payload, key)["table"]), (query, key)
            assert len(rows) > 1, (query, key)


def test_the_csv_of_an_unknown_chart_is_404_and_bad_filters_400(small, exec_client):
    assert exec_client.get(reverse("alignment:dashboard-csv", args=["pie"])).status_code == 404
    response = exec_client.get(reverse("alignment:dashboard-csv", args=["mix"]), {"tier": "7"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Invalid filters: tier: Select a valid choice.")


def test_objective_and_kpi_csv_equal_their_charts_tables(small, exec_client):
    objective, kpi = small["objectives"]["O1"], small["kpi"]
    chart_of_objective = selectors.objective_scorecard(objective)["kpi_chart"]
    response = exec_client.get(reverse("alignment:objective-kpis-csv", args=[objective.pk]))
    assert read_csv(response) == as_csv(chart_of_objective["table"])
    kpi_table = selectors.kpi_scorecard(kpi)["kpi_chart"]["table"]
    rows = read_csv(exec_client.get(reverse("alignment:kpi-chart-csv", args=[kpi.pk])))
    assert rows == as_csv(kpi_table)
    assert [r[4] for r in rows[1:]].count("Reading") == 3


# ------------------------------------------------------------------------------------------ redraw


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_and_admins_may_redraw_the_dashboards(small, client, persona):
    # given
    client.force_login(persona)
    before = DashboardSnapshot.objects.get(scope=ALL_SCOPE).computed_at

    # when
    response = client.post(reverse("alignment:dashboard-refresh"), headers={"HX-Request": "true"})

    # then refused, and nothing started or redrawn
    assert response.status_code == 403
    assert Job.objects.count() == 0
    assert DashboardSnapshot.objects.get(scope=ALL_SCOPE).computed_at == before


@pytest.mark.parametrize("persona", ["pmo", "admin_user"], indirect=True)
def test_the_pmo_and_admins_redraw_the_dashboards_and_see_the_progress(small, client, persona):
    client.force_login(persona)
    before = DashboardSnapshot.objects.get(scope=ALL_SCOPE).computed_at

    response = client.post(reverse("alignment:dashboard-refresh"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.status, job.progress, job.requested_by) == (
        JobKind.DASHBOARDS,
        "done",
        100,
        persona,
    )
    html = response.content.decode()
    assert 'id="job-progress"' in html
    assert 'role="progressbar"' in html
    assert "Redrew 3 dashboards" in html
    assert "Reload to see the new figures" in html
    assert DashboardSnapshot.objects.get(scope=ALL_SCOPE).computed_at > before
    # and without htmx, back to the dashboard
    plain = client.post(reverse("alignment:dashboard-refresh"))
    assert (plain.status_code, plain["Location"]) == (302, DASHBOARD)


def test_the_redraw_only_accepts_post(small, client, pmo):
    client.force_login(pmo)
    assert client.get(reverse("alignment:dashboard-refresh")).status_code == 405
    assert Job.objects.count() == 0


# ------------------------------------------------------------------------------------------ stale


def test_a_recompute_that_changes_scores_marks_the_stored_dashboard_stale_until_redrawn(small, exec_client):
    # given a fresh stored dashboard
    assert exec_client.get(DASHBOARD).context["view"].stale is False
    old_budget = payload_tiles(stored_payload(ALL_SCOPE))["budget"]["value"]

    # when a change is recomputed but the dashboards are not redrawn yet
    Initiative.objects.filter(code="E-1").update(budget_capex=Decimal("1035000"))
    services.recompute(today=today())

    # then the page serves the stored figures and says they are being redrawn
    response = exec_client.get(DASHBOARD)
    assert response.context["view"].stale is True
    assert "Scores changed since: being redrawn" in response.content.decode()
    assert f'<div class="tile-value">{old_budget}</div>' in response.content.decode()

    # and once redrawn, the new figures without the mark
    services.render_dashboards(today=today())
    response = exec_client.get(DASHBOARD)
    assert response.context["view"].stale is False
    assert "being redrawn" not in response.content.decode()
    assert '<div class="tile-value">€3.98M</div>' in response.content.decode()


# ------------------------------------------------------------------------------------------ query counts


def grow(n: int, programs: Sequence[Program], objectives: list[Any], start: int) -> None:
    """n more initiatives spread over programs, stages, categories, objectives, with milestones and risks."""
    stages = [Stage.IN_DELIVERY, Stage.APPROVED, Stage.LIVE, Stage.PROPOSED, Stage.IDEA]
    for k in range(start, start + n):
        initiative = InitiativeFactory(
            code=f"Q-{k:03d}",
            program=programs[k % len(programs)] if programs else None,
            stage=stages[k % len(stages)],
            category=["run", "grow", "transform"][k % 3],
        )
        ContributionFactory(
            initiative=initiative, objective=objectives[k % len(objectives)], strength="strong"
        )
        MilestoneFactory(
            initiative=initiative, baseline_date=today() - (k % 50) * DAY, actual_date=today() - 60 * DAY
        )
        RiskFactory(initiative=initiative, probability=1 + k % 5, impact=1 + (k // 5) % 5)


def count_queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_query_counts_do_not_grow_with_the_portfolio(exec_client, django_assert_max_num_queries):
    theme = ObjectiveFactory(code="T", title="Theme")
    objectives = [theme] + [ObjectiveFactory(code=f"O{n}", parent=theme) for n in range(3)]
    KPIFactory(objective=objectives[1])
    programs = [ProgramFactory(name=f"P{n}") for n in range(3)]
    counts = []
    for start, n in [(0, 5), (5, 35)]:
        grow(n, programs, objectives, start)
        services.recompute(today=today())
        services.snapshot_history(today=today())
        services.render_dashboards(today=today())
        stored = count_queries(lambda: exec_client.get(DASHBOARD))
        filtered = count_queries(lambda: exec_client.get(DASHBOARD, {"category": "grow", "tier": "3"}))
        program = count_queries(lambda: exec_client.get(DASHBOARD, {"program": programs[0].pk}))
        counts.append((stored, filtered, program))
    assert Initiative.objects.count() == 40
    assert counts[0] == counts[1], counts
    # the stored dashboard: the session, the user's roles, the filters' choices, the latest index, the snapshot
    with django_assert_max_num_queries(8):
        exec_client.get(DASHBOARD)
    with django_assert_max_num_queries(18):
        exec_client.get(DASHBOARD, {"category": "grow", "tier": "3"})


# ------------------------------------------------------------------------------------------ render_dashboards


def test_render_dashboards_stores_one_dashboard_for_the_portfolio_and_one_per_program(small):
    # given a program without initiatives and a snapshot of a program that no longer exists
    ProgramFactory(name="Empty")
    gone = ProgramFactory(name="Gone")
    InitiativeFactory(code="G-1", program=gone)
    services.render_dashboards(today=today())
    assert DashboardSnapshot.objects.filter(scope=program_scope(gone.pk)).exists()
    Initiative.objects.filter(code="G-1").delete()
    gone.delete()

    # when
    stored = services.render_dashboards(today=today())

    # then the portfolio and each program that has initiatives, nothing else
    programs = small["programs"]
    assert stored == 3
    assert sorted(DashboardSnapshot.objects.values_list("scope", flat=True)) == sorted(
        [ALL_SCOPE, program_scope(programs["Commerce"].pk), program_scope(programs["Stores"].pk)]
    )
    source = index(ALL_SCOPE, today()).computed_at
    assert set(DashboardSnapshot.objects.values_list("source_computed_at", flat=True)) == {source}


def test_render_dashboards_query_count_does_not_grow_with_the_programs(db):
    theme = ObjectiveFactory(code="T", title="Theme")
    objectives = [theme, ObjectiveFactory(code="O1", parent=theme)]
    KPIFactory(objective=objectives[1])
    programs = [ProgramFactory(name=f"P{n}") for n in range(2)]
    grow(6, programs, objectives, 0)
    services.recompute(today=today())
    few = count_queries(lambda: services.render_dashboards(today=today()))
    assert DashboardSnapshot.objects.count() == 3

    programs += [ProgramFactory(name=f"P{n}") for n in range(2, 8)]
    grow(24, programs, objectives, 6)
    services.recompute(today=today())
    many = count_queries(lambda: services.render_dashboards(today=today()))
    assert DashboardSnapshot.objects.count() == 9
    assert few == many
