"""Alignment pages: why a score is what it is, the signals, and the recompute job with its progress."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Max, Model
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from alignment import benefits as benefits_module
from alignment import dashboard as dashboard_module
from alignment import exports, jobs, selectors, services
from alignment import track_record as track_record_module
from alignment.engine.rules import RULES
from alignment.forms import DashboardFilterForm, SignalFilterForm, SinceForm, TrackRecordForm
from alignment.models import InitiativeScore, Severity, Signal, severity_order
from core import jobs as core_jobs
from core import roles, scheduler
from core.chart_parts import chart_dict
from core.paging import capped_counts, capped_page
from core.tabular import csv_response, export_response, filter_errors
from core.views import (
    JOB_TEMPLATE,
    HtmxHttpRequest,
    job_context,
    render_page,
    require,
    shared_page,
    viewer_required,
    wants_fragment,
)
from portfolio.models import KPI, ArtefactKind, Initiative, Objective
from risk.models import TierPolicy

DEFAULT_SINCE_DAYS = 30


@viewer_required
@require_GET
def initiative_why(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every component of an initiative's score with its inputs, and what changed since a chosen date."""
    initiative = get_object_or_404(Initiative.objects.select_related("sponsor", "program"), pk=pk)
    score = InitiativeScore.objects.filter(initiative=initiative, computed_at__isnull=False).first()
    default_since = timezone.localdate() - datetime.timedelta(days=DEFAULT_SINCE_DAYS)
    form = SinceForm(request.GET or None, initial={"since": default_since})
    status = 200
    since = default_since
    if form.is_bound:
        if form.is_valid():
            since = form.cleaned_data["since"] or default_since
        else:
            status = 400
    context: dict[str, Any] = {
        "initiative": initiative,
        "score": score,
        "form": form,
        "since": since,
        "tier_cadences": {p.tier: p.checkpoint_cadence_days for p in TierPolicy.objects.all()},
        "artefact_labels": dict(ArtefactKind.choices),
    }
    if score is not None:
        # the explanation is built now, for this initiative alone, by the engine's own code
        result = services.explain_initiative(initiative.pk)
        assert result is not None  # the initiative exists
        explained = selectors.explain(result)
        context["policy"] = services.current_policy()
        context["explained"] = explained
        context["live_differs"] = any(
            getattr(explained.live, key) != getattr(score, key)
            for key in ("fit", "outcome", "delivery", "governance", "alignment", "tier")
        )
        context["changes"] = selectors.changes_since(initiative, score, since)
        context["signals"] = list(
            Signal.objects.filter(initiative=initiative).order_by(severity_order(), "rule", "key")
        )
    return render_page(request, "alignment/initiative_why.html", context, partial="changes", status=status)


SIGNAL_COUNT_BOUND = 1_000


@viewer_required
@require_GET
def signal_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every active signal, filterable by rule, severity, owner and program."""
    form = SignalFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "rules": RULES}
    if not form.is_valid():
        context["page"] = None
        return render_page(request, "alignment/signal_list.html", context, partial="results", status=400)
    rows = form.rows()
    # each rule's signals of each severity counted up to a bound, from the page's index: a triage list
    # needs "1,000+" no more exactly than that
    red, amber = Severity.rank(Severity.RED), Severity.rank(Severity.AMBER)
    groups = [{"severity_rank": rank, "rule": name} for name in RULES for rank in (red, amber)]
    tallies = capped_counts(rows, groups, bound=SIGNAL_COUNT_BOUND)
    counted = {
        (group["rule"], group["severity_rank"]): found for group, found in zip(groups, tallies, strict=True)
    }
    summary = [
        (name, rule, counted[name, red], counted[name, amber])
        for name, rule in RULES.items()
        if counted[name, red].count or counted[name, amber].count
    ]
    page = capped_page(selectors.signal_order(rows), form.cleaned_data.get("page") or 1, 50)
    context.update(page=page, summary=summary)
    return render_page(request, "alignment/signal_list.html", context, partial="results")


@viewer_required
@require_GET
def signal_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The signal list as on its page (rule, severity, owner, program), every page of it."""
    form = SignalFilterForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.signal_export(form.rows()), fmt)


