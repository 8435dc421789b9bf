"""Which kinds of import there are: the portfolio's register here at start-up, and apps above it (risk)
register theirs the same way."""

from __future__ import annotations

from portfolio.imports.engine import ImportKind

KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    KINDS[kind.slug] = kind
    return kind


def kind_choices() -> list[tuple[str, str]]:
    return [(slug, kind.label) for slug, kind in sorted(KINDS.items(), key=lambda item: item[1].order)]


def field_choices(kind: ImportKind) -> list[tuple[str, str]]:
    return [("", "(ignore this column)"), *((f.name, f"{f.label} ({f.name})") for f in kind.fields)]
