"""The business case's edit page and the financial policy's page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.jobs import latest_job
from core.views import HtmxHttpRequest, job_context, render_page, require, viewer_required
from portfolio.business_case_forms import BaseLineFormSet, CaseForm, LineFormSet, parse_years, put_errors
from portfolio.models import KPI, BusinessCase, FinancialPolicy, Initiative
from portfolio.services import business_cases as service

EDIT_TEMPLATE = "portfolio/business_case_form.html"
POLICY_TEMPLATE = "portfolio/financial_policy.html"


def _columns(first_year: int, horizon: int, held: set[int]) -> list[int]:
    return sorted({*range(first_year, first_year + horizon), *held})


def _initial(
    case: BusinessCase | None, initiative: Initiative, horizon: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[int]]:
    if case is None:
        start = initiative.planned_start or initiative.actual_start
        first_year = start.year if start else initiative.created_at.year
        return {"first_year": first_year, "version": ""}, [], _columns(first_year, horizon, set())
    lines = list(case.lines.prefetch_related("amounts"))
    held = {a.year for line in lines for a in line.amounts.all()}
    rows = [
        {
            "line_id": line.pk,
            "kind": line.kind,
            "label": line.label,
            "kpi": line.kpi_id,
            **{f"y{a.year}": f"{a.amount.normalize():f}" for a in line.amounts.all()},
        }
        for line in lines
    ]
    return (
        {"first_year": case.first_year, "version": case.version},
        rows,
        _columns(case.first_year, horizon, held),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def business_case_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Enter or change an initiative's business case as a grid; "Add a line" posts back for one more row."""
    initiative = get_object_or_404(Initiative, pk=pk)
    require(
        service.can_edit_business_case(request.user, initiative),
        "You may only edit the business cases of initiatives you manage.",
    )
    policy = service.current_policy()
    case = BusinessCase.objects.filter(pk=pk).first()
    detail = reverse("portfolio:initiative-detail", args=[pk])
    kpis = KPI.objects.select_related("objective").order_by("name")
    status = 200
    if request.method == "POST":
        data = request.POST.copy()
        case_form = CaseForm(data)
        years = parse_years(data.get("years", ""))
        if case_form.is_valid():  # the columns follow a changed first year, and keep the amounts entered
            years = sorted(
                {
                    *years,
                    *range(
                        case_form.cleaned_data["first_year"],
                        case_form.cleaned_data["first_year"] + policy.horizon_years,
                    ),
                }
            )
        if "add_line" in data:
            data["lines-TOTAL_FORMS"] = str(int(data.get("lines-TOTAL_FORMS") or 0) + 1)
        formset = LineFormSet(data, prefix="lines", form_kwargs={"years": years, "kpis": kpis})
        if "add_line" not in data and case_form.is_valid() and formset.is_valid():
            rows = cast(BaseLineFormSet, formset).entered()
            try:
                service.business_case_save(
                    user=request.user,
                    initiative_id=pk,
                    version=case_form.cleaned_data["version"],
                    first_year=case_form.cleaned_data["first_year"],
                    lines=[line for _form, line in rows],
                )
            except NotAllowed as error:
                require(False, error.message)
            except StaleEdit as error:
                case_form.add_error(None, error.message)
                status = 409
            except ApplicationError as error:
                put_errors(case_form, rows, error.field_errors)
                if not error.field_errors:
                    case_form.add_error(None, error.message)
                status = 422
            else:
                messages.success(request, f"Business case of {initiative.code} saved.")
                return HttpResponseRedirect(detail + "#business-case")
        elif "add_line" not in data:
            status = 422
    else:
        initial, initial_rows, years = _initial(case, initiative, policy.horizon_years)
        case_form = CaseForm(initial=initial)
        formset = LineFormSet(
            prefix="lines", initial=initial_rows, form_kwargs={"years": years, "kpis": kpis}
        )
    return render_page(
        request,
        EDIT_TEMPLATE,
        {
            "initiative": initiative,
            "case_form": case_form,
            "formset": formset,
            "years": years,
            "years_text": ",".join(map(str, years)),
            "policy": policy,
            "title": f"Business case of {initiative.code}",
            "cancel_url": detail,
        },
        status=status,
    )


class PolicyForm(forms.Form):
    discount_rate = forms.DecimalField(
        label="Discount rate (%)", max_digits=7, decimal_places=4, help_text="8 for 8 % a year."
    )
    horizon_years = forms.IntegerField(label="Horizon (years)", min_value=1, max_value=50)
    note = forms.CharField(
        max_length=300, required=False, help_text="Why this version: who decided, and when."
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def financial_policy(request: HtmxHttpRequest) -> HttpResponse:
    """The financial policy's versions (everyone reads them); the PMO publishes the next one, which starts the
    recompute of every business case's figures."""
    current = service.current_policy()
    can_publish = roles.can_edit_portfolio(request.user)
    status = 200
    if request.method == "POST":
        require(can_publish, "Only the PMO publishes the financial policy.")
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = service.financial_policy_publish(user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                for field, errors in error.field_errors.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                if not error.field_errors:
                    form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    f"Financial policy v{policy.version} published; every business case is being recomputed.",
                )
                return HttpResponseRedirect(reverse("portfolio:financial-policy"))
        status = 422
    else:
        form = PolicyForm(
            initial={
                "discount_rate": current.discount_rate.normalize(),
                "horizon_years": current.horizon_years,
            }
        )
    return render_page(
        request,
        POLICY_TEMPLATE,
        {
            "current": current,
            "versions": FinancialPolicy.objects.select_related("created_by")[:100],
            "form": form,
            "can_publish": can_publish,
            **job_context(latest_job(service.FIGURES_JOB)),
        },
        status=status,
    )
