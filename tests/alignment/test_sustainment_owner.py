"""One definition of "missing sustainment owner": the engine's signal and the worklist's check use the same rule
(alignment.engine.formulas.sustainment_owner_due, and the same rule as a query filter) and the same window,
the scoring policy's; ideas are left out of both."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest

from alignment import services
from alignment.engine.formulas import sustainment_owner_due
from alignment.models import ScoringPolicy, Signal
from alignment.worklist import initiatives_without_sustainment_owner, sustainment_owner_due_filter
from core.stages import Stage
from portfolio.models import Initiative
from portfolio.worklist import WorklistFilters, run_checks
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 21)
EVERYTHING = WorklistFilters()


@pytest.fixture
def today(time_machine) -> datetime.date:
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC))
    return TODAY


def in_days(n: int | None) -> datetime.date | None:
    return None if n is None else TODAY + datetime.timedelta(days=n)


OFFSETS = [None, -100, -1, 0, 29, 30, 59, 60, 61, 90, 91]


def test_the_rule_and_its_query_filter_agree_on_every_stage_and_go_live_date(db):
    # given: one initiative per stage and go-live offset
    cases = {}
    for n, (stage, offset) in enumerate(itertools.product(Stage.values, OFFSETS)):
        if stage == Stage.LIVE and offset is None:
            continue  # a live initiative has its go-live date
        initiative = InitiativeFactory(code=f"S-{n:03d}", stage=stage, go_live_date=in_days(offset))
        cases[initiative.pk] = (stage, offset)

    for window in (30, 60, 90):
        # when
        by_rule = {
            pk
            for pk, (stage, offset) in cases.items()
            if sustainment_owner_due(
                stage=stage, go_live_date=in_days(offset), today=TODAY, window_days=window
            )
            is not None
        }
        by_filter = set(
            Initiative.objects.filter(
                sustainment_owner_due_filter(today=TODAY, window_days=window)
            ).values_list("pk", flat=True)
        )

        # then
        assert by_filter == by_rule
    # and the rule itself, on the 60-day default window
    assert [
        sustainment_owner_due(stage=stage, go_live_date=in_days(offset), today=TODAY, window_days=60)
        for stage, offset in [
            (Stage.IDEA, 3),
            (Stage.PROPOSED, 60),
            (Stage.PROPOSED, 61),
            (Stage.APPROVED, None),
            (Stage.IN_DELIVERY, -5),
            (Stage.LIVE, -100),
            (Stage.CLOSED, -30),
            (Stage.CANCELLED, 3),
        ]
    ] == [None, 60, None, None, -5, 0, None, None]


@pytest.fixture
def near_go_live(today, manager):
    owner = UserFactory(username="owner")
    rows: dict[str, dict[str, Any]] = {
        "LIVE": {"stage": Stage.LIVE, "go_live_date": in_days(-100)},
        "SOON": {"stage": Stage.IN_DELIVERY, "go_live_date": in_days(60)},
        "OVERDUE": {"stage": Stage.IN_DELIVERY, "go_live_date": in_days(-5)},
        "PROPOSED": {"stage": Stage.PROPOSED, "go_live_date": in_days(30)},
        "IDEA-SOON": {"stage": Stage.IDEA, "go_live_date": in_days(3)},  # an idea: not yet
        "LATER": {"stage": Stage.IN_DELIVERY, "go_live_date": in_days(61)},  # near miss
        "QUARTER": {"stage": Stage.APPROVED, "go_live_date": in_days(90)},  # inside a 90-day window only
        "OWNED": {"stage": Stage.IN_DELIVERY, "go_live_date": in_days(10), "sustainment_owner": owner},
        "CLOSED": {"stage": Stage.CLOSED, "go_live_date": in_days(-30)},
        "UNDATED": {"stage": Stage.APPROVED, "go_live_date": None},
    }
    for code, values in rows.items():
        InitiativeFactory(
            code=code,
            manager=manager,
            planned_start=datetime.date(2026, 1, 1),
            planned_end=datetime.date(2027, 6, 30),
            **values,
        )


def worklist_codes(today: datetime.date) -> list[str]:
    return [i.code for i in initiatives_without_sustainment_owner(EVERYTHING, today=today)]


def signalled_codes() -> list[str]:
    return sorted(
        Signal.objects.filter(rule="no_sustainment_owner").values_list("initiative__code", flat=True)
    )


def test_the_worklist_lists_what_the_engine_signals_and_no_idea(near_go_live, today):
    # when
    services.recompute()

    # then
    assert worklist_codes(today) == ["LIVE", "OVERDUE", "PROPOSED", "SOON"]
    assert signalled_codes() == ["LIVE", "OVERDUE", "PROPOSED", "SOON"]


def test_both_follow_the_scoring_policys_window(near_go_live, today, pmo):
    # given: a policy version that warns 90 days ahead
    ScoringPolicy.objects.create(version=2, parameters={"signals": {"sustainment_warning_days": 90}})

    # when
    services.recompute()
    results = {r.check.key: r for r in run_checks(EVERYTHING, viewer=pmo, today=today)}

    # then
    assert worklist_codes(today) == ["LIVE", "OVERDUE", "PROPOSED", "SOON", "LATER", "QUARTER"]
    assert signalled_codes() == ["LATER", "LIVE", "OVERDUE", "PROPOSED", "QUARTER", "SOON"]
    assert results["sustainment"].explanation.startswith(
        "Proposed to live, and live or going live within 90 days (the scoring policy's window"
    )
    assert [row.days for row in results["sustainment"].rows] == [-100, -5, 30, 60, 61, 90]
