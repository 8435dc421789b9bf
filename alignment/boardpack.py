"""The board pack of a steering meeting: a print-ready HTML document (summary, each agenda item with its
charts, the decisions) and the PDF printed from it by headless chromium, each chart turned into a static
vector image first. The live HTML view and the PDF come from the same template."""

from __future__ import annotations

import datetime
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from alignment import charts, dashboard
from alignment.models import ALL_SCOPE, PortfolioIndex, ScoreHistory
from portfolio.links import url_pattern
from portfolio.models import (
    KPI,
    ActionItem,
    AgendaItem,
    CheckpointReview,
    Contribution,
    Decision,
    Objective,
    SteeringMeeting,
)
from portfolio.services.steering import initiative_snapshots, snapshot_changes

ASSETS = {
    "bootstrap": "vendor/bootstrap/bootstrap.min.css",
    "css": "css/bearing.css",
    "charts": "js/charts.js",
    "plotly": "vendor/plotly/plotly.min.js",
    "logo": "img/bearing.svg",
}
PDF_TIMEOUT_MS = 120_000
SEVERITY_RANK = {"red": 0, "amber": 1}


def _item(
    item: AgendaItem,
    meeting: SteeringMeeting,
    today: datetime.date,
    live: dict[int, dict[str, Any]],
    previous: dict[int, CheckpointReview],
) -> dict[str, Any]:
    """One agenda item: the frozen snapshot if it was reviewed (else the data as it is now), what changed
    since the initiative's previous review, and its charts as of the review (or today)."""
    initiative = item.initiative
    review = item.review
    as_of = review.held_on if review else min(today, meeting.held_on)
    snapshot = review.snapshot if review and review.snapshot else live.get(initiative.pk, {})
    before = previous.get(initiative.pk)
    change = {
        "previous": before,
        "comparable": bool(before and before.snapshot),
        "changes": snapshot_changes(before.snapshot, snapshot) if before and before.snapshot else [],
    }
    kpi_rows = list(
        KPI.objects.filter(
            pk__in=Contribution.objects.filter(initiative=initiative, kpi__isnull=False).values("kpi_id")
        )
        .order_by("name")
        .values_list(*dashboard.KPI_FIELDS)[: dashboard.KPI_PANELS]
    )
    link = url_pattern("portfolio:kpi-detail")
    items_charts = []
    if kpi_rows:
        codes = dict(Objective.objects.filter(pk__in={k[3] for k in kpi_rows}).values_list("pk", "code"))
        series = dashboard.load_kpi_series(kpi_rows, codes, today=as_of)
        items_charts.append(
            dashboard.chart_dict(
                charts.kpi_small_multiples(
                    {"kpis": [series[k[0]] for k in kpi_rows]},
                    link.format,
                    columns=min(3, len(kpi_rows)),
                    title=f"KPIs {initiative.code} claims to move (readings up to {as_of.isoformat()})",
                ),
                preview=50,
            )
        )
    history = [
        {"date": d, "alignment": a, "fit": fit, "delivery": delivery, "outcome": outcome}
        for d, a, fit, delivery, outcome in ScoreHistory.objects.filter(
            initiative=initiative, date__lte=as_of
        )
        .order_by("date")
        .values_list("date", "alignment", "fit", "delivery", "outcome")
    ]
    if history:
        url = reverse("alignment:initiative-why", args=[initiative.pk])
        items_charts.append(dashboard.chart_dict(charts.score_history({"points": history}, url), preview=50))
    return {
        "item": item,
        "initiative": initiative,
        "review": review,
        "snapshot": snapshot,
        # the worst first, as the review page lists them (snapshots keep the provider's order)
        "signals": sorted(
            (s for s in snapshot.get("signals") or [] if isinstance(s, dict)),
            key=lambda s: SEVERITY_RANK.get(str(s.get("severity")), 2),
        ),
        "change": change,
        "charts": items_charts,
        "actions": list(review.action_items.select_related("owner")) if review else [],
    }


