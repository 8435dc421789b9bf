"""Scenarios: create them with their limits and rules (PMO), solve them and draw their frontier (tracked jobs),
read the answer explained per initiative, approve one as the plan (steering members and the PMO). The same
services as the pages; see docs/planning-scenarios.md for what the figures mean."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from pydantic import Field

from api.common import DEFAULT_LIMIT, answer, check_version, etag, page_of, version_of
from api.errors import Refused
from api.routers.portfolio import READ, WRITE, Cursor, Id, Limit
from api.schemas import In, Out, Value
from core import jobs
from core.errors import ApplicationError, NotAllowed
from core.models import Job
from planning.models import RunKind, Scenario, ScenarioRun
from planning.services import scenarios as services

router = Router(tags=["planning"])
DECISIONS_MAX = 500

Money = Value | None


class LimitIn(In):
    year: int = Field(ge=2000, le=2100)
    capex: Money = None
    opex: Money = None
    total: Money = None


class RuleIn(In):
    kind: str = Field(max_length=10, description="force_in, force_out, mandatory, requires or excludes")
    initiative: str = Field(max_length=20, description="The initiative's code")
    other: str | None = Field(
        default=None, max_length=20, description="The second initiative (requires, excludes)"
    )
    note: str = Field(default="", max_length=300)


class ScenarioIn(In):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    first_year: int = Field(ge=2000, le=2100)
    years: int = Field(default=3, ge=1, le=10)
    maximise: str = Field(default="strategic", max_length=10, description="strategic, npv or priority")
    budget: Money = None
    keep_committed: bool = True
    respect_capacity: bool = Field(default=True, description="Fund only what the teams can deliver.")
    max_shift_months: int | None = Field(
        default=None,
        ge=0,
        le=12,
        description="How many months a start may move later to fit team capacity (null: the capacity policy's).",
    )
    sponsor_adjustment: bool = Field(
        default=False,
        description="When maximising NPV, discount each candidate's NPV by its sponsor's record of benefits "
        "realised against promised (docs/scoring.md, “The sponsor adjustment”).",
    )
    limits: list[LimitIn] = Field(default_factory=list, max_length=10)
    rules: list[RuleIn] = Field(default_factory=list, max_length=2000)


class ApproveIn(In):
    rationale: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(default=None, description="The version you read (or If-Match).")


class LimitOut(Out):
    year: int
    capex: Decimal | None
    opex: Decimal | None
    total: Decimal | None


class RuleOut(Out):
    id: int
    kind: str
    initiative: str
    other: str | None
    note: str


class ScenarioOut(Out):
    id: int
    name: str
    description: str
    first_year: int
    years: int
    maximise: str
    budget: Decimal | None
    keep_committed: bool
    respect_capacity: bool
    max_shift_months: int | None
    sponsor_adjustment: bool
    status: str
    version: int
    limits: list[LimitOut]
    rules: list[RuleOut]
    answer: dict[str, Any] | None = Field(description="The last answer's summary (see /result), if solved.")


class ScenarioPage(Out):
    items: list[ScenarioOut]
    next_cursor: str | None


class JobOut(Out):
    id: int
    kind: str
    status: str
    progress: int
    message: str


class ResultOut(Out):
    scenario_id: int
    status: str
    current: bool = Field(description="Whether the answer still stands for the scenario and the data.")
    why_not_current: str | None
    summary: dict[str, Any]
    selected: list[int]


class DecisionOut(Out):
    id: int
    code: str
    title: str
    stage: str
    in_plan: bool
    reason: str = Field(
        description="mandatory, force_in, chosen; force_out, requires, excludes, limits, fits"
    )
    explanation: str
    value: float
    cost: float
    start_shift: int = Field(
        default=0, description="Months its start moved later to fit team capacity (0: as planned)."
    )


class DecisionPage(Out):
    items: list[DecisionOut]
    next_cursor: str | None


def _out(scenario: Scenario) -> dict[str, Any]:
    run = next((r for r in scenario.runs.all() if r.kind == RunKind.SOLVE), None)
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "description": scenario.description,
        "first_year": scenario.first_year,
        "years": scenario.years,
        "maximise": scenario.maximise,
        "budget": scenario.budget,
        "keep_committed": scenario.keep_committed,
        "respect_capacity": scenario.respect_capacity,
        "max_shift_months": scenario.max_shift_months,
        "sponsor_adjustment": scenario.sponsor_adjustment,
        "status": scenario.status,
        "version": scenario.version,
        "limits": [
            {"year": r.year, "capex": r.capex, "opex": r.opex, "total": r.total}
            for r in scenario.limits.all()
        ],
        "rules": [
            {
                "id": r.pk,
                "kind": r.kind,
                "initiative": r.initiative.code,
                "other": r.other.code if r.other else None,
                "note": r.note,
            }
            for r in scenario.rules.all()
        ],
        "answer": run.summary if run else None,
    }


def _scenarios() -> Any:
    return Scenario.objects.prefetch_related("limits", "rules__initiative", "rules__other", "runs")


def _job(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
    }


@router.get("/planning/scenarios", response={200: ScenarioPage, **READ}, summary="List scenarios")
def scenario_list(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    return page_of(_scenarios(), _out, ScenarioPage, cursor=cursor, limit=limit)


@router.get("/planning/scenarios/{id}", response={200: ScenarioOut, **READ}, summary="Read a scenario")
def scenario_detail(request: HttpRequest, id: Id) -> Any:
    scenario = get_object_or_404(_scenarios(), pk=id)
    return answer(ScenarioOut, _out(scenario), version=scenario.version)


@router.post(
    "/planning/scenarios",
    response={201: ScenarioOut, **WRITE},
    summary="Create a scenario with its limits and rules (PMO)",
    description="Rules name initiatives by code. Nothing is created when any part is refused.",
)
def scenario_create(request: HttpRequest, body: ScenarioIn) -> Any:
    data = body.model_dump(exclude={"limits", "rules"})
    with transaction.atomic():
        scenario = services.scenario_create(
            user=request.user, data=data, limits=[limit.model_dump() for limit in body.limits]
        )
        for n, rule in enumerate(body.rules):
            try:
                services.scenario_rule_add(
                    user=request.user,
                    scenario_id=scenario.pk,
                    version=Scenario.objects.get(pk=scenario.pk).version,
                    kind=rule.kind,
                    initiative=rule.initiative,
                    other=rule.other,
                    note=rule.note,
                )
            except NotAllowed:
                raise
            except ApplicationError as error:
                fields = {
                    f"rules-{n}-{k}": v for k, v in (error.field_errors or {"kind": [error.message]}).items()
                }
                raise Refused(422, f"Rule {n + 1} is not valid: {error.message}", fields=fields) from None
    created = get_object_or_404(_scenarios(), pk=scenario.pk)
    return answer(ScenarioOut, _out(created), status=201, version=created.version)


@router.post(
    "/planning/scenarios/{id}/solve",
    response={202: JobOut, **READ},
    summary="Solve a scenario (a tracked job); read the answer at /result when it is done",
)
def scenario_solve(request: HttpRequest, id: Id) -> Any:
    scenario = get_object_or_404(Scenario, pk=id)
    return answer(JobOut, _job(services.solve_start(user=request.user, scenario_id=scenario.pk)), status=202)


@router.post(
    "/planning/scenarios/{id}/frontier",
    response={202: JobOut, **READ},
    summary="Draw a scenario's efficient frontier (a tracked job); read it at GET /frontier when it is done",
)
def scenario_frontier_start(request: HttpRequest, id: Id) -> Any:
    scenario = get_object_or_404(Scenario, pk=id)
    return answer(
        JobOut, _job(services.frontier_start(user=request.user, scenario_id=scenario.pk)), status=202
    )


@router.get(
    "/planning/scenarios/{id}/jobs/{job_id}",
    response={200: JobOut, **READ},
    summary="Follow a scenario's solve or frontier job",
)
def scenario_job(request: HttpRequest, id: Id, job_id: Id) -> Any:
    job = get_object_or_404(Job, pk=job_id, target=f"scenario:{id}")
    return answer(JobOut, _job(jobs.job_refreshed(job)))


def _run(scenario_id: int, kind: str) -> tuple[Scenario, ScenarioRun]:
    scenario = get_object_or_404(Scenario, pk=scenario_id)
    run = ScenarioRun.objects.filter(scenario=scenario, kind=kind).first()
    if run is None:
        raise Refused(
            404,
            "The scenario has no answer yet: solve it first."
            if kind == RunKind.SOLVE
            else "The frontier has not been drawn yet.",
        )
    return scenario, run


@router.get(
    "/planning/scenarios/{id}/result",
    response={200: ResultOut, **READ},
    summary="The scenario's answer: status, value, spend per year, limits, conflicts, indices, selected ids",
)
def scenario_result(request: HttpRequest, id: Id) -> Any:
    scenario, run = _run(id, RunKind.SOLVE)
    why = services.answer_standing(scenario, run)
    return answer(
        ResultOut,
        {
            "scenario_id": scenario.pk,
            "status": run.status,
            "current": why is None,
            "why_not_current": why,
            "summary": run.summary,
            "selected": run.selected,
        },
    )


@router.get(
    "/planning/scenarios/{id}/result/decisions",
    response={200: DecisionPage, **READ},
    summary="Every candidate of the answer, in or out, and why (the chosen first)",
)
def scenario_decisions(
    request: HttpRequest,
    id: Id,
    show: Annotated[str | None, Query(max_length=3, description="in or out")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=DECISIONS_MAX)] = DEFAULT_LIMIT,
) -> Any:
    _, run = _run(id, RunKind.SOLVE)
    if show not in (None, "", "in", "out"):
        raise Refused(400, "A filter is not valid.", fields={"show": ["Choose in or out."]})
    rows = [r for r in run.decisions if not show or r["in"] == (show == "in")]
    start = int(cursor) if cursor and cursor.isdigit() and len(cursor) < 10 else 0
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    items = [
        {
            "id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "stage": r["stage"],
            "in_plan": r["in"],
            "reason": r["reason"],
            "explanation": r["text"],
            "value": r["value"],
            "cost": r["cost"],
            "start_shift": r.get("shift", 0),
        }
        for r in page
    ]
    return answer(DecisionPage, {"items": items, "next_cursor": str(start + limit) if more else None})


@router.get(
    "/planning/scenarios/{id}/frontier",
    response={200: dict[str, Any], **READ},
    summary="The scenario's efficient frontier: budget levels, best values, and the plans marked on it",
)
def scenario_frontier(request: HttpRequest, id: Id) -> Any:
    _, run = _run(id, RunKind.FRONTIER)
    return run.summary


@router.post(
    "/planning/scenarios/{id}/approve",
    response={200: ScenarioOut, **WRITE},
    summary="Approve the scenario's answer as the plan (steering members and the PMO)",
    description="The stages follow (see the scenario page) and the decision is logged. Send the version you "
    'read: `If-Match: "<version>"` (412 when stale) or `version` in the body (409 when stale).',
)
def scenario_approve(request: HttpRequest, id: Id, body: ApproveIn, response: HttpResponse) -> Any:
    scenario = get_object_or_404(Scenario, pk=id)
    version, from_header = version_of(request, body.version)
    check_version(scenario, version, from_header)
    services.scenario_approve(
        user=request.user, scenario_id=scenario.pk, version=version, rationale=body.rationale
    )
    approved = get_object_or_404(_scenarios(), pk=id)
    etag(response, approved.version)
    return _out(approved)
