"""Planning: intake proposals (list, read, submit, decide), through the same services as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from api import schemas as s
from api import shapes
from api.common import DEFAULT_LIMIT, check_version, page_of, record, version_of
from api.errors import Refused
from api.routers.portfolio import READ, WRITE, Cursor, Id, Limit, QueryId
from planning import services
from planning.models import Proposal, ProposalStatus
from planning.models.intake import ProposalQuerySet
from portfolio.models import Initiative

router = Router(tags=["planning"])


def _proposals() -> ProposalQuerySet:
    return Proposal.objects.select_related("initiative", "submitted_by", "decided_by").prefetch_related(
        "events__by"
    )


@router.get(
    "/proposals", response={200: s.ProposalPage, **READ}, summary="List intake proposals, newest first"
)
def proposal_list(
    request: HttpRequest,
    status: Annotated[
        str | None,
        Query(max_length=10, description="submitted (awaiting review), returned, approved, rejected"),
    ] = None,
    mine: bool = False,
    initiative: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _proposals()
    if status:
        if status not in ProposalStatus.values:
            raise Refused(400, "A filter is not valid.", fields={"status": ["Not a proposal status."]})
        rows = rows.filter(status=status)
    if mine:
        rows = rows.of_submitter(request.user)
    if initiative:
        rows = rows.filter(initiative_id=initiative)
    return page_of(rows, shapes.proposal_out, s.ProposalPage, cursor=cursor, limit=limit, descending=True)


@router.get(
    "/proposals/{id}", response={200: s.ProposalOut, **READ}, summary="Read a proposal and its history"
)
def proposal_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_proposals(), id, shapes.proposal_out, response)


@router.post(
    "/proposals",
    response={201: s.ProposalOut, **WRITE},
    summary="Submit an initiative for its next stage, or resubmit its returned proposal (PMO, its manager)",
    description="Refused (422, one message per item under fields.requirements) when it lacks what the intake "
    "policy requires for that stage; nothing changes.",
)
def proposal_submit(request: HttpRequest, body: s.ProposalSubmit) -> Any:
    if not Initiative.objects.filter(pk=body.initiative_id).exists():
        raise Refused(
            422, "There is no such initiative.", fields={"initiative_id": ["No initiative has this id."]}
        )
    proposal = services.proposal_submit(user=request.user, initiative_id=body.initiative_id, note=body.note)
    return Status(201, shapes.proposal_out(_proposals().get(pk=proposal.pk)))


@router.post(
    "/proposals/{id}/decision",
    response={200: s.ProposalOut, **WRITE},
    summary="Approve, reject or return a proposal awaiting review, with a rationale (steering members, PMO)",
    description="Never by the person who submitted it. Recorded in the decision log (GET /portfolio-decisions).",
)
def proposal_decide(request: HttpRequest, id: Id, body: s.ProposalDecision, response: HttpResponse) -> Any:
    current = _proposals().filter(pk=id).first()
    if current is None:
        raise Refused(404, "There is no such proposal.")
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    services.proposal_decide(
        user=request.user, proposal_id=id, version=version, outcome=body.outcome, rationale=body.rationale
    )
    return record(_proposals(), id, shapes.proposal_out, response)
