"""Objectives, KPIs and readings, programs, initiatives and what hangs off them: read by every role, written
through the portfolio's services (which check who may) after the pages' own forms have validated them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status

from alignment.selectors import explain
from alignment.services import current_policy
from alignment.services.scores import explain_initiative
from api import schemas as s
from api import shapes
from api.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    answer,
    check_version,
    etag,
    filters_of,
    form_values,
    keyset_page,
    only_set,
    page_of,
    record,
    version_of,
)
from api.errors import ErrorOut, Refused
from core.errors import NotAllowed
from core.roles import can_edit_portfolio
from portfolio import forms, selectors, services
from portfolio.models import (
    KPI,
    BusinessCase,
    Contribution,
    Initiative,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
)
from portfolio.services import business_cases

router = Router(tags=["portfolio"])

BIG = 9_223_372_036_854_775_807
Id = Annotated[int, Path(ge=1, le=BIG)]
QueryId = Annotated[int | None, Query(ge=1, le=BIG)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (at most {MAX_LIMIT}).")]
Cursor = Annotated[str | None, Query(max_length=64, description="The `next_cursor` of the page before.")]
READ = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {**READ, 409: ErrorOut, 412: ErrorOut, 428: ErrorOut}
INITIATIVE_RENAMES = {
    "program_id": "program",
    "sponsor_id": "sponsor",
    "manager_id": "manager",
    "sustainment_owner_id": "sustainment_owner",
}


# -- objectives ---------------------------------------------------------------------------------------------


def _objectives() -> QuerySet[Objective]:
    return Objective.objects.select_related("owner", "score")


@router.get("/objectives", response={200: s.ObjectivePage, **READ}, summary="List objectives")
def objective_list(
    request: HttpRequest,
    status: Annotated[str | None, Query(max_length=10, description="active or retired")] = None,
    parent: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _objectives()
    if status:
        rows = rows.filter(status=status)
    if parent:
        rows = rows.filter(parent_id=parent)
    return page_of(rows, shapes.objective_out, s.ObjectivePage, cursor=cursor, limit=limit)


@router.get("/objectives/{id}", response={200: s.ObjectiveOut, **READ}, summary="Read an objective")
def objective_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_objectives(), id, shapes.objective_out, response)


# -- KPIs and readings ---------------------------------------------------------------------------------------


def _kpis() -> QuerySet[KPI]:
    return KPI.objects.select_related("objective", "score")


def _kpi_shape() -> Callable[[Any], dict[str, Any]]:
    """kpi_out with the scoring policy's freshness limit, read once for the request."""
    return functools.partial(shapes.kpi_out, fresh_days=current_policy().kpi.fresh_days)


@router.get("/kpis", response={200: s.KPIPage, **READ}, summary="List KPIs")
def kpi_list(
    request: HttpRequest, objective: QueryId = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Any:
    rows = _kpis()
    if objective:
        rows = rows.filter(objective_id=objective)
    return page_of(rows, _kpi_shape(), s.KPIPage, cursor=cursor, limit=limit)


@router.get("/kpis/{id}", response={200: s.KPIOut, **READ}, summary="Read a KPI and its status")
def kpi_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_kpis(), id, _kpi_shape(), response)


