"""Alignment pages: why a score is what it is, the signals, and the recompute job with its progress."""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from alignment import boardpack, jobs, selectors, services
from alignment.engine.rules import RULES
from alignment.forms import DashboardFilterForm, SignalFilterForm, SinceForm
from alignment.models import BoardPack, InitiativeScore, Job, JobKind, Signal
from portfolio import roles
from portfolio.models import KPI, Initiative, Objective, SteeringMeeting
from portfolio.views.common import narrow_page, render_page, require, viewer_required
from risk.models import TierPolicy

DEFAULT_SINCE_DAYS = 30


@viewer_required
@require_GET
def initiative_why(request: HttpRequest, pk: int) -> HttpResponse:
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
    }
    if score is not None:
        context["policy"] = services.policy_version(score.policy_version)
        context["explained"] = selectors.explain(score)
        context["changes"] = selectors.changes_since(initiative, score, since)
        context["signals"] = list(Signal.objects.filter(initiative=initiative).order_by("severity", "rule"))
    return render_page(request, "alignment/initiative_why.html", context, partial="changes", status=status)


@viewer_required
@require_GET
def signal_list(request: HttpRequest) -> HttpResponse:
    """Every active signal, filterable by rule, severity, owner and program."""
    form = SignalFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "rules": RULES}
    if not form.is_valid():
        context["page"] = None
        return render_page(request, "alignment/signal_list.html", context, partial="results", status=400)
    data = form.cleaned_data
    rows = Signal.objects.select_related("initiative", "objective", "owner", "program")
    if data["rule"]:
        rows = rows.filter(rule=data["rule"])
    if data["severity"]:
        rows = rows.filter(severity=data["severity"])
    if data["owner"]:
        rows = rows.filter(owner=data["owner"])
    if data["program"]:
        rows = rows.filter(program=data["program"])
    counts = {
        (row["rule"], row["severity"]): row["n"]
        for row in rows.order_by().values("rule", "severity").annotate(n=Count("pk"))
    }
    summary = [
        (name, rule, counts.get((name, "red"), 0), counts.get((name, "amber"), 0))
        for name, rule in RULES.items()
        if counts.get((name, "red")) or counts.get((name, "amber"))
    ]
    # order and page the narrow rows, then load the fifty shown with what they display: sorting thirty
    # thousand signals joined to four wide tables costs several times more
    ordered = rows.order_by("severity", "rule", "initiative__code", "key")
    page = narrow_page(ordered, data.get("page") or 1, 50)
    context.update(page=page, summary=summary)
    return render_page(request, "alignment/signal_list.html", context, partial="results")


@viewer_required
@require_http_methods(["GET", "POST"])
def recompute(request: HttpRequest) -> HttpResponse:
    """Start a full recompute (PMO, admins) and watch its progress; anyone may watch."""
    if request.method == "POST":
        require(
            roles.can_edit_portfolio(request.user), "Only the PMO and administrators start a full recompute."
        )
        job = jobs.enqueue_full_recompute(user=request.user)
        if getattr(request, "htmx", False):
            return render_page(request, "alignment/_job.html", {"job": job})
        return redirect("alignment:recompute")
    job = Job.objects.filter(kind=JobKind.FULL_RECOMPUTE).order_by("-created_at").first()
    stale = InitiativeScore.objects.filter(stale=True).count()
    return render_page(
        request,
        "alignment/recompute.html",
        {"job": job, "stale": stale, "can_start": roles.can_edit_portfolio(request.user)},
    )


@viewer_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of one job; it polls itself while the job is queued or running."""
    job = get_object_or_404(Job, pk=pk)
    download = request.GET.get("download", "")
    return render_page(
        request,
        "alignment/_job.html",
        {
            "job": job,
            "reload": request.GET.get("reload") == "1",
            # the meeting whose board pack this job prints, for the download link when it is done
            "download": int(download) if download.isdigit() and len(download) < 19 else None,
        },
    )


@viewer_required
@require_GET
def scoring_doc(request: HttpRequest) -> HttpResponse:
    """docs/scoring.md, the formulas with worked examples, rendered in the app."""
    return render_page(request, "alignment/scoring_doc.html", {"html": selectors.scoring_doc_html()})


DASHBOARD = "alignment/dashboard.html"


def _dashboard_filters(request: HttpRequest) -> tuple[DashboardFilterForm, Any]:
    form = DashboardFilterForm(request.GET)
    return form, form.filters() if form.is_valid() else None


@viewer_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The executive dashboard: tiles and charts, stored for the portfolio and each program, computed for
    other filters; htmx swaps only the body when a filter changes."""
    form, filters = _dashboard_filters(request)
    context: dict[str, Any] = {"form": form, "can_refresh": roles.can_edit_portfolio(request.user)}
    if filters is None:
        return render_page(request, DASHBOARD, context, partial="body", status=400)
    view = selectors.dashboard_view(filters, today=timezone.localdate())
    context.update(view=view, payload=view.payload, query=request.GET.urlencode())
    return render_page(request, DASHBOARD, context, partial="body")


