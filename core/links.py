"""Links to records in bulk: reverse() once per kind of record, then string formatting per row."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

PK_SLOT = 999_999_999  # a key no URL pattern refuses, replaced by "{}" in the reversed URL


def url_pattern(name: str, *before: str) -> str:
    """The URL of `name` for any primary key, as a str.format() pattern ("/initiatives/{}/"). Arguments in
    `before` come ahead of the key and must satisfy their converters: for a second slot, pass a placeholder
    word and replace it with "{}" afterwards. Reversed once per process for each URLconf and script prefix
    (what reverse() depends on)."""
    return _pattern(name, before, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@cache
def _pattern(name: str, before: tuple[str, ...], _urlconf: object, _prefix: str) -> str:
    return reverse(name, args=[*before, PK_SLOT]).replace(str(PK_SLOT), "{}")