def _last_computed() -> str:
    """What the page says before any recompute job ran: when the scores were last computed all the same
    (by a change, the demo's load or a command)."""
    latest = InitiativeScore.objects.aggregate(latest=Max("computed_at"))["latest"]
    if latest is None:
        return "No recompute has run yet."
    return f"No recompute job has run yet; scores were last computed {timezone.localtime(latest):%Y-%m-%d %H:%M}."


@viewer_required
@require_http_methods(["GET", "POST"])
def recompute(request: HtmxHttpRequest) -> HttpResponse:
    """Start a full recompute (PMO, admins) and watch its progress; anyone may watch."""
    if request.method == "POST":
        require(
            roles.can_edit_portfolio(request.user), "Only the PMO and administrators start a full recompute."
        )
        started = jobs.enqueue_full_recompute(user=request.user)
        if wants_fragment(request):
            return render_page(request, JOB_TEMPLATE, job_context(started))
        return redirect("alignment:recompute")
    job = core_jobs.latest_job(jobs.FULL_RECOMPUTE)
    if job is not None:
        job = core_jobs.job_refreshed(job)
    stale = InitiativeScore.objects.filter(stale=True).count()
    return render_page(
        request,
        "alignment/recompute.html",
        {
            **job_context(job, no_job=_last_computed()),
            "schedule": scheduler.schedule_rows(),
            "in_process": scheduler.runs_in_process(),
            "runner": settings.BEARING_JOB_RUNNER,
            "stale": stale,
            "can_start": roles.can_edit_portfolio(request.user),
        },
    )


@viewer_required
@require_GET
def scoring_doc(request: HtmxHttpRequest) -> HttpResponse:
    """docs/scoring.md, the formulas with worked examples, rendered in the app."""
    return render_page(request, "alignment/scoring_doc.html", {"html": selectors.scoring_doc_html()})


DASHBOARD = "alignment/dashboard.html"


def _dashboard_filters(request: HtmxHttpRequest) -> tuple[DashboardFilterForm, Any]:
    form = DashboardFilterForm(request.GET)
    return form, form.filters() if form.is_valid() else None


@viewer_required
@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The executive dashboard: tiles and charts, stored for the portfolio and each program, computed for
    other filters; htmx swaps only the body when a filter changes."""
    form, filters = _dashboard_filters(request)
    context: dict[str, Any] = {"form": form, "can_refresh": roles.can_edit_portfolio(request.user)}
    if filters is None:
        return render_page(request, DASHBOARD, context, partial="body", status=400)
    today = timezone.localdate()

    computed = selectors.computed_dashboard_stamp() if filters.scope is None else None

    def page(marks: dict[str, str]) -> HttpResponse:
        view = selectors.dashboard_view(filters, today=today, stamp=computed)
        context.update(marks, view=view, payload=view.payload, query=request.GET.urlencode())
        return render_page(request, DASHBOARD, context, partial="body")

    stamp = selectors.stored_dashboard_stamp(filters.scope) if filters.scope is not None else None
    if stamp is None:
        # a dashboard computed for other filters is kept as long as nothing it is drawn from changed: the
        # first view of a combination adds up the filter cube's cells (or, when the cube is out of date or a
        # program is chosen, computes it from the scores), the next ones and everyone else's with the same
        # roles are served from the cache
        computed = computed or selectors.computed_dashboard_stamp()
        stamp = f"computed|{today.isoformat()}|{computed}"
    # a stored dashboard is the same for everyone with the same roles: served from the cache until redrawn
    return shared_page(request, f"dashboard|{request.GET.urlencode()}|{stamp}", page)


def table_csv(table: dict[str, Any], name: str) -> HttpResponse:
    """A chart's table as a CSV download (through the shared writer: every cell inert)."""
    return csv_response(f"bearing-{name}", table["columns"], table["rows"])


EMPTY_TABLE: dict[str, Any] = {"columns": [], "rows": []}


