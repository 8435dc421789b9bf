"""Reading an uploaded table (.xlsx or .csv) without trusting it: the one reader of every import.

A spreadsheet is a zip of XML files, so a hostile one can be a zip bomb (a few kilobytes that inflate to
gigabytes) or carry XML entity tricks (a "billion laughs" entity that expands to gigabytes). Before anything
is parsed, the zip's directory is read and the declared uncompressed size of each entry is checked against a
limit, and openpyxl is made to parse with defusedxml (it does so when defusedxml is installed, unless
OPENPYXL_DEFUSEDXML says otherwise: then nothing is read). Workbooks are read in openpyxl's read-only mode
with `data_only=True`: a formula is read as the value the spreadsheet last computed, never evaluated here.

CSV files are decoded as UTF-8 (with or without a byte order mark), else cp1252, and split on commas or
semicolons, whichever the header line uses. Rows are read one at a time in both formats, so a file of
100,000 rows is never held in memory as cells.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from core.errors import ApplicationError

NOTE_MARK = "#"  # a row whose first cell starts with it is a note, not data (no key starts with it)
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CSV_EXTENSIONS = (".csv", ".txt")


class FileRefused(ApplicationError):
    """The file cannot be read as a table (its kind, size, rows or contents); nothing was imported."""


def max_bytes() -> int:
    return int(getattr(settings, "BEARING_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "BEARING_IMPORT_MAX_ROWS", 100_000))


def max_unzipped_bytes() -> int:
    return int(getattr(settings, "BEARING_IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024))


@dataclass
class Table:
    """A file's header (as text, stripped) and its rows: (row number as the spreadsheet shows it, cells)."""

    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]


def file_format(filename: str) -> str:
    name = filename.lower()
    if name.endswith(XLSX_EXTENSIONS):
        return "xlsx"
    if name.endswith(CSV_EXTENSIONS):
        return "csv"
    raise FileRefused("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")


def read_table(content: bytes, filename: str) -> Table:
    """The table in an uploaded file, checked before it is parsed: size, kind, and for a workbook the zip's
    declared sizes. Raises FileRefused with what is wrong; rows beyond the row limit raise it while read."""
    if len(content) > max_bytes():
        raise FileRefused(
            f"The file is {len(content):,} bytes; the limit is {max_bytes():,} bytes. Split it and import "
            "the parts one after the other."
        )
    if not content:
        raise FileRefused("The file is empty.")
    if file_format(filename) == "xlsx":
        return _read_xlsx(content)
    return _read_csv(content)


def _limited(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """Rows with at least one value, at most the row limit of them (then FileRefused)."""
    limit = max_rows()
    count = 0
    for number, cells in rows:
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        if cells and isinstance(cells[0], str) and cells[0].startswith(NOTE_MARK):
            continue  # a note (a template's list of allowed values), not data
        count += 1
        if count > limit:
            raise FileRefused(
                f"The file has more than {limit:,} rows, the limit; split it and import the parts one after "
                "the other."
            )
        yield number, cells


def _header(cells: list[Any]) -> list[str]:
    header = [str(cell).strip() if cell is not None else "" for cell in cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise FileRefused("The first row must hold the column names (for example code, title, stage).")
    return header


# --------------------------------------------------------------------------------------- xlsx


def _read_xlsx(content: bytes) -> Table:
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # an environment that turned the safe XML parser off: read nothing
        raise FileRefused("Workbooks cannot be read safely on this server (its XML parser is not protected).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(
            "This is not an Excel workbook (.xlsx), though its name says so. Save it as .xlsx or CSV."
        ) from None
    unzipped = sum(entry.file_size for entry in entries)
    if unzipped > max_unzipped_bytes() or any(
        entry.compress_size and entry.file_size / entry.compress_size > 1000 for entry in entries
    ):
        raise FileRefused(
            "The workbook unpacks to far more than it weighs (a zip bomb, or a sheet too large to import)."
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
    except FileRefused:
        raise
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML and entity errors)
        raise FileRefused(
            "This workbook could not be read: it is damaged, protected, or holds XML that is refused "
            "(entity declarations). Save it again as .xlsx, or as CSV."
        ) from None
    if first is None:
        raise FileRefused("The workbook's first sheet is empty.")
    header = _header(list(first))

    def cells() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(rows, start=2):
                yield number, list(row[: len(header)])
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(
                "This workbook could not be read to its end: it is damaged or holds XML that is refused."
            ) from None
        finally:
            book.close()

    return Table(header, _limited(cells()))


# --------------------------------------------------------------------------------------- csv


def _encoding(content: bytes) -> str:
    """utf-8-sig (a byte order mark dropped) when the whole file is UTF-8, else cp1252: checked a megabyte at
    a time, so the text is never held whole besides the file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), DECODE_STEP):
            decoder.decode(view[start : start + DECODE_STEP])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


DECODE_STEP = 1 << 20


def _read_csv(content: bytes) -> Table:
    if b"\x00" in content[:4096]:
        raise FileRefused("This is not a CSV text file. Save it as CSV (UTF-8) or .xlsx.")
    encoding = _encoding(content)
    end = content.find(b"\n", 0, 65536)
    first_line = content[: end if end >= 0 else 65536].decode(encoding, errors="replace")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, errors="replace", newline="")
    csv.field_size_limit(1_000_000)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        first = next(reader, None)
    except csv.Error:
        raise FileRefused("The CSV file could not be read (an unclosed quote?).") from None
    if first is None:
        raise FileRefused("The file is empty.")
    header = _header(list(first))

    def cells() -> Iterator[tuple[int, list[Any]]]:
        try:
            for row in reader:
                cells = [cell if cell.strip() else None for cell in row[: len(header)]]
                yield reader.line_num, cells
        except csv.Error:
            raise FileRefused(
                f"The CSV file could not be read after line {reader.line_num} (an unclosed quote?)."
            ) from None

    return Table(header, _limited(cells()))


# --------------------------------------------------------------------------------------- cell values

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_HELP = "a date such as 2026-03-31, 31/03/2026 or 31.03.2026"
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def as_text(value: Any) -> str:
    """A cell as the text a form field reads: numbers without a spurious `.0`, dates in ISO."""
    if type(value) is str:  # most cells, and every cell of a CSV
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def as_date(value: Any) -> str | None:
    """A date cell as ISO text: a date, an Excel serial number, or text in a common format. None when it is
    not a date."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _serial(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(Decimal(text))
    text = text.split("T", 1)[0].split(" ", 1)[0]
    if ISO_DATE.fullmatch(text):  # the commonest form, read without strptime (a twentieth of its time)
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            pass  # not a day of the calendar: as strptime would say, below
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def _serial(value: int | float | Decimal) -> str | None:
    try:
        days = int(value)
    except (ValueError, OverflowError, InvalidOperation):
        return None
    if not 1 <= days <= 2_958_465:  # 1900-01-01 to 9999-12-31
        return None
    return (EXCEL_EPOCH + datetime.timedelta(days=days)).isoformat()
