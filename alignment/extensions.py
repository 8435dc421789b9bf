"""What the alignment app adds to portfolio pages: scores and tier on the register and on the initiative page."""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from alignment import selectors
from alignment.models import TierChoices
from core.extensions import PageSection, RegisterColumn, registry
from portfolio.models import KPI, Initiative, Objective

# what the register's cells never show: left out, so that sorting thousands of rows does not carry them
SCORE_DETAIL = ("missing", "fit_points", "links", "risk_cells", "digest")


def _with_score(rows: Any) -> Any:
    return rows.select_related("score").defer(*(f"score__{name}" for name in SCORE_DETAIL))


def _score(initiative: Initiative) -> Any:
    return getattr(initiative, "score", None)  # no row yet: the reverse one-to-one raises AttributeError


def _tier_cell(initiative: Initiative) -> str:
    score = _score(initiative)
    if score is None or not score.tier:
        return mark_safe('<td class="text-nowrap"><span class="text-body-secondary">—</span></td>')
    return format_html(
        '<td class="text-nowrap"><span class="badge tier-badge tier-{}" title="{}">T{}</span></td>',
        score.tier,
        score.get_tier_display(),
        score.tier,
    )


def _alignment_cell(initiative: Initiative) -> str:
    score = _score(initiative)
    if score is None or not score.computed_at:
        return mark_safe(
            '<td class="num text-nowrap"><span class="text-body-secondary" title="Not computed yet">—</span></td>'
        )
    stale = (
        mark_safe(
            ' <i class="bi bi-hourglass-split text-body-secondary" title="Being recomputed"'
            ' aria-label="being recomputed"></i>'
        )
        if score.stale
        else ""
    )
    return format_html(
        '<td class="num text-nowrap"><span class="score-pill">{}</span>{}</td>',
        floatformat(score.alignment, 0),
        stale,
    )


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
        )
    )
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
