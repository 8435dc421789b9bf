"""What the alignment app adds to portfolio pages: scores and tier on the register and on the initiative page."""

from __future__ import annotations

from html import escape
from typing import Any

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from alignment import selectors, track_record
from alignment.engine import status
from alignment.models import TierChoices
from core.extensions import PageSection, RegisterColumn, registry
from core.formatting import fixed
from core.tabular import Column
from core.templatetags.bearing import rag_badge
from portfolio.models import KPI, Initiative, Objective

# what the register's cells never show: left out, so that sorting thousands of rows does not carry them
SCORE_DETAIL = ("missing", "fit_points", "links", "risk_cells", "digest")


def _with_score(rows: Any) -> Any:
    return rows.select_related("score").defer(*(f"score__{name}" for name in SCORE_DETAIL))


def _score(initiative: Initiative) -> Any:
    return getattr(initiative, "score", None)  # no row yet: the reverse one-to-one raises AttributeError


# The register's cells are made with plain string formatting, every text escaped with html.escape (what
# Django's escape does): fifty rows of five such columns through format_html cost several milliseconds.


def _tier_cell(initiative: Initiative) -> str:
    score = _score(initiative)
    if score is None or not score.tier:
        return mark_safe('<td class="text-nowrap"><span class="text-body-secondary">—</span></td>')
    tier = int(score.tier)
    label = escape(str(score.get_tier_display()))
    return mark_safe(
        f'<td class="text-nowrap"><span class="badge tier-badge tier-{tier}" title="{label}">T{tier}</span></td>'
    )


def _alignment_cell(initiative: Initiative) -> str:
    score = _score(initiative)
    if score is None or not score.computed_at:
        return mark_safe(
            '<td class="num text-nowrap"><span class="text-body-secondary" title="Not computed yet">—</span></td>'
        )
    stale = (
        ' <i class="bi bi-hourglass-split text-body-secondary" title="Being recomputed"'
        ' aria-label="being recomputed"></i>'
        if score.stale
        else ""
    )
    words = escape(score.confidence_words(initiative.stage))
    # the confidence is the score's title; a score of low confidence says so with a mark, and to readers
    unsure = (
        f' <i class="bi bi-exclamation-circle confidence-mark" title="{words}" aria-hidden="true"></i>'
        f'<span class="visually-hidden"> {words}</span>'
        if score.confidence == "low"
        else ""
    )
    return mark_safe(
        f'<td class="num text-nowrap"><span class="score-pill" title="{words}">{fixed(score.alignment, 0)}</span>'
        f"{unsure}{stale}</td>"
    )


STATUS_ICONS = {
    "green": "●",
    "amber": "▲",
    "red": "■",
}  # as core's rag_badge: the shape says it without colour


def status_words(score: Any) -> str:
    """The current status in words: "Schedule amber, cost amber, scope green, benefits red (suggested by the
    data)" or "... (review of 2026-11-01)"; "" when none is kept."""
    pairs = status.read(score.status) if score is not None else []
    if not pairs:
        return ""
    words = ", ".join(f"{dimension} {rag}" for dimension, rag in pairs)
    source = f"review of {score.status_review:%Y-%m-%d}" if score.status_review else "suggested by the data"
    return f"{words[0].upper()}{words[1:]} ({source})"


def _status_cell(initiative: Initiative) -> str:
    score = _score(initiative)
    pairs = status.read(score.status) if score is not None else []
    if not pairs:
        return mark_safe('<td class="text-nowrap"><span class="text-body-secondary">—</span></td>')
    words = escape(status_words(score))
    suggested = "" if score.status_review else " rag-suggested"
    dots = "".join(
        f'<span class="rag-dot rag-{rag}" aria-hidden="true">{STATUS_ICONS[rag]}</span>'
        for _dimension, rag in pairs
    )
    return mark_safe(
        f'<td class="text-nowrap"><span class="rag-status{suggested}" title="{words}">{dots}</span>'
        f'<span class="visually-hidden">{words}</span></td>'
    )


