"""Benefit plans: each benefit line's quarters (expected, and actuals entered or derived from KPI readings as
the pages derive them) and its realisation as of today. Read by every role, as on the initiative page."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router

from api import schemas as s
from api import shapes
from api.common import DEFAULT_LIMIT, answer, etag, keyset_page
from api.errors import Refused
from api.routers.portfolio import READ, Cursor, Id, Limit, QueryId
from portfolio.benefit_selectors import plan_results, plans
from portfolio.models import BenefitPlan, Initiative

router = Router(tags=["benefits"])

CODE_MAX = 20  # an initiative's code


def _answers(found: list[BenefitPlan]) -> list[dict[str, Any]]:
    """The plans as the API answers them, their quarters and realisation as of today: three queries at most
    (plan_results), whatever the number of plans."""
    results = plan_results(found, timezone.localdate())
    return [shapes.benefit_plan_out(results[plan.pk]) for plan in found]


@router.get(
    "/benefit-plans",
    response={200: s.BenefitPlanPage, **READ},
    summary="List benefit plans with their quarters and realisation to date",
)
def benefit_plan_list(
    request: HttpRequest,
    initiative: QueryId = None,
    initiative_code: Annotated[
        str | None, Query(max_length=CODE_MAX, description="The plans of the initiative with this code.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = plans()
    if initiative:
        rows = rows.filter(line__case__initiative_id=initiative)
    if initiative_code:
        if not Initiative.objects.filter(code=initiative_code).exists():
            raise Refused(
                400,
                "A filter is not valid.",
                fields={"initiative_code": ["No initiative has this code."]},
            )
        rows = rows.filter(line__case__initiative__code=initiative_code)
    found, next_cursor = keyset_page(rows, cursor=cursor, limit=limit)
    return answer(s.BenefitPlanPage, {"items": _answers(found), "next_cursor": next_cursor})


@router.get(
    "/benefit-plans/{id}",
    response={200: s.BenefitPlanOut, **READ},
    summary="Read a benefit plan (id: its business case line's)",
)
def benefit_plan_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    plan = get_object_or_404(plans(), pk=id)
    etag(response, plan.version)
    return _answers([plan])[0]


@router.get(
    "/initiatives/{id}/benefit-plans",
    response={200: s.InitiativeBenefitPlans, **READ},
    summary="An initiative's benefit plans, in the order of its business case lines",
)
def initiative_benefit_plans(request: HttpRequest, id: Id) -> Any:
    initiative = get_object_or_404(Initiative, pk=id)
    found = list(plans().filter(line__case__initiative=initiative))
    return answer(
        s.InitiativeBenefitPlans,
        {"initiative": shapes.initiative_ref(initiative), "items": _answers(found)},
    )
