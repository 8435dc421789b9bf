"""A program whose business and IT leaders disagree on its goals (the engine's leadership_misaligned signal on
the program) comes before the next steering meeting through its lead initiative: its largest initiative in
delivery (else its largest approved one), with the reason "Leadership of <program> disagree on its goals
(agreement 16/100)" and 10 points of importance (docs/surveys.md, "Onto the steering agenda")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from alignment.models import Signal
from core.stages import Stage
from steering import rules, services
from tests.factories import InitiativeFactory, ProgramFactory
from tests.steering.utils import HELD_ON, agenda, item_on, scored

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("only_test_listeners", "tier_policies")]

REASON = "Leadership of Checkout disagree on its goals (agreement 16/100)"


def leadership_signal(program, measured: float = 15.59, severity: str = "red") -> Signal:
    """The program's signal, as the engine stores it."""
    now = timezone.now()
    return Signal.objects.create(
        key=f"leadership_misaligned:p{program.pk}",
        rule="leadership_misaligned",
        severity=severity,
        program=program,
        message="Business and IT leaders agree 16/100 in the survey “Round 1”: below 40.",
        measured=measured,
        threshold=40.0,
        first_seen=now,
        last_seen=now,
    )


def initiative(code: str, program, stage: str, budget: int, tier: int | None = 2):
    made = InitiativeFactory(
        code=code,
        program=program,
        stage=stage,
        budget_capex=Decimal(budget),
        budget_opex=Decimal(0),
    )
    if tier is not None:
        scored(made, tier=tier)
    return made


@pytest.fixture
def checkout():
    """Checkout: BIG in delivery (500,000), SMALL in delivery (100,000), PLAN approved (900,000), LIVE live
    (2,000,000); its leaders agree 15.59/100. Calm: the same shape and no signal."""
    program = ProgramFactory(name="Checkout")
    made = {
        "BIG": initiative("BIG", program, Stage.IN_DELIVERY, 500_000),
        "SMALL": initiative("SMALL", program, Stage.IN_DELIVERY, 100_000),
        "PLAN": initiative("PLAN", program, Stage.APPROVED, 900_000),
        "LIVE": initiative("LIVE", program, Stage.LIVE, 2_000_000),
    }
    calm = ProgramFactory(name="Calm")
    initiative("CALM", calm, Stage.IN_DELIVERY, 700_000)
    leadership_signal(program)
    return {"program": program, **made}


def test_the_programs_largest_initiative_in_delivery_is_proposed_with_the_leaders_disagreement(
    meeting, pmo, checkout
):
    # when the agenda is proposed from the data
    proposal = services.agenda_propose(user=pmo, meeting=meeting)

    # then BIG (the largest in delivery, not the larger approved or live ones) comes with the reason,
    # importance tier 2: 20 + program leaders disagree: 10 = 30, so a 10-minute time box
    assert [item.initiative.code for item in proposal.added] == ["BIG"]
    assert agenda(meeting) == [(0, "BIG", 10, False, [REASON])]
    fact = rules.agenda_facts(HELD_ON)[checkout["BIG"].pk]
    assert fact.importance().explanation() == "tier 2: 20 + program leaders disagree: 10 = 30"


def test_an_amber_signal_proposes_the_program_too(meeting, pmo, checkout):
    Signal.objects.filter(rule="leadership_misaligned").update(severity="amber", measured=36.4)

    services.agenda_propose(user=pmo, meeting=meeting)

    assert agenda(meeting) == [
        (0, "BIG", 10, False, ["Leadership of Checkout disagree on its goals (agreement 36/100)"])
    ]


def test_without_an_initiative_in_delivery_the_largest_approved_one_leads(meeting, pmo, checkout):
    checkout["BIG"].__class__.objects.filter(code__in=["BIG", "SMALL"]).update(stage=Stage.CLOSED)

    services.agenda_propose(user=pmo, meeting=meeting)

    assert agenda(meeting) == [(0, "PLAN", 10, False, [REASON])]


def test_a_program_with_nothing_governed_is_not_proposed(meeting, pmo):
    program = ProgramFactory(name="Ideas")
    initiative("IDEA", program, Stage.IDEA, 100_000)
    initiative("GONE", program, Stage.LIVE, 100_000)
    leadership_signal(program)

    proposal = services.agenda_propose(user=pmo, meeting=meeting)

    assert (proposal.added, proposal.left_off, agenda(meeting)) == ([], 0, [])


def test_equal_budgets_lead_by_code(meeting, pmo):
    program = ProgramFactory(name="Checkout")
    initiative("ZULU", program, Stage.IN_DELIVERY, 300_000)
    initiative("ALFA", program, Stage.IN_DELIVERY, 300_000)
    leadership_signal(program)

    services.agenda_propose(user=pmo, meeting=meeting)

    assert agenda(meeting) == [(0, "ALFA", 10, False, [REASON])]


def test_the_lead_already_on_the_agenda_gets_the_reason_added(meeting, pmo, checkout):
    # given BIG on the agenda by hand, before the signal was raised
    item_on(meeting, checkout["BIG"], 0, reasons=[], minutes=15)

    services.agenda_propose(user=pmo, meeting=meeting)

    assert agenda(meeting) == [(0, "BIG", 15, False, [REASON])]


def test_when_the_signal_goes_the_reason_goes_at_the_next_proposal(meeting, pmo, checkout):
    services.agenda_propose(user=pmo, meeting=meeting)
    Signal.objects.filter(rule="leadership_misaligned").delete()

    services.agenda_propose(user=pmo, meeting=meeting)

    assert agenda(meeting) == [(0, "BIG", 10, False, [])]


def test_the_leads_are_read_in_one_query_however_many_programs(django_assert_num_queries):
    for n in range(6):
        program = ProgramFactory(name=f"P{n}")
        for m in range(3):
            initiative(f"P{n}-{m}", program, Stage.IN_DELIVERY, 100_000 * (m + 1), tier=None)
        if n % 2 == 0:
            leadership_signal(program, measured=10.0 + n)

    with django_assert_num_queries(1):
        leads = rules.lead_initiatives()

    assert sorted((name, agreement) for name, agreement in leads.values()) == [
        ("P0", 10.0),
        ("P2", 12.0),
        ("P4", 14.0),
    ]
    assert sorted(
        InitiativeFactory._meta.model.objects.filter(pk__in=leads).values_list("code", flat=True)
    ) == ["P0-2", "P2-2", "P4-2"]
