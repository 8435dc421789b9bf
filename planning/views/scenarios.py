"""Pages of scenarios: the list (and a new one), a scenario (its settings, limits and rules, its answer
explained initiative by initiative, its efficient frontier, approval as the plan), its downloads, and up to
four scenarios compared side by side with the approved plan."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import jobs, roles
from core.chart_parts import chart_dict
from core.errors import ApplicationError, NotAllowed
from core.formatting import currency_symbol
from core.stages import Stage
from core.tabular import csv_stream
from core.views import job_context, render_page, viewer_required
from planning import charts
from planning.models.scenarios import (
    RuleKind,
    RunKind,
    Scenario,
    ScenarioRun,
    ScenarioStatus,
)
from planning.services import scenarios as services
from planning.tasks import FRONTIER, SOLVE
from planning.views.common import is_id, posted_version, refused

T = "planning/"
PAGE = 25
DECISIONS_PAGE = 50
COMPARE_MAX = 4
DIFFER_SHOWN = 200
STAGE_LABELS = dict(Stage.choices)
CATEGORIES = (("run", "Run"), ("grow", "Grow"), ("transform", "Transform"))


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = [
            "name",
            "description",
            "first_year",
            "years",
            "maximise",
            "budget",
            "keep_committed",
            "respect_capacity",
            "max_shift_months",
            "sponsor_adjustment",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=RuleKind.choices)
    initiative = forms.CharField(max_length=20, label="Initiative (code)")
    other = forms.CharField(max_length=20, required=False, label="Second initiative (requires / excludes)")
    note = forms.CharField(max_length=300, required=False)


class CopyForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)


class ApproveForm(forms.Form):
    rationale = forms.CharField(max_length=2000, required=False)


def _scenario(pk: int) -> Scenario:
    return get_object_or_404(Scenario.objects.select_related("created_by", "approved_by"), pk=pk)


def _url(scenario: Scenario, anchor: str = "") -> str:
    return reverse("planning:scenario-detail", args=[scenario.pk]) + (f"#{anchor}" if anchor else "")


def _limit_rows(post: Any, years: list[int]) -> list[dict[str, Any]]:
    return [{"year": y, **{k: post.get(f"limit-{y}-{k}", "") for k in services.LIMIT_KINDS}} for y in years]


def _problems(form: forms.Form) -> str:
    return "; ".join(
        f"{form.fields[name].label or name}: {' '.join(map(str, errs))}"
        if name in form.fields
        else " ".join(map(str, errs))
        for name, errs in form.errors.items()
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def scenario_list(request: Any) -> HttpResponse:
    """Every scenario (the approved plan first), their last answers, a choice of up to four to compare, and
    for the PMO a form for a new one."""
    can_edit = roles.can_edit_portfolio(request.user)
    form = ScenarioForm(
        request.POST if request.method == "POST" else None,
        prefix="new",
        initial={"first_year": timezone.localdate().year + 1},
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(services.PMO_ONLY)
        if form.is_valid():
            try:
                created = services.scenario_create(user=request.user, data=form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"Scenario “{created.name}” created: set its limits and rules, then solve it."
                )
                return HttpResponseRedirect(_url(created))
    scenarios = Scenario.objects.select_related("approved_by").order_by("status", "-updated_at", "-pk")
    page = Paginator(scenarios, PAGE).get_page(request.GET.get("page"))
    runs = {
        run.scenario_id: run
        for run in ScenarioRun.objects.filter(scenario__in=list(page.object_list), kind=RunKind.SOLVE).only(
            "scenario_id", "status", "summary", "scenario_version"
        )
    }
    rows = [(s, runs.get(s.pk)) for s in page.object_list]
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render_page(
        request,
        T + "scenario_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "can_edit": can_edit,
            "tab": "scenarios",
            "symbol": currency_symbol(),
        },
        status=status,
    )


def _answer(scenario: Scenario, run: ScenarioRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    summary = run.summary
    symbol = currency_symbol()
    figures = summary.get("figures", {})
    columns = [("plan", "This answer"), ("current", "Today's plan")]
    if "approved" in figures:
        columns.append(("approved", "Approved plan"))
    return {
        "run": run,
        "summary": summary,
        "solved_at": datetime.datetime.fromisoformat(summary["solved_at"])
        if summary.get("solved_at")
        else None,
        "spend": chart_dict(
            charts.spend_chart(summary, symbol),
            csv_url=reverse("planning:scenario-chart-csv", args=[scenario.pk, "spend"]),
        )
        if summary.get("spend") and summary.get("value") is not None
        else None,
        "indices": _index_rows(figures, columns, summary.get("totals", {})),
        "columns": [label for _, label in columns],
        **_limit_groups(summary.get("limits", [])),
    }


CAPACITY_SHOWN = 8  # team-month rows shown before the rest are folded away


def _limit_groups(limits: list[dict[str, Any]]) -> dict[str, Any]:
    """The limits' use, in what a reader needs first: every budget limit; of the team-month capacity rows
    (a dozen teams over three years make hundreds), the binding ones and the fullest up to CAPACITY_SHOWN,
    then the rest folded away, fullest first."""
    budget = [use for use in limits if not use["name"].startswith("capacity")]
    capacity = sorted(
        (use for use in limits if use["name"].startswith("capacity")),
        key=lambda use: (
            not use["binding"],
            -(use["used"] / use["limit"] if use["limit"] else 1.0),
            use["name"],
        ),
    )
    shown = max(CAPACITY_SHOWN, sum(1 for use in capacity if use["binding"]))
    return {"budget_limits": budget, "capacity_limits": capacity[:shown], "capacity_rest": capacity[shown:]}


def _index_rows(
    figures: dict[str, Any], columns: list[tuple[str, str]], totals: dict[str, Any]
) -> list[tuple[str, list[Any]]]:
    """The rows of the indices table: a label and one formatted cell per column (a selection)."""

    def cell(name: str, key: str, fmt: Callable[[Any], str]) -> str:
        value = figures.get(name, {}).get(key)
        return "—" if value is None else fmt(value)

    def pct(v: Any) -> str:
        return f"{100 * v:.1f}%"

    rows = [
        (
            "Alignment index (budget-weighted, 0-100)",
            [cell(n, "alignment_index", lambda v: f"{v:.1f}") for n, _ in columns],
        ),
        ("Spend on the top objectives", [cell(n, "top_share", pct) for n, _ in columns]),
        ("Misallocation (0 = spend follows weights)", [cell(n, "misallocation", pct) for n, _ in columns]),
        (
            "Objective coverage",
            [
                "—"
                if n not in figures
                else f"{figures[n]['covered']} of {figures[n]['units']} ({pct(figures[n]['coverage'] or 0)})"
                for n, _ in columns
            ],
        ),
        (
            "Risk exposure of funded initiatives (sum)",
            [cell(n, "risk_exposure", lambda v: f"{v:,}") for n, _ in columns],
        ),
        (
            "Funded budget (initiatives' budgets)",
            [cell(n, "funded_budget", lambda v: f"{currency_symbol()}{v:,.0f}") for n, _ in columns],
        ),
    ]
    for key, label in CATEGORIES:
        rows.append(
            (
                f"{label} share of funded budget (target)",
                [
                    "—"
                    if n not in figures
                    else f"{pct(figures[n]['mix'].get(key, 0))} ({pct(figures[n]['target_mix'].get(key, 0))})"
                    for n, _ in columns
                ],
            )
        )
    rows.append(
        (
            "Strategic value (sum of fit)",
            [f"{totals[n]['strategic_value']:,.1f}" if n in totals else "—" for n, _ in columns],
        )
    )
    rows.append(
        (
            "NPV of the selection",
            [f"{currency_symbol()}{totals[n]['npv']:,.0f}" if n in totals else "—" for n, _ in columns],
        )
    )
    return rows


def _decisions_filtered(run: ScenarioRun, show: str, query: str) -> list[dict[str, Any]]:
    rows = run.decisions
    if show in ("in", "out"):
        rows = [r for r in rows if r["in"] == (show == "in")]
    if query:
        q = query.casefold()
        rows = [r for r in rows if q in r["code"].casefold() or q in r["title"].casefold()]
    return rows


@viewer_required
@require_http_methods(["GET", "POST"])
def scenario_detail(request: Any, pk: int) -> HttpResponse:
    """A scenario: settings, limits and rules (the PMO changes a draft's), its answer and frontier, approval."""
    scenario = _scenario(pk)
    can_edit = roles.can_edit_portfolio(request.user) and scenario.is_draft
    form = ScenarioForm(instance=scenario, prefix="s")
    status = 200
    limit_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not roles.can_edit_portfolio(request.user):
            raise PermissionDenied(services.PMO_ONLY)
        number = posted_version(request)
        if number is None:
            messages.error(request, "The form was incomplete: nothing was saved.")
            return HttpResponseRedirect(_url(scenario))
        form = ScenarioForm(request.POST, instance=Scenario.objects.get(pk=scenario.pk), prefix="s")
        if form.is_valid():
            years = list(
                range(
                    form.cleaned_data["first_year"],
                    form.cleaned_data["first_year"] + form.cleaned_data["years"],
                )
            )
            try:
                services.scenario_update(
                    user=request.user,
                    scenario_id=scenario.pk,
                    version=number,
                    data=form.cleaned_data,
                    limits=_limit_rows(request.POST, years),
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ApplicationError as error:
                if error.field_errors and all(k.startswith("limit-") for k in error.field_errors):
                    limit_errors = error.field_errors
                    messages.error(request, error.message)
                    status = 422
                else:
                    return refused(request, error, _url(scenario), "scenario")
            else:
                messages.success(request, "Scenario saved. Solve it to see its answer.")
                return HttpResponseRedirect(_url(scenario))
        else:
            status = 422
    run = ScenarioRun.objects.filter(scenario=scenario, kind=RunKind.SOLVE).first()
    frontier_run = ScenarioRun.objects.filter(scenario=scenario, kind=RunKind.FRONTIER).first()
    stale = services.answer_standing(scenario, run) if run is not None else None
    show = request.GET.get("show", "")
    query = request.GET.get("q", "")[:100].strip()
    decisions = Paginator(_decisions_filtered(run, show, query) if run else [], DECISIONS_PAGE).get_page(
        request.GET.get("page")
    )
    for row in decisions.object_list:
        row["stage_label"] = STAGE_LABELS.get(row["stage"], row["stage"])
    limits = {row.year: row for row in scenario.limits.all()}
    posted = request.POST if status == 422 else None
    limit_rows = [
        {
            "year": year,
            "cells": [
                (
                    kind,
                    posted.get(f"limit-{year}-{kind}", "")
                    if posted is not None
                    else (getattr(limits[year], kind) if year in limits else None),
                    limit_errors.get(f"limit-{year}-{kind}", []),
                )
                for kind in services.LIMIT_KINDS
            ],
        }
        for year in scenario.horizon
    ]
    solve_job = jobs.latest_job(SOLVE, f"scenario:{scenario.pk}")
    frontier_job = jobs.latest_job(FRONTIER, f"scenario:{scenario.pk}")
    context = {
        "scenario": scenario,
        "tab": "scenarios",
        "form": form,
        "can_edit": can_edit,
        "can_approve": roles.can_record_decisions(request.user) and scenario.is_draft,
        "is_pmo": roles.can_edit_portfolio(request.user),
        "limit_rows": limit_rows,
        "rules": scenario.rules.select_related("initiative", "other"),
        "rule_form": RuleForm(prefix="rule") if can_edit else None,
        "answer": _answer(scenario, run),
        "stale": stale,
        "decisions": decisions,
        "show": show,
        "query": query,
        "frontier": chart_dict(
            charts.frontier_chart(frontier_run.summary, currency_symbol()),
            csv_url=reverse("planning:scenario-chart-csv", args=[scenario.pk, "frontier"]),
        )
        if frontier_run
        else None,
        "frontier_run": frontier_run,
        "frontier_stale": frontier_run is not None and frontier_run.scenario_version != scenario.version,
        **job_context(_latest(solve_job, frontier_job), reload=True, no_job=""),
        "approved": services.approved_plan(),
        "symbol": currency_symbol(),
    }
    return render_page(request, T + "scenario_detail.html", context, status=status)


def _latest(*found: Any) -> Any:
    """The most recent of a page's jobs (one progress bar per page)."""
    present = [job for job in found if job is not None]
    return max(present, key=lambda job: (job.created_at, job.pk)) if present else None


def _action(request: Any, pk: int, call: Callable[[Scenario, int], str], anchor: str = "") -> HttpResponse:
    """Run a write on the scenario the form was filled in for (its posted version), then say so; a refusal,
    a stale form or an incomplete one is said on the scenario's page and changes nothing."""
    scenario = _scenario(pk)
    url = _url(scenario, anchor)
    number = posted_version(request)
    if number is None:
        messages.error(request, "The form was incomplete: nothing was changed.")
        return HttpResponseRedirect(url)
    try:
        done = call(scenario, number)
    except ApplicationError as error:
        return refused(request, error, url, "scenario")
    messages.success(request, done)
    return HttpResponseRedirect(url)


@viewer_required
@require_POST
def scenario_rule_add(request: Any, pk: int) -> HttpResponse:
    form = RuleForm(request.POST, prefix="rule")

    def add(scenario: Scenario, number: int) -> str:
        if not form.is_valid():
            raise ApplicationError(f"The rule was not added: {_problems(form)}")
        data = form.cleaned_data
        try:
            rule = services.scenario_rule_add(
                user=request.user,
                scenario_id=scenario.pk,
                version=number,
                kind=data["kind"],
                initiative=data["initiative"],
                other=data["other"] or None,
                note=data["note"],
            )
        except ApplicationError as error:
            if isinstance(error, NotAllowed) or not error.field_errors:
                raise
            raise ApplicationError(
                "The rule was not added: " + "; ".join(" ".join(m) for m in error.field_errors.values())
            ) from None
        return (
            f"Rule added: {rule.get_kind_display().lower()} {rule.initiative.code}"
            + (f", {rule.other.code}" if rule.other else "")
            + "."
        )

    return _action(request, pk, add, "rules")


@viewer_required
@require_POST
def scenario_rule_remove(request: Any, pk: int) -> HttpResponse:
    raw = request.POST.get("rule", "")

    def remove(scenario: Scenario, number: int) -> str:
        if not is_id(raw):
            raise ApplicationError("Choose a rule to remove.")
        services.scenario_rule_remove(
            user=request.user, scenario_id=scenario.pk, version=number, rule_id=int(raw)
        )
        return "Rule removed."

    return _action(request, pk, remove, "rules")


@viewer_required
@require_POST
def scenario_solve(request: Any, pk: int) -> HttpResponse:
    """Start (or join) the scenario's solve."""
    scenario = _scenario(pk)
    services.solve_start(user=request.user, scenario_id=scenario.pk)
    return HttpResponseRedirect(_url(scenario, "answer"))


@viewer_required
@require_POST
def scenario_frontier(request: Any, pk: int) -> HttpResponse:
    """Start (or join) the drawing of the scenario's efficient frontier."""
    scenario = _scenario(pk)
    services.frontier_start(user=request.user, scenario_id=scenario.pk)
    return HttpResponseRedirect(_url(scenario, "frontier"))


@viewer_required
@require_POST
def scenario_copy(request: Any, pk: int) -> HttpResponse:
    scenario = _scenario(pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The scenario was not copied: {_problems(form)}")
        return HttpResponseRedirect(_url(scenario))
    name = form.cleaned_data["name"] or f"Copy of {scenario.name}"[:120]
    try:
        copy = services.scenario_copy(user=request.user, scenario_id=scenario.pk, name=name)
    except ApplicationError as error:
        return refused(request, error, _url(scenario), "scenario")
    messages.success(request, f"Scenario copied as “{copy.name}”: change it and solve it.")
    return HttpResponseRedirect(_url(copy))


@viewer_required
@require_POST
def scenario_delete(request: Any, pk: int) -> HttpResponse:
    scenario = _scenario(pk)
    number = posted_version(request)
    url = _url(scenario)
    if number is None:
        messages.error(request, "The form was incomplete: nothing was deleted.")
        return HttpResponseRedirect(url)
    try:
        services.scenario_delete(user=request.user, scenario_id=scenario.pk, version=number)
    except ApplicationError as error:
        return refused(request, error, url, "scenario")
    messages.success(request, f"Scenario “{scenario.name}” deleted.")
    return HttpResponseRedirect(reverse("planning:scenario-list"))


@viewer_required
@require_POST
def scenario_approve(request: Any, pk: int) -> HttpResponse:
    form = ApproveForm(request.POST)

    def approve(scenario: Scenario, number: int) -> str:
        if not form.is_valid():
            raise ApplicationError(f"The plan was not approved: {_problems(form)}")
        services.scenario_approve(
            user=request.user,
            scenario_id=scenario.pk,
            version=number,
            rationale=form.cleaned_data["rationale"],
        )
        return f"“{scenario.name}” is now the approved plan; the decision is in the decision log."

    return _action(request, pk, approve, "approve")


DECISION_COLUMNS = [
    "code",
    "title",
    "stage",
    "in_plan",
    "start_moved_months",
    "reason",
    "explanation",
    "value",
    "cost",
    "npv",
    "fit",
]


@viewer_required
@require_GET
def scenario_decisions_csv(request: Any, pk: int) -> HttpResponseBase:
    """Every candidate of the answer, in or out and why, as on the page's filters."""
    scenario = _scenario(pk)
    run = ScenarioRun.objects.filter(scenario=scenario, kind=RunKind.SOLVE).first()
    rows = (
        _decisions_filtered(run, request.GET.get("show", ""), request.GET.get("q", "")[:100].strip())
        if run
        else []
    )
    return csv_stream(
        f"scenario-{scenario.pk}-answer.csv",
        DECISION_COLUMNS,
        (
            [
                r["code"],
                r["title"],
                r["stage"],
                "yes" if r["in"] else "no",
                r.get("shift", 0),
                r["reason"],
                r["text"],
                r["value"],
                r["cost"],
                r["npv"],
                r["fit"],
            ]
            for r in rows
        ),
    )


@viewer_required
@require_GET
def scenario_chart_csv(request: Any, pk: int, chart: str) -> HttpResponseBase:
    """A chart's table (the answer's spend per year, the frontier) as CSV."""
    scenario = _scenario(pk)
    kind = {"spend": RunKind.SOLVE, "frontier": RunKind.FRONTIER}.get(chart)
    run = ScenarioRun.objects.filter(scenario=scenario, kind=kind).first() if kind else None
    if run is None or (chart == "spend" and run.summary.get("value") is None):
        messages.error(request, "There is nothing to download yet.")
        return HttpResponseRedirect(_url(scenario))
    symbol = currency_symbol()
    drawn = (
        charts.spend_chart(run.summary, symbol)
        if chart == "spend"
        else charts.frontier_chart(run.summary, symbol)
    )
    return csv_stream(f"scenario-{scenario.pk}-{chart}.csv", drawn.table.columns, drawn.table.rows)


@viewer_required
@require_GET
def scenario_compare(request: Any) -> HttpResponse:
    """Up to four scenarios side by side (and the approved plan): value, cost per year, NPV, indices, mix,
    risk, coverage, and the initiatives that differ."""
    ids = [int(x) for x in request.GET.getlist("s") if is_id(x)][:COMPARE_MAX]
    chosen = {s.pk: s for s in Scenario.objects.filter(pk__in=ids)}
    plan = services.approved_plan()
    order = [chosen[i] for i in dict.fromkeys(ids) if i in chosen]
    if plan is not None and plan.pk not in chosen:
        order.append(plan)
    runs = {r.scenario_id: r for r in ScenarioRun.objects.filter(scenario__in=order, kind=RunKind.SOLVE)}
    columns: list[dict[str, Any]] = []
    for s in order:
        run = runs.get(s.pk)
        summary = run.summary if run else {}
        columns.append(
            {
                "scenario": s,
                "run": run,
                "summary": summary,
                "stale": run is not None and run.scenario_version != s.version,
            }
        )
    years = sorted({y for c in columns for y in c["summary"].get("spend", {})})
    selections = {
        c["scenario"].pk: set(c["run"].selected)
        for c in columns
        if c["run"] and c["summary"].get("value") is not None
    }
    differ_ids = (
        sorted(set.union(*selections.values()) - set.intersection(*selections.values()))
        if len(selections) > 1
        else []
    )
    shown = set(differ_ids[:DIFFER_SHOWN])
    names: dict[int, tuple[str, str]] = {}
    for c in columns:
        for r in c["run"].decisions if c["run"] else []:
            if r["id"] in shown:
                names.setdefault(r["id"], (r["code"], r["title"]))
    differ = [
        (
            names.get(pk, (str(pk), "")),
            [
                pk in selections.get(c["scenario"].pk, set()) if c["scenario"].pk in selections else None
                for c in columns
            ],
        )
        for pk in differ_ids[:DIFFER_SHOWN]
    ]
    figures = {str(c["scenario"].pk): c["summary"].get("figures", {}).get("plan", {}) for c in columns}
    totals = {
        str(c["scenario"].pk): c["summary"].get("totals", {}).get("plan")
        for c in columns
        if c["summary"].get("totals", {}).get("plan")
    }
    index_rows = _index_rows(figures, [(str(c["scenario"].pk), c["scenario"].name) for c in columns], totals)
    spend_rows = [
        (
            y,
            [
                "—"
                if y not in c["summary"].get("spend", {})
                else f"{currency_symbol()}{sum(c['summary']['spend'][y]):,.0f}"
                for c in columns
            ],
        )
        for y in years
    ]
    choices = Scenario.objects.order_by("-updated_at", "-pk").only("pk", "name", "status")[:50]
    return render_page(
        request,
        T + "scenario_compare.html",
        {
            "columns": columns,
            "index_rows": index_rows,
            "spend_rows": spend_rows,
            "differ": differ,
            "differ_total": len(differ_ids),
            "differ_shown": DIFFER_SHOWN,
            "choices": choices,
            "ids": ids,
            "tab": "scenarios",
            "approved_status": ScenarioStatus.APPROVED,
            "symbol": currency_symbol(),
        },
    )
