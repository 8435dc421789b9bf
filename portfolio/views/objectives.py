"""The objective tree, objective and KPI pages, KPI readings and programs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles
from core.extensions import registry
from core.formatting import number
from core.formkit import DeleteForm
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


@viewer_required
@require_GET
def objective_list(request: HtmxHttpRequest) -> HttpResponse:
    """The strategy as a tree: themes, objectives and sub-objectives with weights and KPIs."""
    return render_page(
        request,
        "portfolio/objective_list.html",
        {"tree": selectors.objective_tree(), "can_edit": roles.can_edit_portfolio(request.user)},
    )


@viewer_required
@require_GET
def objective_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.select_related("owner", "parent"), pk=pk)
    weights = selectors.global_weights(Objective.objects.only("pk", "parent_id", "local_weight", "status"))
    kpis = list(objective.kpis.annotate(**selectors.latest_reading_annotations()).order_by("name"))
    contributions = list(
        Contribution.objects.filter(objective=objective)
        .select_related("initiative", "initiative__sponsor", "kpi")
        .order_by("initiative__code")
    )
    children = list(objective.children.annotate(n=Count("contributions")).order_by("code"))
    entries = selectors.history_entries(
        [Objective.history.filter(id=objective.pk), KPI.history.filter(objective_id=objective.pk)], limit=30
    )
    base = {"objective": objective, "can_edit": roles.can_edit_portfolio(request.user)}
    return render_page(
        request,
        "portfolio/objective_detail.html",
        {
            "sections": registry.render_sections("objective", objective, base, request),
            "objective": objective,
            "path": selectors.objective_path(objective),
            "global_weight": weights.get(objective.pk, 0.0),
            "kpis": kpis,
            "contributions": contributions,
            "children": children,
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
