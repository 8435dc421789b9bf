"""Prioritisation: the ranked candidates (scoring model or WSJF, each rank explained) and the scoring model's
versions (everyone reads; the PMO adds a version)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from api import schemas as s
from api.common import DEFAULT_LIMIT, page_of
from api.errors import Refused
from api.routers.portfolio import READ, WRITE, Cursor, Limit
from planning.models import ScoringModelVersion
from planning.services import ranking as services

router = Router(tags=["planning"])
Offset = Annotated[int, Query(ge=0, le=10**7, description="Ranks to skip (the list is in rank order).")]


def _ranked(item: services.RankedRow, labels: dict[str, str], method: str) -> dict[str, Any]:
    row = item.row
    return {
        "rank": item.rank,
        "initiative_id": row.id,
        "code": row.code,
        "title": row.title,
        "stage": row.stage,
        "mandatory": row.mandatory,
        "mandatory_reason": row.mandatory_reason,
        "score": item.score,
        "missing": list(item.missing),
        "criteria": [
            {
                "criterion": part.criterion,
                "label": labels.get(part.criterion, part.criterion),
                "raw": part.raw,
                "normalised": part.normalised,
                "weight": part.weight,
                "points": part.points,
            }
            for part in item.contributions
        ],
        "wsjf": None
        if method != "wsjf"
        else {
            "business_value": row.wsjf[0],
            "time_criticality": row.wsjf[1],
            "risk_reduction": row.wsjf[2],
            "job_size": row.wsjf[3],
            "cost_of_delay": item.cost_of_delay,
            "wsjf": item.wsjf,
        },
        "sponsor": None
        if item.sponsor is None
        else {
            "npv": item.npv,
            "factor": item.sponsor.factor,
            "npv_adjusted": item.adjusted_npv,
            "record": item.sponsor.text,
        },
    }


@router.get(
    "/planning/rankings",
    response={200: s.RankingOut, **READ},
    summary="Rank candidate initiatives, each rank explained",
    description="Candidates are the initiatives in `stage` (default idea, proposed, approved), optionally of "
    "one `program` and `category`. `method=score` ranks under the scoring model (the current version, or "
    "`version`), `method=wsjf` by cost of delay over job size (unsized candidates last, rank null). "
    "Mandatory initiatives rank first. A page of `limit` ranks from `offset`.",
)
def ranking_list(
    request: HttpRequest,
    method: Literal["score", "wsjf"] = "score",
    stage: Annotated[list[str] | None, Query()] = None,
    program: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    category: Annotated[str | None, Query(max_length=20)] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Any:
    query: dict[str, list[str]] = {"stage": stage or []}
    if program is not None:
        query["program"] = [str(program)]
    if category:
        query["category"] = [category]
    filters = services.CandidateFilters.from_query(query)
    unknown = [value for value in stage or [] if value not in filters.stages]
    if unknown:
        raise Refused(
            400, "Unknown stage.", fields={"stage": [f"“{value}” is not a stage." for value in unknown[:5]]}
        )
    if category and filters.category is None:
        raise Refused(400, "Unknown category.", fields={"category": [f"“{category}” is not a category."]})
    chosen = services.scoring_model(version)
    result = services.candidate_ranking(filters, method=method, version=chosen)
    labels = {c.key: c.label for c in chosen.model().criteria}
    return {
        "method": method,
        "scoring_model_version": chosen.number if method == "score" else None,
        "total": len(result.rows),
        "offset": offset,
        "items": [_ranked(item, labels, method) for item in result.rows[offset : offset + limit]],
    }


def _model_out(version: ScoringModelVersion, current: int) -> dict[str, Any]:
    model = version.model()
    shares = model.weights()
    return {
        "number": version.number,
        "current": version.number == current,
        "rationale": version.rationale,
        "created_at": version.created_at,
        "created_by": version.created_by_id,
        "criteria": [
            {
                "key": c.key,
                "label": c.label,
                "weight": c.weight,
                "share": shares[c.key],
                "normalisation": c.normalisation.value,
                "higher_is_better": c.higher_is_better,
                "low": c.low,
                "high": c.high,
            }
            for c in model.criteria
        ],
        "sponsor_adjustment": version.sponsor_adjustment,
    }


@router.get(
    "/planning/scoring-models",
    response={200: s.Page[s.ScoringModelOut], **READ},
    summary="List the scoring model's versions, newest first",
)
def scoring_model_list(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Any:
    current = services.current_scoring_model().number
    return page_of(
        ScoringModelVersion.objects.all(),
        lambda version: _model_out(version, current),
        s.Page[s.ScoringModelOut],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


@router.get(
    "/planning/scoring-models/current",
    response={200: s.ScoringModelOut, **READ},
    summary="Read the current scoring model",
)
def scoring_model_current(request: HttpRequest) -> Any:
    current = services.current_scoring_model()
    return _model_out(current, current.number)


@router.post(
    "/planning/scoring-models",
    response={201: s.ScoringModelOut, **WRITE},
    summary="Save a new version of the scoring model (PMO)",
    description="From the current version with new `weights` (and `normalisations` for the criteria on a "
    "natural scale) and a rationale; it becomes current. `based_on` must be the current version's number "
    "(409 otherwise). A refused request saves nothing.",
)
def scoring_model_create(request: HttpRequest, body: s.ScoringModelCreate) -> Any:
    unknown = sorted((set(body.weights) | set(body.normalisations)) - set(services.CRITERIA))
    if unknown:
        raise Refused(
            422,
            "Unknown criterion.",
            fields={"weights": [f"“{key}” is not a criterion." for key in unknown[:5]]},
        )
    try:
        created = services.scoring_model_create(
            user=request.user,
            weights=body.weights,
            normalisations=body.normalisations,
            rationale=body.rationale,
            based_on=body.based_on,
            sponsor_adjustment=body.sponsor_adjustment,
        )
    except services.ModelMoved as error:
        raise Refused(409, error.message) from None
    return Status(201, _model_out(created, created.number))
