"""Importing teams, their members, capacity overrides, run demand and effort estimates through the import
framework: the team pages' forms' rules, keys matched as upserts, problems at their row and field, nothing
saved by a dry run or a refused file, only the PMO and admins, and every capacity export importing back
unchanged. The world is tests/capacity/conftest.py's (Data platform, March 2027)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capacity import services
from capacity.models import (
    CapacityOverride,
    ChangeDemand,
    ChangeDemandMonth,
    ChangeLoad,
    RunDemand,
    Team,
    TeamMember,
)
from core.errors import NotAllowed
from tests.capacity.conftest import effort_rows
from tests.export_support import body
from tests.factories import InitiativeFactory, UserFactory
from tests.portfolio.import_support import csv_file, problems, run_import, xlsx_file

D = datetime.date
MARCH = D(2027, 3, 1)
DOCS = Path(__file__).resolve().parents[2] / "docs"
KINDS = ["teams", "team-members", "capacity-overrides", "run-demand", "effort", "effort-months"]


def snapshot() -> dict[str, list[Any]]:
    """Every stored capacity record with its version: what a refused or dry import must leave as it was."""
    return {
        "teams": list(
            Team.objects.order_by("pk").values_list("name", "description", "manager_id", "version")
        ),
        "members": list(
            TeamMember.objects.order_by("pk").values_list(
                "team_id", "name", "user_id", "availability", "start_month", "end_month", "version"
            )
        ),
        "overrides": list(
            CapacityOverride.objects.order_by("pk").values_list("team_id", "month", "person_days", "version")
        ),
        "run": list(
            RunDemand.objects.order_by("pk").values_list(
                "team_id", "month", "category", "person_days", "note", "version"
            )
        ),
        "effort": list(
            ChangeDemand.objects.order_by("pk").values_list(
                "initiative_id", "team_id", "person_days", "custom", "note", "version"
            )
        ),
        "months": list(
            ChangeDemand.objects.order_by("pk").values_list("months__month", "months__person_days")
        ),
        "loads": list(ChangeLoad.objects.order_by("team_id", "month").values_list("month", "committed")),
    }


def valid_file(kind: str) -> bytes:
    """A file of each kind that imports without a problem into the world."""
    return {
        "teams": csv_file(["name", "description"], ["Integration", "APIs and events"]),
        "team-members": csv_file(["team", "member", "availability_percent"], ["Data platform", "Cleo", "80"]),
        "capacity-overrides": csv_file(["team", "month", "person_days"], ["Data platform", "2027-08", "12"]),
        "run-demand": csv_file(
            ["team", "month", "category", "person_days"], ["Data platform", "2027-04", "support", "8"]
        ),
        "effort": csv_file(["initiative", "team", "person_days"], ["LAKE-2", "Service desk", "20"]),
        "effort-months": csv_file(
            ["initiative", "team", "month", "person_days"], ["LAKE-2", "Data platform", "2027-05", "5"]
        ),
    }[kind]


# ------------------------------------------------------------------------------------------------ teams


def test_teams_are_added_and_updated_by_name(world, pmo, manager):
    content = csv_file(
        ["name", "description", "manager"],
        ["Data platform", "Lakes and pipelines", "manager"],
        ["Integration", "APIs and events", ""],
    )

    outcome = run_import("teams", content, pmo, filename="teams.csv")

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.problem_count) == (1, 1, 0, 0)
    assert list(Team.objects.values_list("name", "description", "manager__username", "version")) == [
        ("Data platform", "Lakes and pipelines", "manager", 2),
        ("Integration", "APIs and events", None, 1),
        ("Service desk", "", None, 1),
    ]
    assert set(Team.history.filter(history_change_reason="Imported from teams.csv").values_list("name")) == {
        ("Data platform",),
        ("Integration",),
    }


def test_a_team_manager_who_is_not_a_person_here_is_refused_at_its_row(world, pmo):
    content = csv_file(["name", "manager"], ["Integration", "nobody"])

    outcome = run_import("teams", content, pmo)

    assert problems(outcome) == [[2, "manager", "nobody", "No active person has the username “nobody”."]]
    assert not Team.objects.filter(name="Integration").exists()


# ---------------------------------------------------------------------------------------------- members


def test_members_are_matched_by_name_or_by_username_when_nameless(world, pmo):
    bob_user = UserFactory(username="bob")
    team = world["team"]
    TeamMember.objects.create(team=team, user=bob_user, availability=40)
    content = csv_file(
        ["team", "member", "user", "availability_percent", "start_month", "end_month"],
        ["Data platform", "Alice", "", "90", "", "2027-12"],
        ["Data platform", "", "bob", "60", "2027-02", ""],
        ["Service desk", "Dana", "", "", "2027-01-01", ""],
    )

    outcome = run_import("team-members", content, pmo)

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.problem_count) == (1, 2, 0, 0)
    assert sorted(
        TeamMember.objects.values_list(
            "team__name", "name", "user__username", "availability", "start_month", "end_month"
        ),
        key=lambda row: (row[0], row[1], row[2] or ""),
    ) == [
        ("Data platform", "", "bob", 60, D(2027, 2, 1), None),
        ("Data platform", "Alice", None, 90, None, D(2027, 12, 1)),
        ("Data platform", "Bob", None, 50, None, None),
        ("Service desk", "Dana", None, 100, D(2027, 1, 1), None),
    ]


def test_member_rules_are_the_forms_and_each_problem_names_its_row_and_field(world, pmo):
    content = csv_file(
        ["team", "member", "user", "availability_percent", "start_month", "end_month"],
        ["Data platform", "Cleo", "", "80", "2027-05", "2027-03"],
        ["Data platform", "", "", "50", "", ""],
        ["Nowhere", "Dana", "", "50", "", ""],
        ["Data platform", "Eve", "", "150", "March", ""],
        ["Data platform", "Finn", "", "50", "", ""],
    )

    outcome = run_import("team-members", content, pmo)

    assert problems(outcome) == [
        [2, "end_month", "2027-03", "The last month cannot come before the first."],
        [3, "member", "", "Give the person's name or choose a user."],
        [4, "team", "Nowhere", "No team is named “Nowhere”: add it first (or import the teams)."],
        [5, "start_month", "March", "Give a month as YYYY-MM, e.g. 2027-03 (years 2000 to 2100)."],
        [5, "availability_percent", "150", "Ensure this value is less than or equal to 100."],
    ]
    assert list(TeamMember.objects.order_by("name").values_list("name", flat=True)) == ["Alice", "Bob"]


def test_a_member_twice_in_a_file_is_a_problem_at_the_second_row(world, pmo):
    content = csv_file(
        ["team", "member", "availability_percent"],
        ["Data platform", "Cleo", "80"],
        ["Data platform", "Cleo", "20"],
    )

    outcome = run_import("team-members", content, pmo)

    assert problems(outcome) == [
        [3, "member", "Cleo", "Row 2 has the same team + name; each may appear once in a file."]
    ]
    assert not TeamMember.objects.filter(name="Cleo").exists()


def test_a_member_name_used_twice_in_a_team_matches_neither(world, pmo):
    TeamMember.objects.create(team=world["team"], name="Alice", availability=20)
    content = csv_file(["team", "member", "availability_percent"], ["Data platform", "Alice", "80"])

    outcome = run_import("team-members", content, pmo)

    assert problems(outcome) == [
        [
            2,
            "member",
            "Alice",
            "Team Data platform has more than one member named so: rename one of them on the team's page first.",
        ]
    ]
    assert sorted(TeamMember.objects.filter(name="Alice").values_list("availability", flat=True)) == [20, 100]


# ------------------------------------------------------------------------------------ capacity overrides


def test_capacity_overrides_are_set_by_team_and_month_and_the_heat_maps_capacity_follows(world, pmo):
    team = world["team"]
    CapacityOverride.objects.create(team=team, month=MARCH, person_days=Decimal("30"), reason="Training")
    content = csv_file(
        ["team", "month", "person_days", "reason"],
        ["Data platform", "2027-03", "25.5", "Training and holidays"],
        ["Data platform", "2027-08", "12", "Summer holidays"],
    )

    outcome = run_import("capacity-overrides", content, pmo, filename="capacity.csv")

    assert (outcome.created, outcome.updated, outcome.problem_count) == (1, 1, 0)
    assert list(CapacityOverride.objects.values_list("month", "person_days", "reason", "version")) == [
        (MARCH, Decimal("25.5"), "Training and holidays", 2),
        (D(2027, 8, 1), Decimal("12.0"), "Summer holidays", 1),
    ]
    assert CapacityOverride.history.filter(history_change_reason="Imported from capacity.csv").count() == 2


def test_a_month_is_a_month_as_the_exports_write_it_or_a_date_on_its_first_day(world, pmo):
    content = xlsx_file(
        ["team", "month", "person_days"],
        ["Data platform", datetime.datetime(2027, 9, 1), 10],
        ["Data platform", "2027-10-01", 11],
        ["Data platform", datetime.datetime(2027, 11, 15), 12],
        ["Data platform", "2027-13", 13],
    )

    outcome = run_import("capacity-overrides", content, pmo, filename="capacity.xlsx")

    assert problems(outcome) == [
        [4, "month", "2027-11-15", "Give a month as YYYY-MM, e.g. 2027-03 (years 2000 to 2100)."],
        [5, "month", "2027-13", "Give a month as YYYY-MM, e.g. 2027-03 (years 2000 to 2100)."],
    ]
    outcome = run_import("capacity-overrides", content, pmo, filename="capacity.xlsx", only_valid=True)
    assert list(CapacityOverride.objects.values_list("month", "person_days")) == [
        (D(2027, 9, 1), Decimal("10.0")),
        (D(2027, 10, 1), Decimal("11.0")),
    ]


# ------------------------------------------------------------------------------------------ run demand


def test_run_demand_is_set_by_team_month_and_category(world, pmo):
    content = csv_file(
        ["team", "month", "category", "person_days", "note"],
        ["Data platform", "2027-03", "support", "12", "More tickets"],
        ["Data platform", "2027-03", "incidents", "4.5", ""],
        ["Service desk", "2027-04", "maintenance", "3", "Patching"],
    )

    outcome = run_import("run-demand", content, pmo)

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.problem_count) == (1, 1, 1, 0)
    assert list(
        RunDemand.objects.values_list("team__name", "month", "category", "person_days", "note", "version")
    ) == [
        ("Data platform", MARCH, "incidents", Decimal("4.5"), "", 1),
        ("Data platform", MARCH, "support", Decimal("12.0"), "More tickets", 2),
        ("Service desk", D(2027, 4, 1), "maintenance", Decimal("3.0"), "Patching", 1),
    ]


def test_a_bad_run_demand_row_names_its_row_and_field_and_nothing_is_saved(world, pmo):
    before = snapshot()
    content = csv_file(
        ["team", "month", "category", "person_days"],
        ["Data platform", "2027-04", "support", "8"],
        ["Data platform", "2027-04", "meetings", "2"],
        ["Data platform", "2027-05", "support", "-1"],
        ["Data platform", "2027-05", "support", "3"],
    )

    outcome = run_import("run-demand", content, pmo)

    assert problems(outcome) == [
        [
            3,
            "category",
            "meetings",
            "Select a valid choice. meetings is not one of the available choices. "
            "Allowed: support, incidents, maintenance, changes.",
        ],
        [4, "person_days", "-1", "Ensure this value is greater than or equal to 0."],
        [
            5,
            "category",
            "support",
            "Row 4 has the same team + month + category; each may appear once in a file.",
        ],
    ]
    assert (outcome.written, outcome.created) == (False, 1)
    assert snapshot() == before


# ------------------------------------------------------------------------------------ effort estimates


def test_effort_estimates_are_spread_evenly_as_on_the_initiative_page(world, pmo):
    content = csv_file(
        ["initiative", "team", "person_days", "note"],
        ["LAKE-1", "Data platform", "90", "Re-estimated"],
        ["LAKE-2", "Service desk", "20", ""],
    )

    outcome = run_import("effort", content, pmo, filename="effort.csv")

    assert (outcome.created, outcome.updated, outcome.problem_count) == (1, 1, 0)
    lake1 = ChangeDemand.objects.get(initiative=world["lake1"], team=world["team"])
    assert (lake1.person_days, lake1.note, lake1.custom, lake1.version) == (
        Decimal("90.0"),
        "Re-estimated",
        False,
        2,
    )
    assert effort_rows(lake1) == [(f"2027-0{m}", Decimal("15.000")) for m in range(1, 7)]
    desk = ChangeDemand.objects.get(initiative=world["lake2"], team=world["desk"])
    assert effort_rows(desk) == [("2027-03", Decimal("10.000")), ("2027-04", Decimal("10.000"))]
    assert list(
        ChangeLoad.objects.filter(month=MARCH)
        .order_by("team__name")
        .values_list("team__name", "committed", "proposed")
    ) == [("Data platform", 15.0, 15.0), ("Service desk", 0.0, 10.0)]


def test_edited_months_are_kept_while_the_total_is_unchanged_and_spread_again_when_it_changes(world, pmo):
    months = {D(2027, 1, 1): Decimal("50"), D(2027, 2, 1): Decimal("10")}
    effort = services.change_demand_set_months(
        user=pmo, demand_id=world["effort1"].pk, version=world["effort1"].version, months=months
    )
    kept = csv_file(
        ["initiative", "team", "person_days", "note"], ["LAKE-1", "Data platform", "60", "Checked"]
    )

    outcome = run_import("effort", kept, pmo)

    assert (outcome.updated, outcome.problem_count) == (1, 0)
    effort.refresh_from_db()
    assert (effort.custom, effort.note) == (True, "Checked")
    assert effort_rows(effort) == [("2027-01", Decimal("50.000")), ("2027-02", Decimal("10.000"))]

    outcome = run_import(
        "effort", csv_file(["initiative", "team", "person_days"], ["LAKE-1", "Data platform", "30"]), pmo
    )

    effort.refresh_from_db()
    assert (outcome.updated, effort.custom, effort.person_days) == (1, False, Decimal("30.0"))
    assert effort_rows(effort) == [(f"2027-0{m}", Decimal("5.000")) for m in range(1, 7)]


def test_effort_of_an_unknown_initiative_or_team_is_refused_at_its_row(world, pmo):
    before = snapshot()
    content = csv_file(
        ["initiative", "team", "person_days"],
        ["NOPE-1", "Data platform", "10"],
        ["LAKE-2", "Nowhere", "10"],
        ["LAKE-2", "Service desk", "ten"],
        ["LAKE-2", "Service desk", "100000"],
    )

    outcome = run_import("effort", content, pmo)

    assert problems(outcome) == [
        [2, "initiative", "NOPE-1", "No initiative has the code “NOPE-1”."],
        [3, "team", "Nowhere", "No team is named “Nowhere”."],
        [4, "person_days", "ten", "Enter a number."],
        [5, "team", "Service desk", "Row 4 has the same initiative + team; each may appear once in a file."],
    ]
    assert snapshot() == before


def test_effort_months_are_set_one_by_one_and_the_total_follows_as_on_the_months_page(world, pmo):
    content = csv_file(
        ["initiative", "team", "month", "person_days"],
        ["LAKE-1", "Data platform", "2027-01", "20"],
        ["LAKE-1", "Data platform", "2027-02", "0"],
        ["LAKE-1", "Data platform", "2027-07", "2.125"],
        ["LAKE-1", "Data platform", "2027-03", "10"],
    )

    outcome = run_import("effort-months", content, pmo, filename="months.csv")

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.problem_count) == (1, 2, 1, 0)
    effort = ChangeDemand.objects.get(pk=world["effort1"].pk)
    assert (effort.person_days, effort.custom, effort.version) == (Decimal("62.1"), True, 2)
    assert effort_rows(effort) == [
        ("2027-01", Decimal("20.000")),
        ("2027-03", Decimal("10.000")),
        ("2027-04", Decimal("10.000")),
        ("2027-05", Decimal("10.000")),
        ("2027-06", Decimal("10.000")),
        ("2027-07", Decimal("2.125")),
    ]
    assert ChangeDemand.history.filter(history_change_reason="Imported from months.csv").count() == 1
    assert ChangeLoad.objects.get(team=world["team"], month=D(2027, 1, 1)).committed == 20.0
    assert not ChangeLoad.objects.filter(team=world["team"], month=D(2027, 2, 1)).exists()


def test_a_bad_effort_month_names_its_row_and_field_and_nothing_is_saved(world, pmo):
    before = snapshot()
    content = csv_file(
        ["initiative", "team", "month", "person_days"],
        ["LAKE-1", "Data platform", "2027-01", "20"],
        ["LAKE-1", "Service desk", "2027-01", "5"],
        ["LAKE-1", "Data platform", "2027-1", "5"],
        ["LAKE-1", "Data platform", "2027-04", "1.2345"],
        ["LAKE-2", "Data platform", "2027-03", "99999"],
        ["LAKE-1", "Data platform", "2027-01-01", "3"],
    )

    outcome = run_import("effort-months", content, pmo)

    assert problems(outcome) == [
        [
            3,
            "team",
            "Service desk",
            "LAKE-1 has no effort estimate for Service desk: add the estimate first (or import it as an effort "
            "estimate).",
        ],
        [4, "month", "2027-1", "Give a month as YYYY-MM, e.g. 2027-03 (years 2000 to 2100)."],
        [5, "person_days", "1.2345", "Give 0 to 99999.9 person-days, with at most three decimals."],
        [6, "person_days", "99999", "The estimate's months add up to more than 99999.9 person-days."],
        [
            7,
            "month",
            "2027-01",
            "Row 2 has the same initiative + team + month; each may appear once in a file.",
        ],
    ]
    assert snapshot() == before


# ------------------------------------------------------------------------------ dry runs and who imports


@pytest.mark.parametrize("kind", KINDS)
def test_a_dry_run_checks_every_row_and_writes_nothing(world, pmo, kind):
    before = snapshot()
    history = TeamMember.history.count() + RunDemand.history.count() + ChangeDemand.history.count()

    outcome = run_import(kind, valid_file(kind), pmo, write=False)

    assert (outcome.rows, outcome.created, outcome.problem_count, outcome.written) == (1, 1, 0, False)
    assert snapshot() == before
    assert TeamMember.history.count() + RunDemand.history.count() + ChangeDemand.history.count() == history


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_and_admins_import_capacity(world, persona, kind):
    before = snapshot()

    with pytest.raises(NotAllowed):
        run_import(kind, valid_file(kind), persona)

    assert snapshot() == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", ["pmo", "admin_user"], indirect=True)
def test_the_pmo_and_admins_import_capacity(world, persona, kind):
    outcome = run_import(kind, valid_file(kind), persona)

    assert (outcome.created, outcome.problem_count, outcome.written) == (1, 0, True)


def test_the_initiatives_manager_may_edit_its_effort_on_the_page_but_not_import_it(world, manager):
    # the manager edits LAKE-1's estimates on its page; imports are the PMO's, as for every kind
    before = snapshot()

    with pytest.raises(NotAllowed):
        run_import(
            "effort",
            csv_file(["initiative", "team", "person_days"], ["LAKE-1", "Data platform", "1"]),
            manager,
        )

    assert snapshot() == before


# ------------------------------------------------------------------------------------------- round trip


@pytest.fixture
def everything(world, pmo, manager) -> dict[str, Any]:
    """Every kind of capacity record, some text starting like a formula, a nameless member with a user."""
    team = world["team"]
    team.manager = manager
    team.description = '=HYPERLINK("x")'
    team.save()
    user = UserFactory(username="carol")
    TeamMember.objects.create(team=team, user=user, availability=30, start_month=D(2027, 2, 1))
    TeamMember.objects.create(team=world["desk"], name="-Dana", availability=75, end_month=D(2027, 9, 1))
    CapacityOverride.objects.create(team=team, month=MARCH, person_days=Decimal("20.5"), reason="+holidays")
    RunDemand.objects.filter(category="support").update(note="@oncall")
    services.change_demand_set_months(
        user=pmo,
        demand_id=world["effort2"].pk,
        version=world["effort2"].version,
        months={D(2027, 3, 1): Decimal("20"), D(2027, 4, 1): Decimal("12.5")},
    )
    return world


EXPORTS = [  # (the export, the kind that imports it, its records, the records whose history it writes)
    ("capacity:team-list-export", "teams", Team, Team),
    ("capacity:team-export", "team-members", TeamMember, TeamMember),
    ("capacity:override-export", "capacity-overrides", CapacityOverride, CapacityOverride),
    ("capacity:run-export", "run-demand", RunDemand, RunDemand),
    ("capacity:effort-export", "effort", ChangeDemand, ChangeDemand),
    ("capacity:effort-month-export", "effort-months", ChangeDemandMonth, ChangeDemand),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("url", "kind", "model", "audited"), EXPORTS)
def test_every_capacity_export_imports_back_unchanged(
    everything, client, pmo, url, kind, model, audited, fmt
):
    # given a capacity list exported by the PMO
    client.force_login(pmo)
    content = body(client.get(reverse(url, args=[fmt])))
    before = snapshot()
    history = audited.history.count()

    # when the file is imported as it is
    outcome = run_import(kind, content, pmo, filename=f"export.{fmt}")

    # then every row is unchanged: same values, same versions, no history
    assert outcome.rows == model.objects.count() > 0
    assert (outcome.unchanged, outcome.created, outcome.updated, outcome.problem_count) == (
        outcome.rows,
        0,
        0,
        0,
    )
    assert snapshot() == before
    assert audited.history.count() == history


# ------------------------------------------------------------------------------------------- query count


def _queries_to_import(kind: str, content: bytes, user: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        outcome = run_import(kind, content, user)
    assert (outcome.problem_count, outcome.written) == (0, True)
    return len(queries)


def _rows(kind: str, count: int, offset: int) -> bytes:
    """`count` new rows of a kind, `offset` apart from another file's."""
    months = [f"{2030 + (offset + i) // 12}-{(offset + i) % 12 + 1:02d}" for i in range(count)]
    rows: list[list[Any]] = {
        "teams": [[f"Team {offset + i}", "d"] for i in range(count)],
        "team-members": [["Data platform", f"Person {offset + i}", "50"] for i in range(count)],
        "capacity-overrides": [["Data platform", month, "12"] for month in months],
        "run-demand": [["Data platform", month, "support", "3"] for month in months],
        "effort": [[f"Q-{offset + i}", "Data platform", "30"] for i in range(count)],
        "effort-months": [["LAKE-1", "Data platform", month, "2"] for month in months],
    }[kind]
    header = {
        "teams": ["name", "description"],
        "team-members": ["team", "member", "availability_percent"],
        "capacity-overrides": ["team", "month", "person_days"],
        "run-demand": ["team", "month", "category", "person_days"],
        "effort": ["initiative", "team", "person_days"],
        "effort-months": ["initiative", "team", "month", "person_days"],
    }[kind]
    return csv_file(header, *rows)


