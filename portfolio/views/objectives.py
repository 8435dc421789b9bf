"""The objective tree, objective and KPI pages, KPI readings and programs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, F, OuterRef, Q, Window
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles
from core.extensions import registry
from core.formatting import number
from core.formkit import DeleteForm
from core.links import url_pattern
from core.redirects import next_url
from core.views import (
    HtmxHttpRequest,
    form_response,
    form_status,
    posted,
    render_page,
    require,
    submit,
    viewer_required,
    wants_fragment,
)
from portfolio import selectors, services
from portfolio.forms import InterimTargetForm, KPIForm, ObjectiveForm, ProgramForm, ReadingForm
from portfolio.models import KPI, Contribution, Initiative, InterimTarget, Objective, Program, Reading

PMO_ONLY = "Only the PMO edits objectives, KPIs, readings and programs."


def _id_param(request: HtmxHttpRequest, name: str) -> dict[str, str] | None:
    value = request.GET.get(name) or ""
    return {name: value} if value.isdigit() and len(value) < 19 else None


def _page_param(request: HtmxHttpRequest) -> int:
    value = request.GET.get("page") or ""
    return int(value) if value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1


@viewer_required
@require_GET
def objective_list(request: HtmxHttpRequest) -> HttpResponse:
    """The strategy as a tree: themes, objectives and sub-objectives with weights and KPIs. A tree too large
    to show whole shows its top levels, each branch opening on demand (`?root=`: the branch under an
    objective, which htmx swaps in place)."""
    root = None
    root_param = _id_param(request, "root")
    if root_param is not None:
        root = get_object_or_404(Objective.objects.select_related("parent__parent"), pk=root_param["root"])
    tree = selectors.objective_tree(root, offset=(_page_param(request) - 1) * selectors.TREE_LIMIT)
    return render_page(
        request,
        "portfolio/objective_list.html",
        {
            "tree": tree,
            "path": selectors.objective_path(root) if root is not None else [],
            "can_edit": roles.can_edit_portfolio(request.user),
        },
        partial="branch",
    )


def _matched(rows: Sequence[Any]) -> int:
    """How many rows the query matched before its slice: the Window(Count) it annotates as `total`."""
    return int(rows[0].total) if rows else 0


CONTRIBUTIONS_SHOWN = 50  # the objective page's contributions: the largest budgets first
CHILDREN_SHOWN = 50
KPIS_SHOWN = 50


@viewer_required
@require_GET
def objective_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """An objective with its KPIs, sub-objectives and the contributions to it (each list bounded, saying how
    many more there are and where to see them), the sections other apps add, and its history."""
    objective = get_object_or_404(Objective.objects.select_related("owner", "parent__parent"), pk=pk)
    kpis = list(
        objective.kpis.annotate(**selectors.latest_reading_annotations(), total=Window(Count("pk"))).order_by(
            "name"
        )[:KPIS_SHOWN]
    )
    contributions = list(
        Contribution.objects.filter(objective=objective)
        .select_related("initiative")
        .only(
            "strength",
            "rationale",
            "initiative__code",
            "initiative__title",
            "initiative__stage",
            "initiative__budget_capex",
            "initiative__budget_opex",
        )
        .annotate(
            budget=F("initiative__budget_capex") + F("initiative__budget_opex"), total=Window(Count("pk"))
        )
        .order_by(F("budget").desc(), "initiative__code")[:CONTRIBUTIONS_SHOWN]
    )
    children = list(
        objective.children.annotate(
            n=selectors.count_of(Contribution.objects.filter(objective_id=OuterRef("pk"))),
            total=Window(Count("pk")),
        ).order_by("code")[:CHILDREN_SHOWN]
    )
    entries = selectors.history_entries(
        [Objective.history.filter(id=objective.pk), KPI.history.filter(objective_id=objective.pk)], limit=30
    )
    contribution_count = _matched(contributions)
    base = {"objective": objective, "can_edit": roles.can_edit_portfolio(request.user)}
    return render_page(
        request,
        "portfolio/objective_detail.html",
        {
            "sections": registry.render_sections("objective", objective, base, request),
            "objective": objective,
            "path": selectors.objective_path(objective),
            "global_weight": selectors.global_weight(objective),
            "kpis": kpis,
            "more_kpis": _matched(kpis) - len(kpis),
            "contributions": contributions,
            "initiative_url": url_pattern("portfolio:initiative-detail"),
            "contribution_count": contribution_count,
            "more_contributions": contribution_count - len(contributions),
            "register_url": reverse("portfolio:initiative-list")
            + "?"
            + urlencode({"objective": objective.pk, "sort": "-budget"}),
            "children": children,
            "more_children": _matched(children) - len(children),
            "entries": entries,
            "can_edit": roles.can_edit_portfolio(request.user),
        },
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def objective_create(request: HtmxHttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        ObjectiveForm(posted(request), initial=_id_param(request, "parent")),
        save=lambda f: services.objective_create(user=request.user, data=f.model_values()),
        done=lambda o: (f"Objective {o.code} added.", reverse("portfolio:objective-detail", args=[o.pk])),
        title="New objective",
        cancel_url=reverse("portfolio:objective-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    objective = get_object_or_404(Objective, pk=pk)
    return form_response(
        request,
        ObjectiveForm(posted(request), instance=objective),
        save=lambda f: services.objective_update(
            user=request.user, objective_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda o: (f"Objective {o.code} saved.", reverse("portfolio:objective-detail", args=[pk])),
        title=f"Edit objective {objective.code}",
        cancel_url=reverse("portfolio:objective-detail", args=[pk]),
    )


KPI_PAGE = "portfolio/kpi_detail.html"


def _kpi_context(request: HtmxHttpRequest, kpi: KPI, form: ReadingForm) -> dict[str, Any]:
    back = next_url(request, "")
    base = {"kpi": kpi, "can_edit": roles.can_edit_portfolio(request.user)}
    return {
        "sections": registry.render_sections("kpi", kpi, base, request),
        "kpi": kpi,
        "readings": list(kpi.readings.select_related("entered_by").order_by("-date")),
        "interim_targets": list(kpi.interim_targets.all()),
        "contributions": list(kpi.contributions.select_related("initiative").order_by("initiative__code")),
        "reading_form": form,
        "back": back,  # the page that sent the user here to enter a reading (the worklist)
        "back_label": "Back to the data-quality worklist"
        if back.startswith(reverse("portfolio:worklist"))
        else "Back",
        "can_edit": roles.can_edit_portfolio(request.user),
        "entries": selectors.history_entries(
            [KPI.history.filter(id=kpi.pk), Reading.history.filter(kpi_id=kpi.pk)], limit=30
        ),
    }


@viewer_required
@require_GET
def kpi_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A KPI with its readings, targets and the initiatives expected to move it; PMO enters readings here."""
    kpi = get_object_or_404(KPI.objects.select_related("objective"), pk=pk)
    return render_page(request, KPI_PAGE, _kpi_context(request, kpi, ReadingForm(kpi=kpi)))


