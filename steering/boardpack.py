"""The board pack of a steering meeting: a print-ready HTML document (a one-page summary, the decisions, each
item to review with its charts, the items for noting) and the PDF printed from it by headless chromium, each
chart turned into a static vector image first. The live HTML view and the PDF come from the same template."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from django.db.models import F
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from alignment import benefits as portfolio_benefits
from alignment import charts, dashboard
from alignment import selectors as alignment_selectors
from alignment.models import ALL_SCOPE, PortfolioIndex, Signal
from core import jobs
from core.jobs import Progress, run_job
from core.links import url_pattern
from core.models import Job
from core.printing import print_assets, print_html, print_in_thread
from core.stages import Stage
from portfolio.benefit_sections import plan_figures
from portfolio.benefit_selectors import PlanResult, plan_owner, plan_results, plans
from portfolio.models import Contribution, Objective
from risk.models import Risk
from steering import rules
from steering.figures import by_severity, figure_changes, milestone_rows
from steering.models import ActionItem, AgendaItem, BoardPack, CheckpointReview, Decision, SteeringMeeting
from steering.services.agenda import booked_minutes, in_order
from steering.services.figures import initiative_figures

ASSETS = {
    "bootstrap": "vendor/bootstrap/bootstrap.min.css",
    "css": "css/bearing.css",
    "boardpack_css": "css/boardpack.css",
    "plotly_css": "vendor/plotly/plotly.css",
    "charts": "js/charts.js",
    "boardpack_js": "js/boardpack.js",
    "plotly": "vendor/plotly/plotly-bearing.min.js",
    "logo": "img/bearing.svg",
}
SUMMARY_SIGNALS = 6
SUMMARY_RISKS = 5
SUMMARY_CHART_HEIGHT = 190


def _kpi_panels(initiative_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """The KPIs each initiative's contributions name, by name, at most KPI_PANELS of them (dashboard.KPI_FIELDS
    rows): one query, whatever the number of initiatives."""
    panels: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    seen: dict[int, set[int]] = defaultdict(set)
    for initiative_id, *row in (
        Contribution.objects.filter(initiative_id__in=initiative_ids, kpi__isnull=False)
        .order_by("initiative_id", "kpi__name", "kpi_id")
        .values_list("initiative_id", *(f"kpi__{name}" for name in dashboard.KPI_FIELDS))
    ):
        kpis = panels[initiative_id]
        if row[0] not in seen[initiative_id] and len(kpis) < dashboard.KPI_PANELS:
            seen[initiative_id].add(row[0])
            kpis.append(tuple(row))
    return panels


def _item_charts(
    as_of: dict[int, datetime.date], codes_of: dict[int, str]
) -> dict[int, list[dict[str, Any]]]:
    """The charts of each item to review (initiative id -> the day they are drawn as of): the small multiples
    of the KPIs its contributions name, with their readings up to that day, the title saying the date of the
    latest reading drawn (not the day of the pack); and its score history. Six queries whatever the number of
    items (three fewer when no item's contributions name a KPI)."""
    panels = _kpi_panels(list(as_of))
    rows = {row[0]: row for kpis in panels.values() for row in kpis}
    codes = dict(Objective.objects.filter(pk__in={row[3] for row in rows.values()}).values_list("pk", "code"))
    series = dashboard.load_kpi_series(
        rows.values(), codes, today=max(as_of.values(), default=timezone.localdate())
    )
    history = alignment_selectors.score_history_points_of(as_of)
    found: dict[int, list[dict[str, Any]]] = {}
    for initiative_id, day in as_of.items():
        item_charts = []
        kpis = [
            replace(series[row[0]], readings=[r for r in series[row[0]].readings if r[0] <= day])
            for row in panels.get(initiative_id, [])
        ]
        if kpis:
            latest = max((r[0] for kpi in kpis for r in kpi.readings), default=None)
            readings = f"readings up to {latest.isoformat()}" if latest else "no reading yet"
            code = codes_of.get(initiative_id, "")
            item_charts.append(
                dashboard.chart_dict(
                    charts.kpi_small_multiples(
                        {"kpis": kpis},
                        url_pattern("portfolio:kpi-detail").format,
                        columns=min(3, len(kpis)),
                        title=f"KPIs {code} should move ({readings})",
                    ),
                    preview=50,
                )
            )
        points = history.get(initiative_id)
        if points:
            url = reverse("alignment:initiative-why", args=[initiative_id])
            item_charts.append(
                dashboard.chart_dict(charts.score_history({"points": points}, url), preview=50)
            )
        found[initiative_id] = item_charts
    return found


def _items(
    reviewed: list[AgendaItem],
    meeting: SteeringMeeting,
    today: datetime.date,
    live: dict[int, dict[str, Any]],
    previous: dict[int, CheckpointReview],
) -> list[dict[str, Any]]:
    """The agenda items to review: the frozen figures if it was reviewed (else the data as it is now), what
    changed since the initiative's previous review, its charts as of the review (or today) and the actions
    its decision set; a fixed number of queries, whatever the number of items."""
    as_of = {
        item.initiative_id: item.review.held_on if item.review else min(today, meeting.held_on)
        for item in reviewed
    }
    item_charts = _item_charts(as_of, {item.initiative_id: item.initiative.code for item in reviewed})
    actions: dict[int, list[ActionItem]] = defaultdict(list)
    for action in ActionItem.objects.filter(
        review_id__in=[i.review_id for i in reviewed if i.review_id]
    ).select_related("owner"):
        actions[cast(int, action.review_id)].append(action)  # not null: filtered
    items = []
    for item in reviewed:
        review = item.review
        figures = review.figures if review and review.figures else live.get(item.initiative_id, {})
        before = previous.get(item.initiative_id)
        items.append(
            {
                "item": item,
                "initiative": item.initiative,
                "review": review,
                "figures": figures,
                "signals": by_severity(figures.get("signals") or []),
                "milestones": milestone_rows(figures),
                "change": {
                    "previous": before,
                    "comparable": bool(before and before.figures),
                    "changes": figure_changes(before.figures, figures) if before and before.figures else [],
                },
                "charts": item_charts[item.initiative_id],
                "actions": actions.get(review.pk, []) if review else [],
            }
        )
    return items


def _summary_chart(chart: charts.Chart, title: str, **layout: Any) -> dict[str, Any]:
    """A portfolio chart drawn small for the one-page summary: a short title, tight margins."""
    figure = chart.figure
    figure["layout"] = {
        **figure["layout"],
        "title": {**figure["layout"]["title"], "text": title, "font": {"size": 12}},
        "margin": {"l": 48, "r": 8, "t": 28, "b": 36},
        **layout,
    }
    return dashboard.chart_dict(chart, preview=12)


def _portfolio_charts(index: PortfolioIndex | None) -> list[dict[str, Any]]:
    """The summary's two portfolio charts: the alignment index over time up to the latest indices, and the
    spend mix against its target on them."""
    if index is None:
        return []
    points = list(
        PortfolioIndex.objects.filter(scope=ALL_SCOPE, date__lte=index.date)
        .order_by("date")
        .values_list("date", "alignment_index")
    )
    register = reverse("portfolio:initiative-list")
    details = index.details or {}
    funded = index.funded_budget or 0.0
    mix = {
        "budget": {category: share * funded for category, share in (details.get("mix") or {}).items()},
        "target": details.get("target_mix") or {},
        "total": funded,
    }
    history = charts.alignment_history({"points": points}, register)
    spend = charts.category_mix(mix, lambda c: f"{register}?category={c}")
    axis = history.figure["layout"]["yaxis"]
    return [
        # on the full 0-100 scale: a board reads a move of a tenth of a point as what it is
        _summary_chart(
            history,
            "Alignment index (0-100)",
            showlegend=False,
            xaxis={**history.figure["layout"]["xaxis"], "title": {"text": ""}},
            yaxis={**axis, "title": {"text": ""}, "range": [0, 100]},
        ),
        _summary_chart(
            spend,
            "Spend mix against target (% of funded budget)",
            xaxis={**spend.figure["layout"]["xaxis"], "title": {"text": ""}},
            yaxis={**spend.figure["layout"]["yaxis"], "title": {"text": ""}},
        ),
    ]


def _benefits(agenda: list[AgendaItem], as_of: datetime.date) -> dict[str, Any]:
    """The benefits the pack shows as of a day: for each live initiative on the agenda (its post-implementation
    reviews), its plans' realisation, and the portfolio's money benefits summed (alignment.benefits). Ten
    queries at most whatever the agenda: the plans, their quarters, the contributions and readings of the
    derived plans' KPIs, and the portfolio view's six."""
    live = {
        item.initiative_id: item
        for item in agenda
        if item.initiative.stage == Stage.LIVE
        and item.initiative.go_live_date is not None
        and item.initiative.go_live_date <= as_of
    }
    found = list(plans().filter(line__case__initiative_id__in=list(live)))
    results = plan_results(found, as_of)
    by_initiative: dict[int, list[PlanResult]] = defaultdict(list)
    for plan in found:
        by_initiative[plan.line.case.initiative_id].append(results[plan.pk])
    initiatives = [
        {
            "item": item,
            "initiative": item.initiative,
            "plans": [
                {"result": result, "owner": plan_owner(result.plan), "figures": plan_figures(result)}
                for result in by_initiative.get(initiative_id, [])
            ],
        }
        for initiative_id, item in live.items()
    ]
    return {
        "as_of": as_of,
        "initiatives": initiatives,
        "portfolio": portfolio_benefits.benefits_view(as_of),
    }


def _why(item: AgendaItem, facts: dict[int, rules.AgendaFacts]) -> str:
    """Why an item is on the agenda, in the summary's few words: what the data flags (its importance's parts
    but the tier), or the reasons kept when it was decided."""
    fact = facts.get(item.initiative_id)
    if item.review_id is None and fact is not None and fact.flagged:
        return " · ".join(
            label for label, _points in fact.importance().parts if not label.startswith("tier ")
        )
    return "; ".join(item.reasons) or ("added by hand" if item.added_by_id else "")


def _top_signals(items: list[dict[str, Any]], noting: list[AgendaItem]) -> list[dict[str, Any]]:
    """The worst signals of the initiatives on the agenda (red first), each with its initiative's code."""
    signals = [
        {**signal, "code": entry["initiative"].code}
        for entry in items
        if not entry["review"]
        for signal in entry["signals"]
    ]
    if noting:
        live = Signal.objects.filter(initiative__in=[item.initiative_id for item in noting]).values_list(
            "initiative__code", "rule", "severity", "message"
        )
        signals += [
            {"code": code, "rule": rule, "severity": severity, "message": message}
            for code, rule, severity, message in live.order_by("initiative__code", "rule")
        ]
    return by_severity(signals)[:SUMMARY_SIGNALS]


def pack_context(meeting: SteeringMeeting, *, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the board pack shows for a meeting (a fixed number of queries, whatever the agenda): a one-page
    summary (the decisions needed, the top signals and risks, the portfolio's alignment index and spend mix),
    the decisions and actions, a section per item to review, and the items for noting in one table."""
    today = timezone.localdate()
    agenda = in_order(
        list(
            meeting.agenda.select_related(
                "initiative", "initiative__sponsor", "initiative__manager", "initiative__program", "review"
            )
        )
    )
    reviewed = [i for i in agenda if not i.for_noting]
    noting = [i for i in agenda if i.for_noting]
    decided = [i.review for i in agenda if i.review]
    live = initiative_figures([i.initiative for i in reviewed if not (i.review and i.review.figures)])
    previous: dict[int, CheckpointReview] = {}
    for review in CheckpointReview.objects.filter(
        initiative__in=[i.initiative_id for i in reviewed], held_on__lt=meeting.held_on
    ).order_by("initiative_id", "-held_on", "-pk"):
        previous.setdefault(review.initiative_id, review)
    index = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE, date__lte=meeting.held_on).order_by("-date").first()
        or PortfolioIndex.objects.filter(scope=ALL_SCOPE).order_by("-date").first()
    )
    items = _items(reviewed, meeting, today, live, previous)
    undecided = [i.initiative_id for i in agenda if i.review_id is None]
    facts = rules.agenda_facts(meeting.held_on, undecided) if undecided else {}
    decisions = Counter(r.decision for r in decided)
    benefits = _benefits(agenda, min(today, meeting.held_on))
    return {
        "meeting": meeting,
        "committee": meeting.committee,
        "attendees": list(meeting.attendees.order_by("first_name", "last_name")),
        "items": items,
        "noting": [
            {
                "item": i,
                "reasons": facts[i.initiative_id].reasons() if i.initiative_id in facts else i.reasons,
            }
            for i in noting
        ],
        "reasons": {
            entry["item"].pk: facts[entry["item"].initiative_id].reasons()
            if entry["item"].initiative_id in facts
            else entry["item"].reasons
            for entry in items
        },
        "booked": booked_minutes(agenda),
        "decisions": [(label, decisions[value]) for value, label in Decision.choices if decisions.get(value)],
        "decided": len(decided),
        "index": index,
        "portfolio_charts": _portfolio_charts(index),
        "why": {i.pk: _why(i, facts) for i in agenda},
        "chart_height": SUMMARY_CHART_HEIGHT,
        "benefits": benefits,
        "top_signals": _top_signals(items, noting),
        "top_risks": list(
            Risk.objects.active()
            .filter(initiative__in=[i.initiative_id for i in agenda])
            .select_related("initiative")
            .annotate(rank=F("probability") * F("impact"))
            .order_by("-rank", "initiative__code", "title")[:SUMMARY_RISKS]
        ),
        "actions": list(
            ActionItem.objects.filter(review__in=decided)
            .select_related("owner", "initiative")
            .order_by("due_date")
        ),
        "generated_at": timezone.now(),
        "back_url": meeting_url(meeting),
        "assets": assets or {key: static(path) for key, path in ASSETS.items()},
    }


def meeting_url(meeting: SteeringMeeting) -> str:
    try:
        return reverse("steering:meeting-detail", args=[meeting.pk])
    except NoReverseMatch:
        return reverse("portfolio:initiative-list")


def render_html(meeting: SteeringMeeting, *, assets: dict[str, str] | None = None) -> str:
    return render_to_string("steering/boardpack.html", pack_context(meeting, assets=assets))


def _print_assets() -> tuple[dict[str, str], dict[str, Path]]:
    """The static files under PRINT_ORIGIN: the URLs the pack links to, and the file behind each URL."""
    return print_assets(ASSETS)


def render_pdf(meeting: SteeringMeeting, *, progress: Callable[[int, str], None] | None = None) -> bytes:
    """Print the board pack to PDF with headless chromium (nothing leaves the machine, no file:// access)."""
    report = progress or (lambda percent, message: None)
    assets, files = _print_assets()
    html = render_html(meeting, assets=assets)
    footer = f"Bearing board pack · {meeting.committee.name} · {meeting.held_on.isoformat()}"
    report(30, "Drawing the charts and printing")
    # print_html looked up here, so a test can stand in for the browser (steering.boardpack.print_html)
    pdf = print_in_thread(html, footer, files, printer=print_html)
    report(90, "Printed")
    return pdf


def meeting_target(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def run_board_pack(*, meeting_id: int, job_id: int | None = None, user_id: int | None = None) -> int | None:
    """Print a meeting's board pack to PDF and store it; returns the new BoardPack's id (None when the job was
    no longer this message's to run: see alignment.services.run_job)."""

    def work(progress: Progress | None) -> int:
        meeting = SteeringMeeting.objects.select_related("committee").get(pk=meeting_id)
        if progress:
            progress(10, "Gathering the agenda, figures and charts")
        pdf = render_pdf(meeting, progress=progress)
        if progress:
            progress(95, "Storing the PDF")
        return BoardPack.objects.create(meeting=meeting, created_by_id=user_id, pdf=pdf, size=len(pdf)).pk

    return run_job(
        job_id,
        work,
        lambda pk: "Board pack ready",
        lambda pk: {"board_pack": pk},
    )


def _pack_link(job: Job) -> jobs.DoneLink | None:
    """A printed pack's download link, from the job's target (meeting:<id>)."""
    _, _, meeting_id = job.target.partition(":")
    if not meeting_id.isdigit():
        return None
    return jobs.DoneLink(reverse("steering:boardpack-pdf", args=[int(meeting_id)]), "Download the PDF", True)


BOARD_PACK = jobs.register_kind("board_pack", "Board pack", done_link=_pack_link)
