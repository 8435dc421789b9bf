"""Pages of strategy versions: the list, a version (its tree of weights, what-if, publish), pairwise
comparison of a group of siblings, the initiatives a version moves, and two versions compared."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import jobs, roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.tabular import csv_stream
from core.views import job_context, render_page, viewer_required
from planning import ahp, services, strategy
from planning.models import PairwiseComparison, StrategyImpact, StrategyVersion, VersionStatus
from planning.tasks import WHATIF
from planning.views.common import is_id, posted_version, refused

T = "planning/"
IMPACT_PAGE = 50
MOVERS = 10  # the initiatives gaining most and losing most, shown on a version's page
SAATY = [  # Saaty's scale: the odd values named, the even ones between them
    ("9", "9: extremely more"),
    ("8", "8"),
    ("7", "7: very strongly more"),
    ("6", "6"),
    ("5", "5: strongly more"),
    ("4", "4"),
    ("3", "3: moderately more"),
    ("2", "2"),
    ("1", "1: equally important"),
    ("1/2", "1/2"),
    ("1/3", "1/3: moderately less"),
    ("1/4", "1/4"),
    ("1/5", "1/5: strongly less"),
    ("1/6", "1/6"),
    ("1/7", "1/7: very strongly less"),
    ("1/8", "1/8"),
    ("1/9", "1/9: extremely less"),
]


class DraftForm(forms.Form):
    title = forms.CharField(max_length=120, label="Name of the draft")
    rationale = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the strategy changes",
    )


class ProposeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(max_length=20)
    title = forms.CharField(max_length=200)
    parent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Under")
    weight = forms.DecimalField(
        min_value=Decimal("0.01"), max_value=Decimal("1000"), decimal_places=2, initial=1
    )


def _version(pk: int) -> StrategyVersion:
    return get_object_or_404(StrategyVersion.objects.select_related("created_by", "published_by"), pk=pk)


@viewer_required
@require_http_methods(["GET", "POST"])
def strategy_list(request: Any) -> HttpResponse:
    """Every strategy version, newest first, and (for the PMO) a form to start a draft."""
    can_edit = roles.can_edit_portfolio(request.user)
    form = DraftForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(services.PMO_ONLY)
        if form.is_valid():
            try:
                created = services.strategy_draft(
                    user=request.user,
                    title=form.cleaned_data["title"],
                    rationale=form.cleaned_data["rationale"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Draft {created.number} started from the strategy as it stands.")
                return HttpResponseRedirect(reverse("planning:strategy-detail", args=[created.pk]))
    page = Paginator(
        StrategyVersion.objects.select_related("created_by", "published_by").order_by("-number"), IMPACT_PAGE
    ).get_page(request.GET.get("page"))
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render_page(
        request, T + "strategy_list.html", {"page": page, "form": form, "can_edit": can_edit}, status=status
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def strategy_detail(request: Any, pk: int) -> HttpResponse:
    """A version: its tree (weights as drafted next to the tree as it stands), the what-if, and for the PMO on
    a draft the weights to change, objectives to propose, publish and discard. A POST saves the weights."""
    version = _version(pk)
    can_edit = roles.can_edit_portfolio(request.user) and version.is_draft
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not roles.can_edit_portfolio(request.user):
            raise PermissionDenied(services.PMO_ONLY)
        values = {
            int(key.removeprefix("weight-")): (
                value,
                request.POST.get(f"status-{key.removeprefix('weight-')}", ""),
            )
            for key, value in request.POST.items()
            if key.startswith("weight-") and is_id(key.removeprefix("weight-"))
        }
        number = posted_version(request)
        url = reverse("planning:strategy-detail", args=[version.pk])
        if number is None:
            messages.error(request, "The form was incomplete: nothing was saved.")
            return HttpResponseRedirect(url)
        try:
            services.strategy_weights_set(
                user=request.user, strategy_id=version.pk, version=number, values=values
            )
        except StaleEdit as error:
            return refused(request, error, url)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ApplicationError as error:
            errors, status = error.field_errors or {"": [error.message]}, 422
            messages.error(request, error.message)
        else:
            messages.success(request, "Weights saved. Run the what-if to see what they change.")
            return HttpResponseRedirect(url)
    tree = strategy.version_tree(version, posted=request.POST if errors else None, errors=errors)
    movers = StrategyImpact.objects.filter(strategy=version).select_related("initiative")
    context = {
        "version": version,
        "tree": tree,
        "can_edit": can_edit,
        "impact": version.impact or None,
        "impact_rows": strategy.impact_rows(version.impact) if version.impact else [],
        "gaining": list(
            movers.filter(fit_change__gt=0).order_by("-alignment_change", "-fit_change")[:MOVERS]
        ),
        "losing": list(movers.filter(fit_change__lt=0).order_by("alignment_change", "fit_change")[:MOVERS]),
        "propose": ProposeForm(initial={"version": version.version}, prefix="new") if can_edit else None,
        "parents": strategy.parent_choices(version),
        "groups": strategy.sibling_groups(version, tree),
        **job_context(jobs.latest_job(WHATIF, f"strategy:{version.pk}"), reload=True, no_job=""),
    }
    return render_page(request, T + "strategy_detail.html", context, status=status)


@viewer_required
@require_POST
def strategy_propose(request: Any, pk: int) -> HttpResponse:
    version = _version(pk)
    url = reverse("planning:strategy-detail", args=[version.pk]) + "#propose"
    form = ProposeForm(request.POST, prefix="new")
    parent_field: Any = form.fields["parent"]
    parent_field.choices = [("", "(a new theme)"), *strategy.parent_choices(version)]
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(map(str, errs))}"
            if name in form.fields
            else " ".join(map(str, errs))
            for name, errs in form.errors.items()
        )
        messages.error(request, f"The objective was not proposed: {problems}")
        return HttpResponseRedirect(url)
    try:
        entry = services.strategy_objective_propose(
            user=request.user,
            strategy_id=version.pk,
            version=form.cleaned_data["version"],
            code=form.cleaned_data["code"],
            title=form.cleaned_data["title"],
            parent_id=form.cleaned_data["parent"],
            weight=form.cleaned_data["weight"],
        )
    except ApplicationError as error:
        if error.field_errors:
            error = ApplicationError(
                "The objective was not proposed: "
                + "; ".join(" ".join(m) for m in error.field_errors.values())
            )
        return refused(request, error, url)
    messages.success(request, f"{entry.code} proposed: it is created when this draft is published.")
    return HttpResponseRedirect(url)


@viewer_required
@require_POST
def strategy_whatif(request: Any, pk: int) -> HttpResponse:
    """Start (or join) the version's what-if: every initiative scored both ways."""
    version = _version(pk)
    if version.status == VersionStatus.DISCARDED:
        messages.error(request, "A discarded draft has no what-if.")
    else:
        services.whatif_start(user=request.user, strategy_id=version.pk)
    return HttpResponseRedirect(reverse("planning:strategy-detail", args=[version.pk]) + "#whatif")


