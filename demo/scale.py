"""A synthetic portfolio of any size, bulk-inserted for benchmarks (`manage.py seed_scale`).

Proportions per N initiatives: N/50 objectives (at least 12) in a three-level tree, 3N contributions, N/5 KPIs
(at least 20), 5N quarterly readings, 2N risks, 2N milestones, N/2 scope changes and N/200 programs (at
least 5). Rows go in with `bulk_create` in large batches and no history, so 10,000 initiatives load in
seconds; the number of queries depends on N only through the batch count.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, models, transaction

from core import roles
from core.errors import ApplicationError
from core.stages import Stage
from demo.northwind import add_months, infer_stage_since, month_end, quarter_end_on_or_before, shift_quarters
from portfolio.models import (
    KPI,
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
        counts = _ScaleBuilder(n=initiatives, rng=random.Random(seed), as_of=as_of).build()
        infer_stage_since(as_of)
        return counts


def _pick(rng: random.Random, weights: dict[Any, int], k: int) -> list[Any]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


class _ScaleBuilder:
    def __init__(self, *, n: int, rng: random.Random, as_of: datetime.date) -> None:
        self.n = n
        self.rng = rng
        self.as_of = as_of
        self.counts: dict[str, int] = {}

    def build(self) -> dict[str, int]:
        self._users()
        self._programs()
        self._objectives()
        self._kpis_and_readings()
        self._initiatives()
        self._contributions()
        self._milestones()
        self._risks()
        self._scope_changes()
        return self.counts

    def _bulk(self, model: type[models.Model], objects: Sequence[models.Model], label: str) -> list[Any]:
        created = model._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
        self.counts[label] = len(created)
        return created

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
        created = self._bulk(
            Program,
            [
                Program(name=f"Program {i:04d}", owner_id=self.rng.choice(self.sponsor_ids))
                for i in range(1, count + 1)
            ],
            "programs",
        )
        self.program_ids = [program.pk for program in created]

    def _objectives(self) -> None:
        """A three-level tree: themes, objectives under them, sub-objectives under those."""
        total = max(12, self.n // 50)
        themes = max(3, total // 25)
        middle = (total - themes) // 3
        leaves = total - themes - middle
        horizon_start = self.as_of.replace(month=1, day=1)
        horizon_end = datetime.date(self.as_of.year + 3, 12, 31)

        def level(count: int, parents: list[Objective] | None, prefix: str) -> list[Objective]:
            rows = []
            for i in range(count):
                parent = parents[i % len(parents)] if parents else None
                rows.append(
                    Objective(
                        parent=parent,
                        code=f"{prefix}{i + 1:04d}",
                        title=f"{self.rng.choice(ACTIONS)} {self.rng.choice(AREAS)} ({prefix}{i + 1})",
                        owner_id=self.rng.choice(self.sponsor_ids),
                        horizon_start=horizon_start,
                        horizon_end=horizon_end,
                        status=ObjectiveStatus.RETIRED
                        if parent and self.rng.random() < 0.03
                        else ObjectiveStatus.ACTIVE,
                        local_weight=Decimal(self.rng.randint(1, 100)),
                    )
                )
            return self._bulk(Objective, rows, "objectives")

        top = level(themes, None, "ST")
        mid = level(middle, top, "SO")
        low = level(leaves, mid, "SS")
        self.counts["objectives"] = themes + middle + leaves
        self.objective_ids = [objective.pk for objective in top + mid + low]
        self.kpi_objectives = mid + low

    def _kpis_and_readings(self) -> None:
        kpi_count = max(20, self.n // 5)
        reading_count = 5 * self.n
        per_kpi, extra = divmod(reading_count, kpi_count)
        deepest = per_kpi + (1 if extra else 0)
        latest = quarter_end_on_or_before(self.as_of)
        baseline_date = shift_quarters(latest, -deepest)
        target_date = shift_quarters(latest, 6)
        kpis = []
        for i in range(kpi_count):
            unit, direction = UNITS[i % len(UNITS)]
            baseline = Decimal(self.rng.randint(50, 500))
            change = Decimal(self.rng.randint(5, 40))
            target = baseline + change if direction == Direction.INCREASE else baseline - change
            kpis.append(
                KPI(
                    objective=self.kpi_objectives[i % len(self.kpi_objectives)],
                    name=f"KPI {i + 1:05d}",
                    unit=unit,
                    direction=direction,
                    baseline_value=baseline,
                    baseline_date=baseline_date,
                    target_value=target,
                    target_date=target_date,
                )
            )
        kpis = self._bulk(KPI, kpis, "KPIs")
        self.kpis_by_objective: dict[int, list[KPI]] = {}
        for kpi in kpis:
            self.kpis_by_objective.setdefault(kpi.objective_id, []).append(kpi)
        readings = []
        for index, kpi in enumerate(kpis):
            count = per_kpi + (1 if index < extra else 0)
            step = (kpi.target_value - kpi.baseline_value) / Decimal(deepest + 6)
            value = kpi.baseline_value
            for quarter in range(count - 1, -1, -1):
                value += step * Decimal(self.rng.uniform(-0.5, 1.8))
                readings.append(
                    Reading(
                        kpi_id=kpi.pk,
                        date=shift_quarters(latest, -quarter),
                        value=round(value, 2),
                        source="Synthetic",
                    )
                )
        self._bulk(Reading, readings, "readings")

    def _initiatives(self) -> None:
        stages = _pick(self.rng, STAGE_WEIGHTS, self.n)
        categories = _pick(self.rng, CATEGORY_WEIGHTS, self.n)
        month = self.as_of.replace(day=1)
        rows = []
        for i in range(self.n):
            stage = stages[i]
            months = self.rng.randint(3, 30)
            if stage in (Stage.IDEA, Stage.PROPOSED, Stage.APPROVED):
                start = add_months(month, self.rng.randint(1, 12))
            elif stage == Stage.IN_DELIVERY:
                start = add_months(month, -self.rng.randint(1, months))
            else:
                start = add_months(month, -months - self.rng.randint(1, 24))
            end = month_end(add_months(start, months - 1))
            started = stage in (Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED, Stage.CANCELLED)
            actual_start = start if started else None
            go_live = end if stage in (Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED) else None
            if go_live and stage == Stage.IN_DELIVERY:
                go_live = max(go_live, self.as_of + datetime.timedelta(days=1))
            if go_live and stage in (Stage.LIVE, Stage.CLOSED):
                go_live = min(go_live, self.as_of)
            actual_end = go_live if stage == Stage.CLOSED else None
            if stage == Stage.CANCELLED:
                actual_end = min(end, self.as_of)
            capex = Decimal(self.rng.randint(10, 3000) * 1000)
            opex = Decimal(self.rng.randint(5, 800) * 1000)
            spent = {Stage.IN_DELIVERY: 0.5, Stage.LIVE: 0.95, Stage.CLOSED: 1.0, Stage.CANCELLED: 0.3}.get(
                stage, 0.0
            )
            actual = Decimal(round(float(capex + opex) * spent * self.rng.uniform(0.6, 1.3), -2))
            rows.append(
                Initiative(
                    code=f"SC-{i + 1:06d}",
                    title=f"{self.rng.choice(ACTIONS)} {self.rng.choice(AREAS)} {i + 1}",
                    description="Synthetic initiative for benchmarks.",
                    sponsor_id=self.rng.choice(self.sponsor_ids),
                    manager_id=self.rng.choice(self.manager_ids),
                    program_id=self.rng.choice(self.program_ids) if self.rng.random() < 0.8 else None,
                    category=categories[i],
                    stage=stage,
                    planned_start=start,
                    planned_end=end,
                    actual_start=actual_start,
                    actual_end=actual_end,
                    budget_capex=capex,
                    budget_opex=opex,
                    actual_cost=actual,
                    forecast_cost=None
                    if stage in (Stage.IDEA, Stage.PROPOSED)
                    else max(actual, Decimal(round(float(capex + opex) * self.rng.uniform(0.9, 1.4), -2))),
                    expected_annual_benefit=Decimal(self.rng.randint(0, 4000) * 1000),
                    requirements_clarity=self.rng.randint(1, 5),
                    criticality=self.rng.randint(1, 5),
                    sustainment_owner_id=self.rng.choice(self.manager_ids)
                    if self.rng.random() < 0.7
                    else None,
                    go_live_date=go_live,
                )
            )
        self.initiatives = self._bulk(Initiative, rows, "initiatives")

    def _contributions(self) -> None:
        rows = []
        for initiative in self.initiatives:
            strengths = _pick(self.rng, STRENGTH_WEIGHTS, 3)
            for objective_id, strength in zip(self.rng.sample(self.objective_ids, 3), strengths, strict=True):
                kpis = self.kpis_by_objective.get(objective_id)
                kpi = self.rng.choice(kpis) if kpis and self.rng.random() < 0.4 else None
                rows.append(
                    Contribution(
                        initiative_id=initiative.pk,
                        objective_id=objective_id,
                        strength=strength,
                        rationale=f"{initiative.title} improves {self.rng.choice(AREAS)} for this objective.",
                        kpi_id=kpi.pk if kpi else None,
                        expected_change=Decimal(self.rng.randint(1, 10)) if kpi else None,
                    )
                )
        self._bulk(Contribution, rows, "contributions")

    def _milestones(self) -> None:
        rows = []
        for initiative in self.initiatives:
            start, end = initiative.planned_start, initiative.planned_end
            middle = start + datetime.timedelta(days=(end - start).days // 2)
            for name, baseline in (("Design sign-off", middle), ("Go-live", end)):
                slip = datetime.timedelta(days=self.rng.choice((-5, 0, 0, 10, 30, 60)))
                expected = baseline + slip
                done = expected <= self.as_of and initiative.stage != Stage.CANCELLED
                rows.append(
                    Milestone(
                        initiative_id=initiative.pk,
                        name=name,
                        baseline_date=baseline,
                        actual_date=expected if done else None,
                        forecast_date=None if done else expected,
                    )
                )
        self._bulk(Milestone, rows, "milestones")

    def _risks(self) -> None:
        categories = list(RiskCategory.values)
        statuses = [
            RiskStatus.OPEN,
            RiskStatus.OPEN,
            RiskStatus.MITIGATING,
            RiskStatus.ACCEPTED,
            RiskStatus.CLOSED,
        ]
        rows = []
        for initiative in self.initiatives:
            for number in (1, 2):
                rows.append(
                    Risk(
                        initiative_id=initiative.pk,
                        title=f"Risk {number} of {initiative.code}",
                        category=self.rng.choice(categories),
                        probability=self.rng.randint(1, 5),
                        impact=self.rng.randint(1, 5),
                        owner_id=self.rng.choice(self.manager_ids),
                        mitigation="Weekly review with the supplier." if self.rng.random() < 0.8 else "",
                        status=self.rng.choice(statuses),
                        review_date=self.as_of + datetime.timedelta(days=self.rng.randint(1, 90)),
                    )
                )
        self._bulk(Risk, rows, "risks")

    def _scope_changes(self) -> None:
        statuses = [
            ScopeChangeStatus.PENDING,
            ScopeChangeStatus.APPROVED,
            ScopeChangeStatus.APPROVED,
            ScopeChangeStatus.REJECTED,
        ]
        rows = []
        for _ in range(self.n // 2):
            initiative = self.rng.choice(self.initiatives)
            status = self.rng.choice(statuses)
            rows.append(
                ScopeChange(
                    initiative_id=initiative.pk,
                    date=self.as_of - datetime.timedelta(days=self.rng.randint(0, 365)),
                    description="Add a feature requested by the business.",
                    rationale="Requested by the sponsor." if self.rng.random() < 0.7 else "",
                    cost_impact=Decimal(self.rng.randint(-20, 100) * 1000),
                    schedule_impact_days=self.rng.randint(-10, 45),
                    status=status,
                    approved_by_id=None if status == ScopeChangeStatus.PENDING else initiative.sponsor_id,
                )
            )
        self._bulk(ScopeChange, rows, "scope changes")
