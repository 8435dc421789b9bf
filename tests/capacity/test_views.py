"""The capacity pages for every role, hostile input, the heat map's cells and their click-through."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from capacity.models import CapacityPolicy, ChangeDemand, RunDemand, Team, TeamMember
from tests.capacity.conftest import MARCH

D = datetime.date
READ_ONLY = ["executive", "steering_member", "manager"]


def pages(world) -> list[str]:
    team, effort = world["team"], world["effort1"]
    member = team.members.first()
    run = RunDemand.objects.filter(team=team).order_by("pk")[0]
    return [
        "/capacity/?start=2027-01&months=6",
        "/capacity/?start=2027-01&months=36&proposals=on",
        f"/capacity/teams/{team.pk}/months/2027-03/",
        "/capacity/teams/",
        f"/capacity/teams/{team.pk}/",
        "/capacity/policy/",
        "/capacity/export.csv?start=2027-01",
        "/capacity/export.xlsx",
        "/capacity/teams/export.csv",
        "/capacity/run/export.xlsx",
        "/capacity/effort/export.csv",
        f"/portfolio/initiatives/{effort.initiative_id}/"
        if False
        else f"/initiatives/{effort.initiative_id}/",
        f"/capacity/records/members/{member.pk}/edit/" if member else "",
        f"/capacity/records/run/{run.pk}/edit/",
    ]


@pytest.mark.parametrize(
    "persona", ["executive", "steering_member", "manager", "pmo", "admin_user"], indirect=True
)
def test_every_role_reads_the_capacity_pages(client, persona, world):
    client.force_login(persona)
    for url in pages(world)[:12]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_an_outsider_reads_nothing(client, outsider, world):
    client.force_login(outsider)
    for url in pages(world)[:11]:
        assert client.get(url).status_code == 403, url


def test_the_heat_map_shows_each_cell_as_a_number_with_its_band_and_link(client, executive, world):
    client.force_login(executive)
    team = world["team"]
    response = client.get("/capacity/?start=2027-03&months=6")
    html = response.content.decode()
    # March: (14.5 + 10) / 34.5 = 71 %
    assert (
        f'<td class="cap-b1"><a href="/capacity/teams/{team.pk}/months/2027-03/" '
        'title="Data platform, March 2027: 71 % of 34.5 person-days">71</a></td>'
    ) in html
    with_proposals = client.get("/capacity/?start=2027-03&months=6&proposals=on").content.decode()
    assert 'title="Data platform, March 2027: 114 % of 34.5 person-days (over-allocated)">' in with_proposals
    assert response.context["grid"].over == []
    over = client.get("/capacity/?start=2027-03&months=6&proposals=on").context["over"]
    # April: (10 + 15) / 33 = 76 %
    assert [(o["name"], o["month"], o["capacity"], o["demand"], o["utilisation"]) for o in over] == [
        ("Data platform", MARCH, "34.5", "39.5", "114 %")
    ]


def test_the_cell_page_lists_the_demand_behind_it(client, executive, world):
    client.force_login(executive)
    html = client.get(f"/capacity/teams/{world['team'].pk}/months/2027-03/").content.decode()
    for text in ("LAKE-1", "LAKE-2", "Incidents", "Support", "Alice", "Bob", "34.5", "14.5"):
        assert text in html


def test_the_heat_map_export_has_the_cells_exactly(client, executive, world):
    client.force_login(executive)
    response = client.get("/capacity/export.csv?start=2027-03&months=6")
    lines = (
        b"".join(response.streaming_content if response.streaming else [response.content])
        .decode()
        .splitlines()
    )
    assert lines[0].startswith("team,month,capacity_person_days")
    assert "Data platform,2027-03,34.5,14.5,10.0,15.0,71.0,114.5,no" in lines


@pytest.mark.parametrize("persona", READ_ONLY, indirect=True)
def test_readers_cannot_post_and_nothing_changes(client, persona, world):
    client.force_login(persona)
    team = world["team"]
    before = (
        Team.objects.count(),
        TeamMember.objects.count(),
        RunDemand.objects.count(),
        CapacityPolicy.objects.count(),
    )
    posts = [
        ("/capacity/teams/new/", {"name": "X"}),
        (f"/capacity/teams/{team.pk}/edit/", {"name": "X", "version": 1}),
        (f"/capacity/teams/{team.pk}/delete/", {"version": 1}),
        (f"/capacity/teams/{team.pk}/members/new/", {"name": "X", "availability": 50}),
        (
            f"/capacity/teams/{team.pk}/run/fill/",
            {"category": "support", "first_month": "2027-01", "last_month": "2027-02", "person_days": 3},
        ),
        ("/capacity/policy/", {"change_share_target": 10, "overload_threshold": 90, "max_shift_months": 0}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert before == (
        Team.objects.count(),
        TeamMember.objects.count(),
        RunDemand.objects.count(),
        CapacityPolicy.objects.count(),
    )


def test_the_pmo_enters_a_capacity_plan_through_the_pages(client, pmo, world):
    client.force_login(pmo)
    response = client.post("/capacity/teams/new/", {"name": "Networks", "description": "LAN and WAN"})
    team = Team.objects.get(name="Networks")
    assert (response.status_code, response["Location"]) == (302, f"/capacity/teams/{team.pk}/")
    assert (
        client.post(
            f"/capacity/teams/{team.pk}/members/new/",
            {"name": "Nia", "availability": "80", "start_month": "2027-02"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/capacity/teams/{team.pk}/run/fill/",
            {
                "category": "maintenance",
                "first_month": "2027-01",
                "last_month": "2027-03",
                "person_days": "4",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/capacity/teams/{team.pk}/overrides/new/",
            {"month": "2027-03", "person_days": "10", "reason": "Hiring"},
        ).status_code
        == 302
    )
    initiative = world["lake1"]
    assert (
        client.post(
            f"/initiatives/{initiative.pk}/effort/new/", {"team": team.pk, "person_days": "12"}
        ).status_code
        == 302
    )
    grid = client.get("/capacity/?start=2027-01&months=6").context["grid"]
    row = next(r for r in grid.rows if r.name == "Networks")
    # Jan: no member yet (capacity 0, demand 4 + 2): over-allocated; Feb: 20 x 0.8 = 16; Mar: the override 10
    assert [(c.capacity, c.run, c.committed) for c in row.cells[:3]] == [
        (Decimal("0"), Decimal("4.0"), Decimal("2.000")),
        (Decimal("16.0"), Decimal("4.0"), Decimal("2.000")),
        (Decimal("10.0"), Decimal("4.0"), Decimal("2.000")),
    ]
    effort = ChangeDemand.objects.get(team=team)
    response = client.post(
        f"/capacity/effort/{effort.pk}/months/",
        {"version": effort.version, "month_2027_01": "0", "month_2027_02": "6"},
    )
    assert response.status_code == 302
    assert ChangeDemand.objects.get(pk=effort.pk).person_days == Decimal("6.0")


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("/capacity/teams/new/", {"name": ""}, "name"),
        ("/capacity/teams/new/", {"name": "Data platform"}, "name"),
        ("TEAM/members/new/", {"name": "", "availability": "101"}, "availability"),
        ("TEAM/members/new/", {"name": "A", "start_month": "2027-13"}, "start_month"),
        ("TEAM/members/new/", {"name": "A", "start_month": "2027-05", "end_month": "2027-04"}, "end_month"),
        ("TEAM/overrides/new/", {"month": "2027-03", "person_days": "-1"}, "person_days"),
        ("TEAM/overrides/new/", {"month": "\x00", "person_days": "1"}, "month"),
        (
            "TEAM/run/fill/",
            {"category": "nope", "first_month": "2027-01", "last_month": "2027-01", "person_days": "1"},
            "category",
        ),
        (
            "TEAM/run/fill/",
            {"category": "support", "first_month": "2027-03", "last_month": "2027-01", "person_days": "1"},
            "last_month",
        ),
        (
            "TEAM/run/fill/",
            {"category": "support", "first_month": "2020-01", "last_month": "2027-01", "person_days": "1"},
            "last_month",
        ),
        (
            "/capacity/policy/",
            {"change_share_target": "NaN", "overload_threshold": "100", "max_shift_months": "0"},
            "change_share_target",
        ),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(client, pmo, world, url, data, field):
    client.force_login(pmo)
    url = url.replace("TEAM", f"/capacity/teams/{world['team'].pk}")
    before = (
        Team.objects.count(),
        TeamMember.objects.count(),
        RunDemand.objects.count(),
        CapacityPolicy.objects.count(),
    )
    response = client.post(url, data)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert before == (
        Team.objects.count(),
        TeamMember.objects.count(),
        RunDemand.objects.count(),
        CapacityPolicy.objects.count(),
    )


@pytest.mark.parametrize(
    "query",
    [
        "start=2027-99",
        "start=%00",
        "months=7",
        "months=abc",
        "page=0",
        "page=99999999999",
        "start=" + "9" * 500,
        "proposals=maybe",
    ],
)
def test_a_hostile_query_gets_a_clear_answer_never_a_500(client, executive, world, query):
    client.force_login(executive)
    response = client.get(f"/capacity/?{query}")
    assert response.status_code in (200, 400)
    assert client.get(f"/capacity/export.csv?{query}").status_code in (200, 400)


@pytest.mark.parametrize("month", ["2027-13", "0000-01", "abc", "2027-3"])
def test_a_cell_of_no_month_is_not_found(client, executive, world, month):
    client.force_login(executive)
    assert client.get(f"/capacity/teams/{world['team'].pk}/months/{month}/").status_code == 404


def test_a_stale_team_edit_gets_409_and_keeps_the_newer_save(client, pmo, world):
    client.force_login(pmo)
    team = world["team"]
    assert client.post(f"/capacity/teams/{team.pk}/edit/", {"name": "First", "version": 1}).status_code == 302
    response = client.post(f"/capacity/teams/{team.pk}/edit/", {"name": "Second", "version": 1})
    assert response.status_code == 409
    assert Team.objects.get(pk=team.pk).name == "First"


def test_user_text_is_escaped_on_the_heat_map_and_inert_in_its_download(client, pmo, world):
    team = world["team"]
    team.name = "=1+2<script>alert(1)</script>"
    team.save()
    client.force_login(pmo)
    html = client.get("/capacity/?start=2027-03").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    body = b"".join(
        client.get("/capacity/export.csv?start=2027-03").streaming_content
        if False
        else [client.get("/capacity/export.csv?start=2027-03").content]
    ).decode()
    assert "'=1+2<script>" in body


@pytest.mark.parametrize("teams", [2, 8])
def test_the_heat_map_page_query_count_does_not_grow(
    client, executive, pmo, django_assert_max_num_queries, teams
):
    from capacity import services
    from tests.factories import InitiativeFactory

    for n in range(teams):
        team = Team.objects.create(name=f"T{n}")
        TeamMember.objects.create(team=team, name="A")
        RunDemand.objects.create(team=team, month=MARCH, person_days=Decimal("2"))
        services.change_demand_create(
            user=pmo,
            initiative=InitiativeFactory(planned_start=MARCH, planned_end=D(2027, 6, 1)),
            data={"team": team, "person_days": Decimal("8")},
        )
    client.force_login(executive)
    client.get("/capacity/?start=2027-01")  # the policy's first version is stored on the first read
    with django_assert_max_num_queries(12):
        response = client.get("/capacity/?start=2027-01&months=12&proposals=on")
    assert len(response.context["grid"].rows) == teams


def test_without_a_window_asked_for_the_page_shows_twelve_months_and_its_select_says_so(
    client, executive, world, time_machine
):
    time_machine.move_to(datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC), tick=False)
    client.force_login(executive)
    response = client.get("/capacity/")
    assert [m.isoformat() for m, _, _ in response.context["month_labels"]][::11] == [
        "2027-03-01",
        "2028-02-01",
    ]
    assert len(response.context["month_labels"]) == 12
    assert '<option value="12" selected>12 months</option>' in response.content.decode()
