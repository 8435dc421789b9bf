"""The dashboard's tiles equal the engine's stored indices, and the stored dashboards equal the live computation."""

from __future__ import annotations

import pytest

from alignment import dashboard
from alignment.models import (
    ALL_SCOPE,
    program_scope,
)
from portfolio.models import Program
from tests.alignment.dashboard_support import (
    DASHBOARD,
    DAY,
    TILE_INDEX,
    assert_tiles_equal_index,
    budget_of,
    data_for,
    index,
    live_payload,
    payload_tiles,
    stored_payload,
    tiles,
    today,
)

pytestmark = pytest.mark.django_db


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
    assert len(programs) == 7
    for program in programs:
        stored, live = stored_payload(program_scope(program.pk)), live_payload(program=program.pk)
        stored.pop("as_of"), live.pop("as_of")
        assert stored == live, program.name
