"""What counts as a real rationale for a contribution: the one definition that the contribution's validation
(at the field, when it is saved) and the worklist's "contributions without a real rationale" check share.

A rationale says how the initiative moves the objective. Blank, a placeholder ("TBD", "n/a", "…"), fewer
than MIN_LENGTH characters or fewer than MIN_WORDS words says nothing. The worklist applies the same rule in
SQL (`problem_annotations`); the word rule is one regular expression that Python, SQLite (Django's REGEXP is
Python's re.search) and PostgreSQL (`~`) read alike.
"""

from __future__ import annotations

import re

from django.db.models import Case, CharField, Func, Q, TextField, Value, When
from django.db.models.functions import Length, Lower

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


def problem_annotations() -> dict[str, object]:
    """Annotations that put `problem` on each contribution in SQL: rationale_length (trimmed), rationale_word
    (trimmed, lower case), rationale_words (at least MIN_WORDS words) and reason (None when real)."""
    return {
        "rationale_length": Length(TrimWhitespace("rationale")),
        "rationale_word": Lower(TrimWhitespace("rationale")),
        "rationale_words": Case(
            When(rationale__regex=THREE_WORDS, then=Value(True)),
            default=Value(False),
        ),
    }


def reason_annotation() -> Case:
    """Which rule a contribution's rationale fails, after problem_annotations(); None when it is real."""
    return Case(
        When(rationale_length=0, then=Value(BLANK)),
        When(rationale_word__in=PLACEHOLDERS, then=Value(PLACEHOLDER)),
        When(rationale_length__lt=MIN_LENGTH, then=Value(SHORT)),
        When(rationale_words=False, then=Value(FEW_WORDS)),
        default=Value(None),
        output_field=CharField(),
    )


def lacking() -> Q:
    """The contributions whose rationale is not a real one (after problem_annotations())."""
    return Q(rationale_length__lt=MIN_LENGTH) | Q(rationale_word__in=PLACEHOLDERS) | Q(rationale_words=False)
