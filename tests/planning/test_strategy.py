"""Strategy versions: a draft copies the objective tree, its weights change directly or by pairwise comparison,
its what-if scores every initiative by the engine both ways, and publishing writes it onto the objectives."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.errors import ApplicationError, NotAllowed, StaleEdit
from planning import services
from planning.models import PairwiseComparison, StrategyImpact, StrategyVersion, StrategyWeight, VersionStatus
from planning.whatif import compute_impact
from portfolio.models import Objective, ObjectiveStatus, Strength
from tests.conftest import PERSONAS
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def tree(db):
    """Two themes of equal weight, each a priority unit of its own (no objectives under them), and a third,
    retired."""
    return {
        "A": ObjectiveFactory(code="A", title="Grow", local_weight=Decimal("1")),
        "B": ObjectiveFactory(code="B", title="Run", local_weight=Decimal("1")),
        "C": ObjectiveFactory(
            code="C", title="Old", local_weight=Decimal("2"), status=ObjectiveStatus.RETIRED
        ),
    }


def entry(strategy: StrategyVersion, code: str) -> StrategyWeight:
    return strategy.weights.get(objective__code=code)


def weights_of(strategy: StrategyVersion, **changes: tuple[str, str]) -> dict[int, tuple[str, str]]:
    """Every entry's (weight, status) as a form posts them, with `changes` by objective code."""
    values = {}
    for item in strategy.weights.select_related("objective"):
        code = item.objective.code if item.objective else item.code
        values[item.pk] = changes.get(code, (str(item.local_weight), item.status))
    return values


def test_a_draft_starts_as_a_copy_of_the_tree(pmo, tree):
    # when
    draft = services.strategy_draft(user=pmo, title="2027 refresh", rationale="Board offsite")

    # then every objective is in it with its weight and status, remembered as they were
    assert (draft.number, draft.status, draft.created_by) == (1, VersionStatus.DRAFT, pmo)
    rows = list(draft.weights.order_by("code").values_list("code", "local_weight", "status", "base_weight"))
    assert rows == [
        ("A", Decimal("1.00"), "active", Decimal("1.00")),
        ("B", Decimal("1.00"), "active", Decimal("1.00")),
        ("C", Decimal("2.00"), "retired", Decimal("2.00")),
    ]
    assert services.strategy_draft(user=pmo, title="Another").number == 2


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in ("pmo", "admin_user")], indirect=True)
def test_only_the_pmo_and_admins_draft(persona, tree):
    with pytest.raises(NotAllowed):
        services.strategy_draft(user=persona, title="Mine")
    assert StrategyVersion.objects.count() == 0


def test_a_bad_weight_is_reported_at_its_entry_and_nothing_is_saved(pmo, tree):
    # given a draft
    draft = services.strategy_draft(user=pmo, title="Refresh")
    a, b = entry(draft, "A"), entry(draft, "B")

    # when one weight is good and another is out of range
    with pytest.raises(ApplicationError) as refused:
        services.strategy_weights_set(
            user=pmo,
            strategy_id=draft.pk,
            version=draft.version,
            values=weights_of(draft, A=("3", "active"), B=("0", "active")),
        )

    # then the problem is at B's field, and A's change was not saved either
    assert refused.value.field_errors == {f"weight-{b.pk}": ["A weight is from 0.01 to 1000."]}
    a.refresh_from_db()
    assert a.local_weight == Decimal("1.00")


def test_a_stale_draft_is_refused(pmo, tree):
    draft = services.strategy_draft(user=pmo, title="Refresh")
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
    )
    with pytest.raises(StaleEdit):
        services.strategy_weights_set(
            user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("5", "active"))
        )
    assert entry(draft, "A").local_weight == Decimal("3.00")


def test_pairwise_judgements_weight_a_group_of_siblings(pmo, db):
    # given three themes, judged: X 3 times Y, X 5 times Z, Y 2 times Z (a published textbook-like example)
    for code in ("X", "Y", "Z"):
        ObjectiveFactory(code=code, title=f"Theme {code}")
    draft = services.strategy_draft(user=pmo, title="AHP")
    x, y, z = (entry(draft, code) for code in ("X", "Y", "Z"))
    judgements = {f"{x.pk}:{y.pk}": "3", f"{x.pk}:{z.pk}": "5", f"{y.pk}:{z.pk}": "2"}

    # when applied
    result = services.strategy_pairwise_apply(
        user=pmo, strategy_id=draft.pk, version=draft.version, parent_id=None, judgements=judgements
    )

    # then the weights are the eigenvector's, as percentages of the group, and the judgements are kept
    assert [round(w, 4) for w in result.weights] == [0.6483, 0.2297, 0.122]
    assert [entry(draft, code).local_weight for code in ("X", "Y", "Z")] == [
        Decimal("64.83"),
        Decimal("22.97"),
        Decimal("12.20"),
    ]
    assert all(entry(draft, code).from_pairwise for code in ("X", "Y", "Z"))
    comparison = PairwiseComparison.objects.get(strategy=draft, parent=None)
    assert comparison.judgements == judgements
    assert comparison.consistency_ratio is not None
    assert round(comparison.consistency_ratio, 4) == round(result.consistency_ratio, 4) == 0.0032


