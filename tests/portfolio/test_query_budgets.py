"""Query budgets of the portfolio pages: the count does not grow with the data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio import selectors
from portfolio.models import KPI, Milestone, Objective
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
)
from tests.portfolio.utils import form_data, version_in

pytestmark = pytest.mark.django_db

D = datetime.date
REGISTER = "/initiatives/"


def _count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_initiatives(start: int, stop: int, program: Any, objective: Any, sponsor: Any) -> None:
    for n in range(start, stop):
        initiative = InitiativeFactory(code=f"Q-{n:03d}", program=program, sponsor=sponsor)
        ContributionFactory(initiative=initiative, objective=objective)


def test_register_query_count_does_not_grow_with_the_data(
    logged_in, executive, django_assert_max_num_queries
):
    # given
    program = ProgramFactory()
    objective = ObjectiveFactory()
    _add_initiatives(0, 5, program, objective, executive)
    small = _count_queries(logged_in, REGISTER)

    # when
    _add_initiatives(5, 60, program, objective, executive)
    large = _count_queries(logged_in, REGISTER)

    # then
    assert small == large
    with django_assert_max_num_queries(12):
        logged_in.get(REGISTER, {"q": "Q-0", "sort": "-budget", "per_page": "100"})


def _fill_initiative(initiative: Any, objectives: list[Any], n: int, offset: int) -> None:
    for i in range(offset, offset + n):
        MilestoneFactory(initiative=initiative, name=f"Milestone {i}")
        RiskFactory(initiative=initiative, title=f"Risk {i}")
        ScopeChangeFactory(
            initiative=initiative,
            description=f"Change {i}",
            approved_by=initiative.sponsor,
            status="approved",
        )
        CheckpointReviewFactory(initiative=initiative, rationale=f"Review {i}")
        ContributionFactory(initiative=initiative, objective=objectives[i])


def test_initiative_page_query_count_does_not_grow_with_its_records(
    logged_in, initiative, pmo, django_assert_max_num_queries
):
    # given
    objectives = [ObjectiveFactory() for _ in range(60)]
    ArtefactFactory(initiative=initiative)
    _fill_initiative(initiative, objectives, 5, 0)
    url = reverse("portfolio:initiative-detail", args=[initiative.pk])
    small = _count_queries(logged_in, url)

    # when
    _fill_initiative(initiative, objectives, 55, 5)
    for n in range(10):
        Milestone.objects.filter(initiative=initiative, name=f"Milestone {n}").update(name=f"Milestone {n}!")
    large = _count_queries(logged_in, url)

    # then
    assert small == large
    # a fixed budget: the sections of every app included (intake added its proposal and policy, events its
    # watch button, capacity its effort estimates and the teams to choose from; benefits its lines with their
    # plans, and the two history tables of plans and quarters; the header its current status, from the score)
    with django_assert_max_num_queries(43):
        logged_in.get(url)


def test_objective_tree_query_count_does_not_grow_with_the_data(logged_in, django_assert_max_num_queries):
    # given
    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            theme = ObjectiveFactory(code=f"T{n}", title=f"Theme {n}")
            objective = ObjectiveFactory(code=f"O{n}", title=f"Objective {n}", parent=theme)
            kpi = KPIFactory(objective=objective)
            ReadingFactory(kpi=kpi)
            ContributionFactory(objective=objective)

    grow(0, 5)
    small = _count_queries(logged_in, reverse("portfolio:objective-list"))

    # when
    grow(5, 60)
    large = _count_queries(logged_in, reverse("portfolio:objective-list"))

    # then
    assert small == large
    assert KPI.objects.count() == 60
    with django_assert_max_num_queries(8):
        logged_in.get(reverse("portfolio:objective-list"))


def _tree(first: int, themes: int, objectives: int, subs: int) -> None:
    """Themes numbered from `first`, each with objectives (a KPI with a reading, a contribution) and subs."""
    for t in range(first, first + themes):
        theme = ObjectiveFactory(code=f"T{t}", title=f"Theme {t}")
        for o in range(objectives):
            objective = ObjectiveFactory(code=f"O{t}.{o}", title=f"Objective {t}.{o}", parent=theme)
            ReadingFactory(kpi=KPIFactory(objective=objective))
            ContributionFactory(objective=objective)
            for n in range(subs):
                ObjectiveFactory(code=f"S{t}.{o}.{n}", title=f"Sub {t}.{o}.{n}", parent=objective)


def test_objective_tree_query_count_is_the_same_whole_folded_or_paged(logged_in, monkeypatch):
    # given: a tree of 6 objectives, shown whole under a limit of 10
    monkeypatch.setattr(selectors, "TREE_LIMIT", 10)
    _tree(0, 2, 1, 1)
    tree = reverse("portfolio:objective-list")
    whole = _count_queries(logged_in, tree)

    # when: 22 more: of 28, the top two levels (8) are shown; a branch; the themes paged 3 at a time
    _tree(2, 2, 2, 4)
    folded = _count_queries(logged_in, tree)
    branch = _count_queries(logged_in, f"{tree}?root={Objective.objects.get(code='T2').pk}")
    monkeypatch.setattr(selectors, "TREE_LIMIT", 3)
    paged = _count_queries(logged_in, f"{tree}?page=2")

    # then
    assert Objective.objects.count() == 28
    assert whole == folded == paged == 7
    assert branch == 8  # and the objective at the root of the branch


def test_objective_page_query_count_does_not_grow_with_the_data(logged_in, executive):
    # given: an objective with 2 KPIs, 2 sub-objectives and 2 contributions
    theme = ObjectiveFactory(code="T1", title="Theme")
    objective = ObjectiveFactory(code="O1", title="Objective", parent=theme)

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            ReadingFactory(kpi=KPIFactory(objective=objective, name=f"KPI {n}"))
            ObjectiveFactory(code=f"S{n}", title=f"Sub {n}", parent=objective)
            initiative = InitiativeFactory(code=f"Q-{n:03d}", sponsor=executive)
            ContributionFactory(initiative=initiative, objective=objective)

    grow(0, 2)
    url = reverse("portfolio:objective-detail", args=[objective.pk])
    small = _count_queries(logged_in, url)

    # when: 60 of each, more than every list shows
    grow(2, 60)
    large = _count_queries(logged_in, url)

    # then
    assert small == large == 16  # events' watch button: one query


def test_stale_record_edit_in_the_browser_shows_the_new_version(logged_in, initiative, manager):
    # given: the PMO opened the milestone form, then the manager moved the forecast
    from portfolio import services
    from portfolio.forms import MilestoneForm

    milestone = MilestoneFactory(initiative=initiative, name="Pilot")
    url = reverse("portfolio:record-edit", args=["milestones", milestone.pk])
    opened = logged_in.get(url).content.decode()
    assert version_in(opened) == 1
    services.milestone_update(
        user=manager, milestone_id=milestone.pk, version=1, data={"forecast_date": D(2026, 8, 1)}
    )

    # when
    response = logged_in.post(url, form_data(MilestoneForm(instance=milestone), name="Pilot (all stores)"))

    # then
    page = response.content.decode()
    assert response.status_code == 409
    assert "<tr><td>Forecast date</td><td>—</td><td><strong>2026-08-01</strong></td></tr>" in page
    assert "<tr><td>Name</td><td>Pilot (all stores)</td><td><strong>Pilot</strong></td></tr>" in page
    assert version_in(page) == 2
    assert Milestone.objects.get(pk=milestone.pk).name == "Pilot"
