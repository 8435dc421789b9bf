"""Pages of prioritisation: the ranked list (scoring model or WSJF) with each rank explained, its CSV, the
scoring model's versions (the PMO adds one), and the ranking's sensitivity to each weight (table, chart,
CSV). Everyone with a role reads; only the PMO changes the scoring model."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from alignment.services.policy import current_policy
from core import roles
from core.chart_parts import chart_dict
from core.errors import ApplicationError, NotAllowed
from core.stages import Stage
from core.tabular import csv_stream
from core.views import render_page, viewer_required
from planning import charts, ranking
from planning.models import ScoringModelVersion
from planning.services import ranking as services
from portfolio.models import Category, Program

T = "planning/"
RANK_PAGE = 50
VERSIONS_PAGE = 20
DEFAULT_TOP = 10
MAX_TOP = 50
PROGRAM_CHOICES_LIMIT = 500  # programs offered in the filter (a bound: the list is a select)


def _number(raw: Any, *, default: int | None, low: int, high: int) -> int | None:
    text = str(raw or "")
    if not (text.isdigit() and len(text) < 10):
        return default
    return min(high, max(low, int(text)))


def _version_asked(request: Any) -> ScoringModelVersion:
    """The version in `?version=`, or the current one (an unknown or malformed number: the current one)."""
    number = _number(request.GET.get("version"), default=None, low=1, high=10**9)
    try:
        return services.scoring_model(number)
    except ApplicationError:
        return services.current_scoring_model()


def _context(request: Any) -> dict[str, Any]:
    filters = services.CandidateFilters.from_query(request.GET)
    method = request.GET.get("method") if request.GET.get("method") in services.METHODS else "score"
    return {
        "filters": filters,
        "method": method,
        "stages": Stage.choices,
        "categories": Category.choices,
        "programs": Program.objects.order_by("name").values_list("pk", "name")[:PROGRAM_CHOICES_LIMIT],
        "filter_query": urlencode(filters.as_query()),
    }


def _explained(item: services.RankedRow, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "item": item,
        "contributions": [
            {"label": labels.get(part.criterion, part.criterion), "part": part} for part in item.contributions
        ],
        "missing": [
            {"label": labels.get(key, key), "reason": services.MISSING_REASONS.get(key, "")}
            for key in item.missing
        ],
    }


@viewer_required
@require_GET
def priorities(request: Any) -> HttpResponse:
    """The candidates ranked by the scoring model (any version) or by WSJF, a page at a time, each rank
    explainable criterion by criterion."""
    context = _context(request)
    version = _version_asked(request)
    result = services.candidate_ranking(context["filters"], method=context["method"], version=version)
    labels = {c.key: c.label for c in version.model().criteria}
    page = Paginator(result.rows, RANK_PAGE).get_page(request.GET.get("page"))
    page_query = urlencode(
        [*context["filters"].as_query(), ("method", context["method"]), ("version", str(version.number))]
    )
    context.update(
        {
            "tab": "priorities",
            "version": version,
            "current": services.current_scoring_model(),
            "weight_summary": [
                (c.label, f"{100 * share:.1f}%")
                for c, share in zip(version.model().criteria, version.model().weights().values(), strict=True)
            ],
            "page": page,
            "rows": [_explained(item, labels) for item in page.object_list],
            "total": len(result.rows),
            "mandatory_count": sum(1 for item in result.rows if item.row.mandatory),
            "unranked": sum(1 for item in result.rows if item.rank is None),
            "sponsor_on": context["method"] == "score" and version.sponsor_adjustment,
            "adjusted": sum(1 for item in result.rows if item.sponsor is not None and item.sponsor.adjusts),
            "page_query": page_query,
        }
    )
    return render_page(request, T + "priorities.html", context, partial="results")


def _criterion_cells(item: services.RankedRow, keys: list[str]) -> list[Any]:
    parts = {part.criterion: part for part in item.contributions}
    cells: list[Any] = []
    for key in keys:
        part = parts.get(key)
        raw = item.row.values.get(key)
        if key == "financial_value" and item.sponsor is not None:
            raw = item.adjusted_npv
        cells += [
            raw,
            None if part is None else round(part.normalised, 6),
            None if part is None else round(part.weight, 6),
            None if part is None else round(part.points, 4),
        ]
    return cells


@viewer_required
@require_GET
def priorities_export(request: Any) -> HttpResponseBase:
    """The whole ranking as CSV (every cell made inert), as the page ranks it."""
    context = _context(request)
    version = _version_asked(request)
    result = services.candidate_ranking(context["filters"], method=context["method"], version=version)
    base = ["rank", "code", "title", "stage", "program", "category", "mandatory", "mandatory_reason"]
    if context["method"] == "wsjf":
        header = [
            *base,
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "cost_of_delay",
            "wsjf",
        ]

        def wsjf_rows() -> Any:
            for item in result.rows:
                row = item.row
                yield [
                    item.rank,
                    row.code,
                    row.title,
                    row.stage,
                    row.program,
                    row.category,
                    "yes" if row.mandatory else "no",
                    row.mandatory_reason,
                    *row.wsjf,
                    item.cost_of_delay,
                    None if item.wsjf is None else round(item.wsjf, 6),
                ]

        return csv_stream("bearing-priorities-wsjf", header, wsjf_rows())
    keys = [c.key for c in version.model().criteria]
    header = [*base, "score"]
    for key in keys:
        header += [f"{key}_raw", f"{key}_normalised", f"{key}_weight", f"{key}_points"]
    header.append("missing")
    # with the sponsor adjustment on, financial_value_raw is the adjusted NPV the score used; these say how
    sponsor_on = version.sponsor_adjustment
    if sponsor_on:
        header += ["npv", "sponsor_factor", "npv_adjusted", "sponsor_record"]

    def sponsor_cells(item: services.RankedRow) -> list[Any]:
        if not sponsor_on or item.sponsor is None:
            return []
        return [item.npv, item.sponsor.factor_text, item.adjusted_npv, item.sponsor.text]

    def score_rows() -> Any:
        for item in result.rows:
            row = item.row
            yield [
                item.rank,
                row.code,
                row.title,
                row.stage,
                row.program,
                row.category,
                "yes" if row.mandatory else "no",
                row.mandatory_reason,
                None if item.score is None else round(item.score, 4),
                *_criterion_cells(item, keys),
                " ".join(item.missing),
                *sponsor_cells(item),
            ]

    return csv_stream(f"bearing-priorities-model-{version.number}", header, score_rows())


class ScoringModelForm(forms.Form):
    """New weights (and normalisations) for the current version's criteria, and why."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    rationale = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why the weights change"
    )
    sponsor_adjustment = forms.BooleanField(
        required=False,
        label="Sponsor adjustment: discount each candidate's NPV by its sponsor's record of benefits realised "
        "against promised",
    )

    def __init__(self, *args: Any, model: ranking.ScoringModel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = model.criteria
        for criterion in model.criteria:
            self.fields[f"weight_{criterion.key}"] = forms.DecimalField(
                label=criterion.label,
                min_value=0,
                max_value=1000,
                decimal_places=4,
                initial=round(criterion.weight, 4),
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}),
            )
            if criterion.key in services.FIXED_SCALES:
                low, high = services.FIXED_SCALES[criterion.key]
                self.fields[f"normalisation_{criterion.key}"] = forms.ChoiceField(
                    label=f"{criterion.label}: scale",
                    choices=[
                        ("fixed", f"Fixed scale {low:g} to {high:g}"),
                        ("min_max", "Relative (lowest to highest candidate)"),
                    ],
                    initial=criterion.normalisation.value,
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "criterion": c,
                "weight": self[f"weight_{c.key}"],
                "normalisation": self[f"normalisation_{c.key}"]
                if f"normalisation_{c.key}" in self.fields
                else None,
            }
            for c in self.criteria
        ]