@router.get("/kpis/{id}/readings", response={200: s.ReadingPage, **READ}, summary="List a KPI's readings")
def reading_list(request: HttpRequest, id: Id, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    kpi = get_object_or_404(KPI, pk=id)
    rows = Reading.objects.filter(kpi=kpi).select_related("entered_by")
    return page_of(rows, shapes.reading_out, s.ReadingPage, cursor=cursor, limit=limit)


@router.post("/kpis/{id}/readings", response={201: s.ReadingOut, **WRITE}, summary="Record a reading (PMO)")
def reading_create(request: HttpRequest, id: Id, body: s.ReadingIn) -> Any:
    kpi = get_object_or_404(KPI, pk=id)
    if not can_edit_portfolio(request.user):
        raise NotAllowed("Only the PMO records KPI readings.")
    form = form_values(forms.ReadingForm, only_set(body), kpi=kpi)
    values = form.cleaned_data
    reading = services.reading_record(
        user=request.user, kpi=kpi, date=values["date"], value=values["value"], source=values["source"]
    )
    return Status(201, shapes.reading_out(reading))


# -- programs ---------------------------------------------------------------------------------------------


@router.get("/programs", response={200: s.ProgramPage, **READ}, summary="List programs")
def program_list(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    rows = Program.objects.select_related("owner").annotate(initiative_count=Count("initiatives"))
    return page_of(rows, shapes.program_out, s.ProgramPage, cursor=cursor, limit=limit)


@router.get("/programs/{id}", response={200: s.ProgramOut, **READ}, summary="Read a program")
def program_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    program = get_object_or_404(
        Program.objects.select_related("owner").annotate(initiative_count=Count("initiatives")), pk=id
    )
    etag(response, program.version)
    return shapes.program_out(program)


# -- initiatives ----------------------------------------------------------------------------------------------


def _initiative_rows(rows: QuerySet[Any], *, cursor: str | None, limit: int) -> HttpResponse:
    """A page of initiatives with their program, score, people and objectives: three queries of plain
    values."""
    found, next_cursor = keyset_page(rows.values(*shapes.INITIATIVE_FIELDS), cursor=cursor, limit=limit)
    return answer(s.InitiativePage, {"items": _with_contributions(found), "next_cursor": next_cursor})


def _with_contributions(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_initiative: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in found}
    if by_initiative:
        links = Contribution.objects.filter(initiative_id__in=list(by_initiative)).order_by("pk")
        for link in links.values(
            "id", "initiative_id", "strength", "objective_id", "objective__code", "objective__title"
        ):
            by_initiative[link["initiative_id"]].append(dict(link))
    ids = shapes.people_of(found)
    users = get_user_model().objects.filter(pk__in=ids).values(*shapes.PERSON_FIELDS) if ids else []
    people = {person["id"]: shapes.person_from_values(person) for person in users}
    return [shapes.initiative_from_values(row, by_initiative[row["id"]], people) for row in found]


def _initiative(pk: int) -> dict[str, Any]:
    found = list(Initiative.objects.filter(pk=pk).values(*shapes.INITIATIVE_FIELDS))
    if not found:
        raise Http404
    return _with_contributions(found)[0]


@router.get(
    "/initiatives",
    response={200: s.InitiativePage, **READ},
    summary="List initiatives (the register's filters)",
)
def initiative_list(
    request: HttpRequest,
    q: Annotated[
        str | None,
        Query(max_length=200, description='Search as the register does: words, "-word" to exclude.'),
    ] = None,
    stage: Annotated[
        str | None, Query(max_length=20, description="A stage, or open / delivery / done.")
    ] = None,
    category: Annotated[str | None, Query(max_length=10, description="run, grow or transform")] = None,
    program: QueryId = None,
    sponsor: QueryId = None,
    objective: Annotated[
        int | None, Query(ge=1, le=BIG, description="Serving this objective or one below it.")
    ] = None,
    tier: Annotated[str | None, Query(max_length=2, description="Risk tier 1-4.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    values = {
        "q": q,
        "stage": stage,
        "category": category,
        "program": program,
        "sponsor": sponsor,
        "objective": objective,
        "tier": tier,
    }
    cleaned = filters_of(forms.RegisterFilterForm, values, sort_keys=list(selectors.register_sorts()))
    form = forms.RegisterFilterForm(data={}, sort_keys=[])
    form.cleaned_data = cleaned
    return _initiative_rows(selectors.initiative_register(form.filters()), cursor=cursor, limit=limit)


@router.get("/initiatives/{id}", response={200: s.InitiativeOut, **READ}, summary="Read an initiative")
def initiative_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    initiative = _initiative(id)
    etag(response, initiative["version"])
    return initiative


@router.post("/initiatives", response={201: s.InitiativeOut, **WRITE}, summary="Register an initiative (PMO)")
def initiative_create(request: HttpRequest, body: s.InitiativeCreate, response: HttpResponse) -> Any:
    if not can_edit_portfolio(request.user):
        raise NotAllowed("Only the PMO registers new initiatives.")
    form = form_values(forms.InitiativeForm, only_set(body), renames=INITIATIVE_RENAMES)
    created = services.initiative_create(user=request.user, data=form.model_values())  # type: ignore[attr-defined]
    etag(response, created.version)
    return Status(201, _initiative(created.pk))


@router.patch(
    "/initiatives/{id}",
    response={200: s.InitiativeOut, **WRITE},
    summary="Change an initiative (PMO, or its manager)",
    description='Send only the fields to change, and the version you read: `If-Match: "<version>"` '
    "(412 when stale) or `version` in the body (409 when stale).",
)
def initiative_update(request: HttpRequest, id: Id, body: s.InitiativeChange, response: HttpResponse) -> Any:
    current = get_object_or_404(Initiative, pk=id)
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    form = form_values(forms.InitiativeForm, only_set(body), instance=current, renames=INITIATIVE_RENAMES)
    saved = services.initiative_update(
        user=request.user,
        initiative_id=id,
        version=version,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    etag(response, saved.version)
    return _initiative(saved.pk)


@router.get(
    "/initiatives/{id}/score",
    response={200: s.ExplanationOut, **READ},
    summary="An initiative's alignment score and why",
)
def initiative_score(request: HttpRequest, id: Id) -> Any:
    initiative = get_object_or_404(Initiative.objects.select_related("score"), pk=id)
    result = explain_initiative(initiative.pk)
    now: dict[str, Any] = {}
    explanation: dict[str, Any] = {}
    if result is not None:
        explained = explain(result)
        live = explained.live
        now = {**shapes.score_out(live, initiative.stage), "stale": False, "computed_at": None}  # type: ignore[dict-item]
        explanation = result.explanation
    return {
        "initiative": shapes.initiative_ref(initiative),
        "stored": shapes.score_out(shapes.related(initiative, "score"), initiative.stage),
        "now": now,
        "explanation": explanation,
    }


# -- contributions, milestones, scope changes -------------------------------------------------------------------


def _contributions() -> QuerySet[Contribution]:
    return Contribution.objects.select_related("initiative", "objective")


@router.get("/contributions", response={200: s.ContributionPage, **READ}, summary="List contributions")
def contribution_list(
    request: HttpRequest,
    initiative: QueryId = None,
    objective: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _contributions()
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    if objective:
        rows = rows.filter(objective_id=objective)
    return page_of(rows, shapes.contribution_out, s.ContributionPage, cursor=cursor, limit=limit)


@router.get("/contributions/{id}", response={200: s.ContributionOut, **READ}, summary="Read a contribution")
def contribution_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_contributions(), id, shapes.contribution_out, response)


CONTRIBUTION_RENAMES = {"objective_id": "objective", "kpi_id": "kpi"}


@router.post(
    "/contributions",
    response={201: s.ContributionOut, **WRITE},
    summary="Link an initiative to an objective (PMO)",
)
def contribution_create(request: HttpRequest, body: s.ContributionCreate, response: HttpResponse) -> Any:
    initiative = _parent_initiative(body.initiative_id)
    if not can_edit_portfolio(request.user):
        raise NotAllowed("Only the PMO links initiatives to objectives.")
    form = _contribution_form(body, initiative)
    created = services.contribution_create(
        user=request.user,
        initiative=initiative,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return Status(201, record(_contributions(), created.pk, shapes.contribution_out, response))


def _contribution_form(body: s.ContributionCreate, initiative: Initiative) -> Any:
    """The page's form, on a new contribution that knows its initiative (so a second link to the same
    objective is refused at the objective)."""
    return form_values(
        forms.ContributionForm,
        only_set(body, without=("initiative_id",)),
        instance=Contribution(initiative=initiative),
        renames=CONTRIBUTION_RENAMES,
    )


def _parent_initiative(pk: int) -> Initiative:
    initiative = Initiative.objects.filter(pk=pk).first()
    if initiative is None:
        raise Refused(
            422, "There is no such initiative.", fields={"initiative_id": ["No initiative has this id."]}
        )
    return initiative


@router.patch(
    "/contributions/{id}", response={200: s.ContributionOut, **WRITE}, summary="Change a contribution (PMO)"
)
def contribution_update(
    request: HttpRequest, id: Id, body: s.ContributionChange, response: HttpResponse
) -> Any:
    current = get_object_or_404(Contribution.objects.select_related("initiative"), pk=id)
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    if not can_edit_portfolio(request.user):
        raise NotAllowed("Only the PMO changes contributions.")
    form = form_values(forms.ContributionForm, only_set(body), instance=current, renames=CONTRIBUTION_RENAMES)
    saved = services.contribution_update(
        user=request.user,
        contribution_id=id,
        version=version,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return record(_contributions(), saved.pk, shapes.contribution_out, response)


@router.delete("/contributions/{id}", response={204: None, **WRITE}, summary="Remove a contribution (PMO)")
def contribution_delete(
    request: HttpRequest, id: Id, version: Annotated[int | None, Query(ge=1, le=BIG)] = None
) -> Any:
    current = get_object_or_404(Contribution, pk=id)
    expected, from_header = version_of(request, version)
    check_version(current, expected, from_header)
    services.contribution_delete(user=request.user, contribution_id=id, version=expected)
    return Status(204, None)


def _milestones() -> QuerySet[Milestone]:
    return Milestone.objects.select_related("initiative")


@router.get("/milestones", response={200: s.MilestonePage, **READ}, summary="List milestones")
def milestone_list(
    request: HttpRequest, initiative: QueryId = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Any:
    rows = _milestones()
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    return page_of(rows, shapes.milestone_out, s.MilestonePage, cursor=cursor, limit=limit)


@router.get("/milestones/{id}", response={200: s.MilestoneOut, **READ}, summary="Read a milestone")
def milestone_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_milestones(), id, shapes.milestone_out, response)


@router.post(
    "/milestones", response={201: s.MilestoneOut, **WRITE}, summary="Add a milestone (PMO, or the manager)"
)
def milestone_create(request: HttpRequest, body: s.MilestoneCreate, response: HttpResponse) -> Any:
    initiative = _parent_initiative(body.initiative_id)
    form = form_values(forms.MilestoneForm, only_set(body, without=("initiative_id",)), instance=None)
    created = services.milestone_create(
        user=request.user,
        initiative=initiative,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return Status(201, record(_milestones(), created.pk, shapes.milestone_out, response))


@router.patch(
    "/milestones/{id}",
    response={200: s.MilestoneOut, **WRITE},
    summary="Change a milestone (PMO, or the manager)",
)
def milestone_update(request: HttpRequest, id: Id, body: s.MilestoneChange, response: HttpResponse) -> Any:
    current = get_object_or_404(Milestone, pk=id)
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    form = form_values(forms.MilestoneForm, only_set(body), instance=current)
    saved = services.milestone_update(
        user=request.user,
        milestone_id=id,
        version=version,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return record(_milestones(), saved.pk, shapes.milestone_out, response)


def _scope_changes() -> QuerySet[ScopeChange]:
    return ScopeChange.objects.select_related("initiative", "approved_by")


@router.get("/scope-changes", response={200: s.ScopeChangePage, **READ}, summary="List scope changes")
def scope_change_list(
    request: HttpRequest,
    initiative: QueryId = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _scope_changes()
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    if status:
        rows = rows.filter(status=status)
    return page_of(rows, shapes.scope_change_out, s.ScopeChangePage, cursor=cursor, limit=limit)


@router.get("/scope-changes/{id}", response={200: s.ScopeChangeOut, **READ}, summary="Read a scope change")
def scope_change_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_scope_changes(), id, shapes.scope_change_out, response)


# -- business cases -----------------------------------------------------------------------------------------


def _business_case(pk: int) -> dict[str, Any]:
    case = BusinessCase.objects.filter(pk=pk).first()
    if case is None:
        raise Http404
    lines = list(case.lines.prefetch_related("amounts"))
    result = business_cases.evaluate(case)
    return {
        "initiative_id": case.pk,
        "first_year": case.first_year,
        "version": case.version,
        "lines": [
            {
                "kind": line.kind,
                "label": line.label,
                "kpi_id": line.kpi_id,
                "amounts": {str(a.year): a.amount for a in line.amounts.all()},
            }
            for line in lines
        ],
        "figures": {
            "policy_version": result.policy_version,
            "npv": result.npv,
            "irr": result.irr,
            "payback_years": result.payback_years,
            "discounted_payback_years": result.discounted_payback_years,
            "roi": result.roi,
            "total_cost": result.total_costs,
            "total_benefit": result.total_benefits,
        },
        "irr_note": result.irr_note,
    }


@router.get(
    "/initiatives/{id}/business-case",
    response={200: s.BusinessCaseOut, **READ},
    summary="Read an initiative's business case and its figures",
)
def business_case_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    case = _business_case(id)
    etag(response, case["version"])
    return case


@router.put(
    "/initiatives/{id}/business-case",
    response={200: s.BusinessCaseOut, **WRITE},
    summary="Enter or replace an initiative's business case (PMO, or its manager)",
    description="Send the whole case. To replace one, send the version you read: "
    '`If-Match: "<version>"` (412 when stale) or `version` in the body (409 when stale).',
)
def business_case_put(request: HttpRequest, id: Id, body: s.BusinessCaseIn, response: HttpResponse) -> Any:
    initiative = get_object_or_404(Initiative, pk=id)
    current = BusinessCase.objects.filter(pk=id).first()
    version = None
    if current is not None or request.headers.get("If-Match") is not None:
        version, from_header = version_of(request, body.version)
        if current is not None:
            check_version(current, version, from_header)
    bad = {
        f"lines-{n}-amounts": [f"{year!r} is not a calendar year."]
        for n, line in enumerate(body.lines)
        for year in line.amounts
        if not year.isdigit()
    }
    if bad:
        raise Refused(422, "The request is not valid.", fields=bad)
    saved = business_cases.business_case_save(
        user=request.user,
        initiative_id=initiative.pk,
        version=version,
        first_year=body.first_year,
        lines=[
            business_cases.LineInput(
                kind=line.kind,
                label=line.label,
                amounts={int(year): amount for year, amount in line.amounts.items()},
                kpi=line.kpi_id,
            )
            for line in body.lines
        ],
    )
    etag(response, saved.version)
    return _business_case(saved.pk)
