from __future__ import annotations


class IdConverter:
    """A database id: 1 to 18 digits, so an oversized number is a 404 rather than a database error."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class ExportFormatConverter:
    """The format of a list's download: csv or xlsx (anything else is a 404)."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
