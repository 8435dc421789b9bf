"""The data-quality worklist: what is missing or out of date in the entered data, and the form that fixes it."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.extensions import registry
from core.formkit import BearingForm, ListedModelChoiceField
from core.views import HtmxHttpRequest, render_page, viewer_required, wants_fragment
from portfolio import worklist as checks
from portfolio.forms import PROGRAMS

WORKLIST = "portfolio/worklist.html"
OVERVIEW_ROWS = 20  # per check when all checks are on show; one check alone pages through all its rows
PAGE_ROWS = 50


class WorklistFilterForm(BearingForm):
    """The worklist's filters, read from the query string so that a filtered worklist can be shared."""

    check = forms.ChoiceField(choices=[], required=False)
    program = ListedModelChoiceField.of(PROGRAMS, required=False, empty_label="All programs")
    mine = forms.ChoiceField(label="Responsible", choices=[("", "Anyone"), ("1", "Me")], required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["check"]).choices = [
            ("", "All checks"),
            *((c.key, c.title) for c in registry.ordered_worklist_checks()),
        ]

    def filters(self, user: Any) -> checks.WorklistFilters:
        data = self.cleaned_data
        return checks.WorklistFilters(
            program=data["program"].pk if data["program"] else None,
            responsible=user.pk if data["mine"] else None,
        )

    def query_for(self, check: str = "") -> str:
        """The query string of these filters showing `check` (all checks when empty), from the first page."""
        data = self.cleaned_data
        params = {
            "check": check,
            "program": data["program"].pk if data["program"] else "",
            "mine": data["mine"],
        }
        return "?" + urlencode({key: value for key, value in params.items() if value})


def _fragment(request: HtmxHttpRequest) -> str | None:
    """The partial to answer with: the results for htmx, but the whole page when htmx restores a page from
    history (the back button, with htmx's history cache off), or the page would lose its chrome."""
    return "results" if wants_fragment(request) else None


@viewer_required
@require_GET
def worklist(request: HtmxHttpRequest) -> HttpResponse:
    """Every check's count, then its rows with whom to ask and a link to fix each (for those who may edit).
    htmx swaps only the results; the URL keeps the filters."""
    form = WorklistFilterForm(request.GET)
    fragment = _fragment(request)
    context: dict[str, Any] = {
        "form": form,
        "fragment": fragment is not None,
        "today": timezone.localdate(),
        "page_rows": PAGE_ROWS,
    }
    if not form.is_valid():
        context["results"] = []
        return render_page(request, WORKLIST, context, partial=fragment, status=400)
    only = form.cleaned_data["check"]
    limit = PAGE_ROWS if only else OVERVIEW_ROWS
    results = checks.run_checks(
        form.filters(request.user),
        viewer=request.user,
        today=context["today"],
        only=only,
        limit=limit,
        page=form.cleaned_data["page"] or 1,
        back=request.get_full_path(),
    )
    shown = next((result for result in results if result.shown), None) if only else None
    context["pager"] = shown.page if shown is not None else None
    context.update(
        only=only,
        results=[(result, form.query_for(result.check.key)) for result in results],
        all_checks_url=form.query_for(),
    )
    return render_page(request, WORKLIST, context, partial=fragment)