def pack_context(meeting: SteeringMeeting, *, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the board pack shows for a meeting (a fixed number of queries per agenda item)."""
    today = timezone.localdate()
    items = list(
        meeting.agenda.select_related(
            "initiative", "initiative__sponsor", "initiative__manager", "initiative__program", "review"
        ).order_by("position", "pk")
    )
    decided = [i.review for i in items if i.review]
    live = initiative_snapshots([i.initiative for i in items if not (i.review and i.review.snapshot)])
    previous: dict[int, CheckpointReview] = {}
    for review in CheckpointReview.objects.filter(
        initiative__in=[i.initiative_id for i in items], held_on__lt=meeting.held_on
    ).order_by("initiative_id", "-held_on", "-pk"):
        previous.setdefault(review.initiative_id, review)
    index = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE, date__lte=meeting.held_on).order_by("-date").first()
        or PortfolioIndex.objects.filter(scope=ALL_SCOPE).order_by("-date").first()
    )
    decisions = Counter(r.decision for r in decided)
    return {
        "meeting": meeting,
        "committee": meeting.committee,
        "attendees": list(meeting.attendees.order_by("first_name", "last_name")),
        "items": [_item(i, meeting, today, live, previous) for i in items],
        "decisions": [(label, decisions[value]) for value, label in Decision.choices if decisions.get(value)],
        "decided": len(decided),
        "index": index,
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
        return reverse("portfolio:meeting-detail", args=[meeting.pk])
    except NoReverseMatch:
        return reverse("portfolio:initiative-list")


def render_html(meeting: SteeringMeeting, *, assets: dict[str, str] | None = None) -> str:
    return render_to_string("alignment/boardpack.html", pack_context(meeting, assets=assets))


def _file_assets() -> dict[str, str]:
    """The static files as file:// URLs, so the headless browser reads them from disk (no network)."""
    found = {}
    for key, path in ASSETS.items():
        location = finders.find(path) or str(Path(settings.STATIC_ROOT) / path)
        found[key] = Path(location).resolve().as_uri()
    return found


# Replace each drawn chart by a static SVG image of itself, so the PDF carries images, not live plots.
TO_IMAGES = """
async () => {
  for (const element of document.querySelectorAll('[data-chart][data-drawn="1"]')) {
    const url = await window.Plotly.toImage(element, {format: 'svg', width: element.clientWidth, height: element.clientHeight});
    const image = document.createElement('img');
    image.src = url;
    image.alt = element.getAttribute('aria-label') || 'chart';
    image.className = 'chart-image';
    element.replaceWith(image);
  }
}
"""
ALL_DRAWN = """
() => Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.drawn === '1')
"""


def render_pdf(meeting: SteeringMeeting, *, progress: Callable[[int, str], None] | None = None) -> bytes:
    """Print the board pack to PDF with headless chromium (nothing leaves the machine: only file:// URLs)."""
    report = progress or (lambda percent, message: None)
    html = render_html(meeting, assets=_file_assets())
    footer = f"Bearing board pack · {meeting.committee.name} · {meeting.held_on.isoformat()}"
    report(30, "Drawing the charts and printing")
    # Playwright's synchronous API runs an event loop in its thread, where Django refuses database calls:
    # print in a thread of its own, with everything it needs already in hand.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pdf = pool.submit(print_html, html, footer).result(timeout=PDF_TIMEOUT_MS / 1000 * 2)
    report(90, "Printed")
    return pdf


def print_html(html: str, footer: str) -> bytes:
    """Open the HTML in headless chromium, wait for every chart, turn them into images, print to A4."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bearing-pack-") as folder:
        page_path = Path(folder) / "boardpack.html"
        page_path.write_text(html, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=settings.BEARING_CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--allow-file-access-from-files",
                ],
            )
            try:
                context = browser.new_context(viewport={"width": 1100, "height": 1400})
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if route.request.url.startswith("file:") else route.abort()
                    ),
                )
                page = context.new_page()
                page.goto(page_path.as_uri(), wait_until="load", timeout=PDF_TIMEOUT_MS)
                page.wait_for_function(ALL_DRAWN, timeout=PDF_TIMEOUT_MS)
                page.evaluate(TO_IMAGES)
                return page.pdf(
                    format="A4",
                    print_background=True,
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=(
                        '<div style="font-size:8px;width:100%;padding:0 12mm;color:#6c757d;display:flex;'
                        f'justify-content:space-between"><span>{escape(footer)}</span>'
                        '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
                    ),
                )
            finally:
                browser.close()
