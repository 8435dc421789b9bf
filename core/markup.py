"""Markup written in Python for the pages that list many rows (the register, the worklist, the objective
tree): the template engine takes several times longer to render a table of a hundred rows (a variable lookup,
a filter and an autoescape per cell) than formatting the same markup here.

Every value goes through `e`, `html.escape` (what Django's `escape` does, without its lazy-string checks,
which cost more than the escaping itself at this volume); the markup around the values is fixed."""

from __future__ import annotations

from html import escape
from typing import Any


def e(value: Any) -> str:
    """A value as text in HTML, escaped."""
    return escape(str(value))


def plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def td(content: str, css: str = "") -> str:
    """A table cell around markup already escaped, with its class when it has one."""
    return f'<td class="{css}">{content}</td>' if css else f"<td>{content}</td>"
