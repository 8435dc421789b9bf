"""A benefit plan's edit page: a benefit line's owner, KPI, source of actuals and quarters."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.formatting import person
from core.views import HtmxHttpRequest, render_page, require, viewer_required
from portfolio import finance
from portfolio.benefit_forms import PlanForm, cell_name
from portfolio.benefits import Quarter, quarters_between
from portfolio.models import BenefitPlan, BusinessCaseLine
from portfolio.services import benefits as service
from portfolio.services.business_cases import current_policy

EDIT_TEMPLATE = "portfolio/benefit_plan_form.html"


def plan_quarters(line: BusinessCaseLine, plan: BenefitPlan | None) -> list[Quarter]:
    """The quarters the grid offers: every quarter of the business case's horizon, and any other quarter
    that already holds a figure."""
    first = line.case.first_year
    horizon = current_policy().horizon_years
    offered = set(quarters_between(Quarter(first, 1), Quarter(first + horizon - 1, 4)))
    if plan is not None:
        offered |= {Quarter(p.year, p.quarter) for p in plan.periods.all()}
    return sorted(offered)


def _spread(line: BusinessCaseLine) -> dict[str, str]:
    """A new plan's expected values: each year's business case amount spread evenly over its quarters (the
    last quarter takes what rounding leaves), a starting point the PMO corrects."""
    initial = {}
    places = finance.CENT if line.line_kind.is_financial else Decimal("0.0001")
    for amount in line.amounts.all():
        share = (amount.amount / 4).quantize(places, rounding=ROUND_HALF_UP)
        for quarter in (1, 2, 3, 4):
            value = share if quarter < 4 else amount.amount - 3 * share
            initial[cell_name(Quarter(amount.year, quarter), "expected")] = f"{value.normalize():f}"
    return initial


def _initial(line: BusinessCaseLine, plan: BenefitPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"version": "", "kpi": line.kpi_id, "source": "entered", **_spread(line)}
    initial: dict[str, Any] = {
        "version": plan.version,
        "owner": plan.owner_id,
        "kpi": plan.kpi_id,
        "source": plan.source,
    }
    for period in plan.periods.all():
        quarter = Quarter(period.year, period.quarter)
        if period.expected is not None:
            initial[cell_name(quarter, "expected")] = f"{period.expected.normalize():f}"
        if period.actual is not None:
            initial[cell_name(quarter, "actual")] = f"{period.actual.normalize():f}"
    return initial


@viewer_required
@require_http_methods(["GET", "POST"])
def benefit_plan_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Enter or change the plan of one benefit line (pk: the line)."""
    line = get_object_or_404(
        BusinessCaseLine.objects.select_related("case__initiative__sustainment_owner", "kpi"), pk=pk
    )
    initiative = line.case.initiative
    require(
        service.can_edit_benefit_plan(request.user, initiative),
        "You may only edit the benefit plans of initiatives you manage.",
    )
    require(not line.line_kind.is_cost, "Only a benefit line has a benefit plan.")
    plan = BenefitPlan.objects.filter(pk=pk).prefetch_related("periods").first()
    quarters = plan_quarters(line, plan)
    detail = reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#benefits"
    owner_default = person(initiative.sustainment_owner)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST, quarters=quarters, owner_default=owner_default)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.benefit_plan_save(
                    user=request.user,
                    line_id=line.pk,
                    version=data["version"],
                    owner=data["owner"],
                    kpi=data["kpi"],
                    source=data["source"],
                    periods=form.periods(),
                )
            except NotAllowed as error:
                require(False, error.message)
            except StaleEdit as error:
                form.add_error(None, error.message)
                status = 409
            except ApplicationError as error:
                form.put_errors(error.field_errors)
                if not error.field_errors:
                    form.add_error(None, error.message)
                status = 422
            else:
                messages.success(request, f"Benefit plan of “{line.label}” saved.")
                return HttpResponseRedirect(detail)
        else:
            status = 422
    else:
        form = PlanForm(initial=_initial(line, plan), quarters=quarters, owner_default=owner_default)
    amounts = {a.year: a.amount for a in line.amounts.all()}
    return render_page(
        request,
        EDIT_TEMPLATE,
        {
            "initiative": initiative,
            "line": line,
            "plan": plan,
            "form": form,
            "financial": line.line_kind.is_financial,
            "year_amounts": amounts,
            "title": f"Benefit plan: {line.label}",
            "cancel_url": detail,
        },
        status=status,
    )
