"""Steering: meetings with their agendas, checkpoint reviews and the decisions they record, action items."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status

from api import schemas as s
from api import shapes
from api.common import (
    DEFAULT_LIMIT,
    check_version,
    etag,
    filters_of,
    form_values,
    only_set,
    page_of,
    record,
    version_of,
)
from api.errors import Refused
from api.routers.portfolio import READ, WRITE, Cursor, Id, Limit, QueryId
from core.errors import NotAllowed
from core.roles import can_record_decisions
from steering import services as steering_services
from steering.forms import ActionFilterForm, ActionForm, DecisionLogFilterForm, PortfolioDecisionFilterForm
from steering.models import ActionItem, AgendaItem, CheckpointReview, SteeringMeeting
from steering.selectors import action_list as select_actions
from steering.selectors import decision_log, portfolio_decision_log
from steering.services import AlreadyDecided

router = Router(tags=["steering"])


def _meetings() -> QuerySet[SteeringMeeting]:
    return SteeringMeeting.objects.select_related("committee")


@router.get("/meetings", response={200: s.MeetingPage, **READ}, summary="List steering meetings")
def meeting_list(
    request: HttpRequest,
    status: Annotated[str | None, Query(max_length=10, description="planned, held or cancelled")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _meetings()
    if status:
        rows = rows.filter(status=status)
    return page_of(rows, shapes.meeting_out, s.MeetingPage, cursor=cursor, limit=limit)


AGENDA_BOUND = 500


@router.get(
    "/meetings/{id}",
    response={200: s.MeetingOut, **READ},
    summary=f"Read a meeting and its agenda (the first {AGENDA_BOUND} items)",
)
def meeting_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    meeting = get_object_or_404(_meetings(), pk=id)
    agenda = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("initiative")
        .order_by("position", "pk")[:AGENDA_BOUND]
    )
    etag(response, meeting.version)
    return shapes.meeting_out(meeting, agenda)


def _reviews() -> QuerySet[CheckpointReview]:
    return CheckpointReview.objects.select_related("initiative", "recorded_by")


def _review_filters(
    q: str | None,
    decision: str | None,
    committee: int | None,
    program: int | None,
    initiative: int | None,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> QuerySet[CheckpointReview]:
    values = filters_of(
        DecisionLogFilterForm,
        {
            "q": q,
            "decision": decision,
            "committee": committee,
            "program": program,
            "initiative": initiative,
            "date_from": date_from,
            "date_to": date_to,
        },
    )
    return decision_log(values).select_related("recorded_by")


@router.get(
    "/reviews",
    response={200: s.ReviewPage, **READ},
    summary="The decision log: checkpoint reviews and their decisions, newest first",
)
def review_list(
    request: HttpRequest,
    q: Annotated[str | None, Query(max_length=200, description="Initiative code or title")] = None,
    decision: Annotated[str | None, Query(max_length=24)] = None,
    committee: QueryId = None,
    program: QueryId = None,
    initiative: QueryId = None,
    date_from: s.Day | None = None,
    date_to: s.Day | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    rows = _review_filters(q, decision, committee, program, initiative, date_from, date_to)
    return page_of(rows, shapes.review_out, s.ReviewPage, cursor=cursor, limit=limit, descending=True)


@router.get("/reviews/{id}", response={200: s.ReviewOut, **READ}, summary="Read a checkpoint review")
def review_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_reviews(), id, shapes.review_out, response)


@router.post(
    "/reviews",
    response={201: s.ReviewOut, **WRITE},
    summary="Record the committee's decision on an agenda item (steering members, PMO)",
    description="All or nothing: the review, its frozen figures, an action item per condition, the agenda item "
    "marked reviewed. A second decision on the same item answers 409.",
)
def review_create(request: HttpRequest, body: s.ReviewCreate) -> Any:
    if not can_record_decisions(request.user):
        raise NotAllowed("Only steering members and the PMO record the committee's decisions.")
    item = AgendaItem.objects.filter(pk=body.agenda_item_id).first()
    if item is None:
        raise Refused(
            422, "There is no such agenda item.", fields={"agenda_item_id": ["No agenda item has this id."]}
        )
    people = _people({*body.attendee_ids, *(c.owner_id for c in body.conditions if c.owner_id)})
    unknown = [pk for pk in body.attendee_ids if pk not in people]
    if unknown:
        raise Refused(
            422,
            "The decision was not recorded: an attendee is unknown.",
            fields={"attendee_ids": [f"No active person has id {pk}." for pk in unknown[:5]]},
        )
    conditions = []
    for n, condition in enumerate(body.conditions):
        if condition.owner_id and condition.owner_id not in people:
            raise Refused(
                422,
                "The decision was not recorded: a condition's owner is unknown.",
                fields={f"conditions.{n}.owner_id": [f"No active person has id {condition.owner_id}."]},
            )
        conditions.append(
            {
                "title": condition.title,
                "owner": people.get(condition.owner_id or 0),
                "due_date": condition.due_date,
            }
        )
    try:
        review = steering_services.review_create(
            user=request.user,
            item=item,
            rags={
                "schedule": body.rag_schedule,
                "cost": body.rag_cost,
                "scope": body.rag_scope,
                "benefits": body.rag_benefits,
            },
            decision=body.decision,
            rationale=body.rationale,
            attendees=[people[pk] for pk in body.attendee_ids],
            conditions=conditions,
        )
    except AlreadyDecided as error:
        raise Refused(409, error.message) from None
    return Status(201, shapes.review_out(get_object_or_404(_reviews(), pk=review.pk)))


@router.get(
    "/portfolio-decisions",
    response={200: s.PortfolioDecisionPage, **READ},
    summary="Portfolio decisions (proposals reviewed at intake, plans approved), newest first",
)
def portfolio_decision_list(
    request: HttpRequest,
    q: Annotated[str | None, Query(max_length=200, description="Subject, initiative code or title")] = None,
    kind: Annotated[str | None, Query(max_length=20, description="proposal_review or plan_approval")] = None,
    outcome: Annotated[str | None, Query(max_length=10, description="approved, rejected or returned")] = None,
    initiative: QueryId = None,
    date_from: s.Day | None = None,
    date_to: s.Day | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    values = filters_of(
        PortfolioDecisionFilterForm,
        {
            "q": q,
            "kind": kind,
            "outcome": outcome,
            "initiative": initiative,
            "date_from": date_from,
            "date_to": date_to,
        },
    )
    rows = portfolio_decision_log(values)
    return page_of(
        rows,
        shapes.portfolio_decision_out,
        s.PortfolioDecisionPage,
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def _people(ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return get_user_model().objects.filter(is_active=True).in_bulk(list(ids))


def _actions() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("initiative", "owner")


@router.get("/actions", response={200: s.ActionPage, **READ}, summary="List action items")
def action_list(
    request: HttpRequest,
    status: Annotated[
        str | None, Query(max_length=10, description="open (default), done, cancelled or all")
    ] = None,
    mine: bool = False,
    overdue: bool = False,
    owner: QueryId = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    values = filters_of(
        ActionFilterForm,
        {"status": status or "open", "mine": mine, "overdue": overdue, "owner": owner, "q": q},
    )
    rows = select_actions(values, user=request.user, today=timezone.localdate())
    return page_of(rows, shapes.action_out, s.ActionPage, cursor=cursor, limit=limit)


@router.get("/actions/{id}", response={200: s.ActionOut, **READ}, summary="Read an action item")
def action_detail(request: HttpRequest, id: Id, response: HttpResponse) -> Any:
    return record(_actions(), id, shapes.action_out, response)


@router.patch(
    "/actions/{id}",
    response={200: s.ActionOut, **WRITE},
    summary="Change an action item (its owner: status and note; the chair and the PMO: everything)",
)
def action_update(request: HttpRequest, id: Id, body: s.ActionChange, response: HttpResponse) -> Any:
    current = get_object_or_404(ActionItem.objects.select_related("review__meeting__committee"), pk=id)
    version, from_header = version_of(request, body.version)
    check_version(current, version, from_header)
    if not steering_services.can_update_action(request.user, current):
        raise NotAllowed("Only the action's owner, the committee's chair and the PMO change it.")
    form = form_values(
        ActionForm, only_set(body), instance=current, renames={"owner_id": "owner"}, user=request.user
    )
    saved = steering_services.action_update(
        user=request.user,
        action_id=id,
        version=version,
        data=form.model_values(),  # type: ignore[attr-defined]
    )
    return record(_actions(), saved.pk, shapes.action_out, response)


# the decision log under its users' name too: the same operations as /reviews
router.add_api_operation(
    "/decisions",
    ["GET"],
    review_list,
    response={200: s.ReviewPage, **READ},
    operation_id="decision_list",
    summary="The decision log (the same as GET /reviews), newest first",
)
router.add_api_operation(
    "/decisions",
    ["POST"],
    review_create,
    response={201: s.ReviewOut, **WRITE},
    operation_id="decision_create",
    summary="Record the committee's decision on an agenda item (the same as POST /reviews)",
)
