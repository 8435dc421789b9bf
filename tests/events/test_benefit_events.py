"""Benefit plans in the outbox: a plan created, changed or removed, and an actual entered for a quarter, each
recorded in the transaction that saved it (a refused or stale save records nothing), told to the plan's owner
and the initiative's watchers, never to the person who saved it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core import outbox, roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.models import OutboxEvent
from events import services
from events.models import Notification, Preference
from portfolio.benefits import Quarter
from portfolio.models import BenefitPlan, Initiative
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from portfolio.services.business_cases import LineInput, business_case_save
from tests.events.support import events
from tests.factories import InitiativeFactory, KPIFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)


@pytest.fixture
def sue(db):
    return UserFactory(username="sue", first_name="Sue", last_name="Sustain", roles=[roles.EXECUTIVE])


@pytest.fixture
def shop(pmo, manager, sue) -> Initiative:
    """SHOP-1, live, in the program Retail, with a business case of one cost and two money benefits."""
    initiative = InitiativeFactory(
        code="SHOP-1",
        title="Web <shop>",
        manager=manager,
        program=ProgramFactory(name="Retail"),
        stage="live",
        sustainment_owner=sue,
    )
    business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=None,
        first_year=2026,
        lines=[
            LineInput("capex", "Build", {2026: "100000"}),
            LineInput("revenue", "Online <b>sales</b>", {2026: "40000"}),
            LineInput("cost_saving", "Fewer calls", {2026: "8000"}),
        ],
    )
    OutboxEvent.objects.all().delete()
    return initiative


def benefit_line(initiative: Initiative, position: int = 1):
    return initiative.business_case.lines.get(position=position)


def test_a_new_plan_with_an_actual_records_the_plan_and_the_actual(pmo, shop, sue):
    line = benefit_line(shop)
    kpi = KPIFactory(name="Orders")

    benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=None,
        kpi=kpi,
        periods={Q3: PeriodInput("10000", "4000.5"), Q4: PeriodInput("10000")},
    )

    about = {"initiative": [shop.pk], "program": [shop.program_id], "kpi": [kpi.pk]}
    url = f"/initiatives/{shop.pk}/#benefits"
    assert events() == [
        (
            "benefit.plan_changed",
            "benefit_plan",
            line.pk,
            {
                "initiative_id": shop.pk,
                "line_id": line.pk,
                "action": "created",
                "fields": [],
                "quarters": ["2026 Q3", "2026 Q4"],
                "title": "SHOP-1 Web <shop>: benefit plan of Online <b>sales</b> was created",
                "url": url,
                "about": about,
                "recipients": [sue.pk],
            },
        ),
        (
            "benefit.actual_recorded",
            "benefit_plan",
            line.pk,
            {
                "initiative_id": shop.pk,
                "line_id": line.pk,
                "quarter": "2026 Q3",
                "expected": "10000.00",
                "actual": "4000.50",
                "title": "SHOP-1 Web <shop>: Online <b>sales</b> realised €4,000.50 in 2026 Q3 "
                "(€10,000.00 expected)",
                "url": url,
                "about": about,
                "recipients": [sue.pk],
            },
        ),
    ]
    assert OutboxEvent.objects.filter(actor=pmo).count() == 2


def test_a_change_names_its_fields_and_quarters_and_an_actual_alone_is_no_plan_change(
    pmo, manager, shop, sue
):
    line = benefit_line(shop)
    plan = benefit_plan_save(
        user=pmo, line_id=line.pk, version=None, periods={Q3: PeriodInput("10000"), Q4: PeriodInput("10000")}
    )
    OutboxEvent.objects.all().delete()

    # when the owner and Q4's expected value change
    plan = benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=plan.version,
        owner=manager,
        periods={Q3: PeriodInput("10000"), Q4: PeriodInput("12000")},
    )
    # then one plan change, told to the new owner (the manager) and naming what changed
    ((kind, _, _, payload),) = events()
    assert kind == "benefit.plan_changed"
    assert (payload["action"], payload["fields"], payload["quarters"]) == (
        "changed",
        ["owner", "quarters"],
        ["2026 Q4"],
    )
    assert (
        payload["title"]
        == "SHOP-1 Web <shop>: benefit plan of Online <b>sales</b> was changed (owner, quarters)"
    )
    assert payload["recipients"] == [manager.pk]
    OutboxEvent.objects.all().delete()

    # when only an actual is entered, then only the actual is recorded
    plan = benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=plan.version,
        owner=manager,
        periods={Q3: PeriodInput("10000", "9000"), Q4: PeriodInput("12000")},
    )
    assert [(kind, p["quarter"], p["expected"], p["actual"]) for kind, _, _, p in events()] == [
        ("benefit.actual_recorded", "2026 Q3", "10000.00", "9000.00")
    ]
    OutboxEvent.objects.all().delete()

    # when the same plan is saved unchanged, nothing is recorded
    plan = benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=plan.version,
        owner=manager,
        periods={Q3: PeriodInput("10000", "9000"), Q4: PeriodInput("12000")},
    )
    assert events() == []

    # when an actual is removed, that is a change of the plan's quarters, not an actual recorded
    benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=plan.version,
        owner=manager,
        periods={Q3: PeriodInput("10000"), Q4: PeriodInput("12000")},
    )
    assert [(kind, p["fields"], p["quarters"]) for kind, _, _, p in events()] == [
        ("benefit.plan_changed", ["quarters"], ["2026 Q3"])
    ]


def test_a_non_financial_actual_is_shown_in_the_kpis_values(pmo, shop):
    kpi = KPIFactory(name="Calls")
    business_case_save(
        user=pmo,
        initiative_id=shop.pk,
        version=shop.business_case.version,
        first_year=2026,
        lines=[LineInput("non_financial", "Calls per day", {2026: "12"}, kpi=kpi.pk)],
    )
    line = benefit_line(shop, 0)
    OutboxEvent.objects.all().delete()

    benefit_plan_save(
        user=pmo, line_id=line.pk, version=None, kpi=kpi, periods={Q3: PeriodInput(None, "2.5")}
    )

    ((_, _, _, created),) = events("benefit.plan_changed")
    assert (created["action"], created["quarters"]) == ("created", [])  # no expected value entered
    ((_, _, _, payload),) = events("benefit.actual_recorded")
    assert (payload["quarter"], payload["expected"], payload["actual"]) == ("2026 Q3", None, "2.5000")
    assert payload["title"] == "SHOP-1 Web <shop>: Calls per day realised 2.5 in 2026 Q3 (nothing expected)"


def test_a_refused_or_stale_save_records_nothing(pmo, shop):
    line = benefit_line(shop)
    other_manager = UserFactory(username="other", roles=[roles.MANAGER])
    with pytest.raises(NotAllowed):
        benefit_plan_save(user=other_manager, line_id=line.pk, version=None, periods={Q3: PeriodInput("1")})
    with pytest.raises(ApplicationError):
        benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Q3: PeriodInput("1", "x")})
    assert events() == []
    assert not BenefitPlan.objects.exists()

    plan = benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Q3: PeriodInput("1")})
    OutboxEvent.objects.all().delete()
    with pytest.raises(StaleEdit):
        benefit_plan_save(
            user=pmo, line_id=line.pk, version=plan.version - 1, periods={Q3: PeriodInput("1", "1")}
        )
    with pytest.raises(StaleEdit):  # made by someone else since the page was opened
        benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Q3: PeriodInput("2")})
    assert events() == []
    assert BenefitPlan.objects.get().periods.get().actual is None


def test_removing_a_line_with_its_plan_records_the_plan_removed(pmo, shop, sue):
    sales, calls = benefit_line(shop, 1), benefit_line(shop, 2)
    benefit_plan_save(user=pmo, line_id=sales.pk, version=None, periods={Q3: PeriodInput("1")})
    OutboxEvent.objects.all().delete()

    # when the business case drops the sales line (and keeps the other, which has no plan)
    business_case_save(
        user=pmo,
        initiative_id=shop.pk,
        version=Initiative.objects.get(pk=shop.pk).business_case.version,
        first_year=2026,
        lines=[
            LineInput("capex", "Build", {2026: "100000"}, id=benefit_line(shop, 0).pk),
            LineInput("cost_saving", "Fewer calls", {2026: "8000"}, id=calls.pk),
        ],
    )

    assert [
        (kind, subject, pk, p["action"], p["title"], p["recipients"]) for kind, subject, pk, p in events()
    ] == [
        (
            "benefit.plan_changed",
            "benefit_plan",
            sales.pk,
            "removed",
            "SHOP-1 Web <shop>: benefit plan of Online <b>sales</b> was removed",
            [sue.pk],
        )
    ]
    assert not BenefitPlan.objects.exists()


def test_the_owner_and_the_watchers_are_told_and_not_the_person_who_saved(pmo, manager, shop, sue):
    shop.program.owner = UserFactory(username="prog", roles=[roles.EXECUTIVE])
    shop.program.save()
    line = benefit_line(shop)

    # when the manager enters the plan with an actual
    benefit_plan_save(user=manager, line_id=line.pk, version=None, periods={Q3: PeriodInput("5", "5")})
    outbox.dispatch_pending()

    # then the owner (the sustainment owner, no owner entered) and the program's owner hear of both events,
    # the manager (who saved) of neither
    told = sorted(Notification.objects.values_list("user__username", "kind"))
    assert told == [
        ("prog", "benefit.actual_recorded"),
        ("prog", "benefit.plan_changed"),
        ("sue", "benefit.actual_recorded"),
        ("sue", "benefit.plan_changed"),
    ]
    assert Notification.objects.get(user=sue, kind="benefit.actual_recorded").title == (
        "SHOP-1 Web <shop>: Online <b>sales</b> realised €5.00 in 2026 Q3 (€5.00 expected)"
    )
    assert OutboxEvent.objects.get(kind="benefit.plan_changed").payload["recipients"] == [sue.pk]
    assert Decimal(OutboxEvent.objects.get(kind="benefit.actual_recorded").payload["actual"]) == 5


NEW_KINDS = {
    "benefit.plan_changed": "Benefit plan changed",
    "benefit.actual_recorded": "Benefit actual recorded",
    "scenario.solved": "Scenario solved",
    "scenario.approved": "Scenario approved as the plan",
}


def test_the_new_kinds_are_offered_in_preferences_and_to_webhooks(client, manager, admin_user):
    assert {kind: outbox.KINDS[kind] for kind in NEW_KINDS} == NEW_KINDS

    client.force_login(manager)
    page = client.get(reverse("events:preferences")).content.decode()
    response = client.post(
        reverse("events:preferences"),
        {**dict.fromkeys(outbox.KINDS, "in_app"), "benefit.actual_recorded": "daily"},
    )
    assert response.status_code == 302
    assert Preference.objects.get(user=manager, kind="benefit.actual_recorded").channel == "daily"

    client.force_login(admin_user)
    form = client.get(reverse("events:webhook-create")).content.decode()
    for kind, label in NEW_KINDS.items():
        assert f'name="{kind}"' in page, kind
        assert f">{label}</label>" in page, kind
        assert f'value="{kind}"' in form, kind
    hook = services.webhook_create(
        user=admin_user,
        name="Benefits",
        url="https://example.org/",
        kinds=["benefit.plan_changed", "scenario.solved"],
    )
    assert hook.kinds == ["benefit.plan_changed", "scenario.solved"]
