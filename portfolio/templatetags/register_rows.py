"""The register's rows as HTML, written in Python (core.markup): a page of up to a hundred initiatives with a
dozen cells each. The extension columns' cells are made the same way (core.extensions.RegisterColumn.cell)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.extensions import RegisterColumn
from core.formatting import EMPTY, money, person
from core.markup import e
from core.templatetags.bearing import stage_badge
from portfolio.models import Category

register = template.Library()

CATEGORIES = {str(value): e(label) for value, label in Category.choices}


def row_html(initiative: Any, columns: Sequence[RegisterColumn], detail_url: str) -> str:
    """One initiative's row: code and title linking to its page, its program, stage, category, sponsor, the
    extension columns' cells, total budget and planned end."""
    href = e(detail_url.format(initiative.pk))
    program = initiative.program
    program_line = f'<div class="muted">{e(program.name)}</div>' if program is not None else ""
    category = CATEGORIES.get(initiative.category) or e(initiative.category)
    end = initiative.planned_end
    cells = "".join(column.cell(initiative) for column in columns)
    return (
        f'<tr>\n        <td class="text-nowrap"><a href="{href}" class="fw-semibold">{e(initiative.code)}</a></td>'
        f'\n        <td class="title-cell"><a href="{href}" class="link-body-emphasis text-decoration-none">'
        f"{e(initiative.title)}</a>{program_line}</td>"
        f"\n        <td>{stage_badge(initiative)}</td>"
        f"\n        <td>{category}</td>"
        f'\n        <td class="text-nowrap">{e(person(initiative.sponsor))}</td>'
        f"\n        {cells}"
        f'\n        <td class="num">{e(money(initiative.budget_total))}</td>'
        f'\n        <td class="text-nowrap">{end.isoformat() if end is not None else EMPTY}</td>'
        "\n      </tr>"
    )


@register.simple_tag
def register_rows(
    initiatives: Iterable[Any], columns: Sequence[RegisterColumn], detail_url: str
) -> SafeString:
    return mark_safe("\n      ".join(row_html(i, columns, detail_url) for i in initiatives))  # noqa: S308 - escaped above
