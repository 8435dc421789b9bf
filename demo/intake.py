"""The demo's intake: an idea returned for more with the reviewer's reason, and two proposals awaiting
approval (the PMO names their benefit owners first, as the intake policy requires for Approved)."""

from __future__ import annotations

from django.contrib.auth.models import User

from core.errors import ApplicationError
from core.stages import Stage
from planning import services
from planning.models import Proposal
from portfolio.models import Initiative
from portfolio.services import initiative_update

# (initiative code, the submitter's note, the reviewer's reason to return it, or "" to leave it awaiting)
SUBMISSIONS = (
    (
        "ECOM-07",
        "A three-month pilot on the gift category, with the vendor's quote.",
        "Name the pilot stores and what the vendor's contract lets us stop after three months, then resubmit.",
    ),
    ("ECOM-06", "Costed with the payment provider's terms; the CFO's office reviewed the figures.", ""),
    ("DATA-04", "Pricing analytics for the top 500 products first; the case is in the business case.", ""),
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
            if initiative.stage == Stage.PROPOSED and initiative.sustainment_owner_id is None:
                initiative_update(
                    user=pmo,
                    initiative_id=initiative.pk,
                    version=initiative.version,
                    data={"sustainment_owner": submitter},
                )
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
