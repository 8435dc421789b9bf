"""Capacity pages: the team x month heat map and what stands behind a cell, teams with their members,
capacity overrides and run demand, effort estimates' months, the capacity policy, and the exports."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from capacity import exports, rendering, selectors, services
from capacity.forms import (
    CapacityOverrideForm,
    HeatMapForm,
    MonthsForm,
    PolicyForm,
    RunDemandForm,
    RunFillForm,
    TeamForm,
    TeamMemberForm,
)
from capacity.models import CapacityOverride, CapacityPolicy, ChangeDemand, RunDemand, Team, TeamMember
from capacity.months import label, parse_month, short
from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.formkit import DeleteForm
from core.links import url_pattern
from core.paging import capped_page
from core.tabular import export_response, filter_errors
from core.views import HtmxHttpRequest, form_response, posted, render_page, require, submit, viewer_required

PMO_ONLY = services.PMO_ONLY
HEAT_TEAMS_PER_PAGE = 200
TEAMS_PER_PAGE = 50
TEAM_ROWS = 100
DEFAULT_WINDOW = 12
OVER_LISTED = 50


def heat_form(request: HtmxHttpRequest) -> HeatMapForm:
    """The filter as asked for; a window not asked for is the default one, and the select says so."""
    data = request.GET.copy()
    if not data.get("months"):
        data["months"] = str(DEFAULT_WINDOW)
    return HeatMapForm(data)


def window_of(form: HeatMapForm) -> list[datetime.date]:
    data = form.cleaned_data
    start = data.get("start") or timezone.localdate().replace(day=1)
    return selectors.window(start, data.get("months") or DEFAULT_WINDOW)


@viewer_required
@require_GET
def heat_map(request: HtmxHttpRequest) -> HttpResponse:
    """The team x month utilisation heat map: run + committed change (+ proposals when asked) over capacity,
    a page of up to 200 teams, with the over-allocated team-months and each team's run against change."""
    form = heat_form(request)
    policy = services.current_policy()
    context: dict[str, Any] = {
        "form": form,
        "policy": policy,
        "bands": selectors.BANDS,
        "no_capacity": selectors.NO_CAPACITY,
        "can_edit": roles.can_edit_portfolio(request.user),
    }
    if not form.is_valid():
        context.update(page=None, grid=None)
        return render_page(request, "capacity/heat_map.html", context, status=400)
    months = window_of(form)
    page = capped_page(
        Team.objects.order_by("name", "pk"),
        form.cleaned_data.get("page") or 1,
        HEAT_TEAMS_PER_PAGE,
        narrow=False,
    )
    teams = [(team.pk, team.name) for team in page.object_list]
    whole = page.number == 1 and not page.has_next
    grid = selectors.heat_map(
        teams, months, policy=policy, proposals=bool(form.cleaned_data.get("proposals")), all_teams=whole
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        page=page,
        grid=grid,
        over=rendering.over_rows(grid, OVER_LISTED),
        over_more=grid.over_count > OVER_LISTED,
        shares=rendering.share_rows(grid),
        team_url=url_pattern("capacity:team-detail"),
        overall_utilisation=rendering.number(grid.overall_utilisation, suffix=" %"),
        overall_capacity=rendering.number(grid.overall.capacity),
        grid_html=rendering.grid_body(grid),
        query=query.urlencode(),
        month_labels=[(m, short(m), label(m)) for m in months],
    )
    return render_page(request, "capacity/heat_map.html", context)


@viewer_required
@require_GET
def heat_map_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The heat map's page as a table: one row per team and month with capacity, each layer and utilisation."""
    form = heat_form(request)
    if not form.is_valid():
        return filter_errors(form)
    page = capped_page(
        Team.objects.order_by("name", "pk"),
        form.cleaned_data.get("page") or 1,
        HEAT_TEAMS_PER_PAGE,
        narrow=False,
    )
    grid = selectors.heat_map(
        [(t.pk, t.name) for t in page.object_list],
        window_of(form),
        policy=services.current_policy(),
        proposals=bool(form.cleaned_data.get("proposals")),
    )
    return exports.heat_map_response(grid, fmt)


