"""A template per kind of import: the headers, one example row, and what each column accepts."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase

from core.tabular import csv_response, xlsx_sheets_response
from portfolio.imports.engine import ImportKind

NOTES_HEADER = ["column", "meaning", "required", "accepts"]


def notes(kind: ImportKind) -> list[list[Any]]:
    """One row per column: its name, what it means, whether it is required, and what it accepts."""
    rows = []
    for spec in kind.fields:
        if spec.choices:
            accepts = "one of: " + ", ".join(f"{value} ({label})" for value, label in spec.choices)
        elif spec.is_date:
            accepts = "a date: 2026-03-31, 31/03/2026 or 31.03.2026 (or a date cell)"
        else:
            accepts = spec.accepts or "text or a number"
        rows.append([spec.name, spec.label, "yes" if spec.required else "no", accepts])
    return rows


def template_response(kind: ImportKind, fmt: str) -> HttpResponseBase:
    header = [spec.name for spec in kind.fields]
    example = [spec.example for spec in kind.fields]
    name = f"bearing-{kind.slug}-template"
    if fmt == "xlsx":
        return xlsx_sheets_response(
            name,
            [(kind.sheet or kind.label, header, [example]), ("Allowed values", NOTES_HEADER, notes(kind))],
        )
    note_rows = [
        [f"# {column}: {meaning}; required: {required}; accepts {accepts}"]
        for column, meaning, required, accepts in notes(kind)
    ]
    return csv_response(name, header, [example, *note_rows])