def csv_response(table: dict[str, Any], name: str) -> HttpResponse:
    """A chart's table as a CSV download."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bearing-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(table["columns"])
    writer.writerows(table["rows"])
    return response


EMPTY_TABLE: dict[str, Any] = {"columns": [], "rows": []}


@viewer_required
@require_GET
def objective_kpis_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The data of an objective's KPI chart as CSV."""
    objective = get_object_or_404(Objective, pk=pk)
    chart = selectors.objective_scorecard(objective)["kpi_chart"]
    return csv_response(chart["table"] if chart else EMPTY_TABLE, f"{objective.code}-kpis")


@viewer_required
@require_GET
def kpi_chart_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The data of a KPI's chart (expected progress, readings, forecast, target) as CSV."""
    kpi = get_object_or_404(KPI.objects.select_related("objective"), pk=pk)
    chart = selectors.kpi_scorecard(kpi)["kpi_chart"]
    return csv_response(chart["table"] if chart else EMPTY_TABLE, f"kpi-{kpi.pk}")


@viewer_required
@require_GET
def dashboard_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """The data of one dashboard chart, for the same filters, as CSV."""
    form, filters = _dashboard_filters(request)
    if filters is None:
        errors = "; ".join(
            f"{field}: {' '.join(map(str, messages))}" for field, messages in form.errors.items()
        )
        return HttpResponse(f"Invalid filters: {errors}", status=400, content_type="text/plain")
    view = selectors.dashboard_view(filters, today=timezone.localdate(), with_payload=True)
    assert view.payload is not None
    found = next((c for c in view.payload["charts"] if c["key"] == chart), None)
    if found is None:
        raise Http404("No such chart.")
    return csv_response(found["table"], chart)


@viewer_required
@require_http_methods(["POST"])
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Redraw the stored dashboards now (PMO, admins); the response is the job's progress bar."""
    require(roles.can_edit_portfolio(request.user), "Only the PMO and administrators redraw the dashboards.")
    job = jobs.enqueue_dashboard_render(user=request.user)
    if getattr(request, "htmx", False):
        return render_page(request, "alignment/_job.html", {"job": job, "reload": True})
    return redirect("alignment:dashboard")


@viewer_required
@require_GET
def boardpack_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The live HTML board pack of a meeting (print it from the browser, or download the PDF)."""
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    return HttpResponse(boardpack.render_html(meeting))


@viewer_required
@require_http_methods(["POST"])
def boardpack_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """Print the meeting's board pack to PDF in the background; the response is the job's progress bar."""
    require(
        roles.can_record_decisions(request.user),
        "Only steering members, the PMO and admins print board packs.",
    )
    meeting = get_object_or_404(SteeringMeeting, pk=pk)
    job = jobs.enqueue_board_pack(meeting.pk, user=request.user)
    if getattr(request, "htmx", False):
        return render_page(request, "alignment/_job.html", {"job": job, "download": meeting.pk})
    return redirect(boardpack_back(meeting))


@viewer_required
@require_GET
def boardpack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The newest printed board pack of the meeting."""
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    pack = BoardPack.objects.filter(meeting=meeting).order_by("-created_at").first()
    if pack is None:
        raise Http404("No board pack has been printed for this meeting yet.")
    response = HttpResponse(bytes(pack.pdf), content_type="application/pdf")
    name = f"board-pack-{meeting.held_on.isoformat()}-{meeting.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def boardpack_back(meeting: SteeringMeeting) -> str:
    return boardpack.meeting_url(meeting)