@viewer_required
@require_GET
def cell_detail(request: HtmxHttpRequest, pk: int, month: str) -> HttpResponse:
    """What stands behind one heat-map cell: capacity (members or override), run lines, initiatives' effort."""
    team = get_object_or_404(Team, pk=pk)
    first = parse_month(month)
    if first is None:
        raise Http404("No such month.")
    policy = services.current_policy()
    demand = selectors.cell_demand(team, first)
    context = {
        "team": team,
        "month": first,
        "month_label": label(first),
        "demand": demand,
        "cell": demand.cell,
        "threshold": float(policy.overload_threshold),
        "utilisation": demand.cell.utilisation(),
        "utilisation_all": demand.cell.utilisation(proposals=True),
        "can_edit": roles.can_edit_portfolio(request.user),
    }
    return render_page(request, "capacity/cell_detail.html", context)


# ------------------------------------------------------------------------------------------------ teams


@viewer_required
@require_GET
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    number = request.GET.get("page", "1")
    page = capped_page(
        Team.objects.select_related("manager").order_by("name", "pk"),
        int(number) if number.isdigit() and len(number) < 8 else 1,
        TEAMS_PER_PAGE,
        narrow=False,
    )
    context = {"page": page, "can_edit": roles.can_edit_portfolio(request.user)}
    return render_page(request, "capacity/team_list.html", context)


