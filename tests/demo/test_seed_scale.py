"""seed_scale: a synthetic portfolio in fixed proportions, refused on top of real data unless --replace."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from demo.northwind import build_demo
from demo.scale import PortfolioNotEmpty, build_scale, clear_portfolio
from portfolio.models import (
    KPI,
    BusinessCase,
    Contribution,
    Initiative,
    Milestone,
    Objective,
    Program,
    Reading,
    ScopeChange,
)
from risk.models import Risk, TierPolicy
from tests.factories import InitiativeFactory

AS_OF = datetime.date(2026, 11, 21)

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    return {
        "programs": Program.objects.count(),
        "objectives": Objective.objects.count(),
        "KPIs": KPI.objects.count(),
        "readings": Reading.objects.count(),
        "initiatives": Initiative.objects.count(),
        "contributions": Contribution.objects.count(),
        "milestones": Milestone.objects.count(),
        "risks": Risk.objects.count(),
        "scope changes": ScopeChange.objects.count(),
        "business cases": BusinessCase.objects.count(),
    }


def test_build_scale_at_200_initiatives_creates_exact_proportional_counts():
    # when a portfolio of 200 initiatives is built
    counts = build_scale(initiatives=200, seed=1, as_of=AS_OF)
    # then every table holds its exact share, and the returned counts say so
    expected = {
        "programs": 5,
        "objectives": 12,
        "KPIs": 40,
        "readings": 1000,
        "initiatives": 200,
        "contributions": 600,
        "milestones": 400,
        "risks": 400,
        "scope changes": 100,
        "business cases": 200,
    }
    assert table_counts() == expected
    assert counts == {"users": 18, **expected}


def test_build_scale_objectives_form_a_three_level_tree():
    build_scale(initiatives=200, seed=1, as_of=AS_OF)
    themes = Objective.objects.filter(parent=None).count()
    middle = Objective.objects.filter(parent__isnull=False, parent__parent=None).count()
    leaves = Objective.objects.filter(parent__parent__isnull=False).count()
    assert (themes, middle, leaves) == (3, 3, 6)
    assert not Objective.objects.filter(parent__parent__parent__isnull=False).exists()


def test_build_scale_readings_are_quarterly_unique_and_never_in_the_future():
    build_scale(initiatives=200, seed=1, as_of=AS_OF)
    assert Reading.objects.values("kpi", "date").distinct().count() == 1000
    assert set(Reading.objects.values_list("kpi").annotate(n=Count("id")).values_list("n", flat=True)) == {25}
    assert max(Reading.objects.values_list("date", flat=True)) == datetime.date(2026, 9, 30)
    assert {date.month for date in Reading.objects.values_list("date", flat=True)} == {3, 6, 9, 12}
    assert not Reading.objects.filter(date__gt=AS_OF).exists()


def test_build_scale_mixes_contribution_strengths_over_unique_pairs():
    build_scale(initiatives=200, seed=1, as_of=AS_OF)
    assert Contribution.objects.values("initiative", "objective").distinct().count() == 600
    assert set(Contribution.objects.values_list("strength", flat=True)) == {
        "none",
        "weak",
        "moderate",
        "strong",
    }
    assert set(
        Contribution.objects.values("initiative").annotate(n=Count("id")).values_list("n", flat=True)
    ) == {3}


def test_build_scale_is_deterministic_for_a_seed(time_machine):
    # given a first build with seed 7, and the command's clock on the same day
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC))
    build_scale(initiatives=50, seed=7, as_of=AS_OF)
    first = list(Initiative.objects.values_list("code", "title", "stage", "budget_capex", "planned_start"))
    # when the command replaces it with the same seed
    call_command("seed_scale", "--initiatives", "50", "--seed", "7", "--replace", stdout=io.StringIO())
    # then the same initiatives come back
    assert (
        list(Initiative.objects.values_list("code", "title", "stage", "budget_capex", "planned_start"))
        == first
    )


def test_build_scale_dates_each_stage_as_loaded_data_is_dated():
    # when a portfolio is built (its rows never pass through Initiative.save)
    build_scale(initiatives=200, seed=3, as_of=AS_OF)
    # then every initiative entered its stage when its own dates say, never after the day of the build
    for initiative in Initiative.objects.all():
        inferred = initiative.inferred_stage_since()
        assert initiative.stage_since == (min(inferred, AS_OF) if inferred else AS_OF), initiative.code


def test_build_scale_on_postgresql_makes_as_many_queries_at_any_size(postgres):
    def queries_of_a_build(initiatives: int) -> int:
        clear_portfolio()
        with CaptureQueriesContext(connection) as context:
            build_scale(initiatives=initiatives, seed=1, as_of=AS_OF)
        return len(context.captured_queries)

    # given a first build, after which the scale accounts exist
    build_scale(initiatives=5, seed=1, as_of=AS_OF)
    # when builds of 20 and of 1,001 initiatives (5,005 readings, more than a batch) replace it, then both
    # make the same queries: COPY streams each table in one statement, the ids come in one query a table
    assert queries_of_a_build(20) == queries_of_a_build(1001)


def test_build_scale_on_postgresql_gives_back_every_foreign_key_it_loads_without(postgres):
    def foreign_keys() -> list[tuple[str, str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    # given the foreign keys of the schema
    before = foreign_keys()
    # when a portfolio is loaded (its tables' keys dropped for the load, then added back)
    build_scale(initiatives=30, seed=1, as_of=AS_OF)
    # then the same keys, with the same names and definitions, are in place and hold
    assert foreign_keys() == before
    assert any(name.startswith("portfolio_contributi") for _table, name, _definition in before)
    with pytest.raises(IntegrityError):
        point_a_contribution_at_a_missing_objective()


def point_a_contribution_at_a_missing_objective() -> None:
    with transaction.atomic():  # rolled back by the error
        Contribution.objects.filter(pk=Contribution.objects.earliest("pk").pk).update(objective_id=10**9)
        connection.check_constraints()


def test_build_scale_leaves_the_id_sequences_ahead_of_its_rows():
    # given a built portfolio
    build_scale(initiatives=30, seed=1, as_of=AS_OF)
    # when an initiative is then created the ordinary way
    added = InitiativeFactory(code="AFTER-01")
    # then it takes a new id after the loaded ones
    assert added.pk > max(Initiative.objects.exclude(pk=added.pk).values_list("pk", flat=True))


def test_build_scale_refuses_a_non_empty_portfolio():
    InitiativeFactory(code="KEEP-01")
    with pytest.raises(PortfolioNotEmpty, match="already holds 1 initiatives and 0 objectives"):
        build_scale(initiatives=10, as_of=AS_OF)
    assert list(Initiative.objects.values_list("code", flat=True)) == ["KEEP-01"]
    assert Objective.objects.count() == 0


def test_seed_scale_command_refuses_a_non_empty_portfolio_without_replace():
    # given a portfolio with one real initiative
    InitiativeFactory(code="KEEP-01")
    # when seed_scale runs without --replace
    with pytest.raises(CommandError, match="The portfolio is not empty"):
        call_command("seed_scale", "--initiatives", "20", stdout=io.StringIO())
    # then nothing was added or removed
    assert list(Initiative.objects.values_list("code", flat=True)) == ["KEEP-01"]
    assert table_counts()["objectives"] == 0
    assert not User.objects.filter(username__startswith="scale-").exists()


def test_seed_scale_command_with_replace_deletes_the_portfolio_and_keeps_users_groups_and_tier_policies():
    # given the demo portfolio with its accounts and history
    build_demo(as_of=AS_OF)
    users_before = set(User.objects.values_list("username", flat=True))
    # when seed_scale replaces it
    out = io.StringIO()
    call_command("seed_scale", "--initiatives", "20", "--replace", stdout=out)
    # then only the synthetic portfolio is left, without the demo's history; users, groups and policies stay
    assert table_counts() == {
        "programs": 5,
        "objectives": 12,
        "KPIs": 20,
        "readings": 100,
        "initiatives": 20,
        "contributions": 60,
        "milestones": 40,
        "risks": 40,
        "scope changes": 10,
        "business cases": 20,
    }
    assert not Initiative.objects.exclude(code__startswith="SC-").exists()
    assert Initiative.history.count() == 0
    assert Contribution.history.count() == 0
    assert users_before <= set(User.objects.values_list("username", flat=True))
    assert Group.objects.count() == 5
    assert list(TierPolicy.objects.values_list("tier", flat=True)) == [1, 2, 3]
    assert "Synthetic portfolio of 20 initiatives loaded in" in out.getvalue()
    assert "  20 initiatives" in out.getvalue()


def test_seed_scale_command_rejects_zero_initiatives():
    with pytest.raises(CommandError, match="--initiatives must be at least 1."):
        call_command("seed_scale", "--initiatives", "0", stdout=io.StringIO())
    assert Initiative.objects.count() == 0
