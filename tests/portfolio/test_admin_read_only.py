"""The Django admin shows entered records but changes none of them: versions, audit trail and scores are
kept by the app's services, so an admin edit can neither skip a rescore nor be silently reverted."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict

from portfolio import models as pm
from risk.models import Risk, TierPolicy
from steering import models as sm
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    CommitteeFactory,
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
from tests.portfolio.utils import db_rows

ENTERED_APPS = ("portfolio", "risk", "steering")
# Set up in the admin because Bearing has no form for it; nothing is computed from it.
ADMIN_MANAGED = {sm.Committee}


def entered_admin_models() -> list[type[models.Model]]:
    return sorted(
        (
            model
            for model in admin.site._registry
            if model._meta.app_label in ENTERED_APPS and model not in ADMIN_MANAGED
        ),
        key=lambda model: model.__name__,
    )


def test_every_entered_model_in_the_admin_is_covered_here():
    assert [m.__name__ for m in entered_admin_models()] == [
        "ActionItem",
        "AgendaItem",
        "Artefact",
        "CheckpointReview",
        "Contribution",
        "Initiative",
        "InterimTarget",
        "KPI",
        "Milestone",
        "Objective",
        "Program",
        "Reading",
        "Risk",
        "ScopeChange",
        "SteeringMeeting",
        "TierPolicy",
    ]


@pytest.fixture
def records(db, admin_user) -> dict[type[models.Model], models.Model]:
    """One record of every entered model, each edited once after it was made (two history rows)."""
    initiative = InitiativeFactory(code="CRM-1", title="CRM renewal")
    kpi = KPIFactory(name="Checkout time")
    meeting = sm.SteeringMeeting.objects.create(
        committee=CommitteeFactory(name="Board"), title="Q4 review", held_on=datetime.date(2026, 11, 1)
    )
    review = CheckpointReviewFactory(initiative=initiative)
    made: dict[type[models.Model], models.Model] = {
        pm.Objective: ObjectiveFactory(code="GROW", title="Grow online sales"),
        pm.KPI: kpi,
        pm.InterimTarget: pm.InterimTarget.objects.create(
            kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("15")
        ),
        pm.Reading: ReadingFactory(kpi=kpi, source="Web analytics"),
        pm.Program: ProgramFactory(name="Digital"),
        pm.Initiative: initiative,
        pm.Contribution: ContributionFactory(initiative=initiative),
        pm.Milestone: MilestoneFactory(initiative=initiative, name="Go-live"),
        pm.ScopeChange: ScopeChangeFactory(initiative=initiative),
        pm.Artefact: ArtefactFactory(initiative=initiative),
        sm.SteeringMeeting: meeting,
        sm.AgendaItem: sm.AgendaItem.objects.create(meeting=meeting, initiative=initiative, note="Due"),
        sm.CheckpointReview: review,
        sm.ActionItem: sm.ActionItem.objects.create(
            initiative=initiative, review=review, title="Re-plan", due_date=datetime.date(2026, 12, 1)
        ),
        Risk: RiskFactory(initiative=initiative, title="Vendor delay"),
        TierPolicy: TierPolicy.objects.get(tier=2),
    }
    for record in made.values():
        record.save()  # a second history row, so there is an older version to "revert" to
    return made


def as_post(record: models.Model) -> dict[str, Any]:
    """The record as its admin form would post it, with every text field changed."""
    data: dict[str, Any] = {}
    for name, value in model_to_dict(record).items():
        field = record._meta.get_field(name)
        if isinstance(value, list) and field.many_to_many:
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(field, models.JSONField):
            data[name] = json.dumps(value)
        elif isinstance(field, models.BooleanField):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(field, (models.CharField, models.TextField)) and not field.choices:
            data[name] = f"{value} (edited in the admin)"[: field.max_length or 10_000]
        elif isinstance(field, models.DecimalField):
            data[name] = str(value + 1)
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    # empty inline formsets, so the form is complete
    for inline in admin.site._registry[type(record)].inlines:
        prefix = inline.model._meta.get_field(
            next(
                f.name for f in inline.model._meta.fields if f.is_relation and f.related_model is type(record)
            )
        ).remote_field.get_accessor_name()
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def admin_url(record: models.Model, action: str) -> str:
    return f"/admin/{record._meta.app_label}/{record._meta.model_name}/{record.pk}/{action}/"


def test_an_admin_page_shows_the_record_and_links_to_where_it_is_edited(client, admin_user, records):
    # given
    initiative = records[pm.Initiative]
    client.force_login(admin_user)
    # when
    response = client.get(admin_url(initiative, "change"))
    # then
    assert response.status_code == 200
    assert response.context["title"] == "View initiative"
    assert f'<a href="/initiatives/{initiative.pk}/">Open the page where this is edited</a>' in (
        response.content.decode()
    )
    assert response.context["has_change_permission"] is False


@pytest.mark.parametrize("model", entered_admin_models(), ids=lambda m: m.__name__)
def test_a_superuser_cannot_add_change_delete_or_revert_an_entered_record_in_the_admin(
    client, admin_user, records, model
):
    # given
    record = records[model]
    history_id = record.history.order_by("history_id").first().history_id  # type: ignore[attr-defined]
    payload = as_post(record)
    client.force_login(admin_user)
    before = db_rows()
    base = f"/admin/{record._meta.app_label}/{record._meta.model_name}/"
    # when: every write the admin knows, posted by hand
    answers = [
        client.post(admin_url(record, "change"), payload).status_code,
        client.post(f"{base}add/", payload).status_code,
        client.post(admin_url(record, "delete"), {"post": "yes"}).status_code,
        client.post(
            base, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
        ).status_code,
        client.post(admin_url(record, f"history/{history_id}"), payload).status_code,
    ]
    # then: each refused, and not one row of the portfolio changed
    assert answers == [403, 403, 403, 200, 403]
    assert db_rows() == before
