"""The objective tree's nodes as HTML, written in Python (core.markup): a tree of 150 objectives with their KPIs
is a few hundred cards."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.formatting import fixed, number, person
from core.links import url_pattern
from core.markup import e, plural
from portfolio.models import ObjectiveStatus
from portfolio.selectors import ObjectiveNode

register = template.Library()

THEME_BADGE = ' <span class="badge text-bg-light">Theme</span>'
RETIRED_BADGE = ' <span class="badge text-bg-secondary">Retired</span>'


class _Links:
    """The URLs the nodes link to, reversed once per page."""

    def __init__(self, branch: str) -> None:
        self.objective = url_pattern("portfolio:objective-detail")
        self.kpi = url_pattern("portfolio:kpi-detail")
        self.branch = branch  # the tree page, which shows the branch under ?root=


def _kpi(kpi: Any, links: _Links) -> str:
    if kpi.latest_value is not None:
        latest = (
            f"<strong>{e(number(kpi.latest_value))} {e(kpi.unit)}</strong> on {kpi.latest_date.isoformat()}"
        )
    else:
        latest = '<span class="badge text-bg-warning">no readings</span>'
    return (
        '<li class="my-1"><i class="bi bi-graph-up-arrow text-body-secondary" aria-hidden="true"></i> '
        f'<a href="{e(links.kpi.format(kpi.pk))}">{e(kpi.name)}</a>: {latest} '
        f'<span class="text-body-secondary">· baseline {e(number(kpi.baseline_value))}, '
        f"target {e(number(kpi.target_value))} {e(kpi.unit)} by {kpi.target_date.isoformat()}</span></li>"
    )


def _kpis(node: ObjectiveNode, links: _Links) -> str:
    if not node.kpis:
        return ""
    more = ""
    if node.more_kpis:
        more = (
            f'<li class="my-1 text-body-secondary">and {node.more_kpis} more {plural(node.more_kpis, "KPI")}: '
            f'<a href="{e(links.objective.format(node.objective.pk))}#kpis">all {node.kpi_count} on its page</a>'
            "</li>"
        )
    kpis = "".join(_kpi(kpi, links) for kpi in node.kpis)
    return f'<ul class="list-unstyled small mt-2 mb-0 ps-0 border-0">{kpis}{more}</ul>'


def _below(node: ObjectiveNode, links: _Links) -> str:
    """The children, or, for a node whose branch the tree folds, the link that opens it (htmx swaps it in)."""
    if node.children:
        return f"<ul>{_nodes(node.children, links)}</ul>"
    if not node.folded:
        return ""
    pk = int(node.objective.pk)
    url = e(f"{links.branch}?root={pk}")
    grandchildren = ""
    if node.grandchild_count:
        grandchildren = f" and their {node.grandchild_count} {plural(node.grandchild_count, 'sub-objective')}"
    return (
        f'<div id="branch-{pk}" class="ms-3 mb-2 small"><a href="{url}" hx-get="{url}" '
        f'hx-target="#branch-{pk}" hx-swap="outerHTML"><i class="bi bi-caret-right" aria-hidden="true"></i> '
        f"Show the {node.child_count} {plural(node.child_count, 'objective')} below it{grandchildren}</a></div>"
    )


def _node(node: ObjectiveNode, links: _Links) -> str:
    objective = node.objective
    theme = node.depth == 1
    horizon = f" · horizon to {objective.horizon_end.isoformat()}" if objective.horizon_end else ""
    badges = (THEME_BADGE if theme else "") + (
        RETIRED_BADGE if objective.status == ObjectiveStatus.RETIRED else ""
    )
    return (
        f'<li><div class="card {"border-primary-subtle " if theme else ""}mb-2"><div class="card-body py-2">'
        '<div class="d-flex flex-wrap justify-content-between align-items-center gap-2"><div>'
        f'<span class="text-body-secondary small fw-semibold">{e(objective.code)}</span> '
        f'<a class="{"fs-6 fw-semibold " if theme else ""}link-body-emphasis" '
        f'href="{e(links.objective.format(objective.pk))}">{e(objective.title)}</a>{badges}'
        f'<div class="small text-body-secondary">Owner {e(person(objective.owner))}{horizon} · '
        f"{node.initiative_count} contributing {plural(node.initiative_count, 'initiative')}</div></div>"
        f'<div class="text-end small"><div title="Global weight">Global <strong>{fixed(node.global_weight, 3)}'
        '</strong> <span class="weight-bar" aria-hidden="true">'
        f'<span style="width: {round(node.global_weight * 100)}%"></span></span></div>'
        f'<div class="text-body-secondary">Local {e(number(objective.local_weight))} → '
        f"{fixed(node.local_share, 2)} of parent</div></div></div>{_kpis(node, links)}</div></div>"
        f"{_below(node, links)}</li>"
    )


def _nodes(nodes: Iterable[ObjectiveNode], links: _Links) -> str:
    return "".join(_node(node, links) for node in nodes)


@register.simple_tag
def objective_nodes(nodes: Iterable[ObjectiveNode], branch_url: str) -> SafeString:
    """The `<li>` of each node with its KPIs and, below it, its children or the link opening its branch."""
    return mark_safe(_nodes(nodes, _Links(branch_url)))  # every value escaped above
