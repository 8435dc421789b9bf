"""Importing initiatives: each row checked by the initiative form and the service's stage rules, problems at
their row and column, all rows or none (or only the valid ones, when chosen), upserted by code, history
reasons naming the file, and a second import of the same file changing nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core import roles
from core.errors import NotAllowed
from core.stages import Stage
from portfolio.imports.engine import suggest_mapping
from portfolio.imports.registry import KINDS
from portfolio.models import Initiative
from tests.factories import InitiativeFactory, UserFactory
from tests.portfolio.import_support import csv_file, problems, run_import, xlsx_file

D = datetime.date
HEADER = [
    "code",
    "title",
    "program",
    "category",
    "stage",
    "sponsor",
    "manager",
    "planned_start",
    "planned_end",
    "budget_capex",
]


@pytest.fixture
def people(executive, manager, pmo, program):
    return {"executive": executive, "manager": manager, "pmo": pmo, "program": program}


def test_new_initiatives_are_created_with_their_references_resolved_by_name(today, people):
    # given a file of two initiatives naming a program, a sponsor and a manager
    content = csv_file(
        HEADER,
        [
            "NEW-1",
            "Loyalty app",
            "Digital commerce",
            "grow",
            "approved",
            "exec",
            "manager",
            "2026-01-15",
            "31/12/2026",
            "250000",
        ],
        ["NEW-2", "Data lake", "", "transform", "idea", "", "", "", "", ""],
    )

    # when the PMO imports it
    outcome = run_import("initiatives", content, people["pmo"])

    # then both exist as written, nothing is reported
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.problem_count) == (2, 0, 0, 0)
    loyalty = Initiative.objects.get(code="NEW-1")
    assert (loyalty.title, loyalty.program, loyalty.sponsor, loyalty.manager) == (
        "Loyalty app",
        people["program"],
        people["executive"],
        people["manager"],
    )
    assert (loyalty.stage, loyalty.planned_start, loyalty.planned_end, loyalty.budget_capex) == (
        Stage.APPROVED,
        D(2026, 1, 15),
        D(2026, 12, 31),
        Decimal("250000.00"),
    )
    assert loyalty.stage_since == D(2025, 12, 16)  # inferred from the planned start, as loaded data is
    lake = Initiative.objects.get(code="NEW-2")
    assert (lake.stage, lake.program, lake.budget_capex, lake.criticality, lake.stage_since) == (
        Stage.IDEA,
        None,
        Decimal("0"),
        3,
        today,
    )


def test_each_new_and_changed_initiative_has_a_history_row_naming_the_file(today, people):
    InitiativeFactory(code="OLD-1", title="Old title", sponsor=people["executive"], stage=Stage.IDEA)
    content = csv_file(["code", "title"], ["OLD-1", "New title"], ["NEW-1", "Fresh"])

    run_import("initiatives", content, people["pmo"], filename="march.csv")

    history = Initiative.history.filter(history_change_reason="Imported from march.csv")
    assert sorted(history.values_list("code", "title", "history_type", "history_user__username")) == [
        ("NEW-1", "Fresh", "+", "pmo"),
        ("OLD-1", "New title", "~", "pmo"),
    ]


def test_an_existing_initiative_keeps_the_columns_the_file_does_not_have_and_its_version_moves_on(
    today, people
):
    # given an initiative and a file that only retitles it
    old = InitiativeFactory(
        code="OLD-1", title="Old", sponsor=people["executive"], program=people["program"], budget_capex=5
    )

    # when it is imported
    outcome = run_import("initiatives", csv_file(["code", "title"], ["OLD-1", "Renamed"]), people["pmo"])

    # then only the title changed, and its version moved on
    old_version = old.version
    old.refresh_from_db()
    assert (outcome.updated, old.title, old.program, old.sponsor, old.budget_capex) == (
        1,
        "Renamed",
        people["program"],
        people["executive"],
        Decimal("5.00"),
    )
    assert old.version == old_version + 1


def test_importing_the_same_file_twice_changes_nothing_the_second_time_and_adds_no_history(today, people):
    content = csv_file(
        HEADER,
        [
            "NEW-1",
            "Loyalty app",
            "Digital commerce",
            "grow",
            "approved",
            "exec",
            "manager",
            "2026-01-15",
            "2026-12-31",
            "250000",
        ],
    )
    run_import("initiatives", content, people["pmo"])
    history_rows = Initiative.history.count()
    version = Initiative.objects.get(code="NEW-1").version

    outcome = run_import("initiatives", content, people["pmo"])

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 1)
    assert Initiative.history.count() == history_rows == 1
    assert Initiative.objects.get(code="NEW-1").version == version


def test_problems_are_reported_at_their_row_and_column_with_the_value_and_nothing_is_saved(today, people):
    # given a file where three rows are wrong in different ways
    content = csv_file(
        ["Code", "Name", "Stage", "Sponsor", "Programme", "Start", "Budget CapEx"],
        ["OK-1", "Fine", "idea", "", "", "", ""],
        ["BAD-1", "Wrong stage", "someday", "", "", "", ""],
        ["BAD-2", "Unknown people", "idea", "nobody", "No such program", "", "-5"],
        ["BAD-3", "Bad date", "idea", "", "", "31st March", ""],
    )

    # when it is imported
    outcome = run_import("initiatives", content, people["pmo"])

    # then every problem is at its row and column, and not even the good row was saved
    assert problems(outcome) == [
        [
            3,
            "Stage",
            "someday",
            "Select a valid choice. someday is not one of the available choices. Allowed: idea, proposed, approved, "
            "in_delivery, live, closed, cancelled.",
        ],
        [4, "Programme", "No such program", "No program is named “No such program”."],
        [4, "Sponsor", "nobody", "No executive has the username “nobody”."],
        [4, "Budget CapEx", "-5", "Ensure this value is greater than or equal to 0."],
        [5, "Start", "31st March", "Not a date: enter a date such as 2026-03-31, 31/03/2026 or 31.03.2026."],
    ]
    assert (outcome.created, outcome.invalid_rows, outcome.written) == (1, 3, False)
    assert not Initiative.objects.exists()


def test_only_the_valid_rows_are_imported_when_that_is_chosen(today, people):
    content = csv_file(["code", "title", "stage"], ["OK-1", "Fine", "idea"], ["BAD-1", "Wrong", "someday"])

    outcome = run_import("initiatives", content, people["pmo"], only_valid=True)

    assert (outcome.created, outcome.invalid_rows, outcome.written) == (1, 1, True)
    assert list(Initiative.objects.values_list("code", flat=True)) == ["OK-1"]


def test_the_models_rules_apply_as_on_the_form(today, people):
    # an approved initiative needs a sponsor and planned dates (Initiative.clean)
    content = csv_file(["code", "title", "stage"], ["APP-1", "Approved", "approved"])

    outcome = run_import("initiatives", content, people["pmo"])

    assert problems(outcome) == [
        [2, "sponsor", "", "Every initiative past the idea stage needs an executive sponsor."],
        [2, "planned_start", "", "An approved initiative needs a planned start."],
        [2, "planned_end", "", "An approved initiative needs a planned end."],
    ]


def test_a_code_twice_in_a_file_is_a_problem_at_the_second_row(today, people):
    content = csv_file(["code", "title"], ["DUP-1", "First"], ["dup-1", "Second"], ["DUP-1", "Third"])

    outcome = run_import("initiatives", content, people["pmo"])

    assert problems(outcome) == [
        [3, "code", "dup-1", "Row 2 has the same code; each may appear once in a file."],
        [4, "code", "DUP-1", "Row 2 has the same code; each may appear once in a file."],
    ]
    assert not Initiative.objects.exists()


def test_a_formula_looking_title_is_stored_as_the_text_it_is(today, people):
    content = csv_file(["code", "title"], ["F-1", '=HYPERLINK("http://evil.example","x")'])

    run_import("initiatives", content, people["pmo"])

    assert Initiative.objects.get(code="F-1").title == '=HYPERLINK("http://evil.example","x")'


def test_a_workbook_with_date_cells_and_numbers_imports_like_its_csv(today, people):
    content = xlsx_file(
        ["code", "title", "stage", "sponsor", "planned_start", "planned_end", "budget_capex"],
        ["X-1", "Workbook", "approved", "exec", D(2026, 2, 1), 46387, 1234.5],
    )

    outcome = run_import("initiatives", content, people["pmo"], filename="list.xlsx")

    assert outcome.problem_count == 0
    record = Initiative.objects.get(code="X-1")
    assert (record.planned_start, record.planned_end, record.budget_capex) == (
        D(2026, 2, 1),
        D(2026, 12, 31),
        Decimal("1234.50"),
    )


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_imports(db, today, persona):
    with pytest.raises(NotAllowed):
        run_import("initiatives", csv_file(["code", "title"], ["N-1", "No"]), persona)
    assert not Initiative.objects.exists()


def test_an_admin_imports(today, admin_user):
    outcome = run_import("initiatives", csv_file(["code", "title"], ["N-1", "Yes"]), admin_user)
    assert outcome.created == 1


def test_columns_are_matched_by_field_name_label_or_synonym():
    header = ["Code", "Name", "Budget CapEx", "Owner", "Programme", "Go-live", "Notes"]

    assert suggest_mapping(KINDS["initiatives"], header) == {
        "Code": "code",
        "Name": "title",
        "Budget CapEx": "budget_capex",
        "Owner": "manager",
        "Programme": "program",
        "Go-live": "go_live_date",
        "Notes": "",
    }


def test_a_sponsor_who_is_not_an_executive_is_refused_as_on_the_form(today, people):
    UserFactory(username="plain", roles=[roles.MANAGER])
    content = csv_file(["code", "title", "sponsor"], ["S-1", "Sponsor", "plain"])

    outcome = run_import("initiatives", content, people["pmo"])

    assert problems(outcome) == [[2, "sponsor", "plain", "No executive has the username “plain”."]]


def test_a_problem_in_a_later_chunk_undoes_the_chunks_already_written(today, people, monkeypatch):
    # given chunks of two rows, and a problem in the third chunk
    monkeypatch.setattr("portfolio.imports.engine.CHUNK", 2)
    rows = [["code", "title", "stage"]] + [[f"C-{n}", f"Row {n}", "idea"] for n in range(5)]
    rows[5][2] = "someday"

    # when the file is imported
    outcome = run_import("initiatives", csv_file(*rows), people["pmo"])

    # then the four good rows, written in the first two chunks, are undone with the rest
    assert (outcome.created, outcome.invalid_rows, outcome.written) == (4, 1, False)
    assert not Initiative.objects.exists()
    assert not Initiative.history.exists()


def test_a_file_over_the_row_limit_is_refused_and_nothing_is_saved(today, people, settings):
    from core.sheets import FileRefused

    settings.BEARING_IMPORT_MAX_ROWS = 2
    content = csv_file(["code", "title"], ["A-1", "One"], ["A-2", "Two"], ["A-3", "Three"])

    with pytest.raises(FileRefused, match="more than 2 rows"):
        run_import("initiatives", content, people["pmo"])

    assert not Initiative.objects.exists()


def test_prioritisation_inputs_import_and_a_mandatory_one_needs_its_reason(today, people):
    # given urgency, the mandatory flag (as the register's export writes it) and WSJF's parts
    header = [
        "code",
        "title",
        "urgency",
        "mandatory",
        "mandatory_reason",
        "wsjf_business_value",
        "wsjf_job_size",
    ]
    content = csv_file(
        header,
        ["REG-1", "Records retention", "5", "true", "Records law", "3", "8"],
        ["OPT-1", "Nice to have", "2", "false", "", "", ""],
        ["BAD-1", "No reason", "4", "true", "", "13", "7"],
    )

    # when
    outcome = run_import("initiatives", content, people["pmo"], only_valid=True)

    # then the valid rows are written; the mandatory one without a reason and the size off the scale are named
    assert (outcome.created, outcome.problem_count) == (2, 2)
    assert sorted(problem[1] for problem in problems(outcome)) == ["mandatory_reason", "wsjf_job_size"]
    regulated = Initiative.objects.get(code="REG-1")
    assert (regulated.urgency, regulated.mandatory, regulated.mandatory_reason) == (5, True, "Records law")
    assert (regulated.wsjf_business_value, regulated.wsjf_job_size) == (3, 8)
    assert Initiative.objects.get(code="OPT-1").mandatory is False
