"""factory_boy factories for every entered model; defaults build a valid, approved-looking record."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import factory
from django.contrib.auth.models import Group, User

from core.stages import Stage
from portfolio import models as pm
from risk.models import Risk
from steering import models as sm

TODAY = datetime.date(2026, 11, 21)

if TYPE_CHECKING:
    # factory_boy types `InitiativeFactory()` as an instance of the factory, not the model it creates (the
    # call goes through an untyped metaclass, which mypy does not follow): leave what it creates untyped.
    ModelFactory = Any
else:
    ModelFactory = factory.django.DjangoModelFactory


class UserFactory(ModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])


class ProgramFactory(ModelFactory):
    class Meta:
        model = pm.Program

    name = factory.Sequence(lambda n: f"Program {n}")


class ObjectiveFactory(ModelFactory):
    class Meta:
        model = pm.Objective

    code = factory.Sequence(lambda n: f"O{n}")
    title = factory.Sequence(lambda n: f"Objective {n}")
    local_weight = Decimal("1")


class KPIFactory(ModelFactory):
    class Meta:
        model = pm.KPI

    objective = factory.SubFactory(ObjectiveFactory)
    name = factory.Sequence(lambda n: f"KPI {n}")
    unit = "%"
    direction = pm.Direction.INCREASE
    baseline_value = Decimal("10")
    baseline_date = datetime.date(2025, 1, 1)
    target_value = Decimal("20")
    target_date = datetime.date(2027, 1, 1)


class ReadingFactory(ModelFactory):
    class Meta:
        model = pm.Reading

    kpi = factory.SubFactory(KPIFactory)
    date = datetime.date(2026, 1, 1)
    value = Decimal("12")


class InitiativeFactory(ModelFactory):
    class Meta:
        model = pm.Initiative

    code = factory.Sequence(lambda n: f"INI-{n:04d}")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    description = "A test initiative."
    sponsor = factory.SubFactory(UserFactory)
    category = pm.Category.GROW
    stage = Stage.IN_DELIVERY
    planned_start = datetime.date(2026, 1, 1)
    planned_end = datetime.date(2026, 12, 31)
    actual_start = datetime.date(2026, 1, 15)
    budget_capex = Decimal("100000")
    budget_opex = Decimal("20000")
    actual_cost = Decimal("50000")
    requirements_clarity = 4


class ContributionFactory(ModelFactory):
    class Meta:
        model = pm.Contribution

    initiative = factory.SubFactory(InitiativeFactory)
    objective = factory.SubFactory(ObjectiveFactory)
    strength = pm.Strength.MODERATE
    rationale = "Shortens checkout, which the objective's KPI measures."


class MilestoneFactory(ModelFactory):
    class Meta:
        model = pm.Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    baseline_date = datetime.date(2026, 6, 30)


class ScopeChangeFactory(ModelFactory):
    class Meta:
        model = pm.ScopeChange

    initiative = factory.SubFactory(InitiativeFactory)
    date = datetime.date(2026, 3, 1)
    description = "Add gift cards to checkout."
    rationale = "Requested by the trading director to support the Q4 campaign."
    cost_impact = Decimal("15000")
    schedule_impact_days = 10


class ArtefactFactory(ModelFactory):
    class Meta:
        model = pm.Artefact

    initiative = factory.SubFactory(InitiativeFactory)
    kind = pm.ArtefactKind.BUSINESS_CASE
    title = "Business case v1"
    dated = datetime.date(2026, 1, 10)


class CommitteeFactory(ModelFactory):
    class Meta:
        model = sm.Committee

    name = factory.Sequence(lambda n: f"Committee {n}")


class CheckpointReviewFactory(ModelFactory):
    class Meta:
        model = sm.CheckpointReview

    initiative = factory.SubFactory(InitiativeFactory)
    held_on = datetime.date(2026, 10, 1)
    rag_schedule = sm.RAG.GREEN
    rag_cost = sm.RAG.GREEN
    rag_scope = sm.RAG.GREEN
    rag_benefits = sm.RAG.GREEN
    decision = sm.Decision.PROCEED
    rationale = "On plan."


class RiskFactory(ModelFactory):
    class Meta:
        model = Risk

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Risk {n}")
    probability = 3
    impact = 3
    mitigation = "Weekly vendor stand-up."
