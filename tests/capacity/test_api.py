"""The capacity API: the teams and the heat map, read by every role, with the page's figures."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, api_as
from tests.capacity.conftest import MARCH


@pytest.mark.parametrize("role", ["executive", "pmo", "manager", "steering_member"])
def test_every_role_reads_the_heat_map_with_the_pages_figures(request, world, role):
    api = api_as(request.getfixturevalue(role), scope="read")

    response = api.get("capacity/heat-map?start=2027-03&months=2&proposals=true")

    assert response.status_code == 200
    data = response.data
    assert (data["months"], data["total_teams"], data["offset"], data["overload_threshold"]) == (
        ["2027-03", "2027-04"],
        2,
        0,
        100.0,
    )
    platform = next(t for t in data["teams"] if t["name"] == "Data platform")
    # March: capacity 34.5; run 10 + 4.5; LAKE-1 10 committed; LAKE-2 15 proposed: (14.5 + 10 + 15) / 34.5
    assert platform["cells"][0] == {
        "month": MARCH.strftime("%Y-%m"),
        "capacity": 34.5,
        "run": 14.5,
        "committed": 10.0,
        "proposed": 15.0,
        "utilisation": 114.5,
        "over": True,
    }
    desk = next(t for t in data["teams"] if t["name"] == "Service desk")
    assert desk["cells"][0]["utilisation"] is None
    assert desk["cells"][0]["over"] is False


def test_without_proposals_the_cell_counts_run_and_committed_change(pmo, world):
    cell = api_as(pmo).get("capacity/heat-map?start=2027-03&months=1").data["teams"][0]["cells"][0]
    assert (cell["utilisation"], cell["over"]) == (71.0, False)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("start=2027-13", 400, "start"),
        ("start=27-03", 400, "start"),
        ("start=abcd-ef", 400, "start"),
        ("months=0", 422, "months"),
        ("months=37", 422, "months"),
        ("limit=201", 422, "limit"),
        ("offset=-1", 422, "offset"),
    ],
)
def test_a_bad_query_is_refused_at_its_field(pmo, world, query, status, field):
    response = api_as(pmo).get(f"capacity/heat-map?{query}")
    assert response.status_code == status
    assert list(response.data["error"]["fields"]) == [field]


def test_the_teams_are_listed_with_their_members(executive, world):
    response = api_as(executive, scope="read").get("capacity/teams")
    assert response.status_code == 200
    assert [(t["name"], t["members"]) for t in response.data["items"]] == [
        ("Data platform", 2),
        ("Service desk", 0),
    ]


def test_without_a_token_nothing_is_read(world):
    assert Api(None).get("capacity/teams").status_code == 401
    assert Api("not-a-token").get("capacity/heat-map").status_code == 401
