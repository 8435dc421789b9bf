"""Downloads of the portfolio's lists, CSV or .xlsx, with the filters of the page they are offered on."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.tabular import export_response, filter_errors, table_response
from core.views import HtmxHttpRequest, viewer_required
from portfolio import exports, selectors
from portfolio.forms import (
    BenefitExportForm,
    KPIExportForm,
    MilestoneFilterForm,
    ObjectiveExportForm,
    ReadingExportForm,
    RegisterFilterForm,
)
from portfolio.views.initiatives import milestone_filter_data


@viewer_required
@require_GET
def initiative_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The register as on its page (search, filters, sort), every page of it."""
    form = RegisterFilterForm(request.GET, sort_keys=list(selectors.register_sorts()))
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.initiative_export(form.filters()), fmt)


@viewer_required
@require_GET
def objective_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The objective tree with its weights (or the branch the page shows: `root`)."""
    form = ObjectiveExportForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.objective_export(form.cleaned_data["root"]), fmt)


@viewer_required
@require_GET
def kpi_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """Every KPI, or one objective's, with its latest reading."""
    form = KPIExportForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.kpi_export(form.cleaned_data["objective"]), fmt)


@viewer_required
@require_GET
def reading_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """Every KPI reading, or one objective's or one KPI's."""
    form = ReadingExportForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    values = form.cleaned_data
    return export_response(exports.reading_export(objective=values["objective"], kpi=values["kpi"]), fmt)


@viewer_required
@require_GET
def milestone_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The milestone list as on its page (state, stage, category, program)."""
    form = MilestoneFilterForm(milestone_filter_data(request))
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.milestone_export(form.rows(timezone.localdate())), fmt)


def _benefit_export(request: HtmxHttpRequest, fmt: str, *, summary: bool) -> HttpResponseBase:
    form = BenefitExportForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    initiative = form.cleaned_data["initiative"]
    results = exports.benefit_results(timezone.localdate(), initiative)
    suffix = f"-{initiative.code}" if initiative is not None else ""
    if summary:
        return table_response(
            f"bearing-benefit-realisation{suffix}",
            exports.BENEFIT_SUMMARY_HEADER,
            exports.benefit_summary_rows(results),
            fmt,
            sheet="Benefit realisation",
        )
    return table_response(
        f"bearing-benefit-plans{suffix}",
        exports.BENEFIT_QUARTER_HEADER,
        exports.benefit_quarter_rows(results),
        fmt,
        sheet="Benefit plans",
    )


@viewer_required
@require_GET
def benefit_plan_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """Every benefit plan's quarters (or one initiative's: `initiative=<code>`), one row per plan and quarter,
    with the actuals derived from KPI readings computed as the pages compute them."""
    return _benefit_export(request, fmt, summary=False)


@viewer_required
@require_GET
def benefit_summary_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """Every benefit plan's realisation as of today (or one initiative's), one row per plan."""
    return _benefit_export(request, fmt, summary=True)