@pytest.mark.parametrize("kind", KINDS)
def test_an_imports_query_count_does_not_grow_with_its_rows(world, pmo, kind):
    # two planned months each: the months of 40 estimates fit one insert within SQLite's parameter limit
    for i in range(60):
        InitiativeFactory(code=f"Q-{i}", planned_start=D(2027, 1, 1), planned_end=D(2027, 2, 28))

    few = _queries_to_import(kind, _rows(kind, 5, 0), pmo)
    many = _queries_to_import(kind, _rows(kind, 40, 10), pmo)

    assert many == few


# ------------------------------------------------------------------------------------------------ docs


def test_the_docs_examples_import_as_they_say(world, pmo):
    # given the CSV examples of docs/capacity.md's section on importing, in the order it gives them
    section = (DOCS / "capacity.md").read_text().split("## Importing", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"```csv\n(.*?)```", section, flags=re.DOTALL)
    assert len(examples) == 3

    # when each is imported
    outcomes = [
        run_import(kind, example.encode(), pmo)
        for kind, example in zip(["run-demand", "capacity-overrides", "effort-months"], examples, strict=True)
    ]

    # then: April's support added, August's capacity set, LAKE-1's January moved to July with the same total
    assert [(o.created, o.updated, o.unchanged, o.problem_count) for o in outcomes] == [
        (1, 0, 2, 0),
        (1, 0, 0, 0),
        (1, 1, 0, 0),
    ]
    assert RunDemand.objects.get(month=D(2027, 4, 1)).person_days == Decimal("10.0")
    assert CapacityOverride.objects.get().person_days == Decimal("12.0")
    lake1 = ChangeDemand.objects.get(pk=world["effort1"].pk)
    assert (lake1.person_days, lake1.custom) == (Decimal("60.0"), True)
    assert effort_rows(lake1) == [(f"2027-0{m}", Decimal("10.000")) for m in range(2, 8)]


