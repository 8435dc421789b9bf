"""Extension points that let apps built on the portfolio add to its pages without the portfolio importing them.

The risk app adds the risk register section to the initiative page; the alignment app adds scores and tiers
to the register and the initiative page. Each app registers its extensions in AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

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


# A snapshot provider adds what it knows about an initiative to a checkpoint review's frozen snapshot.
SnapshotProvider = Callable[["Initiative"], dict[str, Any]]
# An agenda source proposes initiatives for a meeting on a date: (initiative id, reason shown to the chair).
AgendaSource = Callable[[Any], list[tuple[int, str]]]
# A RAG suggester proposes, per dimension (schedule, cost, scope, benefits), a RAG and the reason.
RagSuggester = Callable[["Initiative"], dict[str, tuple[str, str]]]
# A stage gate may refuse moving an initiative to a stage: it returns the reason, or None to let it pass.
StageGate = Callable[["Initiative", str], str | None]

# Each returns the historical querysets (simple-history) of records that belong to the initiative.
HistorySource = Callable[["Initiative"], list["QuerySet[Any]"]]


@dataclass
class Registry:
    sections: dict[tuple[str, str], PageSection] = field(default_factory=dict)
    columns: dict[str, RegisterColumn] = field(default_factory=dict)
    history_sources: list[HistorySource] = field(default_factory=list)
    child_kinds: dict[str, ChildKind] = field(default_factory=dict)
    snapshot_providers: list[SnapshotProvider] = field(default_factory=list)
    agenda_sources: list[AgendaSource] = field(default_factory=list)
    rag_suggesters: list[RagSuggester] = field(default_factory=list)
    stage_gates: list[StageGate] = field(default_factory=list)

    def add_hook(self, hooks: list[Any], hook: Any) -> None:
        """Register a snapshot provider, agenda source, RAG suggester or stage gate (once)."""
        if hook not in hooks:
            hooks.append(hook)

    def add_child_kind(self, kind: ChildKind) -> None:
        self.child_kinds[kind.slug] = kind

    def add_section(self, section: PageSection) -> None:
        self.sections[(section.page, section.key)] = section

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

    def ordered_columns(self) -> list[RegisterColumn]:
        return sorted(self.columns.values(), key=lambda c: c.order)


registry = Registry()
