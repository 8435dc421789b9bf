"""The worklist's tables, written in Python (portfolio.worklist.table_html)."""

from __future__ import annotations

import datetime

from django import template
from django.utils.safestring import SafeString, mark_safe

from portfolio.worklist import CheckResult, table_html

register = template.Library()


@register.simple_tag
def worklist_table(result: CheckResult, today: datetime.date) -> SafeString:
    return mark_safe(table_html(result, today))  # noqa: S308 - every value escaped by table_html
