"""Portfolio decisions: decisions taken outside a checkpoint review (a proposal reviewed at intake, a plan
approved), recorded in the decision log by the app that takes them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError, NotAllowed
from core.redirects import is_local_path
from core.roles import can_record_decisions
from portfolio.models import Initiative
from steering.events import portfolio_decision_event
from steering.models import DecisionKind, DecisionOutcome, PortfolioDecision

RECORDERS = "Only steering members, the PMO and admins record portfolio decisions."


def portfolio_decision_record(
    *,
    user: Any,
    kind: str,
    outcome: str,
    subject: str,
    rationale: str,
    initiative: Initiative | None = None,
    link: str = "",
) -> PortfolioDecision:
    """Record a portfolio decision in the decision log and return it.

    `kind` is a DecisionKind value ("proposal_review", "plan_approval"), `outcome` a DecisionOutcome value
    ("approved", "rejected", "returned"); `subject` says what was decided on (at most 300 characters, e.g.
    "Plan 2027: scenario “Balanced”"); `rationale` why (required, at most 5,000); `initiative` the one it
    concerns, if one; `link` a path on this site to the record decided on (e.g. the scenario's page), shown
    in the log. The user must be allowed to record decisions (steering members, the PMO, admins:
    core.roles.can_record_decisions); NotAllowed otherwise, ApplicationError (with field errors) on a bad
    value. It joins the caller's transaction, so a caller's later refusal leaves no decision behind.
    """
    if not can_record_decisions(user):
        raise NotAllowed(RECORDERS)
    subject, rationale, link = (subject or "").strip(), (rationale or "").strip(), (link or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in DecisionKind.values:
        errors["kind"] = ["Not a kind of portfolio decision."]
    if outcome not in DecisionOutcome.values:
        errors["outcome"] = ["Approve, reject or return for more."]
    if not subject:
        errors["subject"] = ["Say what was decided on."]
    elif len(subject) > 300:
        errors["subject"] = ["At most 300 characters."]
    if not rationale:
        errors["rationale"] = ["Give the reason for the decision: it is kept in the decision log."]
    elif len(rationale) > 5000:
        errors["rationale"] = ["At most 5,000 characters."]
    if link and (len(link) > 300 or not is_local_path(link)):
        errors["link"] = ["A link is a path on this site, e.g. /planning/proposals/1/."]
    if errors:
        raise ApplicationError(
            "The decision was not recorded: " + " ".join(m for ms in errors.values() for m in ms),
            field_errors=errors,
        )
    with transaction.atomic():
        decision = PortfolioDecision.objects.create(
            kind=kind,
            outcome=outcome,
            subject=subject,
            rationale=rationale,
            initiative=initiative,
            decided_by=user,
            decided_at=timezone.now(),
            link=link,
        )
        portfolio_decision_event(decision, actor=user)
    return decision
