"""Pages of intake: the proposals (awaiting review, mine, all), one proposal with its history and the review
form, submitting an initiative for its next stage, and the intake policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.redirects import safe_next
from core.views import HtmxHttpRequest, render_page, viewer_required
from planning import intake, services
from planning.models import Proposal, ProposalEvent, ProposalEventKind, ProposalStatus
from planning.services.intake import NOTE_LENGTH, POLICY_EDITORS, REVIEWERS, SUBMITTERS
from portfolio.models import BusinessCase, Initiative
from steering.models import DecisionOutcome

T = "planning/"
ROWS_PER_PAGE = 50
SHOWS = {
    "awaiting": "Awaiting review",
    "mine": "Mine",
    "decided": "Decided",
    "all": "All",
}


class DecideForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        choices=[
            (DecisionOutcome.APPROVED.value, "Approve: the stage moves on"),
            (DecisionOutcome.RETURNED.value, "Return for more: the submitter answers and resubmits"),
            (DecisionOutcome.REJECTED.value, "Reject: the initiative is cancelled"),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="Decision",
    )
    rationale = forms.CharField(
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Rationale",
        help_text="Why: the submitter reads it, and the decision log keeps it.",
    )


class SubmitForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note for the reviewers",
    )


class PolicyForm(forms.Form):
    proposed = forms.MultipleChoiceField(
        choices=intake.choices, required=False, widget=forms.CheckboxSelectMultiple, label="For Proposed"
    )
    approved = forms.MultipleChoiceField(
        choices=intake.choices, required=False, widget=forms.CheckboxSelectMultiple, label="For Approved"
    )
    note = forms.CharField(max_length=300, required=False, label="Why this change")


def _proposals() -> Any:
    return Proposal.objects.select_related("initiative__program", "submitted_by", "decided_by")


def _with_reason(rows: Any) -> Any:
    """Each proposal with the reason it was last returned for (one subquery, whatever the page's size)."""
    returned = ProposalEvent.objects.filter(proposal=OuterRef("pk"), kind=ProposalEventKind.RETURNED)
    return rows.annotate(last_reason=Subquery(returned.order_by("-at", "-pk").values("note")[:1]))


@viewer_required
@require_GET
def proposal_list(request: HtmxHttpRequest) -> HttpResponse:
    """Proposals a page at a time: awaiting review (reviewers' default), mine (submitted by me or about an
    initiative I manage: submitters' default), decided, or all."""
    reviewer = services.can_review(request.user)
    show = request.GET.get("show") or ("awaiting" if reviewer else "mine")
    if show not in SHOWS:
        show = "awaiting" if reviewer else "mine"
    rows = _proposals()
    if show == "awaiting":
        rows = rows.awaiting_review().order_by("submitted_at", "pk")
    elif show == "mine":
        rows = rows.of_submitter(request.user).order_by("-submitted_at", "-pk")
    elif show == "decided":
        rows = rows.filter(status__in=[ProposalStatus.APPROVED, ProposalStatus.REJECTED]).order_by(
            "-decided_at", "-pk"
        )
    else:
        rows = rows.order_by("-submitted_at", "-pk")
    page = Paginator(_with_reason(rows), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    counts = {
        "awaiting": Proposal.objects.awaiting_review().count(),
        "mine": Proposal.objects.of_submitter(request.user).filter(status__in=ProposalStatus.values).count(),
    }
    context = {
        "page": page,
        "show": show,
        "shows": SHOWS,
        "counts": counts,
        "reviewer": reviewer,
        "policy": services.current_policy(),
    }
    return render_page(request, T + "intake_list.html", context, partial="results")


def _proposal_context(request: HtmxHttpRequest, proposal: Proposal, **extra: Any) -> dict[str, Any]:
    initiative = proposal.initiative
    policy = services.current_policy()
    can_decide = proposal.status == ProposalStatus.SUBMITTED and services.can_review(request.user, proposal)
    case = BusinessCase.objects.filter(pk=initiative.pk).first()
    return {
        "proposal": proposal,
        "initiative": initiative,
        "case": case,
        "checklist": intake.checklist(initiative, policy.required(proposal.target_stage)),
        "policy": policy,
        "events": list(proposal.events.select_related("by", "decision")),
        "can_decide": can_decide,
        "own_submission": proposal.status == ProposalStatus.SUBMITTED
        and roles.can_record_decisions(request.user)
        and not can_decide,
        "can_resubmit": proposal.status == ProposalStatus.RETURNED
        and services.can_submit(request.user, initiative)
        and initiative.stage != proposal.target_stage,
        "decide_form": extra.pop("decide_form", None) or DecideForm(initial={"version": proposal.version}),
        "submit_form": SubmitForm(),
        **extra,
    }


@viewer_required
@require_GET
def proposal_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A proposal: what it asks for, what the policy requires and whether it is there, its history (each
    submission and decision with its note or reason), and the review form for a reviewer."""
    proposal = get_object_or_404(_proposals(), pk=pk)
    return render_page(request, T + "intake_detail.html", _proposal_context(request, proposal))


@viewer_required
@require_POST
def proposal_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or return the proposal as the reviewer saw it; a refusal, a stale form or a missing
    reason is said on the proposal's page and nothing changes."""
    proposal = get_object_or_404(_proposals(), pk=pk)
    url = reverse("planning:proposal-detail", args=[proposal.pk])
    if not roles.can_record_decisions(request.user):
        raise PermissionDenied(REVIEWERS)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was decided: choose a decision and give the reason.")
        return render_page(
            request,
            T + "intake_detail.html",
            _proposal_context(request, proposal, decide_form=form),
            status=422,
        )
    try:
        decided = services.proposal_decide(
            user=request.user,
            proposal_id=proposal.pk,
            version=form.cleaned_data["version"],
            outcome=form.cleaned_data["outcome"],
            rationale=form.cleaned_data["rationale"],
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except StaleEdit:
        messages.error(
            request,
            "Someone decided or resubmitted this proposal since you opened it: nothing was saved. Here it is "
            "as it stands now.",
        )
        return HttpResponseRedirect(url)
    except ApplicationError as error:
        problems = error.field_errors.get("requirements")
        messages.error(
            request,
            f"Not approved: {proposal.initiative.code} lacks what the intake policy requires."
            if problems
            else error.message,
        )
        for problem in problems or []:
            messages.error(request, problem)
        return HttpResponseRedirect(url)
    messages.success(
        request,
        f"{decided.initiative.code}: {decided.get_status_display().lower()}. The decision is in the decision log.",
    )
    return HttpResponseRedirect(url)


@viewer_required
@require_POST
def proposal_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Submit the initiative for its next stage (or resubmit its returned proposal), with a note; what it
    lacks is said item by item and nothing changes."""
    initiative = get_object_or_404(Initiative, pk=pk)
    back = safe_next(
        request,
        request.POST.get("next"),
        reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#intake",
    )
    if not services.can_submit(request.user, initiative):
        raise PermissionDenied(SUBMITTERS)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was submitted: the note is at most 5,000 characters.")
        return HttpResponseRedirect(back)
    try:
        proposal = services.proposal_submit(
            user=request.user, initiative_id=initiative.pk, note=form.cleaned_data["note"]
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ApplicationError as error:
        problems = error.field_errors.get("requirements")
        messages.error(request, f"{initiative.code} was not submitted." if problems else error.message)
        for problem in problems or []:
            messages.error(request, problem)
        return HttpResponseRedirect(back)
    messages.success(
        request,
        f"{initiative.code} submitted for {proposal.get_target_stage_display()}: it awaits review.",
    )
    return HttpResponseRedirect(reverse("planning:proposal-detail", args=[proposal.pk]))


@viewer_required
@require_http_methods(["GET", "POST"])
def intake_policy(request: HtmxHttpRequest) -> HttpResponse:
    """The intake policy: what each stage requires; the PMO publishes a new version."""
    policy = services.current_policy()
    can_edit = roles.can_edit_portfolio(request.user)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(POLICY_EDITORS)
        form = PolicyForm(request.POST)
        if form.is_valid():
            published = services.intake_policy_publish(
                user=request.user,
                proposed=form.cleaned_data["proposed"],
                approved=form.cleaned_data["approved"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, f"Intake policy version {published.version} published.")
            return HttpResponseRedirect(reverse("planning:intake-policy"))
    else:
        form = PolicyForm(initial={"proposed": policy.proposed, "approved": policy.approved})
    rows = [(r, r.key in policy.proposed, r.key in policy.approved) for r in intake.REQUIREMENTS.values()]
    status = 422 if form.is_bound else 200
    return render_page(
        request,
        T + "intake_policy.html",
        {"policy": policy, "form": form, "can_edit": can_edit, "rows": rows},
        status=status,
    )
