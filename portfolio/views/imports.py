"""The import pages (PMO only): upload a file, map its columns, see the dry run, confirm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles, sheets
from core.errors import ApplicationError
from core.formkit import BearingForm
from core.jobs import latest_job
from core.models import ImportMapping, ImportRun
from core.tabular import csv_response
from core.views import HtmxHttpRequest, job_context, render_page, require, viewer_required
from portfolio.imports import runs
from portfolio.imports.registry import KINDS, field_choices, kind_choices
from portfolio.imports.templates import template_response

PROBLEMS_SHOWN = 200
PMO_ONLY = "Only the PMO imports data."


class UploadForm(BearingForm):
    kind = forms.ChoiceField(label="What the file holds", choices=[])
    file = forms.FileField(label="File (.xlsx or .csv)")
    saved_mapping = forms.ModelChoiceField(
        queryset=ImportMapping.objects.none(),
        required=False,
        label="Saved column mapping",
        empty_label="Match the columns automatically",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_saved_mapping(self)
        return cleaned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()  # type: ignore[attr-defined]
        self.fields["saved_mapping"].queryset = ImportMapping.objects.order_by("kind", "name")  # type: ignore[attr-defined]


def _check_saved_mapping(form: UploadForm) -> None:
    saved, kind = form.cleaned_data.get("saved_mapping"), form.cleaned_data.get("kind")
    if saved is not None and kind and saved.kind != kind:
        form.add_error("saved_mapping", f"“{saved.name}” maps {saved.kind}, not {kind}.")


class MappingForm(BearingForm):
    save_as = forms.CharField(
        label="Save this mapping as", max_length=80, required=False, help_text="Optional: reuse it next time."
    )

    def __init__(self, *args: Any, run: ImportRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = field_choices(KINDS[run.kind])
        self.columns = list(run.header)
        for index, column in enumerate(self.columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"(column {index + 1} has no name)",
                choices=choices,
                required=False,
                initial=run.mapping.get(column, ""),
            )
        self.order_fields([*(f"column_{i}" for i in range(len(self.columns))), "save_as"])

    def mapping(self) -> dict[str, str]:
        return {column: self.cleaned_data[f"column_{i}"] for i, column in enumerate(self.columns) if column}


class ConfirmForm(BearingForm):
    rows = forms.ChoiceField(
        choices=[
            ("all", "All rows, or nothing"),
            ("valid", "Only the valid rows; leave the rows with problems out"),
        ],
        initial="all",
        widget=forms.RadioSelect,
        label="What to import",
    )


def _pmo(request: HtmxHttpRequest) -> None:
    require(roles.can_edit_portfolio(request.user), PMO_ONLY)


def _run(request: HtmxHttpRequest, pk: int) -> ImportRun:
    _pmo(request)
    return get_object_or_404(ImportRun, pk=pk)


@viewer_required
@require_http_methods(["GET", "POST"])
def import_start(request: HtmxHttpRequest) -> HttpResponse:
    """What can be imported and how; the upload."""
    _pmo(request)
    if request.method == "POST" and _declared_length(request) > sheets.max_bytes() + UPLOAD_OVERHEAD:
        # refused before the body is read (Django would first spool the whole upload to disk)
        refused = f"The file is larger than the limit of {sheets.max_bytes():,} bytes. Split it."
        context = {**_start_context(UploadForm()), "refused": refused}
        return render_page(request, "portfolio/import_start.html", context, status=413)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
    else:  # a page's Import link names what it imports
        form = UploadForm(
            initial={"kind": request.GET.get("kind")} if request.GET.get("kind") in KINDS else {}
        )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > sheets.max_bytes():
                raise sheets.FileRefused(
                    f"The file is {upload.size:,} bytes; the limit is {sheets.max_bytes():,} bytes."
                )
            run = runs.import_run_create(
                user=request.user, kind=form.cleaned_data["kind"], filename=upload.name, content=upload.read()
            )
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            saved = form.cleaned_data["saved_mapping"]
            if saved is not None:
                run.mapping = {column: saved.mapping.get(column, "") for column in run.header}
                run.save(update_fields=["mapping"])
            return HttpResponseRedirect(reverse("portfolio:import-mapping", args=[run.pk]))
    status = 422 if form.is_bound else 200
    return render_page(request, "portfolio/import_start.html", _start_context(form), status=status)


UPLOAD_OVERHEAD = 64 * 1024  # what a form's other fields and its multipart boundaries add to the file


def _declared_length(request: HtmxHttpRequest) -> int:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return int(length) if length.isdigit() and len(length) < 19 else 0


def _start_context(form: UploadForm) -> dict[str, Any]:
    return {"form": form, "kinds": list(KINDS.values()), "recent": ImportRun.objects.defer("content")[:10]}


@viewer_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The file's columns matched to the kind's fields, to check and change; then the dry run."""
    run = _run(request, pk)
    form = MappingForm(request.POST if request.method == "POST" else None, run=run)
    if request.method == "POST" and form.is_valid():
        try:
            runs.import_mapping_set(
                user=request.user, run=run, mapping=form.mapping(), save_as=form.cleaned_data["save_as"]
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            runs.enqueue_import(run, user=request.user, write=False)
            return HttpResponseRedirect(reverse("portfolio:import-detail", args=[run.pk]))
    kind = KINDS[run.kind]
    context = {
        "form": form,
        "run": run,
        "kind": kind,
        "required": [f.label for f in kind.fields if f.required],
    }
    return render_page(
        request, "portfolio/import_mapping.html", context, status=422 if form.is_bound else 200
    )


@viewer_required
@require_GET
def import_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The dry run's (or the import's) progress and findings, and the confirmation."""
    run = _run(request, pk)
    job = latest_job(runs.IMPORT, runs.run_target(run.pk))
    # while a check or an import runs, its findings are not yet the file's: what an earlier run found is not
    # shown (nor offered to import), and a run that ends between the two reads above shows nothing half-done
    report = {} if job is not None and job.active else (run.report or {})
    context = {
        "run": run,
        "kind": KINDS[run.kind],
        "report": report,
        "problems": report.get("problems", [])[:PROBLEMS_SHOWN],
        "problems_shown": PROBLEMS_SHOWN,
        "confirm": ConfirmForm(),
        **job_context(job, no_job="Not checked yet."),
    }
    return render_page(request, "portfolio/import_detail.html", context)


@viewer_required
@require_POST
def import_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Import the checked file: all rows or none, or (chosen explicitly) only the valid rows."""
    run = _run(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid() or run.report.get("mode") != "dry_run" or "refused" in run.report:
        return HttpResponseRedirect(reverse("portfolio:import-detail", args=[run.pk]))
    runs.enqueue_import(run, user=request.user, write=True, only_valid=form.cleaned_data["rows"] == "valid")
    return HttpResponseRedirect(reverse("portfolio:import-detail", args=[run.pk]))


@viewer_required
@require_GET
def import_errors(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """The problems the last check found, as CSV: row, column, value, problem (every cell inert)."""
    run = _run(request, pk)
    problems = (run.report or {}).get("problems", [])
    return csv_response(f"bearing-import-{run.pk}-problems", ["row", "column", "value", "problem"], problems)


@viewer_required
@require_GET
def import_template(request: HtmxHttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """A kind's template: its columns, an example row, and what each column accepts."""
    _pmo(request)
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise Http404("No such template.")
    return template_response(KINDS[kind], fmt)
