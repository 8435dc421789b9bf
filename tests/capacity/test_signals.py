"""The engine's two capacity signals: an over-allocated team on a funded initiative, and run load squeezing
change capacity below the policy's target (alignment/engine/rules.py; docs/capacity.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from alignment import services as alignment
from alignment.models import Signal
from capacity import services
from capacity.models import CapacityOverride, RunDemand, TeamMember
from capacity.months import months_between
from tests.capacity.conftest import MARCH

D = datetime.date
TODAY = D(2027, 3, 10)


def capacity_signals() -> list[tuple[str, str, str, float | None, float | None]]:
    return list(
        Signal.objects.filter(rule__in=["capacity_overload", "run_squeeze"])
        .order_by("rule", "key")
        .values_list("rule", "severity", "message", "measured", "threshold")
    )


def squeeze_the_service_desk(world) -> None:
    """One person at 100 % (262 working days from March 2027 to February 2028) and 15 person-days of support
    a month (180): 31.3 % left for change, below the 40 % target."""
    desk = world["desk"]
    TeamMember.objects.create(team=desk, name="Dana", availability=100)
    for month in months_between(MARCH, D(2028, 2, 1)):
        RunDemand.objects.create(team=desk, month=month, category="support", person_days=Decimal("15"))


def test_a_full_recompute_raises_both_signals_with_their_evidence(world):
    # March's capacity cut to 20 person-days: (14.5 + 10) / 20 = 122.5 %, over 1.2 x the 100 % threshold
    CapacityOverride.objects.create(
        team=world["team"], month=MARCH, person_days=Decimal("20"), reason="Holidays"
    )
    squeeze_the_service_desk(world)
    alignment.recompute(today=TODAY)
    lake1, desk = world["lake1"], world["desk"]
    assert capacity_signals() == [
        (
            "capacity_overload",
            "red",
            "LAKE-1 needs 10.0 person-days of Data platform in 1 over-allocated team-month; the worst: "
            "Data platform in March 2027 at 122 % (above 100 %).",
            122.5,
            100.0,
        ),
        (
            "run_squeeze",
            "amber",
            "Run demand of Service desk takes 180 of its 262 person-days over the coming year: 31 % is left "
            "for change, below the target of 40 %.",
            31.3,
            40.0,
        ),
    ]
    overload = Signal.objects.get(rule="capacity_overload")
    assert overload.initiative_id == lake1.pk
    assert overload.evidence == [
        {"label": "Data platform, March 2027", "url": f"/capacity/teams/{world['team'].pk}/months/2027-03/"}
    ]
    assert Signal.objects.get(rule="run_squeeze").evidence == [
        {"label": "Team Service desk", "url": f"/capacity/teams/{desk.pk}/"}
    ]


def test_a_proposal_in_an_over_allocated_month_raises_nothing_and_the_signal_goes_when_capacity_returns(
    world, pmo
):
    override = CapacityOverride.objects.create(team=world["team"], month=MARCH, person_days=Decimal("22"))
    alignment.recompute(today=TODAY)
    # (14.5 + 10) / 22 = 111 %: amber; LAKE-2 is only proposed
    assert [(r, s, m) for r, s, _msg, m, _t in capacity_signals()] == [("capacity_overload", "amber", 111.36)]
    override.delete()
    alignment.recompute(initiative_ids=[world["lake1"].pk], today=TODAY)
    assert capacity_signals() == []


def test_the_policy_threshold_decides(world, pmo):
    CapacityOverride.objects.create(team=world["team"], month=MARCH, person_days=Decimal("22"))
    services.capacity_policy_publish(user=pmo, change_share_target="40", overload_threshold="115")
    alignment.recompute(initiative_ids=[world["lake1"].pk], today=TODAY)
    assert capacity_signals() == []


def test_no_team_means_no_capacity_signal(db):
    alignment.recompute(today=TODAY)
    assert capacity_signals() == []