def _version_action(
    request: Any, pk: int, action: Callable[..., Any], *, verb: str, done: str, then: str = ""
) -> HttpResponse:
    """Run a service on the version the form was filled in for (its posted version number), then say so;
    a refusal, a stale form or an incomplete one is said on the version's page and changes nothing."""
    version = _version(pk)
    url = reverse("planning:strategy-detail", args=[version.pk])
    number = posted_version(request)
    if number is None:
        messages.error(request, f"The form was incomplete: nothing was {verb}.")
        return HttpResponseRedirect(url)
    try:
        action(user=request.user, strategy_id=version.pk, version=number)
    except ApplicationError as error:
        return refused(request, error, url)
    messages.success(request, done.format(number=version.number))
    return HttpResponseRedirect(then or url)


@viewer_required
@require_POST
def strategy_publish(request: Any, pk: int) -> HttpResponse:
    return _version_action(
        request,
        pk,
        services.strategy_publish,
        verb="published",
        done="Version {number} is now the strategy; the scores are being recomputed.",
    )


@viewer_required
@require_POST
def strategy_discard(request: Any, pk: int) -> HttpResponse:
    return _version_action(
        request,
        pk,
        services.strategy_discard,
        verb="discarded",
        done="Draft {number} discarded.",
        then=reverse("planning:strategy-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def strategy_pairwise(request: Any, pk: int, parent: int | None = None) -> HttpResponse:
    """Weights of one group of siblings (parent 0: the themes) from pairwise judgements: the weights, the
    consistency ratio and the most inconsistent pair shown as the judgements are entered; applied to the
    draft on request."""
    version = _version(pk)
    parent_id = parent
    entries = services.siblings(version, parent_id)
    if len(entries) < 2:
        raise Http404("This group has fewer than two active objectives: there is nothing to compare.")
    names = {entry.pk: strategy.entry_label(entry) for entry in entries}
    stored = PairwiseComparison.objects.filter(strategy=version, parent_id=parent_id).first()
    judgements = dict(stored.judgements) if stored else {}
    pairs = [(a, b) for i, a in enumerate(entries) for b in entries[i + 1 :]]
    result: ahp.AhpResult | None = None
    problem = ""
    status = 200
    if request.method == "POST":
        judgements = {f"{a.pk}:{b.pk}": request.POST.get(f"pair-{a.pk}-{b.pk}", "") for a, b in pairs}
        allowed = {value for value, _label in SAATY}
        bad = [
            f"{names[a.pk]} / {names[b.pk]}" for a, b in pairs if judgements[f"{a.pk}:{b.pk}"] not in allowed
        ]
        if bad:
            problem, status = "Choose a judgement for every pair: " + ", ".join(bad) + ".", 422
        elif request.POST.get("apply") and version.is_draft:
            number = posted_version(request)
            url = reverse("planning:strategy-detail", args=[version.pk])
            if number is None:
                messages.error(request, "The form was incomplete: nothing was saved.")
                return HttpResponseRedirect(url)
            try:
                applied = services.strategy_pairwise_apply(
                    user=request.user,
                    strategy_id=version.pk,
                    version=number,
                    parent_id=parent_id,
                    judgements=judgements,
                )
            except ApplicationError as error:
                return refused(request, error, url)
            flag = " (above 0.10: reconsider the judgements)" if applied.inconsistent else ""
            messages.success(
                request,
                f"Weights from the pairwise comparison saved; consistency ratio {applied.consistency_ratio:.3f}{flag}.",
            )
            return HttpResponseRedirect(url)
    if judgements and all(judgements.get(f"{a.pk}:{b.pk}") for a, b in pairs) and not problem:
        try:
            result = services.pairwise_result(entries, judgements)
        except ValueError as error:
            problem, status = str(error), 422
    context = {
        "version": version,
        "parent_label": strategy.parent_label(parent_id),
        "pairs": [(a, b, names[a.pk], names[b.pk], judgements.get(f"{a.pk}:{b.pk}", "1")) for a, b in pairs],
        "scale": SAATY,
        "result": strategy.pairwise_view(result, names) if result else None,
        "problem": problem,
        "can_edit": roles.can_edit_portfolio(request.user) and version.is_draft,
        "parent": parent,
    }
    return render_page(request, T + "strategy_pairwise.html", context, partial="result", status=status)


@viewer_required
@require_GET
def strategy_impact(request: Any, pk: int) -> HttpResponse:
    """Every initiative the version moves, by how much, a page at a time (the largest change first)."""
    version = _version(pk)
    order = request.GET.get("order", "loss")
    rows = StrategyImpact.objects.filter(strategy=version).select_related("initiative")
    rows = (
        rows.order_by("alignment_change", "fit_change", "pk")
        if order != "gain"
        else rows.order_by("-alignment_change", "-fit_change", "pk")
    )
    page = Paginator(rows, IMPACT_PAGE).get_page(request.GET.get("page"))
    return render_page(
        request,
        T + "strategy_impact.html",
        {"version": version, "page": page, "order": order},
        partial="results",
    )


@viewer_required
@require_GET
def strategy_impact_export(request: Any, pk: int) -> HttpResponseBase:
    version = _version(pk)
    rows = (
        StrategyImpact.objects.filter(strategy=version)
        .order_by("alignment_change", "fit_change", "pk")
        .values_list(
            "initiative__code",
            "initiative__title",
            "budget",
            "fit_before",
            "fit_after",
            "fit_change",
            "alignment_before",
            "alignment_after",
            "alignment_change",
        )
    )
    header = [
        "code",
        "title",
        "budget",
        "fit_now",
        "fit_under_version",
        "fit_change",
        "alignment_now",
        "alignment_under_version",
        "alignment_change",
    ]
    return csv_stream(f"strategy-{version.number}-what-if", header, rows.iterator(chunk_size=2000))


@viewer_required
@require_GET
def strategy_compare(request: Any) -> HttpResponse:
    """Two versions side by side: each objective's local and global weight and status in each."""
    versions = list(StrategyVersion.objects.order_by("-number").values_list("pk", "number", "title")[:200])
    first, second = request.GET.get("a", ""), request.GET.get("b", "")
    comparison = None
    status = 200
    if first or second:
        if not (is_id(first) and is_id(second)):
            status = 400
        else:
            a = StrategyVersion.objects.filter(pk=int(first)).first()
            b = StrategyVersion.objects.filter(pk=int(second)).first()
            if a is None or b is None:
                status = 404
            else:
                comparison = strategy.compare(a, b)
    return render_page(
        request,
        T + "strategy_compare.html",
        {"versions": versions, "comparison": comparison, "a": first, "b": second},
        status=status,
    )
