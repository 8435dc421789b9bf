"""An export of the register imports back unchanged: same rows, no new version, no history row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core import roles
from core.stages import Stage
from portfolio.models import Initiative
from tests.export_support import body
from tests.factories import InitiativeFactory, UserFactory
from tests.portfolio.import_support import run_import

D = datetime.date


@pytest.fixture
def register(today, executive, manager, program):
    owner = UserFactory(username="owner", roles=[roles.EXECUTIVE])
    InitiativeFactory(
        code="RT-1",
        title="Checkout rebuild",
        description="-starts like a formula\nand has two lines; and a, comma",
        sponsor=executive,
        manager=manager,
        program=program,
        stage=Stage.LIVE,
        go_live_date=D(2026, 6, 1),
        actual_end=D(2026, 6, 30),
        forecast_cost=Decimal("123456.78"),
        requirements_clarity=None,
        criticality=5,
        sustainment_owner=owner,
    )
    InitiativeFactory(code="RT-2", title="=SUM(A1)", sponsor=executive, stage=Stage.IDEA, program=None)
    InitiativeFactory(code="RT-3", title="Café € naïve", sponsor=executive, budget_capex=Decimal("0.10"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_of_the_register_imports_back_with_no_change(register, client, pmo, fmt):
    # given the register exported by the PMO
    client.force_login(pmo)
    content = body(client.get(reverse("portfolio:initiative-export", args=[fmt])))
    before = list(Initiative.objects.order_by("code").values())
    history = Initiative.history.count()

    # when the file is imported as it is
    outcome = run_import("initiatives", content, pmo, filename=f"bearing-initiatives.{fmt}")

    # then every row is unchanged: same values, same versions, no history
    assert (outcome.rows, outcome.unchanged, outcome.created, outcome.updated, outcome.problem_count) == (
        3,
        3,
        0,
        0,
        0,
    )
    assert list(Initiative.objects.order_by("code").values()) == before
    assert Initiative.history.count() == history