def test_a_missing_judgement_is_named(pmo, db):
    for code in ("X", "Y", "Z"):
        ObjectiveFactory(code=code, title=f"Theme {code}")
    draft = services.strategy_draft(user=pmo, title="AHP")
    x, y, z = (entry(draft, code) for code in ("X", "Y", "Z"))
    with pytest.raises(ApplicationError) as refused:
        services.strategy_pairwise_apply(
            user=pmo,
            strategy_id=draft.pk,
            version=draft.version,
            parent_id=None,
            judgements={f"{x.pk}:{y.pk}": "3", f"{x.pk}:{z.pk}": "5"},
        )
    assert refused.value.message == f"The pair ({y.pk}, {z.pk}) has no judgement."
    assert entry(draft, "X").local_weight == Decimal("1.00")


def test_a_proposed_objective_is_checked(pmo, tree):
    draft = services.strategy_draft(user=pmo, title="New")
    with pytest.raises(ApplicationError) as refused:
        services.strategy_objective_propose(
            user=pmo,
            strategy_id=draft.pk,
            version=draft.version,
            code="A",
            title="",
            parent_id=None,
            weight="1",
        )
    assert refused.value.field_errors == {
        "code": ["The code A is taken."],
        "title": ["Give the new objective a title."],
    }
    assert draft.weights.count() == 3


@pytest.fixture
def portfolio(tree):
    """X contributes strongly to A, Y strongly to B: with A and B equal, both have a fit of 100."""
    x = InitiativeFactory(code="X-1", budget_capex=Decimal("100000"), budget_opex=Decimal("0"))
    y = InitiativeFactory(code="Y-1", budget_capex=Decimal("300000"), budget_opex=Decimal("0"))
    ContributionFactory(initiative=x, objective=tree["A"], strength=Strength.STRONG)
    ContributionFactory(initiative=y, objective=tree["B"], strength=Strength.STRONG)
    return x, y


def test_the_what_if_scores_every_initiative_both_ways(pmo, portfolio):
    # given a draft that triples A's weight: A 0.75, B 0.25 of the strategy
    x, y = portfolio
    draft = services.strategy_draft(user=pmo, title="Grow first")
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
    )

    # when its what-if is computed
    summary = compute_impact(StrategyVersion.objects.get(pk=draft.pk), today=TODAY)

    # then X keeps its fit (A is still the top objective), Y's falls to a third: r_B = 0.25 / 0.75
    impact = StrategyImpact.objects.get(strategy=draft)
    assert impact.initiative_id == y.pk
    assert (impact.fit_before, impact.fit_after, impact.fit_change) == (100.0, 33.33, -66.67)
    assert impact.budget == Decimal("300000.00")
    assert impact.alignment_change is not None
    assert impact.alignment_change < 0
    assert (summary["initiatives"], summary["gaining"], summary["losing"]) == (2, 0, 1)
    assert (summary["budget_gaining"], summary["budget_losing"]) == (0.0, 300000.0)
    a, b = Objective.objects.get(code="A").pk, Objective.objects.get(code="B").pk
    assert summary["weights"][str(a)] == [0.5, 0.75]
    assert summary["weights"][str(b)] == [0.5, 0.25]
    # the engine's top-objective share and misallocation, before and after
    assert summary["before"]["misallocation"] == 0.25
    assert summary["after"]["misallocation"] == 0.5


def test_changing_the_draft_drops_its_what_if(pmo, portfolio):
    draft = services.strategy_draft(user=pmo, title="Grow first")
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
    )
    compute_impact(StrategyVersion.objects.get(pk=draft.pk), today=TODAY)
    draft.refresh_from_db()
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("2", "active"))
    )
    draft.refresh_from_db()
    assert (draft.impact, draft.impact_at, StrategyImpact.objects.filter(strategy=draft).count()) == (
        {},
        None,
        0,
    )


