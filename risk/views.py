"""The portfolio-wide risk register with its 5x5 heat map, and the tier policies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core import roles
from core.formkit import BearingForm
from core.paging import capped_page
from core.tabular import export_response, filter_errors
from core.views import HtmxHttpRequest, form_response, posted, render_page, require, viewer_required
from portfolio.models import ArtefactKind
from risk import exports, selectors, services
from risk.forms import TierPolicyForm
from risk.models import Risk, RiskCategory, RiskStatus, TierPolicy

ADMIN_ONLY = "Only an administrator changes the tier policies."

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

    def rows(self) -> QuerySet[Any]:
        """The risks these filters select, worst first (the register's page and its export)."""
        values = self.cleaned_data
        return selectors.risk_register(
            status=values["status"],
            category=values["category"],
            level=values["level"],
            probability=values["probability"],
            impact=values["impact"],
        )


def risk_filter_form(request: HtmxHttpRequest) -> RiskFilterForm:
    """The register's filters from the query string: active risks unless the status says otherwise."""
    data = request.GET.copy()
    data.setdefault("status", "active")
    return RiskFilterForm(data)


@viewer_required
@require_GET
def risk_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every risk in the portfolio, worst first, with the heat map of active risks; click a cell to filter."""
    form = risk_filter_form(request)
    context: dict[str, object] = {"form": form}
    if not form.is_valid():
        context.update(page=None, grid=selectors.heat_grid_from_counts({}))
        return render_page(request, "risk/risk_list.html", context, partial="results", status=400)
    context.update(
        page=capped_page(form.rows(), form.cleaned_data.get("page") or 1, 50),
        grid=selectors.heat_grid_from_counts(selectors.portfolio_heat_counts(Risk.objects.all())),
        impact_labels=selectors.IMPACT_LABELS,
        probability_labels=selectors.PROBABILITY_LABELS,
    )
    return render_page(request, "risk/risk_list.html", context, partial="results")


@viewer_required
@require_GET
def risk_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The risk register as on its page (status, category, exposure, heat-map cell), every page of it."""
    form = risk_filter_form(request)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.risk_export(form.rows()), fmt)


@viewer_required
@require_GET
def tier_policy_list(request: HtmxHttpRequest) -> HttpResponse:
    """What governance each risk tier demands: checkpoint cadence and required artefacts."""
    labels = dict(ArtefactKind.choices)
    policies = [
        (policy, [labels.get(kind, kind) for kind in policy.required_artefacts or []])
        for policy in TierPolicy.objects.order_by("tier")
    ]
    context = {"policies": policies, "can_edit": roles.can_administer(request.user)}
    return render_page(request, "risk/tier_policy_list.html", context)


@viewer_required
@require_http_methods(["GET", "POST"])
def tier_policy_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require(roles.can_administer(request.user), ADMIN_ONLY)
    policy = get_object_or_404(TierPolicy, pk=pk)
    return form_response(
        request,
        TierPolicyForm(posted(request), instance=policy),
        save=lambda f: services.tier_policy_update(
            user=request.user, policy_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda p: (
            f"Tier {p.tier} policy saved. Scores follow it at the next full recompute.",
            reverse("risk:tier-policy-list"),
        ),
        title=f"Edit the tier {policy.tier} policy",
        cancel_url=reverse("risk:tier-policy-list"),
    )