@viewer_required
@require_GET
def team_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A team: its members, capacity overrides, run demand and effort estimates (each list bounded)."""
    team = get_object_or_404(Team.objects.select_related("manager"), pk=pk)
    months = selectors.window(timezone.localdate(), DEFAULT_WINDOW)
    grid = selectors.heat_map([(team.pk, team.name)], months, policy=services.current_policy())
    context = {
        "team": team,
        "members": list(team.members.select_related("user").order_by("name", "pk")[:TEAM_ROWS]),
        "overrides": list(team.overrides.order_by("-month")[:TEAM_ROWS]),
        "run_lines": list(team.run_demand.order_by("-month", "category")[:TEAM_ROWS]),
        "efforts": list(
            team.change_demand.select_related("initiative").order_by("initiative__code")[:TEAM_ROWS]
        ),
        "row": grid.rows[0],
        "month_labels": [(m, short(m), label(m)) for m in months],
        "limit": TEAM_ROWS,
        "can_edit": roles.can_edit_portfolio(request.user),
    }
    return render_page(request, "capacity/team_detail.html", context)


def _deleted(delete: Callable[..., None], **arguments: Any) -> bool:
    """Run a delete service; True for form_response, which takes None for a refusal."""
    delete(**arguments)
    return True


def _team_url(team_id: int) -> str:
    return reverse("capacity:team-detail", args=[team_id])


@viewer_required
@require_http_methods(["GET", "POST"])
def team_create(request: HtmxHttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        TeamForm(posted(request)),
        save=lambda f: services.team_create(user=request.user, data=f.model_values()),
        done=lambda t: (f"Team “{t.name}” added.", _team_url(t.pk)),
        title="Add a team",
        cancel_url=reverse("capacity:team-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    team = get_object_or_404(Team, pk=pk)
    return form_response(
        request,
        TeamForm(posted(request), instance=team),
        save=lambda f: services.team_update(
            user=request.user, team_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda t: (f"Team “{t.name}” saved.", _team_url(t.pk)),
        title=f"Edit team {team.name}",
        cancel_url=_team_url(pk),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def team_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    team = get_object_or_404(Team, pk=pk)
    return form_response(
        request,
        DeleteForm(posted(request), instance=team),
        save=lambda f: _deleted(
            services.team_delete, user=request.user, team_id=pk, version=f.cleaned_data["version"]
        ),
        done=lambda _r: (f"Team “{team.name}” deleted.", reverse("capacity:team-list")),
        title=f"Delete team {team.name}?",
        cancel_url=_team_url(pk),
        template="capacity/confirm_delete.html",
        context={
            "record": team,
            "noun": "team",
            "consequence": "Its members, capacity overrides, run demand and effort estimates go with it.",
        },
    )


# ------------------------------------------------------------------- a team's members, overrides, run


@dataclass(frozen=True)
class TeamKind:
    noun: str
    model: type[Any]
    form: type[Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]


TEAM_KINDS: dict[str, TeamKind] = {
    "members": TeamKind(
        "member",
        TeamMember,
        TeamMemberForm,
        services.member_create,
        partial(services.team_record_update, TeamMember),
        partial(services.team_record_delete, TeamMember),
    ),
    "overrides": TeamKind(
        "capacity override",
        CapacityOverride,
        CapacityOverrideForm,
        services.override_create,
        partial(services.team_record_update, CapacityOverride),
        partial(services.team_record_delete, CapacityOverride),
    ),
    "run": TeamKind(
        "run demand line",
        RunDemand,
        RunDemandForm,
        lambda *, user, team, data: services.run_demand_fill(
            user=user,
            team=team,
            category=data["category"],
            first_month=data["month"],
            last_month=data["month"],
            person_days=data["person_days"],
            note=data.get("note", ""),
        ),
        partial(services.team_record_update, RunDemand),
        partial(services.team_record_delete, RunDemand),
    ),
}


def _team_kind(kind: str) -> TeamKind:
    found = TEAM_KINDS.get(kind)
    if found is None:
        raise Http404("No such kind of record.")
    return found


@viewer_required
@require_http_methods(["GET", "POST"])
def team_record_create(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = _team_kind(kind)
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    team = get_object_or_404(Team, pk=pk)
    return form_response(
        request,
        spec.form(posted(request), instance=spec.model(team=team)),
        save=lambda f: spec.create(user=request.user, team=team, data=f.model_values()),
        done=lambda _r: (f"{capfirst(spec.noun)} added to {team.name}.", _team_url(pk)),
        title=f"Add a {spec.noun} to {team.name}",
        cancel_url=_team_url(pk),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def team_record_edit(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = _team_kind(kind)
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    record = get_object_or_404(spec.model.objects.select_related("team"), pk=pk)
    return form_response(
        request,
        spec.form(posted(request), instance=record),
        save=lambda f: spec.update(
            user=request.user, pk=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda _r: (f"{capfirst(spec.noun)} saved.", _team_url(record.team_id)),
        title=f"Edit {spec.noun} of {record.team.name}",
        cancel_url=_team_url(record.team_id),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def team_record_delete(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = _team_kind(kind)
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    record = get_object_or_404(spec.model.objects.select_related("team"), pk=pk)
    return form_response(
        request,
        DeleteForm(posted(request), instance=record),
        save=lambda f: _deleted(spec.delete, user=request.user, pk=pk, version=f.cleaned_data["version"]),
        done=lambda _r: (f"{capfirst(spec.noun)} deleted.", _team_url(record.team_id)),
        title=f"Delete this {spec.noun}?",
        cancel_url=_team_url(record.team_id),
        template="capacity/confirm_delete.html",
        context={"record": record, "noun": spec.noun, "consequence": ""},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def run_fill(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Enter a team's run demand of one category over a range of months at once."""
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    team = get_object_or_404(Team, pk=pk)
    form = RunFillForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            count = services.run_demand_fill(user=request.user, team=team, **form.cleaned_data)
        except NotAllowed as error:
            require(False, error.message)
        except ApplicationError as error:
            for field, errors in error.field_errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.field_errors:
                form.add_error(None, error.message)
        else:
            messages.success(request, f"Run demand set for {count} month{'s' if count != 1 else ''}.")
            return HttpResponseRedirect(_team_url(pk))
    return render_page(
        request,
        "portfolio/simple_form.html",
        {"form": form, "title": f"Enter run demand of {team.name}", "cancel_url": _team_url(pk)},
        status=422 if form.is_bound else 200,
    )


# ------------------------------------------------------------------------------------ effort estimates


def _initiative_url(demand: ChangeDemand) -> str:
    return reverse("portfolio:initiative-detail", args=[demand.initiative_id]) + "#effort"


