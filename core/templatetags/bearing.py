"""Formatting shared by every page: money, percentages, people, badges and sortable headers (the values
themselves are formatted by core.formatting, which the audit trail uses too)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("money_full", formatting.money_full)
register.filter("number", formatting.number)
register.filter("person", formatting.person)
currency_symbol = formatting.currency_symbol
money = formatting.money
money_full = formatting.money_full
number = formatting.number
person = formatting.person


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}%"


@register.filter
def signed_pct(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "—"
    number = float(value)
    text = f"{abs(number):.{int(digits)}f}"
    sign = "" if float(text) == 0 else "+" if number > 0 else "−"
    return f"{sign}{text}%"


STAGE_TONES = {
    "idea": "light",
    "proposed": "info",
    "approved": "primary",
    "in_delivery": "primary",
    "live": "success",
    "closed": "secondary",
    "cancelled": "secondary",
}
STRENGTH_TONES = {"none": "light", "weak": "warning", "moderate": "info", "strong": "success"}
RAG_TONES = {"green": "success", "amber": "warning", "red": "danger"}


# A badge depends on the value alone: each is formatted once per process and reused, since tables show
# hundreds (get_FOO_display() rebuilds the field's choices on every call). The labels are not translated.
_STAGE_BADGES: dict[str, str] = {}
_STRENGTH_BADGES: dict[str, str] = {}


@register.simple_tag
def stage_badge(initiative: Any) -> str:
    badge = _STAGE_BADGES.get(initiative.stage)
    if badge is None:
        tone = STAGE_TONES.get(initiative.stage, "secondary")
        badge = _STAGE_BADGES[initiative.stage] = format_html(
            '<span class="badge rounded-pill {} stage-badge">{}</span>',
            "text-bg-" + tone,
            initiative.get_stage_display(),
        )
    return badge


@register.simple_tag
def strength_badge(contribution: Any) -> str:
    badge = _STRENGTH_BADGES.get(contribution.strength)
    if badge is None:
        tone = STRENGTH_TONES.get(contribution.strength, "secondary")
        bars = {"none": 0, "weak": 1, "moderate": 2, "strong": 3}.get(contribution.strength, 0)
        meter = "".join("●" if i < bars else "○" for i in range(3))
        badge = _STRENGTH_BADGES[contribution.strength] = format_html(
            '<span class="badge text-bg-{}" title="Strength: {}"><span aria-hidden="true">{} </span>{}</span>',
            tone,
            contribution.get_strength_display(),
            meter,
            contribution.get_strength_display(),
        )
    return badge


@register.simple_tag
def rag_badge(value: str, label: str = "") -> str:
    tone = RAG_TONES.get(value, "secondary")
    words = {"green": "Green", "amber": "Amber", "red": "Red"}
    icons = {"green": "●", "amber": "▲", "red": "■"}
    return format_html(
        '<span class="badge text-bg-{} rag"><span aria-hidden="true">{} </span>{}{}</span>',
        tone,
        icons.get(value, "?"),
        f"{label}: " if label else "",
        words.get(value, value or "—"),
    )


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, key: str, label: str, numeric: bool = False) -> str:
    """A column header that sorts by `key` (and flips direction when it already does), keeping the filters."""
    request: HttpRequest = context["request"]
    current = context.get("sort") or "code"
    active = current.lstrip("-") == key
    descending = current.startswith("-")
    target = f"-{key}" if active and not descending else key
    query = request.GET.copy()
    query["sort"] = target
    query.pop("page", None)
    arrow = ("▼" if descending else "▲") if active else ""
    aria = ("descending" if descending else "ascending") if active else "none"
    return format_html(
        '<th scope="col" aria-sort="{}" class="{}"><a href="?{}" hx-get="?{}" hx-target="#results" '
        'hx-push-url="true" class="sort-link">{} <span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        aria,
        "text-end" if numeric else "",
        query.urlencode(),
        query.urlencode(),
        label,
        arrow,
    )


EXPORT_FORMATS = (("csv", "CSV"), ("xlsx", "Excel (.xlsx)"))
NOT_FILTERS = ("page", "per_page")  # what the query string holds besides the filters


@register.simple_tag(takes_context=True)
def export_links(context: template.Context, url_name: str, **extra: Any) -> str:
    """The download links of a list, CSV and .xlsx, with the filters the page shows: its query string less the
    page number; or, on a record's page, only the filters given (`extra`: e.g. the objective of the page)."""
    query = QueryDict(mutable=True)
    if extra:
        query.update({name: str(value) for name, value in extra.items() if value not in (None, "")})
    else:
        query = context["request"].GET.copy()
        for name in NOT_FILTERS:
            query.pop(name, None)
    suffix = f"?{query.urlencode()}" if query else ""
    links = format_html_join(
        "",
        '<a class="btn btn-sm btn-outline-secondary" href="{}" download>'
        '<i class="bi bi-download" aria-hidden="true"></i> {}</a>',
        ((reverse(url_name, args=[fmt]) + suffix, label) for fmt, label in EXPORT_FORMATS),
    )
    return format_html(
        '<div class="btn-group export-links" role="group" aria-label="{}">{}</div>',
        "Download this list",
        links,
    )


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, page_number: int) -> str:
    query = context["request"].GET.copy()
    query["page"] = page_number
    return "?" + query.urlencode()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, None)


@register.filter
def subtract_from(value: Any, total: Any) -> Any:
    """`{{ x|subtract_from:1 }}` is 1 - x."""
    try:
        return round(float(total) - float(value), 6)
    except (TypeError, ValueError):
        return ""


@register.filter
def pct_of(value: Any, digits: int = 0) -> str:
    """A ratio shown as a percentage: 0.25 -> 25%."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def with_pk(pattern: str, pk: Any) -> str:
    """A link from a url_pattern() for this primary key: one reverse() serves a page of rows."""
    return pattern.format(pk)


@register.simple_tag
def register_cell(column: Any, initiative: Any) -> str:
    """An extension column's cell on the register (rendered in Python: fifty rows per page)."""
    return column.cell(initiative)
