"""Building files to import in a test: CSV text and workbooks from rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from portfolio.imports.engine import Outcome, import_table
from portfolio.imports.registry import KINDS


def csv_file(*rows: list[Any], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def xlsx_file(*rows: list[Any]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(
    kind: str,
    content: bytes,
    user: Any,
    *,
    write: bool = True,
    only_valid: bool = False,
    filename: str = "initiatives.csv",
    mapping: dict[str, str] | None = None,
) -> Outcome:
    return import_table(
        KINDS[kind], content, filename, mapping, user=user, write=write, only_valid=only_valid
    )


def problems(outcome: Outcome) -> list[list[Any]]:
    return [problem.as_list() for problem in outcome.problems]
