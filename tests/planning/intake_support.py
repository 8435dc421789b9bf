"""Initiatives ready (or not) for intake, shared by the intake tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from core.stages import Stage
from portfolio.models import Initiative, Strength
from portfolio.services.business_cases import LineInput, business_case_save
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, UserFactory


def an_idea(manager: Any, *, code: str = "IDEA-1", **fields: Any) -> Initiative:
    """An idea managed by `manager` that meets the default requirements for Proposed."""
    values = {
        "code": code,
        "title": f"Title of {code}",
        "stage": Stage.IDEA,
        "manager": manager,
        "actual_start": None,
        "actual_cost": Decimal("0"),
        **fields,
    }
    initiative = InitiativeFactory(**values)
    ContributionFactory(initiative=initiative, objective=ObjectiveFactory(), strength=Strength.STRONG)
    return initiative


def make_ready_for_approval(initiative: Initiative, pmo: Any) -> Initiative:
    """Give the initiative what the default policy requires for Approved: a costed business case with a
    benefit and a benefit owner."""
    business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=None,
        first_year=2027,
        lines=[
            LineInput("capex", "Build", {2027: Decimal("100000")}),
            LineInput("cost_saving", "Fewer licences", {2028: Decimal("80000"), 2029: Decimal("80000")}),
        ],
    )
    Initiative.objects.filter(pk=initiative.pk).update(sustainment_owner=UserFactory(username="owner"))
    initiative.refresh_from_db()
    return initiative


def browser(user: Any) -> Client:
    """A client signed in as the user."""
    client = Client()
    client.force_login(user)
    return client
