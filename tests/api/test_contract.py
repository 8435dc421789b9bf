"""The API against its own OpenAPI schema, by schemathesis: every operation, as the PMO (read and write) and
as an executive (read only), a bounded number of generated requests each. No answer may be a server error or
differ from the schema (status, content type, body)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_create
from core import roles
from tests.factories import (
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
    UserFactory,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(autouse=True)
def _connection_kept(db):
    """Keep the test's database connection through each request, as Django's test client does: a WSGI
    handler closes it when a request finishes (close_old_connections), which would end the test's transaction
    on PostgreSQL."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def records(db) -> None:
    objective = ObjectiveFactory()
    kpi = KPIFactory(objective=objective)
    ReadingFactory(kpi=kpi, date=datetime.date(2026, 3, 1))
    for _ in range(3):
        initiative = InitiativeFactory()
        ContributionFactory(initiative=initiative, objective=objective)
        MilestoneFactory(initiative=initiative)
        RiskFactory(initiative=initiative)
        ScopeChangeFactory(initiative=initiative)
        CheckpointReviewFactory(initiative=initiative)


# read at collection: the schema page needs no database
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())


def _bearer(role: str, scope: str) -> dict[str, str]:
    _token, raw = token_create(
        user=UserFactory(roles=[role]), name="contract", scope=scope, expires_in_days=None
    )
    return {"Authorization": f"Bearer {raw}"}


def _hypothesis(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
        derandomize=True,
    )


# The PMO may call every operation: more generated requests each. An executive reads: most of their writes stop
# at the same refusal, so fewer suffice.
@schema.parametrize()
@_hypothesis(5)
def test_every_operation_answers_the_pmo_within_its_schema(case, db):
    case.call_and_validate(headers=_bearer(roles.PMO, "write"), checks=CHECKS)


@schema.parametrize()
@_hypothesis(3)
def test_every_operation_answers_an_executive_within_its_schema(case, db):
    case.call_and_validate(headers=_bearer(roles.EXECUTIVE, "read"), checks=CHECKS)