@viewer_required
@require_GET
def objective_kpi_chart(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The KPI chart of an objective's page, which the page loads once it is shown (htmx): drawing a dozen
    KPIs' series would otherwise hold the page back. Empty when the objective has no KPI. Opened as a page of
    its own (a bookmark, a crawler), it sends the browser to the objective's page, where the chart is drawn."""
    objective = get_object_or_404(Objective, pk=pk)
    if not wants_fragment(request):
        return redirect(reverse("portfolio:objective-detail", args=[objective.pk]) + "#kpis")
    return render(
        request,
        "alignment/_objective_kpi_chart.html",
        {"kpi_chart": selectors.objective_kpi_chart(objective)},
    )


@viewer_required
@require_GET
def objective_kpis_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The data of an objective's KPI chart as CSV."""
    objective = get_object_or_404(Objective, pk=pk)
    chart = selectors.objective_kpi_chart(objective)
    return table_csv(chart["table"] if chart else EMPTY_TABLE, f"{objective.code}-kpis")


@viewer_required
@require_GET
def kpi_chart_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The data of a KPI's chart (expected progress, readings, forecast, target) as CSV."""
    kpi = get_object_or_404(KPI.objects.select_related("objective"), pk=pk)
    chart = selectors.kpi_scorecard(kpi)["kpi_chart"]
    return table_csv(chart["table"] if chart else EMPTY_TABLE, f"kpi-{kpi.pk}")


@viewer_required
@require_GET
def dashboard_csv(request: HtmxHttpRequest, chart: str) -> HttpResponse:
    """The data of one dashboard chart, for the same filters, as CSV."""
    form, filters = _dashboard_filters(request)
    if filters is None:
        return filter_errors(form)
    view = selectors.dashboard_view(filters, today=timezone.localdate(), with_payload=True)
    assert view.payload is not None
    found = next((c for c in view.payload["charts"] if c["key"] == chart), None)
    if found is None:
        raise Http404("No such chart.")
    return table_csv(found["table"], chart)


SPEND_PER_PAGE = 100


@viewer_required
@require_GET
def objective_spend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The funded initiatives behind a priority objective's bar of the investment chart: the spend each
    gives it, adding up to the bar (same filters as the dashboard)."""
    return _spend_page(request, pk)


@viewer_required
@require_GET
def unaligned_spend(request: HtmxHttpRequest) -> HttpResponse:
    """The funded initiatives behind the investment chart's "No objective" bar."""
    return _spend_page(request, None)


def _spend_page(request: HtmxHttpRequest, unit_id: int | None) -> HttpResponse:
    form, filters = _dashboard_filters(request)
    context: dict[str, Any] = {"form": form, "unit_id": unit_id}
    if filters is None:
        return render_page(request, "alignment/spend_list.html", context, status=400)
    behind = selectors.spend_behind(filters, unit_id)
    if behind is None:
        raise Http404("The dashboard of these filters has no such bar.")
    register = reverse("portfolio:initiative-list")
    context.update(
        behind=behind,
        page=Paginator(behind.lines, SPEND_PER_PAGE).get_page(request.GET.get("page")),
        in_view=_filters_in_words(form),
        dashboard_url=f"{reverse('alignment:dashboard')}?{filters.query()}".rstrip("?") + "#chart-investment",
        register_url=(
            f"{register}?{dashboard_module.filters_to_register(filters, stage='funded', objective=unit_id)}"
            if unit_id is not None
            else f"{reverse('alignment:signal-list')}?rule=orphan"
        ),
    )
    return render_page(request, "alignment/spend_list.html", context)


def _filters_in_words(form: DashboardFilterForm) -> list[tuple[str, str]]:
    """The filters chosen, as "label: value" pairs the page can say."""
    shown = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        # a record chosen says its own name; listing a model field's choices would cost a query
        text = str(value) if isinstance(value, Model) else str(dict(field.choices).get(str(value), value))  # type: ignore[attr-defined]
        shown.append((str(field.label or name.title()), text))
    return shown


@viewer_required
@require_http_methods(["POST"])
def dashboard_refresh(request: HtmxHttpRequest) -> HttpResponse:
    """Redraw the stored dashboards now (PMO, admins); the response is the job's progress bar."""
    require(roles.can_edit_portfolio(request.user), "Only the PMO and administrators redraw the dashboards.")
    job = jobs.enqueue_dashboard_render(user=request.user)
    if wants_fragment(request):
        return render_page(request, JOB_TEMPLATE, job_context(job, reload=True))
    return redirect("alignment:dashboard")


@viewer_required
@require_GET
def dashboard_capacity(request: HtmxHttpRequest) -> HttpResponse:
    """The dashboard's capacity panel (tiles and chart), loaded by the dashboard once shown: it is read live
    from the teams' capacity and demand, while the rest of the dashboard is served from stored figures.
    Opened as a page of its own, it sends the browser to the dashboard."""
    if not wants_fragment(request):
        return redirect(reverse("alignment:dashboard") + "#capacity-panel")
    panel = selectors.capacity_panel(timezone.localdate())
    return render(request, "alignment/_dashboard_capacity.html", {"panel": panel})


@viewer_required
@require_GET
def dashboard_capacity_csv(request: HtmxHttpRequest) -> HttpResponse:
    """The capacity chart's table as CSV."""
    panel = selectors.capacity_panel(timezone.localdate())
    if panel is None:
        return csv_response("bearing-capacity", ["Month"], [])
    table = panel["table"]
    return csv_response("bearing-capacity", table.columns, table.rows)


BENEFITS = "alignment/benefits.html"


@viewer_required
@require_GET
def benefits_overview(request: HtmxHttpRequest) -> HttpResponse:
    """Expected against realised benefit by objective, program and sponsor, and cumulative over time."""
    view = benefits_module.benefits_view(timezone.localdate())
    chart = benefits_module.cumulative_chart(view)
    return render_page(
        request,
        BENEFITS,
        {
            "view": view,
            "chart": chart_dict(chart, csv_url=reverse("alignment:benefits-cumulative-csv")),
            "group_limit": benefits_module.GROUP_LIMIT,
        },
    )


@viewer_required
@require_GET
def benefits_csv(request: HtmxHttpRequest) -> HttpResponse:
    """Every group of the benefits view, and the totals."""
    view = benefits_module.benefits_view(timezone.localdate())
    return csv_response("bearing-benefits", benefits_module.GROUP_COLUMNS, benefits_module.group_rows(view))


@viewer_required
@require_GET
def benefits_cumulative_csv(request: HtmxHttpRequest) -> HttpResponse:
    """The cumulative chart's table."""
    chart = benefits_module.cumulative_chart(benefits_module.benefits_view(timezone.localdate()))
    return csv_response("bearing-benefits-cumulative", chart.table.columns, chart.table.rows)


def _track_record_by(request: HtmxHttpRequest) -> tuple[TrackRecordForm, str, int]:
    """The dimension asked for (sponsor unless another is), the form with its error, and the status."""
    form = TrackRecordForm(request.GET or None, initial={"by": "sponsor"})
    if not form.is_bound:
        return form, "sponsor", 200
    if form.is_valid():
        return form, form.cleaned_data["by"] or "sponsor", 200
    return form, "sponsor", 400


@viewer_required
@require_GET
def track_record(request: HtmxHttpRequest) -> HttpResponse:
    """Say/do by sponsor, program or manager: milestones on time, slip, cost overrun and benefits realised."""
    form, by, status = _track_record_by(request)
    found = track_record_module.records(by, timezone.localdate())
    return render_page(
        request,
        "alignment/track_record.html",
        {
            "form": form,
            "by": by,
            "label": track_record_module.DIMENSIONS[by],
            "records": found[: track_record_module.LIMIT],
            "hidden": max(len(found) - track_record_module.LIMIT, 0),
            "limit": track_record_module.LIMIT,
        },
        status=status,
    )


@viewer_required
@require_GET
def track_record_csv(request: HtmxHttpRequest) -> HttpResponse:
    """Every record of the dimension asked for."""
    form, by, status = _track_record_by(request)
    if status != 200:
        return filter_errors(form)
    found = track_record_module.records(by, timezone.localdate())
    return csv_response(
        f"bearing-track-record-{by}", track_record_module.COLUMNS, track_record_module.rows(found)
    )


@viewer_required
@require_GET
def benefits_doc(request: HtmxHttpRequest) -> HttpResponse:
    """docs/benefits.md, the benefit rules with their worked example, rendered in the app."""
    return render_page(request, "alignment/scoring_doc.html", {"html": selectors.doc_html("benefits.md")})
