"""The initiative register, the initiative page, and the forms for initiatives and their records."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_http_methods

from core import roles
from core.extensions import ChildKind, registry
from core.formkit import DeleteForm
from core.links import url_pattern
from core.paging import capped_page
from core.templatetags.bearing import person
from core.views import (
    HtmxHttpRequest,
    form_response,
    posted,
    render_page,
    require,
    viewer_required,
)
from portfolio import selectors, services
from portfolio.forms import (
    ContributionForm,
    InitiativeForm,
    MilestoneFilterForm,
    RegisterFilterForm,
    SustainmentOwnerForm,
)
from portfolio.models import Initiative
from portfolio.sections import milestone_state

REGISTER = "portfolio/initiative_list.html"
INITIATIVE_FORM = "portfolio/initiative_form.html"
RECORD_FORM = "portfolio/record_form.html"


@viewer_required
@require_GET
def initiative_list(request: HtmxHttpRequest) -> HttpResponse:
    """The register: search, filters, sortable columns and pages; htmx swaps only the results."""
    sort_keys = list(selectors.register_sorts())
    form = RegisterFilterForm(request.GET, sort_keys=sort_keys)
    context: dict[str, Any] = {
        "form": form,
        "columns": registry.ordered_columns(),
        "filter_names": ["stage", "category", "program", "sponsor", "objective"]
        + [c.key for c in registry.ordered_columns() if c.filter_choices],
        "can_create": roles.can_edit_portfolio(request.user),
        "detail_url": url_pattern("portfolio:initiative-detail"),
    }
    if not form.is_valid():
        context.update(page=None, total=0, budget=0, sort="code")
        return render_page(request, REGISTER, context, partial="results", status=400)
    filters = form.filters()
    rows = selectors.initiative_register(filters)
    # counted up to a bound, in the same pass as the total budget (given when every row was counted); the
    # whole register's size beyond the bound is the planner's estimate
    page = capped_page(
        rows,
        form.cleaned_data.get("page") or 1,
        form.cleaned_data["per_page"] or 50,
        sums=["total_budget"],
        estimate=Initiative if filters.unfiltered else None,
    )
    context.update(
        page=page, total=page.tally, budget=page.totals.get("total_budget") or 0, sort=filters.sort
    )
    return render_page(request, REGISTER, context, partial="results")


@viewer_required
@require_GET
def initiative_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One initiative: overview, contributions, milestones, risks, scope changes, artefacts, history."""
    initiative = get_object_or_404(
        Initiative.objects.select_related("program", "sponsor", "manager", "sustainment_owner"), pk=pk
    )
    user = request.user
    base = {
        "initiative": initiative,
        "can_edit": roles.can_edit_initiative(user, initiative),
        "can_edit_portfolio": roles.can_edit_portfolio(user),
        "request": request,
    }
    sections = registry.render_sections("initiative", initiative, base, request)
    return render_page(
        request,
        "portfolio/initiative_detail.html",
        {**base, "sections": sections, "header": registry.header(initiative)},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def initiative_create(request: HtmxHttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), "Only the PMO registers new initiatives.")
    return form_response(
        request,
        InitiativeForm(posted(request), user=request.user),
        save=lambda f: services.initiative_create(user=request.user, data=f.model_values()),
        done=lambda i: (
            f"Initiative {i.code} registered.",
            reverse("portfolio:initiative-detail", args=[i.pk]),
        ),
        title="New initiative",
        cancel_url=reverse("portfolio:initiative-list"),
        template=INITIATIVE_FORM,
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    initiative = get_object_or_404(Initiative, pk=pk)
    require(roles.can_edit_initiative(request.user, initiative), "You may only edit initiatives you manage.")
    return form_response(
        request,
        InitiativeForm(posted(request), instance=initiative, user=request.user),
        save=lambda f: services.initiative_update(
            user=request.user, initiative_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda i: (f"Initiative {i.code} saved.", reverse("portfolio:initiative-detail", args=[pk])),
        title=f"Edit {initiative.code}",
        cancel_url=reverse("portfolio:initiative-detail", args=[pk]),
        template=INITIATIVE_FORM,
        context={"initiative": initiative},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def initiative_sustainment_owner(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Name who owns an initiative after go-live (the worklist's fix): one field, saved through the
    initiative service with its version check; back to the worklist (`next`) or the initiative."""
    initiative = get_object_or_404(Initiative.objects.select_related("manager"), pk=pk)
    require(roles.can_edit_initiative(request.user, initiative), "You may only edit initiatives you manage.")
    detail = reverse("portfolio:initiative-detail", args=[pk])
    return form_response(
        request,
        SustainmentOwnerForm(request.POST or None, instance=initiative),
        save=lambda f: services.initiative_update(
            user=request.user, initiative_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda i: (
            f"{person(i.sustainment_owner)} now owns {i.code} after go-live.",
            detail,
        ),
        title=f"Name the sustainment owner of {initiative.code}",
        cancel_url=detail,
        template="portfolio/sustainment_owner_form.html",
        context={"initiative": initiative},
    )


@viewer_required
@require_GET
def contribution_kpi_options(request: HtmxHttpRequest) -> HttpResponse:
    """The contribution form's KPI field for the objective chosen (htmx swaps it in when the objective
    changes), keeping the KPI picked so far when it belongs to that objective."""
    form = ContributionForm(
        initial={"objective": request.GET.get("objective", ""), "kpi": request.GET.get("kpi", "")}
    )
    response = HttpResponse(form["kpi"].as_field_group())
    patch_vary_headers(response, ["HX-Request"])
    return response


def _kind(slug: str) -> ChildKind:
    kind = registry.child_kinds.get(slug)
    if kind is None:
        raise Http404("No such kind of record.")
    return kind


def _back(initiative: Initiative, kind: ChildKind) -> str:
    return reverse("portfolio:initiative-detail", args=[initiative.pk]) + f"#{kind.section}"


@viewer_required
@require_http_methods(["GET", "POST"])
def record_create(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    """Add a record (contribution, milestone, risk, ...) to an initiative."""
    spec = _kind(kind)
    initiative = get_object_or_404(Initiative, pk=pk)
    require(spec.rule(request.user, initiative), f"Your role does not allow adding a {spec.noun} here.")
    return form_response(
        request,
        spec.form(posted(request), instance=spec.model(initiative=initiative)),
        save=lambda f: spec.create(user=request.user, initiative=initiative, data=f.model_values()),
        done=lambda _r: (f"{capfirst(spec.noun)} added.", _back(initiative, spec)),
        title=f"Add a {spec.noun} to {initiative.code}",
        cancel_url=_back(initiative, spec),
        template=RECORD_FORM,
        context={"kind": spec, "initiative": initiative},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = _kind(kind)
    record = get_object_or_404(spec.model.objects.select_related("initiative"), pk=pk)
    initiative = record.initiative
    require(spec.rule(request.user, initiative), f"Your role does not allow changing this {spec.noun}.")
    return form_response(
        request,
        spec.form(posted(request), instance=record),
        save=lambda f: spec.update(
            user=request.user, pk=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda _r: (f"{capfirst(spec.noun)} saved.", _back(initiative, spec)),
        title=f"Edit {spec.noun} of {initiative.code}",
        cancel_url=_back(initiative, spec),
        template=RECORD_FORM,
        context={"kind": spec, "initiative": initiative, "record": record},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def record_delete(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    """Confirm, then delete a record of an initiative (refused if it changed since the page was loaded)."""
    spec = _kind(kind)
    record = get_object_or_404(spec.model.objects.select_related("initiative"), pk=pk)
    initiative = record.initiative
    require(spec.rule(request.user, initiative), f"Your role does not allow deleting this {spec.noun}.")
    return form_response(
        request,
        DeleteForm(posted(request), instance=record),
        save=lambda f: spec.delete(user=request.user, pk=pk, version=f.cleaned_data["version"]) or True,
        done=lambda _r: (f"{capfirst(spec.noun)} deleted.", _back(initiative, spec)),
        title=f"Delete this {spec.noun}?",
        cancel_url=_back(initiative, spec),
        template="portfolio/record_confirm_delete.html",
        context={"kind": spec, "initiative": initiative, "record": record},
    )


def milestone_filter_data(request: HtmxHttpRequest) -> QueryDict:
    """The milestone list's filters from the query string: due milestones unless the state says otherwise."""
    data = request.GET.copy()
    data.setdefault("state", "due")
    return data


@viewer_required
@require_GET
def milestone_list(request: HtmxHttpRequest) -> HttpResponse:
    """Milestones due across the portfolio and whether each was delivered by its baseline date."""
    form = MilestoneFilterForm(milestone_filter_data(request))
    context: dict[str, Any] = {"form": form, "today": timezone.localdate()}
    if not form.is_valid():
        context["page"] = None
        return render_page(request, "portfolio/milestone_list.html", context, partial="results", status=400)
    page = capped_page(form.rows(context["today"]), form.cleaned_data.get("page") or 1, 50)
    context["page"] = page
    context["rows"] = [(m, milestone_state(m, context["today"])) for m in page.object_list]
    return render_page(request, "portfolio/milestone_list.html", context, partial="results")
