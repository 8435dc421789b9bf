"""Reading an uploaded table: CSV in its encodings and separators, workbooks read for their values (never
their formulas), dates in the common forms, and hostile files refused with a message before they are parsed."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook

from core import sheets
from core.sheets import FileRefused, as_date, read_table


def rows_of(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[object]]]]:
    table = read_table(content, filename)
    return table.header, list(table.rows)


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_utf8_csv_with_a_byte_order_mark_reads_its_header_without_the_mark():
    # given a CSV saved by a spreadsheet as "CSV UTF-8"
    content = "\ufeffcode,title\nA-1,Café\n".encode()

    # when it is read
    header, rows = rows_of(content, "list.csv")

    # then the mark is not part of the first column's name
    assert header == ["code", "title"]
    assert rows == [(2, ["A-1", "Café"])]


def test_a_cp1252_csv_separated_by_semicolons_is_decoded_and_split():
    # given a CSV as a European Excel saves it: Windows text, semicolons
    content = "code;title;budget_capex\nA-1;Caf\xe9 \x80 rollout;1500\n".encode("latin-1")

    # when it is read
    header, rows = rows_of(content, "list.CSV")

    # then the accented letter and the euro sign are read, and the semicolons split
    assert header == ["code", "title", "budget_capex"]
    assert rows == [(2, ["A-1", "Café € rollout", "1500"])]


def test_empty_rows_and_note_rows_are_skipped_and_row_numbers_stay_the_spreadsheets():
    content = b"code,title\n\nA-1,One\n# a note,\n,\nA-2,Two\n"

    header, rows = rows_of(content, "list.csv")

    assert rows == [(3, ["A-1", "One"]), (6, ["A-2", "Two"])]


def test_a_workbook_formula_is_read_as_its_cached_value_and_never_evaluated():
    # given a workbook whose cell holds a formula and the value the spreadsheet computed for it
    buffer = io.BytesIO(workbook(["code", "budget_capex"], ["A-1", 1]))
    archive = zipfile.ZipFile(buffer)
    files = {name: archive.read(name) for name in archive.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"].decode()
    files["xl/worksheets/sheet1.xml"] = sheet.replace(
        '<c r="B2" t="n"><v>1</v></c>', '<c r="B2"><f>SUM(1,2)*1000</f><v>3000</v></c>'
    ).encode()
    assert "<f>SUM" in files["xl/worksheets/sheet1.xml"].decode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rebuilt:
        for name, data in files.items():
            rebuilt.writestr(name, data)

    # when it is read
    header, rows = rows_of(out.getvalue(), "list.xlsx")

    # then the cell is the cached value, not the formula's text
    assert rows == [(2, ["A-1", 3000])]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.BEARING_IMPORT_MAX_BYTES = 100

    with pytest.raises(FileRefused, match="the limit is 100 bytes"):
        read_table(b"code,title\n" + b"A-1,x\n" * 30, "list.csv")


def test_a_file_over_the_row_limit_is_refused_while_it_is_read(settings):
    settings.BEARING_IMPORT_MAX_ROWS = 3
    table = read_table(b"code\nA-1\nA-2\nA-3\nA-4\n", "list.csv")

    with pytest.raises(FileRefused, match="more than 3 rows"):
        list(table.rows)


def test_a_file_named_xlsx_that_is_not_a_zip_is_refused():
    with pytest.raises(FileRefused, match="not an Excel workbook"):
        read_table(b"code,title\nA-1,x\n", "list.xlsx")


def test_a_file_of_another_kind_is_refused():
    with pytest.raises(FileRefused, match=r"\.xlsx\) or a CSV"):
        read_table(b"%PDF-1.4", "list.pdf")


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_any_sheet_is_parsed(settings):
    # given a workbook whose sheet inflates a thousandfold (a zip bomb in miniature)
    settings.BEARING_IMPORT_MAX_UNZIPPED_BYTES = 10_000_000
    buffer = io.BytesIO(workbook(["code"], ["A-1"]))
    archive = zipfile.ZipFile(buffer)
    files = {name: archive.read(name) for name in archive.namelist()}
    files["xl/worksheets/sheet2.xml"] = b" " * 20_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as rebuilt:
        for name, data in files.items():
            rebuilt.writestr(name, data)
    assert len(out.getvalue()) < 100_000

    # when it is read, then it is refused
    with pytest.raises(FileRefused, match="zip bomb"):
        read_table(out.getvalue(), "bomb.xlsx")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>
</sheetData></worksheet>"""


def test_a_billion_laughs_sheet_is_refused_by_the_protected_xml_parser():
    # given a workbook whose sheet declares entities that expand to gigabytes
    buffer = io.BytesIO(workbook(["code"], ["A-1"]))
    archive = zipfile.ZipFile(buffer)
    files = {name: archive.read(name) for name in archive.namelist()}
    files["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rebuilt:
        for name, data in files.items():
            rebuilt.writestr(name, data)

    # when it is read, then it is refused with a message, having expanded nothing
    with pytest.raises(FileRefused, match=r"holds XML that is refused \(entity declarations\)"):
        read_table(out.getvalue(), "laughs.xlsx")


def test_workbooks_are_parsed_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-31", "2026-03-31"),
        ("31/03/2026", "2026-03-31"),
        ("31.03.2026", "2026-03-31"),
        (datetime.date(2026, 3, 31), "2026-03-31"),
        (datetime.datetime(2026, 3, 31, 0, 0), "2026-03-31"),
        (46112, "2026-03-31"),
        ("46112", "2026-03-31"),
        ("", ""),
        (None, ""),
        ("31st March", None),
        ("2026-02-30", None),
        ("2026-1-5", "2026-01-05"),
        ("0000-01-01", None),
        ("2026-13-01", None),
        (-5, None),
    ],
)
def test_dates_are_read_in_the_common_forms_and_excel_serials(value, expected):
    assert as_date(value) == expected


def test_the_limits_have_defaults():
    assert (sheets.max_bytes(), sheets.max_rows()) == (20 * 1024 * 1024, 100_000)


def test_utf8_is_recognised_a_step_at_a_time_even_when_a_character_straddles_two_steps(monkeypatch):
    # given steps of 3 bytes, so that "é" (2 bytes) is cut in two
    monkeypatch.setattr(sheets, "DECODE_STEP", 3)
    content = "code,title\nA-1,Zé\n".encode()

    header, rows = rows_of(content, "list.csv")

    assert rows == [(2, ["A-1", "Zé"])]


def test_a_byte_that_is_not_utf8_late_in_the_file_makes_the_whole_file_cp1252(monkeypatch):
    monkeypatch.setattr(sheets, "DECODE_STEP", 4)
    content = "code,title\nA-1,Zé\n".encode() + b"A-2,Caf\xe9\n"

    header, rows = rows_of(content, "list.csv")

    assert rows == [(2, ["A-1", "ZÃ©"]), (3, ["A-2", "Café"])]
