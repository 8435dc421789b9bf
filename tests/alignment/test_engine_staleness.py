"""How changes mark scores stale and get exactly the affected initiatives rescored."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from alignment import jobs, services
from alignment.engine import store
from alignment.engine.compute import assess_kpis, score_initiative
from alignment.engine.inputs import load_inputs
from alignment.engine.policy import DEFAULT_POLICY
from alignment.models import InitiativeScore, ObjectiveScore, PortfolioIndex, Signal
from core.changes import Change
from core.stages import Stage
from portfolio import services as portfolio_services
from portfolio.models import Milestone
from tests.alignment.engine_support import TODAY, D, build_example
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def results_for(initiative_ids: list[int]) -> dict[int, Any]:
    inputs = load_inputs(today=TODAY, policy=DEFAULT_POLICY, initiative_ids=initiative_ids)
    kpis = assess_kpis(inputs)
    return {row.id: score_initiative(row, inputs, kpis) for row in inputs.initiatives.values()}


def test_a_change_made_after_a_recompute_started_keeps_the_row_stale():
    # given: computed scores, then a change marks CHK-1 stale at 12:00:00
    x = build_example()
    services.recompute(today=TODAY)
    pk = x["chk"].pk
    changed_at = datetime.datetime(2026, 11, 21, 12, 0, 0, tzinfo=datetime.UTC)
    services.mark_stale([pk], now=changed_at)
    existing = {
        row[0]: (row[1], row[2])
        for row in InitiativeScore.objects.filter(pk=pk).values_list("initiative_id", "digest", "stale")
    }

    # when: a recompute that started a second before the change writes its result
    store.write_initiative_scores(
        results_for([pk]),
        now=changed_at + datetime.timedelta(seconds=5),
        started=changed_at - datetime.timedelta(seconds=1),
        policy_version=1,
        existing=existing,
        red_signals={},
    )

    # then: the row keeps saying it is out of date
    row = InitiativeScore.objects.get(pk=pk)
    assert (row.stale, row.stale_since) == (True, changed_at)
    assert row.fit == 100.0

    # when: a recompute that started after the change writes its result
    store.write_initiative_scores(
        results_for([pk]),
        now=changed_at + datetime.timedelta(seconds=9),
        started=changed_at + datetime.timedelta(seconds=1),
        policy_version=1,
        existing=existing,
        red_signals={},
    )

    # then
    row.refresh_from_db()
    assert (row.stale, row.stale_since) == (False, None)


def test_mark_stale_creates_a_stale_row_for_a_new_initiative_and_keeps_the_scores_of_others():
    # given
    x = build_example()
    services.recompute(today=TODAY)
    new = InitiativeFactory()
    at = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.UTC)

    # when
    services.mark_stale([new.pk, x["chk"].pk], now=at)

    # then
    assert list(
        InitiativeScore.objects.filter(pk__in=[new.pk, x["chk"].pk])
        .order_by("pk")
        .values_list("initiative_id", "stale", "stale_since", "fit", "computed_at")
    ) == sorted(
        [
            (new.pk, True, at, 0.0, None),
            (x["chk"].pk, True, at, 100.0, InitiativeScore.objects.get(pk=x["chk"].pk).computed_at),
        ]
    )


def test_a_milestone_update_marks_the_initiative_stale_at_once_and_rescores_it_after_commit(
    pmo, django_capture_on_commit_callbacks, time_machine
):
    # given: computed scores on TODAY, the clock on TODAY; CHK-1's rollout forecast is 36 days late
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC))
    x = build_example()
    services.recompute(today=TODAY)
    chk = x["chk"].pk
    assert InitiativeScore.objects.get(pk=chk).slip_days == 36

    # when: the forecast moves to 19 February 2027 (66 days late)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        portfolio_services.milestone_update(
            user=pmo, milestone_id=x["rollout"].pk, version=1, data={"forecast_date": D(2027, 2, 19)}
        )

        # then: stale in the same transaction, the old scores still there
        during = InitiativeScore.objects.get(pk=chk)
        assert during.stale is True
        assert during.stale_since is not None
        assert during.slip_days == 36

    # then: rescored once committed
    assert len(callbacks) == 1
    after = InitiativeScore.objects.get(pk=chk)
    assert after.stale is False
    assert after.stale_since is None
    assert after.slip_days == 66
    explained = services.explain_initiative(chk, today=TODAY)
    assert explained is not None
    assert explained.explanation["delivery"]["schedule"] == 63.33
    assert Milestone.objects.get(pk=x["rollout"].pk).forecast_date == D(2027, 2, 19)


def build_two_themes() -> dict[str, Any]:
    """T1 (1): A (1), B (1); T2 (1): C (3), D (1). Global weights A 1/4, B 1/4, C 3/8, D 1/8; the units are
    A, B, C and D, so r = weight / 3/8 (C's): A 2/3, B 2/3, C 1, D 1/3."""
    t1 = ObjectiveFactory(code="T1", title="One", local_weight=Decimal("1"))
    t2 = ObjectiveFactory(code="T2", title="Two", local_weight=Decimal("1"))
    a = ObjectiveFactory(code="A", title="A", parent=t1, local_weight=Decimal("1"))
    b = ObjectiveFactory(code="B", title="B", parent=t1, local_weight=Decimal("1"))
    c = ObjectiveFactory(code="C", title="C", parent=t2, local_weight=Decimal("3"))
    d = ObjectiveFactory(code="D", title="D", parent=t2, local_weight=Decimal("1"))
    on = {name: InitiativeFactory(code=f"ON-{name}") for name in "ABCD"}
    for name, objective in zip("ABCD", (a, b, c, d), strict=True):
        ContributionFactory(initiative=on[name], objective=objective, strength="strong")
    unlinked = InitiativeFactory(code="NONE-1")
    return {"t1": t1, "t2": t2, "a": a, "b": b, "c": c, "d": d, "on": on, "unlinked": unlinked}


def test_an_objective_weight_change_rescores_exactly_the_affected_initiatives(
    pmo, django_capture_on_commit_callbacks, monkeypatch
):
    # given: A's weight goes from 1 to 2: A's global weight 1/3 and B's 1/6, both below C's 3/8, so the
    # divisor stays 3/8: A's and B's relative weights move (2/3 -> 8/9 and 2/3 -> 4/9), C's (1) and D's
    # (1/3) do not
    x = build_two_themes()
    services.recompute()
    enqueued: list[tuple[list[int], list[int], bool]] = []
    monkeypatch.setattr(
        jobs,
        "enqueue_recompute",
        lambda ids, kpi_ids, *, portfolio: enqueued.append((ids, kpi_ids, portfolio)),
    )
    fit_before = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_services.objective_update(
            user=pmo, objective_id=x["a"].pk, version=1, data={"local_weight": Decimal("2")}
        )

    # then: exactly the initiatives on A and B are stale and enqueued, with a portfolio refresh
    affected = sorted([x["on"]["A"].pk, x["on"]["B"].pk])
    assert (
        sorted(InitiativeScore.objects.filter(stale=True).values_list("initiative_id", flat=True)) == affected
    )
    assert enqueued == [(affected, [], True)]

    # when: the enqueued work runs
    monkeypatch.undo()
    jobs.enqueue_recompute(affected, [], portfolio=True)

    # then: A's and B's fit moved, C's and D's did not
    fit_after = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}
    assert fit_before == {"A": 66.67, "B": 66.67, "C": 100.0, "D": 33.33}
    assert fit_after == {"A": 88.89, "B": 44.44, "C": 100.0, "D": 33.33}
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_a_change_to_the_largest_priority_weight_rescores_every_initiative_it_moves(
    pmo, django_capture_on_commit_callbacks
):
    # given: C, the heaviest unit (3/8), goes from 3 to 4: C 2/5 and D 1/10, so the divisor becomes 2/5 and
    # r moves for A and B (2/3 -> 5/8) and D (1/3 -> 1/4); C stays at 1 but is the objective changed
    x = build_two_themes()
    services.recompute()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_services.objective_update(
            user=pmo, objective_id=x["c"].pk, version=1, data={"local_weight": Decimal("4")}
        )

        # then: the four initiatives on A, B, C and D are marked stale, not the one with no contribution
        stale = set(InitiativeScore.objects.filter(stale=True).values_list("initiative_id", flat=True))
        assert stale == {i.pk for i in x["on"].values()}

    # then: rescored after commit
    fit = {name: InitiativeScore.objects.get(pk=i.pk).fit for name, i in x["on"].items()}
    assert fit == {"A": 62.5, "B": 62.5, "C": 100.0, "D": 25.0}
    assert ObjectiveScore.objects.get(pk=x["c"].pk).relative_weight == 1.0
    assert ObjectiveScore.objects.get(pk=x["a"].pk).relative_weight == 0.625
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_a_new_objective_nobody_serves_yet_refreshes_the_portfolio(pmo, django_capture_on_commit_callbacks):
    # given: one theme with one objective, served strongly
    theme = ObjectiveFactory(code="T1", title="One")
    objective = ObjectiveFactory(code="O1", title="Served", parent=theme)
    ContributionFactory(initiative=InitiativeFactory(), objective=objective, strength="strong")
    services.recompute()
    assert PortfolioIndex.objects.get().coverage == 1.0

    # when: a second theme of the same weight is added; no initiative's relative weights move
    with django_capture_on_commit_callbacks(execute=True):
        new = portfolio_services.objective_create(
            user=pmo, data={"code": "T2", "title": "Two", "local_weight": Decimal("1")}
        )

    # then: the indices, objective scores and signals know about it
    assert PortfolioIndex.objects.get().coverage == 0.5
    assert ObjectiveScore.objects.get(pk=new.pk).weight_share == 0.5
    assert Signal.objects.filter(rule="objective_uncovered", objective=new).exists()
    assert not InitiativeScore.objects.filter(stale=True).exists()


def test_a_change_to_an_initiative_past_go_live_rescores_its_sponsors_proposals():
    # given: a sponsor with a live initiative, a proposal, an idea and one in delivery; another sponsor's
    # proposal
    dana = UserFactory()
    past = InitiativeFactory(stage=Stage.LIVE, sponsor=dana, go_live_date=D(2026, 2, 1))
    proposal = InitiativeFactory(stage=Stage.PROPOSED, sponsor=dana)
    idea = InitiativeFactory(stage=Stage.IDEA, sponsor=dana)
    InitiativeFactory(stage=Stage.IN_DELIVERY, sponsor=dana)
    InitiativeFactory(stage=Stage.PROPOSED)

    # when: the live initiative's benefit plan changes
    ids, portfolio = services.affected_initiatives(Change(initiative_ids=frozenset({past.pk})))

    # then: its record moved, so the sponsor's proposals are rescored with it
    assert ids == {past.pk, proposal.pk, idea.pk}
    assert portfolio is True
