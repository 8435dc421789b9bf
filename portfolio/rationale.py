"""What counts as a real rationale for a contribution: the one definition that the contribution's validation
(at the field, when it is saved) and the worklist's "contributions without a real rationale" check share.

A rationale says how the initiative moves the objective. Blank, a placeholder ("TBD", "n/a", "…"), fewer
than MIN_LENGTH characters or fewer than MIN_WORDS words says nothing. The database applies the same rule
(`problem_expression`, stored as Contribution.rationale_problem) for the worklist; the word rule is one regular expression that Python, SQLite (Django's REGEXP is
Python's re.search) and PostgreSQL (`~`) read alike.
"""

from __future__ import annotations

import re

from django.db.models import Case, CharField, F, Func, Q, TextField, Value, When
from django.db.models.functions import Length, Lower
from django.db.models.lookups import Exact, In, LessThan, Regex

MIN_LENGTH = 15
MIN_WORDS = 3
PLACEHOLDERS = (
    "tbd",
    "tba",
    "tbc",
    "todo",
    "to do",
    "n/a",
    "na",
    "none",
    "-",
    "--",
    "?",
    "...",
    "…",
    "see above",
    "same as above",
    "xxx",
)
WHITESPACE = " \t\r\n"
# three words: something, a gap, something, a gap, something
THREE_WORDS = r"\S\s+\S+\s+\S"

BLANK, PLACEHOLDER, SHORT, FEW_WORDS = "blank", "placeholder", "short", "few words"


def problem(text: str | None) -> str | None:
    """Why `text` is not a real rationale (BLANK, PLACEHOLDER, SHORT, FEW_WORDS), or None when it is one."""
    trimmed = (text or "").strip(WHITESPACE)
    if not trimmed:
        return BLANK
    if trimmed.lower() in PLACEHOLDERS:
        return PLACEHOLDER
    if len(trimmed) < MIN_LENGTH:
        return SHORT
    if not re.search(THREE_WORDS, trimmed):
        return FEW_WORDS
    return None


def message(text: str | None) -> str | None:
    """The message shown at the rationale field, or None when the rationale is a real one."""
    found = problem(text)
    if found is None:
        return None
    ask = "Say why this initiative moves this objective"
    if found == BLANK:
        return f"{ask}; a contribution needs a rationale."
    trimmed = (text or "").strip(WHITESPACE)
    if found == PLACEHOLDER:
        return f"“{trimmed}” is a placeholder, not a rationale. {ask}."
    if found == SHORT:
        return f"{ask}, in at least {MIN_LENGTH} characters (this has {len(trimmed)})."
    return f"{ask}, in at least {MIN_WORDS} words."


class TrimWhitespace(Func):
    """TRIM of spaces, tabs and line breaks; plain TRIM strips spaces only. Same SQL on SQLite and PostgreSQL."""

    function = "TRIM"
    output_field = TextField()

    def __init__(self, expression: object) -> None:
        super().__init__(expression, Value(WHITESPACE))


def trimmed_length() -> Length:
    """The rationale's length without the whitespace around it, in SQL (what the worklist shows of a short one)."""
    return Length(TrimWhitespace(F("rationale")))


def problem_expression() -> Case:
    """`problem` of the row's rationale as one SQL expression of the rationale alone, which the database
    stores beside it (Contribution.rationale_problem, a generated column) so that the worklist finds the few
    contributions lacking a rationale through an index instead of testing every rationale of the portfolio."""
    return Case(
        When(Exact(trimmed_length(), 0), then=Value(BLANK)),
        When(In(Lower(TrimWhitespace(F("rationale"))), PLACEHOLDERS), then=Value(PLACEHOLDER)),
        When(LessThan(trimmed_length(), MIN_LENGTH), then=Value(SHORT)),
        When(~Q(Regex(F("rationale"), THREE_WORDS)), then=Value(FEW_WORDS)),
        default=Value(None),
        output_field=CharField(max_length=12),
    )