def status_header(initiative: Initiative) -> str:
    """The initiative header's current status: a badge per dimension and where it comes from."""
    score = _score(initiative)
    pairs = status.read(score.status) if score is not None else []
    if not pairs:
        return ""
    source = (
        format_html(
            'from the <a href="#checkpoints">review of {}</a>', date_format(score.status_review, "j M Y")
        )
        if score.status_review
        else "suggested by the data: no review since the last checkpoint fell due"
    )
    return format_html(
        '<div class="status-line d-flex flex-wrap align-items-center gap-1"><span class="small fw-semibold">Status'
        '</span> {} <span class="small text-body-secondary">{}</span></div>',
        format_html_join(" ", "{}", ((rag_badge(rag, dimension.capitalize()),) for dimension, rag in pairs)),
        source,
    )


# the register's status filter: what the stored letters must hold
STATUS_FILTERS = {
    "red": ("Any red", lambda rows: rows.filter(score__status__contains="r")),
    "amber": (
        "Amber or red",
        lambda rows: rows.filter(Q(score__status__contains="a") | Q(score__status__contains="r")),
    ),
    "green": ("All green", lambda rows: rows.filter(score__status="gggg")),
}


def _status_letter(index: int) -> Any:
    return lambda stored: status.FROM_LETTER[stored[index]] if stored and len(stored) == 4 else ""


# the register's export: the status per dimension in words, and the day of the review it comes from (empty:
# suggested by the data)
STATUS_EXPORT = (
    *(
        Column(f"status_{name}", "score__status", _status_letter(i))
        for i, name in enumerate(status.DIMENSIONS)
    ),
    Column("status_review", "score__status_review"),
)


def _unsure_words(unsure: Any) -> str:
    """The components missing or stale, as the export says them: "outcome missing; delivery stale"."""
    if not isinstance(unsure, dict):
        return ""
    return "; ".join(f"{name} {state}" for name, state in unsure.items())


# the register's export: the scores, and how sure they are (engine.confidence): high, medium or low (empty for
# an idea or a proposal, judged on fit alone) and the components judged that are missing or stale
SCORE_EXPORT = (
    Column("alignment", "score__alignment"),
    Column("fit", "score__fit"),
    Column("outcome", "score__outcome"),
    Column("delivery", "score__delivery"),
    Column("governance", "score__governance"),
    Column("tier", "score__tier"),
    Column("confidence", "score__confidence"),
    Column("confidence_gaps", "score__unsure", _unsure_words),
)


def _filter_status(rows: Any, value: str) -> Any:
    return STATUS_FILTERS[value][1](rows)


def _filter_tier(rows: Any, value: str) -> Any:
    return rows.filter(score__tier=int(value))


def alignment_section(initiative: Initiative, user: Any) -> dict[str, Any]:
    return selectors.initiative_scorecard(initiative)


def objective_section(objective: Objective, user: Any) -> dict[str, Any]:
    return selectors.objective_scorecard(objective)


def kpi_section(kpi: KPI, user: Any) -> dict[str, Any]:
    return selectors.kpi_scorecard(kpi)


def register() -> None:
    registry.add_column(
        RegisterColumn(
            "tier",
            "Tier",
            10,
            _with_score,
            _tier_cell,
            sort_field="score__tier",
            filter_choices=tuple((str(value), label) for value, label in TierChoices.choices),
            apply_filter=_filter_tier,
        )
    )
    registry.add_column(
        RegisterColumn(
            "alignment",
            "Alignment",
            20,
            _with_score,
            _alignment_cell,
            sort_field="score__alignment",
            numeric=True,
            export=SCORE_EXPORT,
        )
    )
    registry.add_column(
        RegisterColumn(
            "status",
            "Status",
            21,  # after the alignment score, before the business case's figures
            _with_score,
            _status_cell,
            filter_choices=tuple((value, label) for value, (label, _rows) in STATUS_FILTERS.items()),
            apply_filter=_filter_status,
            export=STATUS_EXPORT,
        )
    )
    registry.add_hook(registry.header_parts, status_header)
    registry.add_hook(registry.header_parts, track_record.sponsor_header)
    registry.add_section(
        PageSection("alignment", "Alignment", 15, "alignment/_initiative_alignment.html", alignment_section)
    )
    registry.add_section(
        PageSection(
            "alignment",
            "Alignment",
            10,
            "alignment/_objective_alignment.html",
            objective_section,
            page="objective",
        )
    )
    registry.add_section(
        PageSection("status", "Status", 10, "alignment/_kpi_status.html", kpi_section, page="kpi")
    )