def test_publishing_writes_the_draft_onto_the_objectives(pmo, tree):
    # given a published version 1 and a draft that retires B, re-weights A and proposes D under A
    first = services.strategy_draft(user=pmo, title="As it was")
    services.strategy_publish(user=pmo, strategy_id=first.pk, version=first.version)
    draft = services.strategy_draft(user=pmo, title="Refresh")
    services.strategy_weights_set(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        values=weights_of(draft, A=("4", "active"), B=("1", "retired")),
    )
    draft.refresh_from_db()
    services.strategy_objective_propose(
        user=pmo,
        strategy_id=draft.pk,
        version=draft.version,
        code="D",
        title="Digital channel",
        parent_id=tree["A"].pk,
        weight="2",
    )
    draft.refresh_from_db()

    # when published
    services.strategy_publish(user=pmo, strategy_id=draft.pk, version=draft.version)

    # then the objectives hold it, with the change in their history, and D exists under A
    a, b = Objective.objects.get(code="A"), Objective.objects.get(code="B")
    assert (a.local_weight, a.status, b.status) == (Decimal("4.00"), "active", "retired")
    d = Objective.objects.get(code="D")
    assert (d.parent_id, d.local_weight, d.title) == (tree["A"].pk, Decimal("2.00"), "Digital channel")
    assert a.history.first().local_weight == Decimal("4.00")
    # the draft is current, version 1 superseded; the draft now names D by its objective
    assert dict(StrategyVersion.objects.values_list("number", "status")) == {1: "superseded", 2: "published"}
    assert entry(draft, "D").objective_id == d.pk


def test_a_published_version_no_longer_changes(pmo, tree):
    draft = services.strategy_draft(user=pmo, title="Now")
    services.strategy_publish(user=pmo, strategy_id=draft.pk, version=draft.version)
    draft.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        services.strategy_weights_set(
            user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
        )
    assert refused.value.message == "Version 1 is current: only a draft changes."


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in ("pmo", "admin_user")], indirect=True)
def test_only_the_pmo_publishes(persona, pmo, tree):
    draft = services.strategy_draft(user=pmo, title="Refresh")
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
    )
    draft.refresh_from_db()
    with pytest.raises(NotAllowed):
        services.strategy_publish(user=persona, strategy_id=draft.pk, version=draft.version)
    with pytest.raises(NotAllowed):
        services.strategy_discard(user=persona, strategy_id=draft.pk, version=draft.version)
    assert Objective.objects.get(code="A").local_weight == Decimal("1.00")
    assert StrategyVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_the_what_ifs_now_is_the_engines_own_index(pmo, portfolio):
    # given the engine's stored indices of today
    from alignment import services as alignment_services
    from alignment.models import PortfolioIndex

    alignment_services.recompute_and_render(today=TODAY)
    stored = PortfolioIndex.objects.get(scope="all", date=TODAY)
    draft = services.strategy_draft(user=pmo, title="Unchanged")

    # when the what-if of a draft is computed
    summary = compute_impact(draft, today=TODAY)

    # then its "now" is what the engine stored, and an unchanged draft moves nothing
    figures = (stored.alignment_index, stored.top_share, stored.misallocation, stored.coverage)
    assert None not in figures
    index, top_share, misallocation, coverage = (float(figure or 0) for figure in figures)
    assert summary["before"] == {
        "alignment_index": round(index, 2),
        "top_share": round(top_share, 4),
        "misallocation": round(misallocation, 4),
        "coverage": round(coverage, 4),
    }
    assert summary["after"] == summary["before"]
    assert (summary["gaining"], summary["losing"], StrategyImpact.objects.count()) == (0, 0, 0)


def test_a_what_if_overtaken_by_a_change_to_its_draft_stores_nothing(pmo, portfolio):
    # given a draft whose what-if is running
    draft = services.strategy_draft(user=pmo, title="Grow first")
    services.strategy_weights_set(
        user=pmo, strategy_id=draft.pk, version=draft.version, values=weights_of(draft, A=("3", "active"))
    )
    draft.refresh_from_db()

    def meanwhile(_percent: int, _message: str) -> None:
        # when someone changes the draft before the what-if is stored
        StrategyVersion.objects.filter(pk=draft.pk).update(version=draft.version + 1)

    summary = compute_impact(draft, today=TODAY, progress=meanwhile)

    # then it stores neither its initiatives nor its summary, and says it is stale
    assert summary["stale"] is True
    draft.refresh_from_db()
    assert (draft.impact, StrategyImpact.objects.filter(strategy=draft).count()) == ({}, 0)


def test_a_draft_started_at_the_same_moment_takes_the_next_number(pmo, tree, monkeypatch):
    # given another draft numbered 1 that appears between reading the last number and writing this one
    from django.db.models import QuerySet

    real_aggregate = QuerySet.aggregate
    calls: list[int] = []

    def late(self, *args, **kwargs):
        result = real_aggregate(self, *args, **kwargs)
        if not calls and self.model is StrategyVersion:
            calls.append(1)
            StrategyVersion.objects.create(number=1, title="Theirs", created_by=pmo)
        return result

    monkeypatch.setattr(QuerySet, "aggregate", late)

    # when a draft is started
    draft = services.strategy_draft(user=pmo, title="Mine")

    # then it takes number 2
    assert dict(StrategyVersion.objects.values_list("title", "number")) == {"Theirs": 1, "Mine": 2}
    assert draft.weights.count() == 3