@viewer_required
@require_http_methods(["GET", "POST"])
def effort_months(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Edit an estimate's months one by one (the months it is spread over, from the initiative's plan)."""
    demand = get_object_or_404(ChangeDemand.objects.select_related("initiative", "team"), pk=pk)
    require(roles.can_edit_initiative(request.user, demand.initiative), "Your role does not allow this.")
    current = {m.month: m.person_days for m in demand.months.order_by("month")[:240]}
    if not current:
        initiative = demand.initiative
        current = services.even_spread(demand.person_days, initiative.planned_start, initiative.planned_end)
    data = posted(request)
    form = MonthsForm(data, months=current, initial={"version": demand.version})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.change_demand_set_months(
                    user=request.user,
                    demand_id=pk,
                    version=form.cleaned_data["version"],
                    months=form.months(),
                )
            except NotAllowed as error:
                require(False, error.message)
            except StaleEdit as error:
                form.add_error(None, error.message)
                status = 409
            except ApplicationError as error:
                for messages_ in error.field_errors.values():
                    for message in messages_:
                        form.add_error(None, message)
                if not error.field_errors:
                    form.add_error(None, error.message)
            else:
                messages.success(request, "Effort months saved.")
                return HttpResponseRedirect(_initiative_url(demand))
    context = {
        "form": form,
        "demand": demand,
        "no_plan": not current,
        "title": f"Effort of {demand.initiative.code} for {demand.team.name}, month by month",
        "cancel_url": _initiative_url(demand),
    }
    return render_page(request, "capacity/effort_months.html", context, status=status)


@viewer_required
@require_POST
def effort_reset(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Spread an estimate evenly over its initiative's planned months again."""
    demand = get_object_or_404(ChangeDemand.objects.select_related("initiative"), pk=pk)
    require(roles.can_edit_initiative(request.user, demand.initiative), "Your role does not allow this.")
    version = request.POST.get("version", "")
    if not version.isdigit() or len(version) > 9:
        messages.error(request, "This form is missing its version; reload the page and try again.")
        return HttpResponseRedirect(_initiative_url(demand))
    form = DeleteForm(request.POST, instance=demand)
    result = submit(
        form, lambda f: services.change_demand_reset(user=request.user, demand_id=pk, version=int(version))
    )
    if result is None:
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()) or "Nothing was changed.")
    else:
        messages.success(request, "Effort spread evenly over the planned months again.")
    return HttpResponseRedirect(_initiative_url(demand))


# --------------------------------------------------------------------------------------------- policy


@viewer_required
@require_http_methods(["GET", "POST"])
def policy(request: HtmxHttpRequest) -> HttpResponse:
    """The capacity policy's versions (everyone reads them); the PMO publishes the next one."""
    can_publish = roles.can_edit_portfolio(request.user)
    if request.method == "POST":
        require(can_publish, "Only the PMO publishes the capacity policy.")
    current = services.current_policy()
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                published = services.capacity_policy_publish(user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                for field, errors in error.field_errors.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                if not error.field_errors:
                    form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    f"Capacity policy v{published.version} published. Signals follow it at the next recompute.",
                )
                return HttpResponseRedirect(reverse("capacity:policy"))
        status = 422
    else:
        form = PolicyForm(
            initial={
                "change_share_target": current.change_share_target,
                "overload_threshold": current.overload_threshold,
                "max_shift_months": current.max_shift_months,
            }
        )
    context = {
        "current": current,
        "versions": CapacityPolicy.objects.select_related("created_by")[:100],
        "form": form,
        "can_publish": can_publish,
    }
    return render_page(request, "capacity/policy.html", context, status=status)


# -------------------------------------------------------------------------------------------- exports


@viewer_required
@require_GET
def team_list_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.team_list_export(), fmt)


@viewer_required
@require_GET
def team_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.team_export(), fmt)


@viewer_required
@require_GET
def override_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.override_export(), fmt)


@viewer_required
@require_GET
def effort_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.effort_export(), fmt)


@viewer_required
@require_GET
def effort_month_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.effort_month_export(), fmt)


@viewer_required
@require_GET
def run_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    return export_response(exports.run_export(), fmt)
