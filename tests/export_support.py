"""Reading a list's download in a test: the CSV as rows of text, the workbook as rows of typed cells."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body(response: Any) -> bytes:
    """The whole body of a response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(body(response).decode("utf-8"))))


def xlsx_cells(response: Any) -> list[list[Any]]:
    """The workbook's one sheet as rows of openpyxl cells (value, data_type, is_date)."""
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(body(response)))
    assert len(book.worksheets) == 1
    return [list(row) for row in book.worksheets[0].iter_rows()]


def xlsx_values(response: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in xlsx_cells(response)]


def download_counts(client: Any, url: str, query: dict[str, Any] | None = None) -> tuple[int, int]:
    """(queries, data rows) of one download read to its end: the queries include the session's and the
    user's, which are the same for every download."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
        content = body(response)
    assert response.status_code == 200, content[:500]
    if response["Content-Type"] == XLSX:
        return len(captured), load_workbook(io.BytesIO(content)).worksheets[0].max_row - 1
    return len(captured), len(list(csv.reader(io.StringIO(content.decode("utf-8"))))) - 1
