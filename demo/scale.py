"""A synthetic portfolio of any size, bulk-inserted for benchmarks (`manage.py seed_scale`).

Proportions per N initiatives: N/50 objectives (at least 12) in a three-level tree, 3N contributions, N/5 KPIs
(at least 20), 5N quarterly readings, 2N risks, 2N milestones, N/2 scope changes and N/200 programs (at
least 5). The rows are drawn as plain tuples, without model instances or history, and go in with COPY on
PostgreSQL (the ids of the rows that others point at taken from each table's sequence in one query, and the
loaded tables' foreign keys added back after the load, which checks each in one join) and with
`bulk_create` in batches elsewhere. Both paths draw the same random numbers in the same order, so a seed
gives the same rows on every database. Each initiative's `stage_since` is worked out as its row is drawn.
On PostgreSQL the number of queries does not depend on N; with `bulk_create` it grows only with the batch
count.

On a 2-core machine with PostgreSQL 15, `seed_scale --initiatives 100000` (about 1.4 million rows) takes
17 to 25 s as the command reports it (up to 40 s while other jobs load the machine) and 10,000 initiatives
2 to 4 s.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, models, transaction

from core import roles
from core.bulk import copy_in
from core.errors import ApplicationError
from core.stages import Stage
from demo.northwind import add_months, month_end, quarter_end_on_or_before, shift_quarters
from portfolio.models import (
    KPI,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Category,
    Contribution,
    Direction,
    Initiative,
    Milestone,
    Objective,
    ObjectiveStatus,
    Program,
    Reading,
    ScopeChange,
    ScopeChangeStatus,
    Strength,
)
from portfolio.models.initiatives import stage_since_from_dates
from portfolio.services.business_cases import Seed, business_cases_seed
from risk.models import Risk, RiskCategory, RiskStatus, TierPolicy

BATCH_SIZE = 5000
SPONSORS = 6
MANAGERS = 12

STAGE_WEIGHTS = {
    Stage.IDEA: 5,
    Stage.PROPOSED: 7,
    Stage.APPROVED: 13,
    Stage.IN_DELIVERY: 40,
    Stage.LIVE: 30,
    Stage.CLOSED: 3,
    Stage.CANCELLED: 2,
}
CATEGORY_WEIGHTS = {Category.RUN: 35, Category.GROW: 40, Category.TRANSFORM: 25}
STRENGTH_WEIGHTS = {Strength.NONE: 5, Strength.WEAK: 30, Strength.MODERATE: 40, Strength.STRONG: 25}

AREAS = (
    "checkout",
    "store operations",
    "supply chain",
    "loyalty",
    "data platform",
    "security",
    "pricing",
    "customer service",
    "logistics",
    "finance",
    "workforce",
    "e-commerce",
    "marketing",
    "infrastructure",
)
ACTIONS = (
    "Modernise",
    "Automate",
    "Consolidate",
    "Replace",
    "Extend",
    "Migrate",
    "Optimise",
    "Standardise",
    "Pilot",
)
UNITS = (
    ("%", Direction.INCREASE),
    ("EUR", Direction.DECREASE),
    ("days", Direction.DECREASE),
    ("NPS points", Direction.INCREASE),
    ("minutes", Direction.DECREASE),
)


class PortfolioNotEmpty(ApplicationError):
    """The scale data would mix with an existing portfolio; clear it first (seed_scale --replace)."""


def portfolio_size() -> int:
    """How many initiatives and objectives the portfolio holds (0 means there is nothing to mix with)."""
    return Initiative.objects.count() + Objective.objects.count()


def clear_portfolio() -> None:
    """Delete every portfolio, risk and steering record and its history; users, groups and tier policies stay.

    Plain DELETE statements rather than `QuerySet.delete()`: the ORM would load every row and write a
    deletion history entry for each. Rows of other apps that point at the portfolio (computed scores and
    signals) are deleted first, or detached where their foreign key is SET_NULL.
    """
    keep = {TierPolicy, TierPolicy.history.model}  # type: ignore[attr-defined]
    doomed = [
        model
        for label in ("portfolio", "risk", "steering")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model not in keep
    ]
    doomed_set = set(doomed)
    with transaction.atomic():
        for model in doomed:
            for relation in model._meta.related_objects:
                other = relation.related_model
                if other in doomed_set or not isinstance(other, type):
                    continue
                if isinstance(relation, models.ManyToManyRel):
                    if relation.through is not None:
                        relation.through._base_manager.all().delete()
                    continue
                name = relation.field.name
                pointing = other._base_manager.filter(**{f"{name}__isnull": False})
                if relation.on_delete is models.SET_NULL:
                    pointing.update(**{name: None})
                else:
                    pointing.delete()
        # Foreign keys are checked at commit (deferred), so the order of the deletes does not matter.
        with connection.cursor() as cursor:
            for model in doomed:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def build_scale(*, initiatives: int, seed: int = 1, as_of: datetime.date) -> dict[str, int]:
    """Bulk-insert a synthetic portfolio of `initiatives` initiatives dated `as_of`; returns the row counts.

    Refuses (PortfolioNotEmpty) when the portfolio already holds initiatives or objectives.
    """
    if initiatives < 1:
        raise ApplicationError("Ask for at least one initiative.")
    with transaction.atomic():
        existing = portfolio_size()
        if existing:
            raise PortfolioNotEmpty(
                f"The portfolio already holds {Initiative.objects.count()} initiatives and "
                f"{Objective.objects.count()} objectives; clear it first."
            )
        return _ScaleBuilder(n=initiatives, rng=random.Random(seed), as_of=as_of).build()


def _pick(rng: random.Random, weights: dict[Any, int], k: int) -> list[Any]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


Row = tuple[Any, ...]


class _Writer:
    """Where the builder's rows go: COPY on PostgreSQL, `bulk_create` in batches elsewhere (SQLite).

    Rows are plain tuples in the order of the columns named with them (attribute names, such as
    `owner_id`); the columns left out get their model default, and `created_at`/`updated_at` the time of
    the load. Both paths store the same rows.
    """

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"

    @contextlib.contextmanager
    def foreign_keys_checked_once(self, tables: Sequence[type[models.Model]]) -> Iterator[None]:
        """On PostgreSQL, load `tables` without their foreign keys and add the keys back afterwards.

        A row-by-row load queues one check per foreign key and row for the commit (about three million at
        100,000 initiatives, some 15 s); adding a key back checks the whole table in one join. This is the
        PostgreSQL manual's advice for populating a database. The keys come back with their own names and
        definitions; if the load fails, the rollback restores them. The tables stay locked until the end of
        the transaction.
        """
        if not self.copy:
            yield
            return
        names = [model._meta.db_table for model in tables]
        quote = connection.ops.quote_name
        # An ALTER TABLE refuses a table with checks still pending (from clear_portfolio's deletes): run them.
        connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [names],
            )
            keys = cursor.fetchall()
            for table, name, _definition in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        yield
        with connection.cursor() as cursor:
            for table, name, definition in keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")

    def parents(self, model: type[models.Model], columns: Sequence[str], rows: list[Row]) -> list[int]:
        """Insert rows that others point at; returns their ids, in the order of the rows."""
        if not self.copy:
            created = model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH_SIZE
            )
            return [instance.pk for instance in created]
        # The ids come from the table's own sequence, in one query, so that the rows can carry them.
        pk = model._meta.pk
        assert pk is not None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(rows)],
            )
            ids = sorted(id_ for (id_,) in cursor.fetchall())
        self._copy(model, [pk.attname, *columns], ((id_, *row) for id_, row in zip(ids, rows, strict=True)))
        return ids

    def children(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Row]) -> int:
        """Insert rows that nothing points at (their ids are left to the database); returns how many."""
        if self.copy:
            return self._copy(model, columns, rows)
        count = 0
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, BATCH_SIZE)):
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in batch]
            )
            count += len(batch)
        return count

    def _copy(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Row]) -> int:
        fields = {field.attname: field for field in model._meta.concrete_fields}
        rest = [
            field
            for name, field in fields.items()
            # generated columns: the database computes those
            if name not in columns and not field.primary_key and not field.generated
        ]
        template = model()
        # pre_save gives the default, or the current time for auto_now fields, as a save would.
        fixed = tuple(
            field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in rest
        )
        quote = connection.ops.quote_name
        names = ", ".join(quote(field.column) for field in [*(fields[name] for name in columns), *rest])
        statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
        with connection.cursor() as cursor:
            return copy_in(cursor, statement, (row + fixed for row in rows))


PROGRAM_COLUMNS = ("name", "owner_id")
OBJECTIVE_COLUMNS = (
    "parent_id",
    "code",
    "title",
    "owner_id",
    "horizon_start",
    "horizon_end",
    "status",
    "local_weight",
)
KPI_COLUMNS = (
    "objective_id",
    "name",
    "unit",
    "direction",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
)
READING_COLUMNS = ("kpi_id", "date", "value", "source")
INITIATIVE_COLUMNS = (
    "code",
    "title",
    "description",
    "sponsor_id",
    "manager_id",
    "program_id",
    "category",
    "stage",
    "stage_since",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "budget_capex",
    "budget_opex",
    "actual_cost",
    "forecast_cost",
    "requirements_clarity",
    "criticality",
    "sustainment_owner_id",
    "go_live_date",
)
CONTRIBUTION_COLUMNS = ("initiative_id", "objective_id", "strength", "rationale", "kpi_id", "expected_change")
MILESTONE_COLUMNS = ("initiative_id", "name", "baseline_date", "actual_date", "forecast_date")
RISK_COLUMNS = (
    "initiative_id",
    "title",
    "category",
    "probability",
    "impact",
    "owner_id",
    "mitigation",
    "status",
    "review_date",
)
SCOPE_CHANGE_COLUMNS = (
    "initiative_id",
    "date",
    "description",
    "rationale",
    "cost_impact",
    "schedule_impact_days",
    "status",
    "approved_by_id",
)


class _Initiative(NamedTuple):
    """What the rows that hang off an initiative need from it."""

    pk: int
    code: str
    title: str
    stage: str
    planned_start: datetime.date
    planned_end: datetime.date
    sponsor_id: int


class _ScaleBuilder:
    """Draws the rows from one random generator, table after table, always in the same order: the same
    seed gives the same portfolio on every database."""

    def __init__(self, *, n: int, rng: random.Random, as_of: datetime.date) -> None:
        self.n = n
        self.rng = rng
        self.as_of = as_of
        self.counts: dict[str, int] = {}
        self.writer = _Writer()

    def build(self) -> dict[str, int]:
        self._users()
        loaded: list[type[models.Model]] = [
            Program,
            Objective,
            KPI,
            Reading,
            Initiative,
            Contribution,
            Milestone,
        ]
        loaded += [Risk, ScopeChange]
        loaded += [BusinessCase, BusinessCaseLine, BusinessCaseAmount]
        with self.writer.foreign_keys_checked_once(loaded):
            self._programs()
            self._objectives()
            self._kpis_and_readings()
            self._initiatives()
            self._contributions()
            self._milestones()
            self._risks()
            self._scope_changes()
        return self.counts

    def _users(self) -> None:
        """A handful of sponsors and managers, reused when the scale data is replaced."""
        wanted = {f"scale-sponsor-{i:02d}": roles.EXECUTIVE for i in range(1, SPONSORS + 1)}
        wanted |= {f"scale-manager-{i:02d}": roles.MANAGER for i in range(1, MANAGERS + 1)}
        existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        unusable = make_password(None)
        User.objects.bulk_create(
            User(
                username=name,
                first_name=name.split("-")[1].title(),
                last_name=name.split("-")[2],
                password=unusable,
            )
            for name in wanted
            if name not in existing
        )
        users = {user.username: user for user in User.objects.filter(username__in=wanted)}
        groups = {group.name: group for group in Group.objects.filter(name__in=set(wanted.values()))}
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=users[name].pk, group_id=groups[role].pk) for name, role in wanted.items()],
            ignore_conflicts=True,
        )
        self.sponsor_ids = [users[name].pk for name, role in wanted.items() if role == roles.EXECUTIVE]
        self.manager_ids = [users[name].pk for name, role in wanted.items() if role == roles.MANAGER]
        self.counts["users"] = len(users)

    def _programs(self) -> None:
        count = max(5, self.n // 200)
        rows = [(f"Program {i:04d}", self.rng.choice(self.sponsor_ids)) for i in range(1, count + 1)]
        self.program_ids = self.writer.parents(Program, PROGRAM_COLUMNS, rows)
        self.counts["programs"] = len(rows)

    def _objectives(self) -> None:
        """A three-level tree: themes, objectives under them, sub-objectives under those."""
        total = max(12, self.n // 50)
        themes = max(3, total // 25)
        middle = (total - themes) // 3
        leaves = total - themes - middle
        horizon_start = self.as_of.replace(month=1, day=1)
        horizon_end = datetime.date(self.as_of.year + 3, 12, 31)
        rng = self.rng

        def level(count: int, parents: list[int] | None, prefix: str) -> list[int]:
            rows = []
            for i in range(count):
                parent = parents[i % len(parents)] if parents else None
                title = f"{rng.choice(ACTIONS)} {rng.choice(AREAS)} ({prefix}{i + 1})"
                owner = rng.choice(self.sponsor_ids)
                retired = parent is not None and rng.random() < 0.03
                rows.append(
                    (
                        parent,
                        f"{prefix}{i + 1:04d}",
                        title,
                        owner,
                        horizon_start,
                        horizon_end,
                        ObjectiveStatus.RETIRED if retired else ObjectiveStatus.ACTIVE,
                        Decimal(rng.randint(1, 100)),
                    )
                )
            return self.writer.parents(Objective, OBJECTIVE_COLUMNS, rows)

        top = level(themes, None, "ST")
        mid = level(middle, top, "SO")
        low = level(leaves, mid, "SS")
        self.counts["objectives"] = themes + middle + leaves
        self.objective_ids = top + mid + low
        self.kpi_objective_ids = mid + low

    def _kpis_and_readings(self) -> None:
        kpi_count = max(20, self.n // 5)
        reading_count = 5 * self.n
        per_kpi, extra = divmod(reading_count, kpi_count)
        deepest = per_kpi + (1 if extra else 0)
        latest = quarter_end_on_or_before(self.as_of)
        baseline_date = shift_quarters(latest, -deepest)
        target_date = shift_quarters(latest, 6)
        rng = self.rng
        kpis = []
        for i in range(kpi_count):
            unit, direction = UNITS[i % len(UNITS)]
            baseline = Decimal(rng.randint(50, 500))
            change = Decimal(rng.randint(5, 40))
            target = baseline + change if direction == Direction.INCREASE else baseline - change
            objective_id = self.kpi_objective_ids[i % len(self.kpi_objective_ids)]
            kpis.append(
                (
                    objective_id,
                    f"KPI {i + 1:05d}",
                    unit,
                    direction,
                    baseline,
                    baseline_date,
                    target,
                    target_date,
                )
            )
        kpi_ids = self.writer.parents(KPI, KPI_COLUMNS, kpis)
        self.counts["KPIs"] = len(kpis)
        self.kpis_by_objective: dict[int, list[int]] = {}
        for kpi, kpi_id in zip(kpis, kpi_ids, strict=True):
            self.kpis_by_objective.setdefault(kpi[0], []).append(kpi_id)
        quarters = [shift_quarters(latest, -quarter) for quarter in range(deepest)]
        uniform = rng.uniform

        def readings() -> Iterator[Row]:
            for index, (kpi, kpi_id) in enumerate(zip(kpis, kpi_ids, strict=True)):
                baseline, target = kpi[4], kpi[6]
                count = per_kpi + (1 if index < extra else 0)
                step = (target - baseline) / Decimal(deepest + 6)
                value = baseline
                for quarter in range(count - 1, -1, -1):
                    value += step * Decimal(uniform(-0.5, 1.8))
                    yield (kpi_id, quarters[quarter], round(value, 2), "Synthetic")

        self.counts["readings"] = self.writer.children(Reading, READING_COLUMNS, readings())

    def _initiatives(self) -> None:
        rng = self.rng
        randint, choice, random_, uniform = rng.randint, rng.choice, rng.random, rng.uniform
        as_of = self.as_of
        stages = _pick(rng, STAGE_WEIGHTS, self.n)
        categories = _pick(rng, CATEGORY_WEIGHTS, self.n)
        month = as_of.replace(day=1)
        not_started = (Stage.IDEA, Stage.PROPOSED, Stage.APPROVED)
        started = (Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED, Stage.CANCELLED)
        planned_go_live = (Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED)
        spent_share = {Stage.IN_DELIVERY: 0.5, Stage.LIVE: 0.95, Stage.CLOSED: 1.0, Stage.CANCELLED: 0.3}
        day_after = as_of + datetime.timedelta(days=1)
        rows = []
        benefits: list[Decimal] = []
        for i in range(self.n):
            stage = stages[i]
            months = randint(3, 30)
            if stage in not_started:
                start = add_months(month, randint(1, 12))
            elif stage == Stage.IN_DELIVERY:
                start = add_months(month, -randint(1, months))
            else:
                start = add_months(month, -months - randint(1, 24))
            end = month_end(add_months(start, months - 1))
            actual_start = start if stage in started else None
            go_live = end if stage in planned_go_live else None
            if go_live and stage == Stage.IN_DELIVERY:
                go_live = max(go_live, day_after)
            if go_live and stage in (Stage.LIVE, Stage.CLOSED):
                go_live = min(go_live, as_of)
            actual_end = go_live if stage == Stage.CLOSED else None
            if stage == Stage.CANCELLED:
                actual_end = min(end, as_of)
            capex = Decimal(randint(10, 3000) * 1000)
            opex = Decimal(randint(5, 800) * 1000)
            actual = Decimal(round(float(capex + opex) * spent_share.get(stage, 0.0) * uniform(0.6, 1.3), -2))
            # Keep the draws in this order: the same seed must keep giving the same portfolio.
            title = f"{choice(ACTIONS)} {choice(AREAS)} {i + 1}"
            sponsor = choice(self.sponsor_ids)
            manager = choice(self.manager_ids)
            program = choice(self.program_ids) if random_() < 0.8 else None
            forecast = (
                None
                if stage in (Stage.IDEA, Stage.PROPOSED)
                else max(actual, Decimal(round(float(capex + opex) * uniform(0.9, 1.4), -2)))
            )
            benefits.append(Decimal(randint(0, 4000) * 1000))  # seeds the business case
            clarity = randint(1, 5)
            criticality = randint(1, 5)
            sustainment_owner = choice(self.manager_ids) if random_() < 0.7 else None
            since = stage_since_from_dates(
                stage,
                planned_start=start,
                actual_start=actual_start,
                actual_end=actual_end,
                go_live_date=go_live,
            )
            rows.append(
                (
                    f"SC-{i + 1:06d}",
                    title,
                    "Synthetic initiative for benchmarks.",
                    sponsor,
                    manager,
                    program,
                    categories[i],
                    stage,
                    min(since, as_of) if since else as_of,
                    start,
                    end,
                    actual_start,
                    actual_end,
                    capex,
                    opex,
                    actual,
                    forecast,
                    clarity,
                    criticality,
                    sustainment_owner,
                    go_live,
                )
            )
        ids = self.writer.parents(Initiative, INITIATIVE_COLUMNS, rows)
        self.initiatives = [
            _Initiative(pk, row[0], row[1], row[7], row[9], row[10], row[3])
            for pk, row in zip(ids, rows, strict=True)
        ]
        self.counts["initiatives"] = len(rows)
        self.counts["business cases"] = business_cases_seed(
            [
                Seed(pk, row[9].year, row[10], row[20], row[13], row[14], benefit)
                for pk, row, benefit in zip(ids, rows, benefits, strict=True)
            ]
        )

    def _contributions(self) -> None:
        rng = self.rng

        def rows() -> Iterator[Row]:
            for initiative in self.initiatives:
                strengths = _pick(rng, STRENGTH_WEIGHTS, 3)
                for objective_id, strength in zip(rng.sample(self.objective_ids, 3), strengths, strict=True):
                    kpis = self.kpis_by_objective.get(objective_id)
                    kpi = rng.choice(kpis) if kpis and rng.random() < 0.4 else None
                    rationale = f"{initiative.title} improves {rng.choice(AREAS)} for this objective."
                    change = Decimal(rng.randint(1, 10)) if kpi else None
                    yield (initiative.pk, objective_id, strength, rationale, kpi, change)

        self.counts["contributions"] = self.writer.children(Contribution, CONTRIBUTION_COLUMNS, rows())

    def _milestones(self) -> None:
        choice = self.rng.choice
        slips = [datetime.timedelta(days=days) for days in (-5, 0, 0, 10, 30, 60)]
        as_of = self.as_of

        def rows() -> Iterator[Row]:
            for initiative in self.initiatives:
                start, end = initiative.planned_start, initiative.planned_end
                middle = start + datetime.timedelta(days=(end - start).days // 2)
                for name, baseline in (("Design sign-off", middle), ("Go-live", end)):
                    expected = baseline + choice(slips)
                    done = expected <= as_of and initiative.stage != Stage.CANCELLED
                    yield (
                        initiative.pk,
                        name,
                        baseline,
                        expected if done else None,
                        None if done else expected,
                    )

        self.counts["milestones"] = self.writer.children(Milestone, MILESTONE_COLUMNS, rows())

    def _risks(self) -> None:
        categories = list(RiskCategory.values)
        statuses = [
            RiskStatus.OPEN,
            RiskStatus.OPEN,
            RiskStatus.MITIGATING,
            RiskStatus.ACCEPTED,
            RiskStatus.CLOSED,
        ]
        rng = self.rng
        choice, randint, random_ = rng.choice, rng.randint, rng.random
        as_of = self.as_of

        def rows() -> Iterator[Row]:
            for initiative in self.initiatives:
                for number in (1, 2):
                    category = choice(categories)
                    probability = randint(1, 5)
                    impact = randint(1, 5)
                    owner = choice(self.manager_ids)
                    mitigation = "Weekly review with the supplier." if random_() < 0.8 else ""
                    status = choice(statuses)
                    review = as_of + datetime.timedelta(days=randint(1, 90))
                    title = f"Risk {number} of {initiative.code}"
                    yield (
                        initiative.pk,
                        title,
                        category,
                        probability,
                        impact,
                        owner,
                        mitigation,
                        status,
                        review,
                    )

        self.counts["risks"] = self.writer.children(Risk, RISK_COLUMNS, rows())

    def _scope_changes(self) -> None:
        statuses = [
            ScopeChangeStatus.PENDING,
            ScopeChangeStatus.APPROVED,
            ScopeChangeStatus.APPROVED,
            ScopeChangeStatus.REJECTED,
        ]
        rng = self.rng
        as_of = self.as_of

        def rows() -> Iterator[Row]:
            for _ in range(self.n // 2):
                initiative = rng.choice(self.initiatives)
                status = rng.choice(statuses)
                yield (
                    initiative.pk,
                    as_of - datetime.timedelta(days=rng.randint(0, 365)),
                    "Add a feature requested by the business.",
                    "Requested by the sponsor." if rng.random() < 0.7 else "",
                    Decimal(rng.randint(-20, 100) * 1000),
                    rng.randint(-10, 45),
                    status,
                    None if status == ScopeChangeStatus.PENDING else initiative.sponsor_id,
                )

        self.counts["scope changes"] = self.writer.children(ScopeChange, SCOPE_CHANGE_COLUMNS, rows())
