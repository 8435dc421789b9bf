"""The portfolio-wide risk register with its 5x5 heat map."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portfolio.formkit import BearingForm
from portfolio.views.common import render_page, viewer_required
from risk import selectors
from risk.models import Risk, RiskCategory, RiskStatus

LEVELS = [
    ("", "Any exposure"),
    ("severe", "Severe (20-25)"),
    ("high", "High (10-16)"),
    ("medium", "Medium (5-9)"),
    ("low", "Low (1-4)"),
]


class RiskFilterForm(BearingForm):
    status = forms.ChoiceField(
        choices=[("active", "Active (open, mitigating, accepted)"), ("", "Any status"), *RiskStatus.choices],
        required=False,
    )
    category = forms.ChoiceField(choices=[("", "All categories"), *RiskCategory.choices], required=False)
    level = forms.ChoiceField(choices=LEVELS, required=False)
    probability = forms.IntegerField(min_value=1, max_value=5, required=False, widget=forms.HiddenInput)
    impact = forms.IntegerField(min_value=1, max_value=5, required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, widget=forms.HiddenInput)


@viewer_required
@require_GET
def risk_list(request: HttpRequest) -> HttpResponse:
    """Every risk in the portfolio, worst first, with the heat map of active risks; click a cell to filter."""
    data = request.GET.copy()
    data.setdefault("status", "active")
    form = RiskFilterForm(data)
    context: dict[str, object] = {"form": form}
    if not form.is_valid():
        context.update(page=None, grid=selectors.heat_grid_from_counts({}))
        return render_page(request, "risk/risk_list.html", context, partial="results", status=400)
    values = form.cleaned_data
    rows = selectors.risk_register(
        status=values["status"],
        category=values["category"],
        level=values["level"],
        probability=values["probability"],
        impact=values["impact"],
    )
    context.update(
        page=Paginator(rows, 50).get_page(values.get("page") or 1),
        grid=selectors.heat_grid_from_counts(selectors.portfolio_heat_counts(Risk.objects.all())),
        impact_labels=selectors.IMPACT_LABELS,
        probability_labels=selectors.PROBABILITY_LABELS,
    )
    return render_page(request, "risk/risk_list.html", context, partial="results")
