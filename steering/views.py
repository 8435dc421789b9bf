"""Steering pages: meetings and their agendas, the review of an agenda item, a decided review, the decision log
and the action list. htmx swaps the agenda and action rows; every form also works as a plain POST."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.extensions import registry
from core.redirects import next_url
from core.tabular import export_response, filter_errors
from core.views import (
    JOB_TEMPLATE,
    HtmxHttpRequest,
    form_response,
    form_status,
    job_context,
    posted,
    render_page,
    require,
    submit,
    viewer_required,
    wants_fragment,
)
from portfolio.models import ScopeChange, ScopeChangeStatus
from portfolio.services import can_decide_scope_changes, scope_change_decide
from steering import boardpack, exports, rules, selectors, services
from steering import jobs as steering_jobs
from steering.figures import FigureChange, by_severity, figure_changes, humanize, milestone_rows
from steering.forms import (
    ActionFilterForm,
    ActionForm,
    ActionStatusForm,
    AgendaAddForm,
    AgendaMoveForm,
    AgendaPlanForm,
    AttendanceForm,
    BaseConditionFormSet,
    ConditionFormSet,
    DecisionLogFilterForm,
    MeetingForm,
    PortfolioDecisionFilterForm,
    ReviewForm,
    ScopeChangeDecisionForm,
    VersionForm,
)
from steering.models import (
    RAG_DIMENSIONS,
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    BoardPack,
    CheckpointReview,
    Decision,
    MeetingStatus,
    SteeringMeeting,
)
from steering.services import AlreadyDecided, FiguresChanged
from steering.services.figures import FIGURE_KEYS, SCORE_LABELS

T = "steering/"
MEETING_PAGE = T + "meeting_detail.html"
ACTION_PAGE = T + "action_list.html"
PAST_MEETINGS_PER_PAGE = 20
ROWS_PER_PAGE = 50
SHOWN_CODES = 10  # initiative codes a message names before "and n more"
CHAIR_OR_PMO = "Only the committee's chair and the PMO change this meeting."
RECORDERS = "Only steering members and the PMO record the committee's decisions."
SCOPE_DECIDERS = "Only steering members and the PMO approve or reject scope changes."
ACTION_UPDATERS = "Only the action's owner, the committee's chair and the PMO update it."


def _words(errors: Any) -> str:
    return " ".join(str(error) for error in errors)


def _subcount(queryset: QuerySet[Any], link: str) -> Coalesce:
    """A per-row count as a subquery (one query for the whole list, no join fan-out between counts)."""
    counted = (
        queryset.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


# ------------------------------------------------------------------------------------------------ figures


@dataclass
class FiguresView:
    """A review's figures arranged for a page: facts, scores, signals, KPIs, milestones, spend, scope changes,
    and any part a later version of the figures adds (extras)."""

    raw: dict[str, Any]
    facts: dict[str, Any]
    scores: list[tuple[str, Any]]
    signals: list[dict[str, Any]]
    kpis: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    spend: dict[str, Any]
    scope: dict[str, Any]
    extras: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.raw


def figures_view(figures: dict[str, Any] | None) -> FiguresView:
    figures = figures or {}
    scores = figures.get("scores")
    signals = figures.get("signals")
    return FiguresView(
        raw=figures,
        facts=figures.get("initiative") or {},
        scores=[
            (SCORE_LABELS.get(str(name), humanize(str(name)).capitalize()), value)
            for name, value in scores.items()
        ]
        if isinstance(scores, dict)
        else [],
        signals=by_severity(signals) if isinstance(signals, list) else [],
        kpis=[kpi for kpi in figures.get("kpis") or [] if isinstance(kpi, dict)],
        milestones=milestone_rows(figures),
        spend=figures.get("spend") or {},
        scope=figures.get("scope_changes") or {},
        extras=[
            (humanize(str(key)).capitalize(), value)
            for key, value in figures.items()
            if key not in FIGURE_KEYS
        ],
    )


TONE_RANK = {"bad": 0, "good": 1}


def changes_between(
    previous: CheckpointReview | None, current: dict[str, Any] | None, *, worst_first: bool = False
) -> dict[str, Any]:
    """What a page says under "what changed since the last review"; the agenda lists what got worse first,
    as it shows only the first few."""
    if previous is None:
        return {"previous": None, "changes": [], "comparable": False}
    comparable = bool(previous.figures) and bool(current)
    changes: list[FigureChange] = figure_changes(previous.figures, current or {}) if comparable else []
    if worst_first:
        changes.sort(key=lambda change: TONE_RANK.get(change.tone, 2))
    return {"previous": previous, "changes": changes, "comparable": comparable}


def previous_reviews(pairs: list[tuple[int, datetime.date, int | None]]) -> dict[int, CheckpointReview]:
    """For each (initiative id, date, review id or None): the initiative's latest review on or before the date
    and before that review, in two queries."""
    if not pairs:
        return {}
    ids = {initiative_id for initiative_id, _, _ in pairs}
    rows = (
        CheckpointReview.objects.filter(initiative_id__in=ids)
        .order_by("initiative_id", "-held_on", "-pk")
        .values_list("pk", "initiative_id", "held_on")
    )
    by_initiative: dict[int, list[tuple[int, datetime.date]]] = defaultdict(list)
    for pk, initiative_id, held_on in rows:
        by_initiative[initiative_id].append((pk, held_on))
    chosen: dict[int, int] = {}
    for initiative_id, until, exclude in pairs:
        # Before the excluded review itself: on its day, only the reviews recorded earlier count.
        chosen_pk: int | None = next(
            (
                review_pk
                for review_pk, held_on in by_initiative[initiative_id]
                if held_on < until or (held_on == until and (exclude is None or review_pk < exclude))
            ),
            None,
        )
        if chosen_pk is not None:
            chosen[initiative_id] = chosen_pk
    reviews = CheckpointReview.objects.in_bulk(set(chosen.values()))
    return {initiative_id: reviews[pk] for initiative_id, pk in chosen.items()}


# ------------------------------------------------------------------------------------------------ meetings


def _meeting_rows(queryset: QuerySet[SteeringMeeting]) -> QuerySet[SteeringMeeting]:
    return queryset.select_related("committee").annotate(
        item_count=_subcount(AgendaItem.objects.all(), "meeting"),
        to_review=_subcount(
            AgendaItem.objects.filter(status=AgendaStatus.PLANNED, for_noting=False), "meeting"
        ),
        noting=_subcount(AgendaItem.objects.filter(for_noting=True), "meeting"),
        decided=_subcount(CheckpointReview.objects.all(), "meeting"),
        present=_subcount(SteeringMeeting.attendees.through.objects.all(), "steeringmeeting"),
    )


@viewer_required
@require_GET
def meeting_list(request: HtmxHttpRequest) -> HttpResponse:
    """Planned meetings (soonest first) and past ones (latest first, paged), with the state of the actions."""
    today = timezone.localdate()
    upcoming = _meeting_rows(SteeringMeeting.objects.filter(status=MeetingStatus.PLANNED)).order_by(
        "held_on", "pk"
    )
    past = _meeting_rows(SteeringMeeting.objects.exclude(status=MeetingStatus.PLANNED)).order_by(
        "-held_on", "-pk"
    )
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        number = 1
    page = Paginator(past, PAST_MEETINGS_PER_PAGE).get_page(number)
    actions = ActionItem.objects.filter(status=ActionStatus.OPEN).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        mine=Count("pk", filter=Q(owner_id=request.user.pk)),
    )
    return render_page(
        request,
        T + "meeting_list.html",
        {
            "upcoming": list(upcoming),
            "page": page,
            "actions": actions,
            "today": today,
            "can_create": services.can_manage_any_meeting(request.user),
        },
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HtmxHttpRequest) -> HttpResponse:
    require(
        services.can_manage_any_meeting(request.user), "Only a committee's chair and the PMO plan meetings."
    )
    form = MeetingForm(posted(request), user=request.user, initial={"status": MeetingStatus.PLANNED})
    return form_response(
        request,
        form,
        save=lambda f: services.meeting_create(user=request.user, data=f.model_values()),
        done=lambda m: (f"Meeting “{m.title}” planned.", reverse("steering:meeting-detail", args=[m.pk])),
        title="New meeting",
        cancel_url=reverse("steering:meeting-list"),
        template=T + "meeting_form.html",
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    require(services.can_manage_meeting(request.user, meeting.committee), CHAIR_OR_PMO)
    back = reverse("steering:meeting-detail", args=[pk])
    return form_response(
        request,
        MeetingForm(posted(request), instance=meeting, user=request.user),
        save=lambda f: services.meeting_update(
            user=request.user, meeting_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda m: (f"Meeting “{m.title}” saved.", back),
        title=f"Edit “{meeting.title}”",
        cancel_url=back,
        template=T + "meeting_form.html",
        context={"meeting": meeting},
    )


def _invited(meeting: SteeringMeeting) -> list[int]:
    """Sponsors and managers of the initiatives on the agenda: they come for their item."""
    rows = AgendaItem.objects.filter(meeting=meeting).values_list(
        "initiative__sponsor_id", "initiative__manager_id"
    )
    return sorted({pk for pair in rows for pk in pair if pk})


@viewer_required
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    require(services.can_manage_meeting(request.user, meeting.committee), CHAIR_OR_PMO)
    back = reverse("steering:meeting-detail", args=[pk])
    return form_response(
        request,
        AttendanceForm(posted(request), meeting=meeting, invited=_invited(meeting)),
        save=lambda f: services.meeting_record_attendance(
            user=request.user,
            meeting_id=pk,
            version=f.cleaned_data["version"],
            attendees=list(f.cleaned_data["attendees"]),
        ),
        done=lambda m: (f"Attendance of “{m.title}” recorded.", back),
        title=f"Who attended “{meeting.title}”",
        cancel_url=back,
        template=T + "attendance_form.html",
        context={"meeting": meeting},
    )


@dataclass
class AgendaRow:
    item: AgendaItem
    reasons: list[str]  # the data's reasons as they stand (as frozen at the decision once reviewed)
    importance: rules.Importance | None  # while the item is still to review
    change: dict[str, Any]
    open_actions: int
    overdue_actions: int


def _reasons(item: AgendaItem, facts: dict[int, rules.AgendaFacts]) -> list[str]:
    """Why the item is on the agenda: who added it by hand, then the data's reasons, recomputed until the
    committee decides on it (a reason that no longer holds goes) and as they stood at the decision after."""
    added = (
        [f"Added by {item.added_by.get_full_name() or item.added_by.get_username()}"] if item.added_by else []
    )
    if item.review_id is not None:
        return [*added, *item.reasons]
    fact = facts.get(item.initiative_id)
    return [*added, *(fact.reasons() if fact is not None else [])]


def _agenda_context(request: HtmxHttpRequest, meeting: SteeringMeeting, **extra: Any) -> dict[str, Any]:
    """The agenda in order, the items to review then those for noting: each item's reasons and importance as
    the data says today, its time box, initiative, status, what changed since its last review (the decided
    review's frozen figures, or today's) and its open actions; a fixed number of queries."""
    today = timezone.localdate()
    items = services.in_order(
        list(
            AgendaItem.objects.filter(meeting=meeting).select_related(
                "initiative",
                "initiative__sponsor",
                "initiative__manager",
                "initiative__program",
                "review",
                "added_by",
            )
        )
    )
    undecided = [item.initiative_id for item in items if item.review_id is None]
    facts = rules.agenda_facts(meeting.held_on, undecided) if undecided else {}
    previous = previous_reviews([(item.initiative_id, meeting.held_on, item.review_id) for item in items])
    # Today's figures only where there are figures to compare them with: an undecided item to review whose
    # last review froze figures.
    live = services.initiative_figures(
        [
            item.initiative
            for item in items
            if item.review_id is None
            and not item.for_noting
            and getattr(previous.get(item.initiative_id), "figures", None)
        ]
    )
    counts = {
        row["initiative_id"]: row
        for row in ActionItem.objects.filter(
            initiative_id__in=[item.initiative_id for item in items], status=ActionStatus.OPEN
        )
        .values("initiative_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    }
    rows = [
        AgendaRow(
            item=item,
            reasons=_reasons(item, facts),
            importance=facts[item.initiative_id].importance()
            if item.review_id is None and item.initiative_id in facts
            else None,
            change=changes_between(
                previous.get(item.initiative_id),
                item.review.figures if item.review is not None else live.get(item.initiative_id),
                worst_first=True,
            ),
            open_actions=counts.get(item.initiative_id, {}).get("open", 0),
            overdue_actions=counts.get(item.initiative_id, {}).get("overdue", 0),
        )
        for item in items
    ]
    user = request.user
    can_manage = (
        services.can_manage_meeting(user, meeting.committee) and meeting.status != MeetingStatus.CANCELLED
    )
    to_review = [row for row in rows if not row.item.for_noting]
    booked = services.booked_minutes(items)
    return {
        "meeting": meeting,
        "rows": to_review,
        "noting": [row for row in rows if row.item.for_noting],
        "item_count": len(rows),
        "to_review": sum(1 for item in items if item.review_id is None and not item.for_noting),
        "booked": booked,
        "over": max(0, booked - meeting.duration_minutes),
        "can_manage": can_manage,
        "can_decide": roles.can_record_decisions(user),
        "add_form": AgendaAddForm(meeting=meeting) if can_manage else None,
        "decisions_open": meeting.held_on <= today and meeting.status != MeetingStatus.CANCELLED,
        "today": today,
        **extra,
    }


@viewer_required
@require_GET
def meeting_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A meeting: its details and attendance, the agenda, decisions recorded and the actions they set."""
    meeting = get_object_or_404(
        SteeringMeeting.objects.select_related("committee", "committee__chair"), pk=pk
    )
    context = _agenda_context(request, meeting)
    attendees = list(meeting.attendees.order_by("first_name", "last_name", "username"))
    members = list(meeting.committee.members.order_by("first_name", "last_name", "username"))
    present = {user.pk for user in attendees}
    context.update(
        attendees=attendees,
        absent=[user for user in members if user.pk not in present]
        if meeting.status == MeetingStatus.HELD
        else [],
        members=members,
        unlisted=list(
            CheckpointReview.objects.filter(meeting=meeting, agenda_item__isnull=True)
            .select_related("initiative")
            .order_by("initiative__code")
        ),
        actions=list(
            ActionItem.objects.filter(review__meeting=meeting)
            .select_related("initiative", "owner")
            .order_by("due_date", "pk")
        ),
        can_edit_meeting=services.can_manage_meeting(request.user, meeting.committee),
        sections=registry.render_sections("meeting", meeting, {"meeting": meeting}, request),
    )
    return render_page(request, MEETING_PAGE, context, partial="agenda")