@viewer_required
@require_http_methods(["GET", "POST"])
def scoring_model(request: Any) -> HttpResponse:
    """The scoring model: a version's criteria (the current one unless `?version=`), every version with its
    rationale, and for the PMO the form that saves the next version."""
    can_edit = roles.can_edit_portfolio(request.user)
    current = services.current_scoring_model()
    form = ScoringModelForm(
        request.POST if request.method == "POST" else None,
        model=current.model(),
        initial={"based_on": current.number, "sponsor_adjustment": current.sponsor_adjustment},
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(services.PMO_ONLY_MODEL)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.scoring_model_create(
                    user=request.user,
                    weights={c.key: data[f"weight_{c.key}"] for c in form.criteria},
                    normalisations={
                        c.key: data[f"normalisation_{c.key}"]
                        for c in form.criteria
                        if f"normalisation_{c.key}" in data
                    },
                    rationale=data["rationale"],
                    based_on=data["based_on"],
                    sponsor_adjustment=data["sponsor_adjustment"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ApplicationError as error:
                form.add_error(None, error.message)
                for name, problems in error.field_errors.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, f"Version {created.number} of the scoring model is now current.")
                return HttpResponseRedirect(reverse("planning:scoring-model"))
    shown = _version_asked(request)
    versions = Paginator(
        ScoringModelVersion.objects.select_related("created_by").order_by("-number"), VERSIONS_PAGE
    ).get_page(request.GET.get("page"))
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render_page(
        request,
        T + "scoring_model.html",
        {
            "tab": "priorities",
            "can_edit": can_edit,
            "form": form,
            "current": current,
            "shown": shown,
            "shown_criteria": [
                {"criterion": c, "share": share}
                for c, share in zip(shown.model().criteria, shown.model().weights().values(), strict=True)
            ],
            "versions": versions,
            "version_rows": services.versions_page_rows(versions.object_list),
            "sponsor_min": current_policy().signals.sponsor_min_initiatives,
        },
        status=status,
    )


def _sensitivity(request: Any) -> tuple[dict[str, Any], list[charts.WeightRange]]:
    context = _context(request)
    version = _version_asked(request)
    rows = services.candidate_rows(context["filters"])
    mandatory = sum(1 for row in rows if row.mandatory)
    # with mandatory initiatives ahead of everything, the first place worth asking about is the first
    # optional one (the place right after them); a top N holding every candidate can never change, so the
    # default N is at most half of them
    first_top = mandatory + 1 if 0 < mandatory < len(rows) else 1
    default_top = min(DEFAULT_TOP, max(1, len(rows) // 2))
    top = _number(request.GET.get("top"), default=default_top, low=1, high=MAX_TOP) or default_top
    (first, top_n), _rows = services.ranking_sensitivity(
        context["filters"], tops=(first_top, top), version=version
    )
    by_code = {row.code: row for row in rows}
    labels = {c.key: c.label for c in version.model().criteria}

    def name(code: str | None) -> str:
        return "" if code is None else f"{code} {by_code[code].title}"

    ranges = [
        charts.WeightRange(
            label=labels[one.criterion],
            weight=one.weight,
            first_down=one.down.weight if one.down else None,
            first_up=one.up.weight if one.up else None,
            first_down_enters=name(one.down.entering if one.down else None),
            first_up_enters=name(one.up.entering if one.up else None),
            top_down=many.down.weight if many.down else None,
            top_up=many.up.weight if many.up else None,
            top_down_enters=name(many.down.entering if many.down else None),
            top_up_enters=name(many.up.entering if many.up else None),
        )
        for one, many in zip(first.criteria, top_n.criteria, strict=True)
    ]
    first_label = "First optional place" if first_top > 1 else "First place"
    leader_code = first.members[-1] if first.members else None
    context.update(
        {
            "tab": "priorities",
            "version": version,
            "top": top,
            "leader": by_code[leader_code] if leader_code else None,
            "mandatory_first": [by_code[code] for code in first.members[:-1]],
            "first_label": first_label,
            "candidates": len(rows),
            "members": [by_code[code] for code in top_n.members],
            "first": first,
            "top_n": top_n,
            "ranges": ranges,
            "query": urlencode(
                [*context["filters"].as_query(), ("version", str(version.number)), ("top", str(top))]
            ),
        }
    )
    return context, ranges


@viewer_required
@require_GET
def priorities_sensitivity(request: Any) -> HttpResponse:
    """For each criterion, how far its weight must move down and up before the first place, and the top N,
    change, and who then enters: a table and a chart (with its table and CSV)."""
    context, ranges = _sensitivity(request)
    chart = charts.sensitivity_chart(ranges, context["top"], context["first_label"])
    context["chart"] = chart_dict(
        chart, csv_url=reverse("planning:priorities-sensitivity-export") + "?" + context["query"]
    )
    return render_page(request, T + "priorities_sensitivity.html", context)


@viewer_required
@require_GET
def priorities_sensitivity_export(request: Any) -> HttpResponseBase:
    context, ranges = _sensitivity(request)
    chart = charts.sensitivity_chart(ranges, context["top"], context["first_label"])
    return csv_stream(
        f"bearing-priorities-sensitivity-top-{context['top']}", chart.table.columns, chart.table.rows
    )