@viewer_required
@require_POST
def reading_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Quick entry of a reading; htmx swaps the page's body (status tiles, chart, readings and history, as
    recomputed after the commit), a plain post redirects back to the KPI."""
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    kpi = get_object_or_404(KPI.objects.select_related("objective"), pk=pk)
    form = ReadingForm(request.POST, kpi=kpi)
    created = submit(
        form,
        lambda f: services.reading_record(
            user=request.user,
            kpi=kpi,
            date=f.cleaned_data["date"],
            value=f.cleaned_data["value"],
            source=f.cleaned_data["source"],
        ),
    )
    if created is not None:
        if not wants_fragment(request):
            messages.success(
                request, f"Reading of {number(created.value)} {kpi.unit} on {created.date} recorded."
            )
            return redirect(next_url(request, reverse("portfolio:kpi-detail", args=[pk])))
        form = ReadingForm(kpi=kpi)
    context = {**_kpi_context(request, kpi, form), "just_recorded": created}
    return render_page(
        request, KPI_PAGE, context, partial="body", status=200 if created else form_status(form)
    )


@viewer_required
@require_POST
def reading_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    reading = get_object_or_404(Reading.objects.select_related("kpi", "kpi__objective"), pk=pk)
    form = DeleteForm(request.POST, instance=reading)

    def delete(f: DeleteForm) -> bool:
        services.reading_delete(user=request.user, reading_id=pk, version=f.cleaned_data["version"])
        return True

    done = submit(form, delete)
    if not wants_fragment(request):
        if done:
            messages.success(request, f"Reading of {reading.date} deleted.")
        else:
            messages.error(
                request, " ".join(map(str, form.non_field_errors())) or "The reading could not be deleted."
            )
        return redirect("portfolio:kpi-detail", pk=reading.kpi_id)
    context = {
        **_kpi_context(request, reading.kpi, ReadingForm(kpi=reading.kpi)),
        "delete_errors": form.non_field_errors(),
    }
    return render_page(request, KPI_PAGE, context, partial="body", status=200 if done else form_status(form))


@viewer_required
@require_http_methods(["GET", "POST"])
def interim_target_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a waypoint to a KPI; expected progress runs through it from the next recompute on."""
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    kpi = get_object_or_404(KPI, pk=pk)
    kpi_url = reverse("portfolio:kpi-detail", args=[pk])
    return form_response(
        request,
        InterimTargetForm(posted(request), kpi=kpi),
        save=lambda f: services.interim_target_create(
            user=request.user, kpi=kpi, date=f.cleaned_data["date"], value=f.cleaned_data["value"]
        ),
        done=lambda t: (f"Interim target of {number(t.value)} {kpi.unit} by {t.date} added.", kpi_url),
        title=f"Add an interim target to “{kpi.name}”",
        cancel_url=kpi_url,
    )