def _agenda_done(
    request: HtmxHttpRequest, meeting: SteeringMeeting, message: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    """After an agenda change: the agenda fragment for htmx, otherwise back to the meeting with a message."""
    if wants_fragment(request):
        context = _agenda_context(request, meeting, agenda_message=message, agenda_error=error)
        return render_page(request, MEETING_PAGE, context, partial="agenda", status=status)
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect(reverse("steering:meeting-detail", args=[meeting.pk]) + "#agenda")


def _agenda_call(request: HtmxHttpRequest, meeting: SteeringMeeting, action: Any) -> HttpResponse:
    try:
        message = action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except StaleEdit as error:
        return _agenda_done(request, meeting, error=_stale_item(error), status=409)
    except ApplicationError as error:
        return _agenda_done(request, meeting, error=error.message, status=422)
    return _agenda_done(request, meeting, message=message)


def _stale_item(error: StaleEdit) -> str:
    return (
        f"{error.current.initiative.code} changed on the agenda while you were looking (a decision was recorded, "
        "or someone edited it). Nothing was changed: here is the agenda as it is now."
    )


def _managed_meeting(request: HtmxHttpRequest, pk: int) -> SteeringMeeting:
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    require(services.can_manage_meeting(request.user, meeting.committee), CHAIR_OR_PMO)
    return meeting


@viewer_required
@require_POST
def agenda_propose(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)

    def propose() -> str:
        proposal = services.agenda_propose(user=request.user, meeting=meeting)
        added = proposal.added
        left_off = (
            f" {proposal.left_off} more flagged initiative{'s were' if proposal.left_off != 1 else ' was'} left "
            f"off: the agenda lists at most {proposal.noting_limit} for noting (the worklist has them all)."
            if proposal.left_off
            else ""
        )
        if not added:
            return (
                "The data proposes nothing new: every initiative it flags is already on the agenda."
                if not proposal.left_off
                else "Nothing added." + left_off
            )
        codes = ", ".join(item.initiative.code for item in added[:SHOWN_CODES])
        more = f" and {len(added) - SHOWN_CODES} more" if len(added) > SHOWN_CODES else ""
        return f"Added {len(added)} initiative{'s' if len(added) != 1 else ''} from the data: {codes}{more}.{left_off}"

    return _agenda_call(request, meeting, propose)


@viewer_required
@require_POST
def agenda_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = AgendaAddForm(request.POST, meeting=meeting)
    if not form.is_valid():
        error = _words(form.errors.get("initiative", [])) or "Give the code of an initiative to add."
        return _agenda_done(request, meeting, error=error, status=422)
    initiative = form.cleaned_data["initiative"]

    def add() -> str:
        services.agenda_add(user=request.user, meeting=meeting, initiative=initiative)
        return f"{initiative.code} added to the agenda."

    return _agenda_call(request, meeting, add)


def _item_meeting(request: HtmxHttpRequest, pk: int) -> tuple[AgendaItem, SteeringMeeting]:
    item = get_object_or_404(
        AgendaItem.objects.select_related("meeting", "meeting__committee", "initiative"), pk=pk
    )
    require(services.can_manage_meeting(request.user, item.meeting.committee), CHAIR_OR_PMO)
    return item, item.meeting


@viewer_required
@require_POST
def agenda_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item, meeting = _item_meeting(request, pk)
    form = AgendaMoveForm(request.POST)
    if not form.is_valid():
        return _agenda_done(
            request, meeting, error=_words(form.non_field_errors()) or "Bad move.", status=400
        )
    data = form.cleaned_data
    direction = data.get("direction") or None
    position = None if direction else data.get("position")

    def move() -> str:
        services.agenda_move(user=request.user, item_id=pk, direction=direction, position=position)
        return ""

    return _agenda_call(request, meeting, move)


@viewer_required
@require_POST
def agenda_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item, meeting = _item_meeting(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _agenda_done(
            request, meeting, error="This form is missing its version; reload the page.", status=400
        )

    def remove() -> str:
        services.agenda_remove(user=request.user, item_id=pk, version=form.cleaned_data["version"])
        return f"{item.initiative.code} taken off the agenda."

    return _agenda_call(request, meeting, remove)


@viewer_required
@require_POST
def agenda_plan(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Set an item's time box, or list it for noting or back for review (the chair, the PMO)."""
    item, meeting = _item_meeting(request, pk)
    form = AgendaPlanForm(request.POST)
    if not form.is_valid():
        error = _form_words(form) or "Bad time box."
        return _agenda_done(request, meeting, error=f"{item.initiative.code}: {error}", status=422)
    data = form.cleaned_data
    plan = data.get("plan") or None
    noting = None if plan is None else plan == "noting"

    def set_plan() -> str:
        saved = services.agenda_plan(
            user=request.user, item_id=pk, minutes=data.get("minutes"), for_noting=noting
        )
        if saved.for_noting:
            return f"{item.initiative.code} is listed for noting."
        return f"{item.initiative.code} has {saved.minutes} minutes."

    return _agenda_call(request, meeting, set_plan)


# ------------------------------------------------------------------------------------------------ reviews


def _review_context(item: AgendaItem) -> dict[str, Any]:
    initiative = item.initiative
    figures = services.initiative_figures([initiative])[initiative.pk]
    suggested = rules.suggest_rag(initiative)
    previous = previous_reviews([(initiative.pk, item.meeting.held_on, None)]).get(initiative.pk)
    previous_actions = (
        list(previous.action_items.select_related("owner").order_by("due_date", "pk")) if previous else []
    )
    facts = rules.agenda_facts(item.meeting.held_on, [initiative.pk])
    return {
        "item": item,
        "meeting": item.meeting,
        "initiative": initiative,
        "reasons": _reasons(item, facts),
        "fig": figures_view(figures),
        "suggested": suggested,
        "digest": services.figures_digest(figures, suggested),
        "change": changes_between(previous, figures),
        "previous_actions": previous_actions,
        "pending_versions": dict(
            ScopeChange.objects.filter(initiative=initiative, status=ScopeChangeStatus.PENDING).values_list(
                "pk", "version"
            )
        ),
        "today": timezone.localdate(),
    }


def _review_item(pk: int) -> AgendaItem:
    return get_object_or_404(
        AgendaItem.objects.select_related(
            "meeting",
            "meeting__committee",
            "initiative",
            "initiative__sponsor",
            "initiative__manager",
            "initiative__program",
            "added_by",
        ),
        pk=pk,
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def review_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The review of one agenda item: the figures the committee looks at and, for steering members and the
    PMO, the form that records its decision. Anyone with a role may read the figures to prepare."""
    item = _review_item(pk)
    user = request.user
    if request.method == "POST":
        require(roles.can_record_decisions(user), RECORDERS)
    if item.review_id and request.method == "GET":
        return redirect("steering:review-detail", pk=item.review_id)
    context = _review_context(item)
    meeting = item.meeting
    today = timezone.localdate()
    can_decide = roles.can_record_decisions(user)
    context.update(
        can_decide=can_decide,
        decide_scope=can_decide_scope_changes(user) and meeting.status != MeetingStatus.CANCELLED,
        decisions_open=meeting.held_on <= today
        and meeting.status != MeetingStatus.CANCELLED
        and not item.for_noting,
        conditions_errors=[],
    )
    form = ReviewForm(posted(request), item=item, suggested=context["suggested"], digest=context["digest"])
    formset = cast(BaseConditionFormSet, ConditionFormSet(posted(request), prefix="conditions"))
    context.update(form=form, formset=formset)
    if request.method != "POST":
        return render_page(request, T + "review_form.html", context)
    status = 422
    valid = form.is_valid()
    valid = formset.is_valid() and valid
    conditional = form.cleaned_data.get("decision") == Decision.PROCEED_WITH_CONDITIONS
    if conditional and formset.is_valid() and not formset.conditions():
        context["conditions_errors"] = ["Proceeding with conditions needs at least one condition."]
        valid = False
    if valid:
        data = form.cleaned_data
        try:
            review = services.review_create(
                user=user,
                item=item,
                rags=form.rags(),
                decision=data["decision"],
                rationale=data["rationale"],
                attendees=list(data["attendees"]),
                conditions=formset.conditions(),
                version=data["version"],
                seen=data["seen"],
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except AlreadyDecided as error:
            form.add_error(None, error.message)
            context["decided_review"] = error.review_id
            status = 409
        except StaleEdit as error:
            form.add_error(None, _stale_item(error))
            status = 409
        except FiguresChanged as error:
            form.add_error(None, error.message)
            fresh = cast(QueryDict, form.data).copy()
            fresh["seen"] = context["digest"]
            form.data = fresh
            status = 409
        except ApplicationError as error:
            context["conditions_errors"] = error.field_errors.pop("conditions", [])
            if error.field_errors or not context["conditions_errors"]:
                form.add_application_error(error)
        else:
            actions = review.action_items.count()
            messages.success(
                request,
                f"Decision on {item.initiative.code} recorded: {review.get_decision_display()}"
                + (f", with {actions} action item{'s' if actions != 1 else ''}." if actions else "."),
            )
            return redirect(reverse("steering:meeting-detail", args=[meeting.pk]) + f"#item-{item.pk}")
    return render_page(request, T + "review_form.html", context, status=status)


@viewer_required
@require_POST
def review_scope_change(request: HtmxHttpRequest, pk: int, change: int) -> HttpResponse:
    """Approve or reject, from the review page, a scope change of the initiative under review (through the
    portfolio's scope-change service, which checks who may); back to the review with the figures refreshed."""
    item = _review_item(pk)
    require(can_decide_scope_changes(request.user), SCOPE_DECIDERS)
    scope_change = get_object_or_404(ScopeChange, pk=change, initiative_id=item.initiative_id)
    back = reverse("steering:review-create", args=[item.pk]) + "#scope-title"
    form = ScopeChangeDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to approve or reject the scope change; nothing was changed.")
        return redirect(back)
    try:
        decided = scope_change_decide(
            user=request.user,
            scope_change_id=scope_change.pk,
            version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except StaleEdit:
        messages.error(
            request,
            "The scope change was changed while you were looking (perhaps decided already); nothing was "
            "changed: here it is as it is now.",
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Scope change of {decided.date.isoformat()} {decided.get_status_display().lower()}: "
            "the figures below include it.",
        )
    return redirect(back)


@viewer_required
@require_GET
def review_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A decided review as the committee saw it: the frozen figures, RAGs, decision, who took part, actions."""
    review = get_object_or_404(
        CheckpointReview.objects.select_related(
            "initiative", "initiative__program", "meeting", "meeting__committee", "recorded_by"
        ),
        pk=pk,
    )
    previous = previous_reviews([(review.initiative_id, review.held_on, review.pk)]).get(review.initiative_id)
    later = (
        CheckpointReview.objects.filter(initiative_id=review.initiative_id)
        .filter(Q(held_on__gt=review.held_on) | Q(held_on=review.held_on, pk__gt=review.pk))
        .order_by("held_on", "pk")
        .only("pk", "held_on")
        .first()
    )
    rags = [
        (dimension, getattr(review, f"rag_{dimension}"), (review.suggested or {}).get(dimension))
        for dimension in RAG_DIMENSIONS
    ]
    return render_page(
        request,
        T + "review_detail.html",
        {
            "review": review,
            "initiative": review.initiative,
            "fig": figures_view(review.figures),
            "rags": rags,
            "attendees": list(review.attendees.order_by("first_name", "last_name", "username")),
            "actions": list(review.action_items.select_related("owner").order_by("due_date", "pk")),
            "change": changes_between(previous, review.figures),
            "later": later,
            "today": timezone.localdate(),
        },
    )


@viewer_required
@require_GET
def decision_log(request: HtmxHttpRequest) -> HttpResponse:
    """Every checkpoint review, newest first, filtered by decision, committee, program, initiative and dates."""
    form = DecisionLogFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "page": None}
    if not form.is_valid():
        return render_page(request, T + "decision_log.html", context, partial="results", status=400)
    page = Paginator(selectors.decision_log(form.cleaned_data), ROWS_PER_PAGE).get_page(
        form.cleaned_data.get("page") or 1
    )
    context["page"] = page
    return render_page(request, T + "decision_log.html", context, partial="results")


@viewer_required
@require_GET
def decision_log_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The decision log as on its page (decision, committee, program, initiative, dates), every page of it."""
    form = DecisionLogFilterForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(exports.decision_export(selectors.decision_log(form.cleaned_data)), fmt)


@viewer_required
@require_GET
def portfolio_decision_log(request: HtmxHttpRequest) -> HttpResponse:
    """Decisions taken outside reviews (proposals reviewed at intake, plans approved), newest first,
    filtered by kind, outcome, subject or initiative and dates."""
    form = PortfolioDecisionFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "page": None}
    template = T + "portfolio_decision_log.html"
    if not form.is_valid():
        return render_page(request, template, context, partial="results", status=400)
    context["page"] = Paginator(selectors.portfolio_decision_log(form.cleaned_data), ROWS_PER_PAGE).get_page(
        form.cleaned_data.get("page") or 1
    )
    return render_page(request, template, context, partial="results")


@viewer_required
@require_GET
def portfolio_decision_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The portfolio decisions as filtered on their page, every page of them."""
    form = PortfolioDecisionFilterForm(request.GET)
    if not form.is_valid():
        return filter_errors(form)
    return export_response(
        exports.portfolio_decision_export(selectors.portfolio_decision_log(form.cleaned_data)), fmt
    )


# ------------------------------------------------------------------------------------------------ actions


def action_filter_data(request: HtmxHttpRequest) -> QueryDict:
    """The action list's filters from the query string: open actions unless the status says otherwise."""
    data = request.GET.copy()
    data.setdefault("status", "open")
    return data


def _action_rows() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("initiative", "owner", "review", "review__meeting__committee")


def _with_rights(user: Any, actions: Any) -> list[ActionItem]:
    """The actions, each told whether the user may mark it done, cancel or reopen it (for its buttons)."""
    rows = list(actions)
    for action in rows:
        action.may_update = services.can_update_action(user, action)  # type: ignore[attr-defined]
    return rows


def _back_to_actions(request: HtmxHttpRequest) -> str:
    return next_url(request, reverse("steering:action-list"))


@viewer_required
@require_GET
def action_list(request: HtmxHttpRequest) -> HttpResponse:
    """Action items set by steering decisions: mine, overdue, by status or owner; each marked done in place."""
    form = ActionFilterForm(action_filter_data(request))
    today = timezone.localdate()
    context: dict[str, Any] = {
        "form": form,
        "page": None,
        "today": today,
        "next": request.get_full_path(),
    }
    if not form.is_valid():
        return render_page(request, ACTION_PAGE, context, partial="results", status=400)
    actions = selectors.action_list(form.cleaned_data, user=request.user, today=today)
    page = Paginator(actions, ROWS_PER_PAGE).get_page(form.cleaned_data.get("page") or 1)
    page.object_list = _with_rights(request.user, page.object_list)
    context["page"] = page
    return render_page(request, ACTION_PAGE, context, partial="results")


@viewer_required
@require_GET
def action_export(request: HtmxHttpRequest, fmt: str) -> HttpResponseBase:
    """The action list as on its page (status, mine, overdue, owner, initiative), every page of it."""
    form = ActionFilterForm(action_filter_data(request))
    if not form.is_valid():
        return filter_errors(form)
    rows = selectors.action_list(form.cleaned_data, user=request.user, today=timezone.localdate())
    return export_response(exports.action_export(rows), fmt)


@viewer_required
@require_POST
def action_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark an action done or cancelled (with a note), or reopen it: the row for htmx, otherwise back to the
    list."""
    action = get_object_or_404(_action_rows(), pk=pk)
    require(services.can_update_action(request.user, action), ACTION_UPDATERS)
    form = ActionStatusForm(request.POST)
    saved = submit(
        form,
        lambda f: services.action_update(
            user=request.user,
            action_id=pk,
            version=f.cleaned_data["version"],
            data={"status": f.cleaned_data["status"], "note": f.cleaned_data["note"]},
        ),
    )
    error = "" if saved is not None else _form_words(form) or "Not saved."
    if not wants_fragment(request):
        if saved is not None:
            messages.success(request, f"“{saved.title}” is {saved.get_status_display().lower()}.")
        else:
            messages.error(request, f"“{action.title}” was not updated: {error}")
        return HttpResponseRedirect(_back_to_actions(request))
    context = {
        "action": _with_rights(request.user, [get_object_or_404(_action_rows(), pk=pk)])[0],
        "today": timezone.localdate(),
        "next": _back_to_actions(request),
        "row_error": error,
        "note": "" if saved is not None else form.data.get("note", ""),
    }
    return render_page(
        request,
        ACTION_PAGE,
        context,
        partial="action-row",
        status=200 if saved is not None else form_status(form),
    )


def _form_words(form: Any) -> str:
    """Every error of a small inline form, in one sentence."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@viewer_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(_action_rows(), pk=pk)
    require(services.can_update_action(request.user, action), ACTION_UPDATERS)
    back = _back_to_actions(request)
    return form_response(
        request,
        ActionForm(posted(request), instance=action, user=request.user),
        save=lambda f: services.action_update(
            user=request.user, action_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda a: (f"Action “{a.title}” saved.", back),
        title=f"Action on {action.initiative.code}",
        cancel_url=back,
        template=T + "action_form.html",
        context={"action": action, "next": back},
    )


@viewer_required
@require_GET
def boardpack_html(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The live HTML board pack of a meeting (print it from the browser, or download the PDF)."""
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    return HttpResponse(boardpack.render_html(meeting))


@viewer_required
@require_http_methods(["POST"])
def boardpack_generate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Print the meeting's board pack to PDF in the background; the response is the job's progress bar."""
    require(
        roles.can_record_decisions(request.user),
        "Only steering members, the PMO and admins print board packs.",
    )
    meeting = get_object_or_404(SteeringMeeting, pk=pk)
    job = steering_jobs.enqueue_board_pack(meeting.pk, user=request.user)
    if wants_fragment(request):
        return render_page(request, JOB_TEMPLATE, job_context(job))
    return redirect(boardpack_back(meeting))


@viewer_required
@require_GET
def boardpack_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The newest printed board pack of the meeting."""
    meeting = get_object_or_404(SteeringMeeting.objects.select_related("committee"), pk=pk)
    pack = BoardPack.objects.filter(meeting=meeting).order_by("-created_at").first()
    if pack is None:
        raise Http404("No board pack has been printed for this meeting yet.")
    response = HttpResponse(bytes(pack.pdf), content_type="application/pdf")
    name = f"board-pack-{meeting.held_on.isoformat()}-{meeting.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def boardpack_back(meeting: SteeringMeeting) -> str:
    return boardpack.meeting_url(meeting)
