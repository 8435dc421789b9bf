"""Extension points that let apps built on the portfolio add to its pages without the portfolio importing them.

The risk app adds the risk register section to the initiative page; the alignment app adds scores and tiers
to the register and the initiative page. Each app registers its extensions in AppConfig.ready().
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from core.tabular import Column
    from portfolio.models import Initiative


@dataclass(frozen=True)
class PageSection:
    """A section of a record's page ("initiative", "objective" or "kpi"): its anchor key, title, position,
    template and context builder, called with the record and the user."""

    key: str
    title: str
    order: int
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
    page: str = "initiative"


@dataclass(frozen=True)
class RegisterColumn:
    """A column of the initiative register.

    `annotate` adds the value (and anything its cell needs) to the register queryset with a fixed number of
    subqueries, so the page's query count does not grow with the data; `sort_field` names the annotation the
    column sorts by.
    """

    key: str
    label: str
    order: int
    annotate: Callable[[QuerySet[Any]], QuerySet[Any]]
    cell: Callable[[Any], str]  # the column's <td> for one initiative, as escaped HTML (format_html)
    sort_field: str | None = None
    numeric: bool = False
    filter_choices: tuple[tuple[str, str], ...] = ()  # offered as a register filter when not empty
    apply_filter: Callable[[QuerySet[Any], str], QuerySet[Any]] | None = None
    export: tuple[Column, ...] = ()  # what the register's export adds for the column (read-only columns)


@dataclass(frozen=True)
class ChildKind:
    """A kind of record that belongs to an initiative and is edited from its page (milestones, risks, ...).

    The services do the work and check permissions again; `rule` decides whether the page offers the form.
    """

    slug: str
    noun: str
    section: str
    model: type[Any]
    form: type[Any]
    create: Callable[..., Any]  # (user=, initiative=, data=)
    update: Callable[..., Any]  # (user=, pk=, version=, data=)
    delete: Callable[..., Any]  # (user=, pk=, version=)
    rule: Callable[[Any, Initiative], bool]


@dataclass(frozen=True)
class ReviewFact:
    """A checkpoint review as the engine reads it: the steering app records reviews, the engine scores
    delivery confidence, governance and the sponsor-absence signal from them."""

    id: int
    initiative_id: int
    held_on: datetime.date
    rags: tuple[str, str, str, str]  # schedule, cost, scope, benefits (core.models.RAG values)
    decision: str
    attendee_ids: frozenset[int]


# The reviews held up to a day, of some initiatives (None: all), newest first per initiative.
ReviewSource = Callable[[Collection[int] | None, datetime.date], Iterable[ReviewFact]]


# A stage gate may refuse moving an initiative to a stage: it returns the reason, or None to let it pass.
StageGate = Callable[["Initiative", str], str | None]


@dataclass(frozen=True)
class WorklistCheck:
    """One data-quality rule of the PMO's worklist: its selector, what the page says about it, who answers
    for a row and the form that fixes it. The portfolio registers the checks on entered data alone; an app
    above it registers a check whose rule it owns (the alignment engine's sustainment-owner rule and policy).

    `select(filters, today)` returns the offending records as a queryset (one query whatever the size);
    `cells(row, today)` writes the `<td>` elements of the `columns` that describe a row (a worklist row: its
    record, responsible person, fix link and days), every value escaped; the page adds the responsible
    person's column and the fix link's."""

    key: str
    title: str
    explanation: str | Callable[[], str]  # a callable when it names a threshold read at run time
    responsible_label: str
    fix_label: str
    order: int
    columns: tuple[str, ...]
    cells: Callable[[Any, datetime.date], str]
    select: Callable[[Any, datetime.date], QuerySet[Any]]
    responsible: Callable[[Any], Any]
    may_fix: Callable[[Any, Any], bool]
    fix_url: Callable[[Any], str]
    days: Callable[[Any, datetime.date], int | None] = lambda _record, _today: None


# What an app adds to the header of an initiative's page, as escaped HTML (format_html), or "" for nothing.
HeaderPart = Callable[["Initiative"], str]

# Each returns the historical querysets (simple-history) of records that belong to the initiative.
HistorySource = Callable[["Initiative"], list["QuerySet[Any]"]]


@dataclass
class Registry:
    sections: dict[tuple[str, str], PageSection] = field(default_factory=dict)
    columns: dict[str, RegisterColumn] = field(default_factory=dict)
    history_sources: list[HistorySource] = field(default_factory=list)
    child_kinds: dict[str, ChildKind] = field(default_factory=dict)
    stage_gates: list[StageGate] = field(default_factory=list)
    review_sources: list[ReviewSource] = field(default_factory=list)
    worklist_checks: dict[str, WorklistCheck] = field(default_factory=dict)
    header_parts: list[HeaderPart] = field(default_factory=list)

    def reviews(self, initiative_ids: Collection[int] | None, today: datetime.date) -> Iterator[ReviewFact]:
        """Every registered source's reviews, as they come (none when no app records reviews)."""
        for source in self.review_sources:
            yield from source(initiative_ids, today)

    def add_hook(self, hooks: list[Any], hook: Any) -> None:
        """Register a stage gate, a review source or a header part (once)."""
        if hook not in hooks:
            hooks.append(hook)

    def add_child_kind(self, kind: ChildKind) -> None:
        self.child_kinds[kind.slug] = kind

    def add_section(self, section: PageSection) -> None:
        self.sections[(section.page, section.key)] = section

    def add_worklist_check(self, check: WorklistCheck) -> None:
        self.worklist_checks[check.key] = check

    def ordered_worklist_checks(self) -> list[WorklistCheck]:
        return sorted(self.worklist_checks.values(), key=lambda c: c.order)

    def add_column(self, column: RegisterColumn) -> None:
        self.columns[column.key] = column

    def add_history_source(self, source: HistorySource) -> None:
        if source not in self.history_sources:
            self.history_sources.append(source)

    def ordered_sections(self, page: str = "initiative") -> list[PageSection]:
        return sorted((s for s in self.sections.values() if s.page == page), key=lambda s: s.order)

    def render_sections(
        self, page: str, record: Any, base: dict[str, Any], request: Any
    ) -> list[tuple[PageSection, str]]:
        """Each section of the page with its HTML, rendered with the page's base context plus its own."""
        from django.template.loader import render_to_string

        return [
            (
                section,
                render_to_string(
                    section.template, {**base, **section.context(record, request.user)}, request
                ),
            )
            for section in self.ordered_sections(page)
        ]

    def header(self, initiative: Initiative) -> str:
        """What the apps add to an initiative's header, in the order they registered ("" when none adds)."""
        from django.utils.html import format_html_join

        parts = [html for html in (part(initiative) for part in self.header_parts) if html]
        return format_html_join(" ", "{}", ((html,) for html in parts))

    def ordered_columns(self) -> list[RegisterColumn]:
        return sorted(self.columns.values(), key=lambda c: c.order)


registry = Registry()
