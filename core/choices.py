"""Long lists of choices kept short: a filter that names one program, person or objective among thousands
shows the first SHOWN of them (and the one chosen), with a search box that asks the server for the others
(`choice_options`), so that no page grows with the portfolio.

A source is registered once, by the module that defines the forms using it, and names what its options are
read from: a queryset in display order, the fields its labels are made of, and those a search looks in.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Q

SHOWN = 50  # options a long list shows at once; a list of up to this many shows them all, with no search box
SEARCH_MAX_LENGTH = 100
MAX_WORDS = 5
MAX_ID_DIGITS = 18  # a key of more digits is no record's (and would overflow the database's bigint)


@dataclass(frozen=True)
class ChoiceSource:
    key: str
    queryset: Callable[[], models.QuerySet[Any]]
    label_fields: tuple[str, ...]
    label_from: Callable[[Sequence[Any]], str] | None = None
    noun: str = "records"  # plural, as the search box says it: "Type to find other programs"
    # what a typed word is looked for in (by default any label field); each word typed must be found
    matches: Callable[[str], Q] | None = None

    def label(self, values: Sequence[Any]) -> str:
        if self.label_from is not None:
            return self.label_from(values)
        return " ".join(str(value) for value in values)

    def word_matches(self, word: str) -> Q:
        if self.matches is not None:
            return self.matches(word)
        return reduce(or_, (Q(**{f"{name}__icontains": word}) for name in self.label_fields))

    def options(self, query: str = "", selected: Sequence[str] = ()) -> tuple[list[tuple[str, str]], bool]:
        """Up to SHOWN (value, label) pairs in display order, those in which every word of `query` is found
        (case-insensitive) when one is given, and the selected ones whatever they are; and whether more
        match. Two queries whatever the size of the list."""
        rows = self.queryset()
        for word in query.split()[:MAX_WORDS]:
            rows = rows.filter(self.word_matches(word))
        first = list(rows.values_list("pk", *self.label_fields)[: SHOWN + 1])
        more = len(first) > SHOWN
        first = first[:SHOWN]
        shown = {str(row[0]) for row in first}
        wanted = [pk for pk in selected if pk.isdigit() and len(pk) <= MAX_ID_DIGITS and pk not in shown]
        chosen = (
            list(self.queryset().filter(pk__in=wanted).values_list("pk", *self.label_fields))
            if wanted
            else []
        )
        return [(str(pk), self.label(values)) for pk, *values in [*chosen, *first]], more


_sources: dict[str, ChoiceSource] = {}


def register_source(source: ChoiceSource) -> ChoiceSource:
    _sources[source.key] = source
    return source


def source(key: str) -> ChoiceSource | None:
    return _sources.get(key)


def source_keys() -> list[str]:
    return sorted(_sources)


def options_html(
    options: Sequence[tuple[str, str]],
    selected: Sequence[str],
    *,
    empty_label: str | None,
    more: bool,
    searched: bool = False,
) -> str:
    """The <option> elements of a long list: the empty choice, the options, and a line that says more
    match when some were left out. Every label and value escaped."""
    chosen = set(selected)
    parts = [] if empty_label is None else [f'<option value="">{html.escape(empty_label)}</option>']
    for value, label in options:
        mark = " selected" if value in chosen else ""
        chosen.discard(value)  # as Django: only the first option of a value is selected
        parts.append(f'\n  <option value="{html.escape(value)}"{mark}>{html.escape(label)}</option>')
    if more:
        hint = "more match: type more of the name" if searched else "more: type in the box below to find them"
        parts.append(f'\n  <option value="" disabled>… {hint}</option>')
    elif searched and not options:
        parts.append('\n  <option value="" disabled>None match</option>')
    return "".join(parts)


def person_matches(word: str) -> Q:
    """A person is found by a word of their name, or of their username when they have no name (the label
    shows the username then, and only then: a search does not reveal the usernames of people with names)."""
    return (
        Q(first_name__icontains=word)
        | Q(last_name__icontains=word)
        | Q(first_name="", last_name="", username__icontains=word)
    )