# ------------------------------------------------------------------------- the page, templates, command


def test_the_import_page_lists_the_capacity_kinds_with_their_templates(client, pmo):
    client.force_login(pmo)

    page = client.get(reverse("portfolio:import-start")).content.decode()

    for label, slug in [
        ("Teams", "teams"),
        ("Team members", "team-members"),
        ("Capacity overrides", "capacity-overrides"),
        ("Run demand", "run-demand"),
        ("Effort estimates", "effort"),
        ("Effort by month", "effort-months"),
    ]:
        assert f"<td>{label}</td>" in page
        assert reverse("portfolio:import-template", args=[slug, "xlsx"]) in page


@pytest.mark.parametrize("kind", KINDS)
def test_each_capacity_template_imports_its_example_row(world, client, pmo, kind):
    client.force_login(pmo)
    example = InitiativeFactory(code="ECOM-12", planned_start=D(2027, 1, 1), planned_end=D(2027, 2, 28))
    services.change_demand_create(
        user=pmo, initiative=example, data={"team": world["team"], "person_days": Decimal("4")}
    )
    content = body(client.get(reverse("portfolio:import-template", args=[kind, "xlsx"])))

    outcome = run_import(kind, content, pmo, filename="template.xlsx")

    assert (outcome.rows, outcome.problem_count, outcome.written) == (1, 0, True)


def test_the_command_imports_run_demand(world, tmp_path, capsys):
    path = tmp_path / "run.csv"
    path.write_bytes(valid_file("run-demand"))

    call_command("import_data", str(path), "--kind", "run-demand")

    assert "1 rows: 1 new, 0 changed" in capsys.readouterr().out
    assert RunDemand.objects.get(month=D(2027, 4, 1)).person_days == Decimal("8.0")


def test_the_command_refuses_a_bad_file_and_saves_nothing(world, tmp_path, capsys):
    before = snapshot()
    path = tmp_path / "run.csv"
    path.write_bytes(
        csv_file(["team", "month", "category", "person_days"], ["Data platform", "April", "support", "8"])
    )

    with pytest.raises(CommandError):
        call_command("import_data", str(path), "--kind", "run-demand")

    assert "row 2, month: Give a month as YYYY-MM" in capsys.readouterr().out
    assert snapshot() == before
