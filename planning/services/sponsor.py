"""The sponsor adjustment read from the database: each candidate's sponsor's record of benefits realised
against promised (the engine's record, alignment.engine.inputs.load_benefits, the one the
`sponsor_overpromised` signal reads) turned into a factor by planning.sponsor. See docs/scoring.md, "The
sponsor adjustment"."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.utils import timezone

from alignment.engine.inputs import load_benefits
from alignment.services.policy import current_policy
from planning import sponsor
from planning.sponsor import NO_RECORD, SponsorAdjustment


def sponsor_adjustments(
    sponsors: Mapping[int, int | None], *, today: datetime.date | None = None
) -> dict[int, SponsorAdjustment]:
    """Each candidate's adjustment (`sponsors`: candidate initiative id -> its sponsor's id, None without one),
    as of `today` (the benefit quarters ended by then). The minimum number of initiatives a record must rest
    on is the engine policy's, the signal's. At most five queries whatever the number of candidates (the
    policy, then load_benefits' four); none when no candidate has a sponsor."""
    with_sponsor = {pk: sponsor_id for pk, sponsor_id in sponsors.items() if sponsor_id is not None}
    result = dict.fromkeys(sponsors, NO_RECORD)
    if not with_sponsor:
        return result
    minimum = current_policy().signals.sponsor_min_initiatives
    records = load_benefits(today=today or timezone.localdate(), initiative_ids=list(with_sponsor)).sponsors
    by_sponsor: dict[int, SponsorAdjustment] = {}
    for pk, sponsor_id in with_sponsor.items():
        if sponsor_id not in by_sponsor:
            record = records.get(sponsor_id)
            by_sponsor[sponsor_id] = (
                NO_RECORD
                if record is None
                else sponsor.adjustment(
                    record.realised, record.promised, record.initiatives, min_initiatives=minimum
                )
            )
        result[pk] = by_sponsor[sponsor_id]
    return result
