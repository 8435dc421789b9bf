"""Calendar months as capacity counts them: a month is the date of its first day; its working days are its
weekdays (Monday to Friday). Public holidays, leave and hiring are a team's per-month override."""

from __future__ import annotations

import calendar
import datetime
import re

MONTH_RE = re.compile(r"\A(\d{4})-(\d{2})\Z")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def first_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every month from `first`'s to `last`'s, both included (empty when last is before first)."""
    start, end = first_of(first), first_of(last)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return [add_months(start, i) for i in range(max(0, count))]


def working_days(month: datetime.date) -> int:
    """Weekdays (Monday to Friday) in the month: 20 to 23."""
    days = calendar.monthrange(month.year, month.month)[1]
    return sum(1 for d in range(1, days + 1) if datetime.date(month.year, month.month, d).weekday() < 5)


def parse_month(text: str) -> datetime.date | None:
    """A month written YYYY-MM (2027-03), or None when it is not one (or outside 2000-2100)."""
    found = MONTH_RE.match(text.strip()) if isinstance(text, str) else None
    if not found:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def label(month: datetime.date) -> str:
    """ "March 2027"."""
    return f"{calendar.month_name[month.month]} {month.year}"


def short(month: datetime.date) -> str:
    """ "2027-03"."""
    return f"{month.year:04d}-{month.month:02d}"
