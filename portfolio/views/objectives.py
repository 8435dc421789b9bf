"""The objective tree, objective and KPI pages, KPI readings and programs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolio import roles, selectors, services
from portfolio.extensions import registry
from portfolio.formkit import DeleteForm
from portfolio.forms import KPIForm, ObjectiveForm, ProgramForm, ReadingForm
from portfolio.models import KPI, Contribution, Initiative, Objective, Program, Reading
from portfolio.views.common import form_response, form_status, render_page, require, submit, viewer_required

PMO_ONLY = "Only the PMO edits objectives, KPIs, readings and programs."


def _id_param(request: HttpRequest, name: str) -> dict[str, str] | None:
    value = request.GET.get(name) or ""
    return {name: value} if value.isdigit() and len(value) < 19 else None


@viewer_required
@require_GET
def objective_list(request: HttpRequest) -> HttpResponse:
    """The strategy as a tree: themes, objectives and sub-objectives with weights and KPIs."""
    return render_page(
        request,
        "portfolio/objective_list.html",
        {"tree": selectors.objective_tree(), "can_edit": roles.can_edit_portfolio(request.user)},
    )


@viewer_required
@require_GET
def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
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
def objective_create(request: HttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        ObjectiveForm(request.POST or None, initial=_id_param(request, "parent")),
        save=lambda f: services.objective_create(user=request.user, data=f.model_values()),
        done=lambda o: (f"Objective {o.code} added.", reverse("portfolio:objective-detail", args=[o.pk])),
        title="New objective",
        cancel_url=reverse("portfolio:objective-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    objective = get_object_or_404(Objective, pk=pk)
    return form_response(
        request,
        ObjectiveForm(request.POST or None, instance=objective),
        save=lambda f: services.objective_update(
            user=request.user, objective_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda o: (f"Objective {o.code} saved.", reverse("portfolio:objective-detail", args=[pk])),
        title=f"Edit objective {objective.code}",
        cancel_url=reverse("portfolio:objective-detail", args=[pk]),
    )


KPI_PAGE = "portfolio/kpi_detail.html"


def _kpi_context(request: HttpRequest, kpi: KPI, form: ReadingForm) -> dict[str, Any]:
    base = {"kpi": kpi, "can_edit": roles.can_edit_portfolio(request.user)}
    return {
        "sections": registry.render_sections("kpi", kpi, base, request),
        "kpi": kpi,
        "readings": list(kpi.readings.select_related("entered_by").order_by("-date")),
        "interim_targets": list(kpi.interim_targets.all()),
        "contributions": list(kpi.contributions.select_related("initiative").order_by("initiative__code")),
        "reading_form": form,
        "can_edit": roles.can_edit_portfolio(request.user),
        "entries": selectors.history_entries(
            [KPI.history.filter(id=kpi.pk), Reading.history.filter(kpi_id=kpi.pk)], limit=30
        ),
    }


@viewer_required
@require_GET
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A KPI with its readings, targets and the initiatives expected to move it; PMO enters readings here."""
    kpi = get_object_or_404(KPI.objects.select_related("objective"), pk=pk)
    return render_page(request, KPI_PAGE, _kpi_context(request, kpi, ReadingForm(kpi=kpi)))


@viewer_required
@require_POST
def reading_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick entry of a reading; htmx swaps the readings panel, a plain post redirects back to the KPI."""
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
        if not getattr(request, "htmx", False):
            messages.success(request, f"Reading of {created.value} on {created.date} recorded.")
            return redirect("portfolio:kpi-detail", pk=pk)
        form = ReadingForm(kpi=kpi)
    context = {**_kpi_context(request, kpi, form), "just_recorded": created}
    return render_page(
        request, KPI_PAGE, context, partial="readings", status=200 if created else form_status(form)
    )


@viewer_required
@require_POST
def reading_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    reading = get_object_or_404(Reading.objects.select_related("kpi", "kpi__objective"), pk=pk)
    form = DeleteForm(request.POST, instance=reading)

    def delete(f: DeleteForm) -> bool:
        services.reading_delete(user=request.user, reading_id=pk, version=f.cleaned_data["version"])
        return True

    done = submit(form, delete)
    if not getattr(request, "htmx", False):
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
    return render_page(
        request, KPI_PAGE, context, partial="readings", status=200 if done else form_status(form)
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        KPIForm(request.POST or None, initial=_id_param(request, "objective")),
        save=lambda f: services.kpi_create(user=request.user, data=f.model_values()),
        done=lambda k: (f"KPI “{k.name}” added.", reverse("portfolio:kpi-detail", args=[k.pk])),
        title="New KPI",
        cancel_url=reverse("portfolio:objective-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    kpi = get_object_or_404(KPI, pk=pk)
    return form_response(
        request,
        KPIForm(request.POST or None, instance=kpi),
        save=lambda f: services.kpi_update(
            user=request.user, kpi_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda k: (f"KPI “{k.name}” saved.", reverse("portfolio:kpi-detail", args=[pk])),
        title=f"Edit KPI “{kpi.name}”",
        cancel_url=reverse("portfolio:kpi-detail", args=[pk]),
    )


@viewer_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
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
def program_create(request: HttpRequest) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    return form_response(
        request,
        ProgramForm(request.POST or None),
        save=lambda f: services.program_create(user=request.user, data=f.model_values()),
        done=lambda p: (f"Program “{p.name}” added.", reverse("portfolio:program-list")),
        title="New program",
        cancel_url=reverse("portfolio:program-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)
    program = get_object_or_404(Program, pk=pk)
    return form_response(
        request,
        ProgramForm(request.POST or None, instance=program),
        save=lambda f: services.program_update(
            user=request.user, program_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda p: (f"Program “{p.name}” saved.", reverse("portfolio:program-list")),
        title=f"Edit program “{program.name}”",
        cancel_url=reverse("portfolio:program-list"),
    )
