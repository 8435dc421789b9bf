"""The demo's intake: an idea awaiting review, one returned for more with the reviewer's reason, and (when
its business case holds what Approved requires) a proposal awaiting approval."""

from __future__ import annotations

from django.contrib.auth.models import User

from core.errors import ApplicationError
from planning import services
from planning.models import Proposal
from portfolio.models import Initiative

# (initiative code, the submitter's note, the reviewer's reason to return it, or "" to leave it awaiting)
SUBMISSIONS = (
    (
        "ECOM-07",
        "A three-month pilot on the gift category; the vendor's quote is attached to the business case.",
        "",
    ),
    (
        "SCM-06",
        "Route optimisation should cut delivery mileage; the carriers are keen.",
        "Say which depots pilot it and what the carriers' contracts allow us to change before we propose it.",
    ),
    ("ECOM-06", "Costed with the payment provider's terms; the CFO's office reviewed the figures.", ""),
)


def build_intake() -> int:
    """Submit the demo's proposals unless some exist; returns how many were submitted. A submission the
    demo's data does not support (a requirement missing) is skipped."""
    if Proposal.objects.exists():
        return 0
    reviewer = User.objects.filter(username="steering").first()
    pmo = User.objects.filter(username="pmo").first()
    if reviewer is None or pmo is None:
        return 0
    submitted = 0
    for code, note, reason in SUBMISSIONS:
        initiative = Initiative.objects.filter(code=code).select_related("manager").first()
        if initiative is None:
            continue
        submitter = initiative.manager or pmo
        try:
            proposal = services.proposal_submit(user=submitter, initiative_id=initiative.pk, note=note)
            if reason:
                services.proposal_decide(
                    user=reviewer,
                    proposal_id=proposal.pk,
                    version=proposal.version,
                    outcome="returned",
                    rationale=reason,
                )
        except ApplicationError:
            continue
        submitted += 1
    return submitted
