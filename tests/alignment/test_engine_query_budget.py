"""The number of queries of a full recompute does not grow with the portfolio."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment import services
from alignment.models import PortfolioIndex, Signal
from core.stages import Stage
from portfolio.models import BenefitPeriod, BenefitPlan, BusinessCase, BusinessCaseLine, InterimTarget
from steering.models import RAG
from tests.alignment.engine_support import TODAY, D, delete_computed_rows
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]


def build_portfolio(
    count: int, objectives: list[Any], kpis: list[Any], people: list[Any], programs: list[Any]
) -> None:
    """`count` initiatives with every kind of record the engine reads."""
    for n in range(count):
        initiative = InitiativeFactory(
            program=programs[n % len(programs)],
            sponsor=people[n % len(people)],
            manager=people[(n + 1) % len(people)],
            stage=[Stage.IN_DELIVERY, Stage.APPROVED, Stage.LIVE, Stage.PROPOSED][n % 4],
            go_live_date=D(2026, 6, 1),
            forecast_cost=Decimal("130000"),
        )
        ContributionFactory(
            initiative=initiative,
            objective=objectives[n % 3],
            strength="strong",
            kpi=kpis[n % 3],
            expected_change=Decimal("4"),
        )
        ContributionFactory(initiative=initiative, objective=objectives[3 + n % 2], strength="weak")
        MilestoneFactory(initiative=initiative, baseline_date=D(2026, 5, 1), actual_date=D(2026, 5, 20))
        MilestoneFactory(initiative=initiative, baseline_date=D(2026, 12, 1), forecast_date=D(2027, 1, 10))
        for held_on in (D(2026, 6, 1), D(2026, 9, 1)):
            review = CheckpointReviewFactory(initiative=initiative, held_on=held_on, rag_scope=RAG.AMBER)
            review.attendees.set(people[:2])
        RiskFactory(initiative=initiative, probability=4, impact=4, mitigation="")
        ArtefactFactory(initiative=initiative)
        ScopeChangeFactory(initiative=initiative, date=D(2026, 10, 1), rationale="")
        add_benefit_lines(initiative, n, kpis[n % 3])


def add_benefit_lines(initiative: Any, n: int, kpi: Any) -> None:
    """A business case with a benefit line: planned (entered or derived from the KPI its contribution names,
    behind plan) on most initiatives, unplanned on every fifth."""
    case = BusinessCase.objects.create(initiative=initiative, first_year=2026)
    line = BusinessCaseLine.objects.create(case=case, position=0, kind="cost_saving", label=f"Saving {n}")
    if n % 5 == 4:
        return
    derived = n % 2 == 0
    plan = BenefitPlan.objects.create(line=line, kpi=kpi, source="derived" if derived else "entered")
    BenefitPeriod.objects.bulk_create(
        BenefitPeriod(
            plan=plan,
            year=2026,
            quarter=quarter,
            expected=Decimal("10000"),
            actual=None if derived or quarter == 4 else Decimal("4000"),
        )
        for quarter in (1, 2, 3, 4)
    )


def full_recompute_queries() -> int:
    delete_computed_rows()
    with CaptureQueriesContext(connection) as queries:
        services.recompute(today=TODAY)
    return len(queries)


def test_the_number_of_queries_of_a_full_recompute_does_not_grow_with_the_portfolio():
    # given: a tree, KPIs with readings and interim targets, and five initiatives
    theme = ObjectiveFactory(code="TH", title="Theme")
    other = ObjectiveFactory(code="TX", title="Other theme")
    objectives = [ObjectiveFactory(parent=theme) for _ in range(3)] + [
        ObjectiveFactory(parent=other) for _ in range(2)
    ]
    kpis = [KPIFactory(objective=o) for o in objectives[:3]]
    for kpi in kpis:
        for month in (2, 4, 6, 8):
            ReadingFactory(kpi=kpi, date=D(2026, month, 1), value=Decimal(10 + month))
        InterimTarget.objects.create(kpi=kpi, date=D(2026, 6, 30), value=Decimal("14"))
    people = [UserFactory() for _ in range(3)]
    programs = [ProgramFactory(), ProgramFactory()]
    build_portfolio(5, objectives, kpis, people, programs)

    # when
    small = full_recompute_queries()
    build_portfolio(35, objectives, kpis, people, programs)
    large = full_recompute_queries()

    # then
    assert Signal.objects.filter(initiative__isnull=False).count() > 40
    assert PortfolioIndex.objects.count() == 3
    assert small == large
    assert set(Signal.objects.values_list("rule", flat=True)) >= {
        "benefits_behind_plan",
        "live_no_benefit_actuals",
        "sponsor_overpromised",
    }
    # one of them reads the programs' closed leadership surveys, one the capacity teams; one or two are the
    # events': the events recorded, in one statement, and the stored scores before (for the moves; not read
    # here, where every score is a first, as after delete_computed_rows); five the
    # benefit plans of live and closed initiatives (plans, quarters, claims, readings, unplanned lines)
    assert large <= 39


def one_initiative_queries(pk: int) -> int:
    """The queries of a recompute of one initiative whose rows are up to date (its reads, no writes)."""
    services.recompute(initiative_ids=[pk], today=TODAY)
    with CaptureQueriesContext(connection) as queries:
        services.recompute(initiative_ids=[pk], today=TODAY)
    return len(queries)


def test_the_number_of_queries_of_a_one_initiative_recompute_does_not_grow_with_the_sponsors_record():
    # given: a proposal whose sponsor has live initiatives with benefit plans, few and then many
    theme = ObjectiveFactory(code="TH", title="Theme")
    objectives = [ObjectiveFactory(parent=theme) for _ in range(5)]
    kpis = [KPIFactory(objective=o) for o in objectives[:3]]
    for kpi in kpis:
        ReadingFactory(kpi=kpi, date=D(2026, 8, 1), value=Decimal("11"))
    people = [UserFactory()]
    programs = [ProgramFactory()]
    proposal = InitiativeFactory(stage=Stage.PROPOSED, sponsor=people[0])
    build_portfolio(4, objectives, kpis, people, programs)

    # when
    small = one_initiative_queries(proposal.pk)
    build_portfolio(24, objectives, kpis, people, programs)
    large = one_initiative_queries(proposal.pk)

    # then
    assert Signal.objects.filter(initiative=proposal, rule="sponsor_overpromised").exists()
    assert small == large