@viewer_required
@require_POST
def interim_target_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    target = get_object_or_404(InterimTarget, pk=pk)
    form = DeleteForm(request.POST, instance=target)

    def delete(f: DeleteForm) -> bool:
        services.interim_target_delete(user=request.user, target_id=pk, version=f.cleaned_data["version"])
        return True

    if submit(form, delete):
        messages.success(request, f"Interim target of {target.date} deleted.")
    else:
        messages.error(
            request, " ".join(map(str, form.non_field_errors())) or "The interim target could not be deleted."
        )
    return redirect("portfolio:kpi-detail", pk=target.kpi_id)


@viewer_required
@require_http_methods(["GET", "POST"])
def kpi_create(request: HtmxHttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        KPIForm(posted(request), initial=_id_param(request, "objective")),
        save=lambda f: services.kpi_create(user=request.user, data=f.model_values()),
        done=lambda k: (f"KPI “{k.name}” added.", reverse("portfolio:kpi-detail", args=[k.pk])),
        title="New KPI",
        cancel_url=reverse("portfolio:objective-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    kpi = get_object_or_404(KPI, pk=pk)
    return form_response(
        request,
        KPIForm(posted(request), instance=kpi),
        save=lambda f: services.kpi_update(
            user=request.user, kpi_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda k: (f"KPI “{k.name}” saved.", reverse("portfolio:kpi-detail", args=[pk])),
        title=f"Edit KPI “{kpi.name}”",
        cancel_url=reverse("portfolio:kpi-detail", args=[pk]),
    )


@viewer_required
@require_GET
def program_list(request: HtmxHttpRequest) -> HttpResponse:
    programs = Program.objects.select_related("owner").annotate(
        initiative_count=Count("initiatives"),
        open_count=Count("initiatives", filter=~Q(initiatives__stage__in=["closed", "cancelled"])),
    )
    return render_page(
        request,
        "portfolio/program_list.html",
        {
            "programs": programs,
            "unassigned": Initiative.objects.filter(program__isnull=True).count(),
            "can_edit": roles.can_edit_portfolio(request.user),
        },
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def program_create(request: HtmxHttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        ProgramForm(posted(request)),
        save=lambda f: services.program_create(user=request.user, data=f.model_values()),
        done=lambda p: (f"Program “{p.name}” added.", reverse("portfolio:program-list")),
        title="New program",
        cancel_url=reverse("portfolio:program-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    program = get_object_or_404(Program, pk=pk)
    return form_response(
        request,
        ProgramForm(posted(request), instance=program),
        save=lambda f: services.program_update(
            user=request.user, program_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda p: (f"Program “{p.name}” saved.", reverse("portfolio:program-list")),
        title=f"Edit program “{program.name}”",
        cancel_url=reverse("portfolio:program-list"),
    )
