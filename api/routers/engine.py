"""Risks, and what the engine computed: scores, signals and the portfolio's indices."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from alignment.forms import SignalFilterForm
from alignment.models import ALL_SCOPE, InitiativeScore, PortfolioIndex
from api import schemas as s
from api import shapes
from api.common import (
    DEFAULT_LIMIT,
    check_version,
    filters_of,
    form_values,
    only_set,
    page_of,
    record,
    version_of,
)
from api.routers.portfolio import READ, WRITE, Cursor, Id, Limit, QueryId, _parent_initiative
from risk import services as risk_services
from risk.forms import RiskForm
from risk.models import Risk
from risk.views import RiskFilterForm

router = Router()

RISK_RENAMES = {"owner_id": "owner"}


def _risks() -> QuerySet[Risk]:
    return Risk.objects.select_related("initiative", "owner")


@router.get("/risks", response={200: s.RiskPage, **READ}, summary="List risks", tags=["risk"])
def risk_list(
    request: HttpRequest,
    initiative: QueryId = None,
    status: Annotated[
        str | None, Query(max_length=12, description="active (the default), a status, or empty for any")
    ] = "active",
    category: Annotated[str | None, Query(max_length=12)] = None,
    level: Annotated[str | None, Query(max_length=8, description="low, medium, high or severe")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    values = filters_of(RiskFilterForm, {"status": status or "", "category": category, "level": level})
    form = RiskFilterForm(data={})
    form.cleaned_data = {**values, "probability": None, "impact": None}
    rows = form.rows().select_related("initiative", "owner")
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    return page_of(rows, shapes.risk_out, s.RiskPage, cursor=cursor, limit=limit)


@router.get("/risks/{id}", response={200: s.RiskOut, **READ}, summary="Read a risk", tags=["risk"])
def risk_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_risks(), id, shapes.risk_out, response)


@router.post(
    "/risks", response={201: s.RiskOut, **WRITE}, summary="Add a risk (PMO, or the manager)", tags=["risk"]
)
def risk_create(request: HttpRequest, body: s.RiskCreate, response: HttpResponse) -> Any:
    initiative = _parent_initiative(body.initiative_id)
    form = form_values(RiskForm, only_set(body, without=("initiative_id",)), renames=RISK_RENAMES)
    created = risk_services.risk_create(
        user=request.user,
        initiative=initiative,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return Status(201, record(_risks(), created.pk, shapes.risk_out, response))


@router.patch(
    "/risks/{id}",
    response={200: s.RiskOut, **WRITE},
    summary="Change a risk (PMO, or the manager)",
    tags=["risk"],
)
def risk_update(request: HttpRequest, id: Id, body: s.RiskChange, response: HttpResponse) -> Any:
    current = get_object_or_404(Risk, pk=id)
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    form = form_values(RiskForm, only_set(body), instance=current, renames=RISK_RENAMES)
    saved = risk_services.risk_update(
        user=request.user,
        risk_id=id,
        version=version,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return record(_risks(), saved.pk, shapes.risk_out, response)


@router.get(
    "/scores", response={200: s.ScorePage, **READ}, summary="List alignment scores", tags=["alignment"]
)
def score_list(
    request: HttpRequest,
    tier: Annotated[int | None, Query(ge=1, le=4)] = None,
    stale: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = InitiativeScore.objects.select_related("initiative")
    if tier:
        rows = rows.filter(tier=tier)
    if stale is not None:
        rows = rows.filter(stale=stale)
    return page_of(rows, shapes.score_row, s.ScorePage, cursor=cursor, limit=limit)


@router.get(
    "/signals", response={200: s.SignalPage, **READ}, summary="List active signals", tags=["alignment"]
)
def signal_list(
    request: HttpRequest,
    rule: Annotated[str | None, Query(max_length=40)] = None,
    severity: Annotated[str | None, Query(max_length=5, description="red or amber")] = None,
    owner: QueryId = None,
    program: QueryId = None,
    initiative: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    values = {"rule": rule, "severity": severity, "owner": owner, "program": program}
    form = SignalFilterForm(data={})
    form.cleaned_data = filters_of(SignalFilterForm, values)
    rows = form.rows()
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    return page_of(rows, shapes.signal_out, s.SignalPage, cursor=cursor, limit=limit)


@router.get(
    "/indices",
    response={200: s.IndexPage, **READ},
    summary="The portfolio's indices by day, newest first",
    tags=["alignment"],
)
def index_list(
    request: HttpRequest,
    scope: Annotated[
        str,
        Query(max_length=40, pattern=r"^(all|program:[0-9]{1,18})$", description='"all" or "program:<id>"'),
    ] = ALL_SCOPE,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = PortfolioIndex.objects.filter(scope=scope)
    return page_of(rows, shapes.index_out, s.IndexPage, cursor=cursor, limit=limit, descending=True)
