"""Rule 18, sponsor over-promised: a proposal (idea, proposed, approved) whose sponsor's initiatives past
go-live realised less than 70% of what their money benefit plans promised to date, over at least 2
initiatives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from tests.alignment.benefit_signal_support import live, plan, raised_by, set_actual
from tests.alignment.signal_support import TODAY, D, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def track_record(themes, sponsor, realised: tuple[str, str]):  # type: ignore[no-untyped-def]
    """Two initiatives of the sponsor past go-live: PAST-1 (live) promised 40,000 to date, PAST-2 (closed)
    10,000; they realised `realised`."""
    first = plan(
        live(themes, code="PAST-1", sponsor=sponsor),
        "Saving",
        [((2026, 2), "20000", realised[0]), ((2026, 3), "20000", "0")],
    )
    plan(
        live(themes, code="PAST-2", sponsor=sponsor, stage=Stage.CLOSED),
        "Saving",
        [((2026, 3), "10000", realised[1])],
    )
    return first


def test_a_proposal_of_a_sponsor_whose_past_initiatives_realised_52_percent(themes):
    # given: 20,000 + 6,000 realised of 50,000 promised, and a new proposal of the same sponsor
    dana = UserFactory(first_name="Dana", last_name="Diaz")
    track_record(themes, dana, ("20000", "6000"))
    proposal = subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=dana, review=None)

    # then
    assert raised_by("sponsor_overpromised") == [
        (
            "NEW-1",
            "amber",
            "The sponsor of NEW-1 (proposed): past initiatives realised 52% of what was promised, over 2 "
            "initiatives (€26,000 of €50,000 expected to date; below 70%). Test the benefits this one promises.",
        )
    ]
    stored = Signal.objects.get(rule="sponsor_overpromised")
    assert (stored.measured, stored.threshold) == (0.52, 0.7)
    assert stored.evidence == [
        {
            "label": "NEW-1 business case",
            "url": reverse("portfolio:initiative-detail", args=[proposal.pk]) + "#business-case",
        },
        {"label": "Benefits by sponsor", "url": reverse("alignment:benefits")},
    ]


def test_exactly_70_percent_raises_nothing_and_a_cent_less_raises_it(themes):
    dana = UserFactory()
    first = track_record(themes, dana, ("25000", "10000"))  # 35,000 of 50,000
    subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=dana, review=None)
    assert raised_by("sponsor_overpromised") == []

    set_actual(first, 2026, 2, "24999.99")

    assert [code for code, _, _ in raised_by("sponsor_overpromised")] == ["NEW-1"]


def test_one_initiative_past_go_live_is_not_a_track_record(themes):
    dana = UserFactory()
    plan(live(themes, code="PAST-1", sponsor=dana), "Saving", [((2026, 3), "20000", "1000")])
    subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=dana, review=None)

    assert raised_by("sponsor_overpromised") == []


@pytest.mark.parametrize(
    ("stage", "raised"),
    [
        (Stage.IDEA, True),
        (Stage.PROPOSED, True),
        (Stage.APPROVED, True),
        (Stage.IN_DELIVERY, False),
        (Stage.LIVE, False),
        (Stage.CANCELLED, False),
    ],
)
def test_only_the_proposals_being_judged(themes, stage, raised):
    dana = UserFactory()
    track_record(themes, dana, ("20000", "6000"))
    subject(themes, code="NEW-1", stage=stage, sponsor=dana, go_live_date=D(2026, 11, 1))

    assert [code for code, _, _ in raised_by("sponsor_overpromised")] == (["NEW-1"] if raised else [])


def test_another_sponsors_record_does_not_count(themes):
    track_record(themes, UserFactory(), ("20000", "6000"))
    subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=UserFactory(), review=None)

    assert raised_by("sponsor_overpromised") == []


def test_the_one_initiative_recompute_reads_the_sponsors_whole_record_and_clears_it(themes):
    dana = UserFactory()
    first = track_record(themes, dana, ("20000", "6000"))
    proposal = subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=dana, review=None)

    # when: only the proposal is recomputed
    services.recompute(initiative_ids=[proposal.pk], today=TODAY)
    # then
    assert list(Signal.objects.values_list("rule", "initiative__code")) == [("sponsor_overpromised", "NEW-1")]

    # when: the first initiative's benefits come in after all, and the proposal is recomputed again
    set_actual(first, 2026, 3, "20000")
    services.recompute(initiative_ids=[proposal.pk], today=TODAY)
    # then: 46,000 of 50,000
    assert not Signal.objects.filter(rule="sponsor_overpromised").exists()
