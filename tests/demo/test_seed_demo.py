"""The Northwind Retail demo: its shape, the stories it tells, its accounts, and its repeatability."""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from core import roles
from core.stages import Stage
from demo.northwind import ALREADY_PRESENT, DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo
from demo.scale import clear_portfolio
from portfolio.models import (
    KPI,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Contribution,
    FinancialPolicy,
    Initiative,
    Milestone,
    Objective,
    Reading,
    ScopeChange,
)
from risk.models import Risk, TierPolicy
from steering.models import ActionItem, CheckpointReview, Committee

AS_OF = datetime.date(2026, 11, 21)
LATEST_QUARTER_END = datetime.date(2026, 9, 30)

ModelClass = type[models.Model]

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return build_demo(as_of=AS_OF)


def fingerprint() -> list[str]:
    """Every entered row and user, foreign keys replaced by what they point at; no pks, no timestamps."""
    entered = [
        model
        for label in ("portfolio", "risk", "steering")
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]
    rows = {
        model: {row[model._meta.pk.attname]: row for row in model._default_manager.values()}
        for model in entered
    }
    usernames = dict(User.objects.values_list("pk", "username"))
    memo: dict[tuple[ModelClass, int], tuple[Any, ...]] = {}

    def natural(model: ModelClass, pk: int | None) -> Any:
        if pk is None:
            return None
        if model is User:
            return usernames[pk]
        if (model, pk) not in memo:
            row = rows[model][pk]
            parts: list[tuple[str, Any]] = []
            for field in model._meta.concrete_fields:
                if (field.primary_key and not field.is_relation) or field.name in {
                    "created_at",
                    "updated_at",
                }:
                    continue
                value = row[field.attname]
                if field.is_relation:
                    value = natural(cast(ModelClass, field.related_model), value)
                parts.append((field.name, value))
            for field in model._meta.many_to_many:
                through = cast(ModelClass, field.remote_field.through)
                linked = through._default_manager.filter(**{field.m2m_field_name(): pk})
                targets = linked.values_list(field.m2m_reverse_field_name(), flat=True)
                target_model = cast(ModelClass, field.related_model)
                parts.append((field.name, tuple(sorted(natural(target_model, t) for t in targets))))
            memo[(model, pk)] = tuple(parts)
        return memo[(model, pk)]

    prints = [repr((model.__name__, natural(model, pk))) for model in entered for pk in rows[model]]
    for user in User.objects.prefetch_related("groups"):
        groups = sorted(group.name for group in user.groups.all())
        prints.append(
            repr(
                (
                    "User",
                    user.username,
                    user.first_name,
                    user.last_name,
                    user.email,
                    user.is_staff,
                    user.is_superuser,
                    groups,
                )
            )
        )
    return sorted(prints)


def test_demo_loads_the_documented_number_of_records(demo):
    # given an empty database (the demo fixture loaded it)
    # then the builder reports exactly what it wrote
    assert demo.created is True
    assert demo.counts == {
        "programs": 7,
        "objectives": 19,
        "KPIs": 20,
        "readings": 152,
        "interim targets": 2,
        "initiatives": 40,
        "business cases": 40,
        "business case lines": 112,
        "business case amounts": 214,
        "contributions": 62,
        "benefit plans": 9,
        "benefit quarters": 120,
        "milestones": 143,
        "scope changes": 17,
        "risks": 31,
        "artefacts": 111,
        "committees": 1,
        "meetings": 5,
        "checkpoint reviews": 16,
        "action items": 8,
    }
    assert Initiative.objects.count() == 40


def test_demo_objective_tree_has_five_themes_twelve_objectives_and_two_sub_objectives(demo):
    # when the tree is read level by level
    themes = Objective.objects.filter(parent=None)
    objectives = Objective.objects.filter(parent__parent=None).exclude(parent=None)
    sub_objectives = Objective.objects.filter(parent__parent__isnull=False)
    # then it is two levels deep under five themes, with one retired objective and distinct theme weights
    assert themes.count() == 5
    assert objectives.count() == 12
    assert sorted(sub_objectives.values_list("code", flat=True)) == ["O1.1.1", "O3.2.1"]
    assert list(Objective.objects.filter(status="retired").values_list("code", flat=True)) == ["O1.3"]
    assert sorted(themes.values_list("local_weight", flat=True)) == [
        Decimal("10"),
        Decimal("15"),
        Decimal("20"),
        Decimal("25"),
        Decimal("30"),
    ]
    assert Objective.objects.filter(owner=None).count() == 0


def test_demo_kpis_have_eight_quarterly_readings_except_one_without_any(demo):
    # when readings are counted per KPI
    per_kpi = Counter(Reading.objects.values_list("kpi__name", flat=True))
    # then 19 KPIs have 8 readings and exactly one has none
    assert sorted(per_kpi.values()) == [8] * 19
    assert list(KPI.objects.filter(readings=None).values_list("name", flat=True)) == [
        "Reports served from the data platform"
    ]
    assert sorted(set(KPI.objects.values_list("direction", flat=True))) == ["decrease", "increase"]


def test_demo_readings_fall_on_quarter_ends_and_never_after_as_of(demo):
    # when the reading dates are collected
    dates = sorted(set(Reading.objects.values_list("date", flat=True)))
    # then they are the eight quarter ends up to the last one before as_of
    assert dates[-1] == LATEST_QUARTER_END
    assert dates[0] == datetime.date(2024, 12, 31)
    assert len(dates) == 8
    assert not Reading.objects.filter(date__gt=AS_OF).exists()
    kpi = KPI.objects.get(name="Online market share")
    assert (kpi.baseline_date, kpi.target_date) == (datetime.date(2024, 9, 30), datetime.date(2027, 9, 30))


def test_demo_has_one_kpi_with_interim_targets(demo):
    kpi = KPI.objects.get(name="Average supplier lead time")
    assert list(kpi.interim_targets.values_list("date", "value")) == [
        (datetime.date(2025, 9, 30), Decimal("19.5")),
        (datetime.date(2026, 9, 30), Decimal("17.5")),
    ]
    assert KPI.objects.filter(interim_targets__isnull=False).distinct().count() == 1


def test_demo_has_exactly_three_orphans_all_in_delivery(demo):
    # when initiatives without any contribution are listed
    orphans = Initiative.objects.filter(contributions=None)
    # then they are the three known ones, all being delivered
    assert sorted(orphans.values_list("code", "stage")) == [
        ("HR-01", Stage.IN_DELIVERY),
        ("INFRA-04", Stage.IN_DELIVERY),
        ("STORE-05", Stage.IN_DELIVERY),
    ]


def test_demo_has_a_weakly_aligned_big_spender(demo):
    # when the three largest budgets are ranked
    by_budget = sorted(Initiative.objects.all(), key=lambda initiative: -initiative.budget_total)
    top_three = [initiative.code for initiative in by_budget[:3]]
    # then the ERP migration is among them and all its contributions are weak
    assert top_three == ["FIN-01", "STORE-01", "ECOM-05"]
    fin = by_budget[0]
    assert fin.budget_total == Decimal("4600000")
    assert sorted(fin.contributions.values_list("strength", flat=True)) == ["weak", "weak"]
    assert fin.forecast_cost == Decimal("5612000")


def test_demo_budget_mix_is_roughly_35_40_25(demo):
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for initiative in Initiative.objects.all():
        totals[initiative.category] += initiative.budget_total
    assert totals == {
        "run": Decimal("16335000"),
        "grow": Decimal("16410000"),
        "transform": Decimal("11660000"),
    }


def test_demo_covers_every_lifecycle_stage(demo):
    assert Counter(Initiative.objects.values_list("stage", flat=True)) == {
        Stage.IDEA: 2,
        Stage.PROPOSED: 3,
        Stage.APPROVED: 5,
        Stage.IN_DELIVERY: 18,
        Stage.LIVE: 10,
        Stage.CLOSED: 1,
        Stage.CANCELLED: 1,
    }
    assert sorted(
        Initiative.objects.filter(stage=Stage.APPROVED, requirements_clarity__lte=2).values_list(
            "code", flat=True
        )
    ) == ["CRM-04", "SCM-04", "STORE-02"]


def test_demo_manager_account_manages_six_initiatives(demo):
    assert sorted(Initiative.objects.filter(manager__username="manager").values_list("code", flat=True)) == [
        "CRM-01",
        "ECOM-01",
        "ECOM-02",
        "ECOM-06",
        "STORE-01",
        "STORE-04",
    ]


def test_demo_only_live_soon_initiative_has_no_sustainment_owner(demo):
    # when initiatives going live within three weeks are checked for an owner
    soon = Initiative.objects.filter(
        stage__in=[Stage.APPROVED, Stage.IN_DELIVERY],
        go_live_date__gte=AS_OF,
        go_live_date__lte=AS_OF + datetime.timedelta(days=21),
        sustainment_owner=None,
    )
    # then only the tokenisation initiative, going live in 18 days, lacks one
    assert list(soon.values_list("code", "go_live_date")) == [("SEC-02", AS_OF + datetime.timedelta(days=18))]
    live = Initiative.objects.filter(stage=Stage.LIVE)
    assert live.count() == 10
    assert list(live.filter(sustainment_owner=None).values_list("code", flat=True)) == ["INFRA-03"]
    assert not live.filter(go_live_date__gt=AS_OF).exists()


def test_demo_milestones_include_on_time_slipped_and_stale_forecasts(demo):
    # when milestones are compared with their baselines
    milestones = list(Milestone.objects.all())
    on_time = [m for m in milestones if m.actual_date and m.actual_date <= m.baseline_date]
    slipped = [
        m
        for m in milestones
        if (m.actual_date and m.actual_date > m.baseline_date)
        or (m.forecast_date and m.forecast_date > m.baseline_date)
    ]
    stale = [
        m
        for m in milestones
        if m.forecast_updated_at
        and m.forecast_updated_at
        < timezone.make_aware(datetime.datetime.combine(AS_OF - datetime.timedelta(days=60), datetime.time()))
    ]
    # then there are some of each, and no milestone is achieved after as_of
    assert len(on_time) >= 20
    assert len(slipped) >= 20
    assert len(stale) >= 3
    assert not Milestone.objects.filter(actual_date__gt=AS_OF).exists()
    assert not Milestone.objects.filter(
        forecast_date__isnull=False, forecast_updated_at__isnull=True
    ).exists()
    assert Initiative.objects.filter(stage=Stage.IDEA, milestones__isnull=False).count() == 0
    per_initiative = Counter(Milestone.objects.values_list("initiative__code", flat=True))
    assert min(per_initiative.values()) == 2
    assert max(per_initiative.values()) == 5


def test_demo_scope_changes_churn_on_checkout_and_some_lack_a_rationale(demo):
    # when the checkout initiative's scope changes of the last six months are counted
    recent = ScopeChange.objects.filter(
        initiative__code="ECOM-01", date__gte=AS_OF - datetime.timedelta(days=183)
    )
    # then there are five, and across the portfolio seven changes give no rationale
    assert recent.count() == 5
    assert ScopeChange.objects.filter(rationale="").count() == 7
    assert ScopeChange.objects.values("initiative").distinct().count() == 10
    assert Counter(ScopeChange.objects.values_list("status", flat=True)) == {
        "approved": 12,
        "pending": 3,
        "rejected": 2,
    }
    assert not ScopeChange.objects.exclude(status="pending").filter(approved_by=None).exists()
    assert not ScopeChange.objects.filter(date__gt=AS_OF).exists()


def test_demo_risks_include_unmitigated_high_exposure_and_closed_ones(demo):
    unmitigated = [
        (risk.initiative.code, risk.exposure)
        for risk in Risk.objects.filter(mitigation="").select_related("initiative")
    ]
    assert sorted(unmitigated) == [("ECOM-05", 16), ("FIN-01", 16)]
    assert Risk.objects.filter(status="closed").count() == 4


def test_demo_big_initiatives_miss_some_required_artefacts(demo):
    kinds = set(Initiative.objects.get(code="FIN-01").artefacts.values_list("kind", flat=True))
    assert kinds == {"business_case", "architecture_review", "test_strategy"}
    assert Initiative.objects.get(code="ECOM-05").artefacts.count() == 5


def test_demo_steering_records_decisions_absent_sponsors_and_overdue_actions(demo):
    # given the committee and its four held meetings
    committee = Committee.objects.get()
    assert committee.members.count() == 8
    assert committee.meetings.filter(status="held").count() == 4
    assert committee.meetings.filter(status="planned", held_on=AS_OF).count() == 1
    # when reviews are checked for the initiative's sponsor among the attendees
    absent = [
        (review.initiative.code, review.held_on)
        for review in CheckpointReview.objects.select_related("initiative").prefetch_related("attendees")
        if review.initiative.sponsor_id not in {user.pk for user in review.attendees.all()}
    ]
    # then the CFO missed both reviews of the ERP migration, and three actions are overdue
    assert sorted(absent) == [
        ("FIN-01", AS_OF - datetime.timedelta(days=83)),
        ("FIN-01", AS_OF - datetime.timedelta(days=13)),
    ]
    overdue = ActionItem.objects.filter(status="open", due_date__lt=AS_OF)
    assert sorted(overdue.values_list("initiative__code", flat=True)) == ["FIN-01", "SCM-03", "SEC-02"]
    assert list(
        CheckpointReview.objects.filter(decision="stop").values_list("initiative__code", flat=True)
    ) == ["ECOM-08"]


def login_request() -> HttpRequest:
    """What authenticate() gets from the login page (login throttling needs the request)."""
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.1")


def test_every_demo_login_authenticates_with_the_demo_password_and_has_its_role(demo):
    for account in DEMO_ACCOUNTS:
        user = authenticate(login_request(), username=account.username, password=DEMO_PASSWORD)
        assert user is not None, account.username
        assert list(user.groups.values_list("name", flat=True)) == [account.role]
        assert user.email.endswith("@northwind.example")
    admin = User.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert {
        a.username: a.role for a in DEMO_ACCOUNTS if a.username in {"cio", "pmo", "manager", "steering"}
    } == {
        "cio": roles.EXECUTIVE,
        "pmo": roles.PMO,
        "manager": roles.MANAGER,
        "steering": roles.STEERING,
    }
    assert User.objects.filter(is_superuser=True).count() == 1


def test_every_demo_record_passes_model_validation(db):
    # given the demo built for today (model validation compares actual dates with the real clock)
    build_demo(as_of=timezone.localdate())
    # when every entered record is fully cleaned
    failures = []
    for label in ("portfolio", "risk"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for record in model._default_manager.all():
                try:
                    record.full_clean()
                except Exception as error:  # noqa: BLE001 - collect them all for one readable failure
                    failures.append(f"{model.__name__} {record}: {error}")
    # then none fails
    assert failures == []


def test_every_demo_record_has_one_created_history_entry_by_the_pmo(demo):
    pmo = User.objects.get(username="pmo")
    for model in (
        Objective,
        KPI,
        Reading,
        Initiative,
        Contribution,
        Milestone,
        ScopeChange,
        Risk,
        CheckpointReview,
        BusinessCase,
        BusinessCaseLine,
        BusinessCaseAmount,
    ):
        history = model.history.all()
        assert history.count() == model.objects.count(), model.__name__
        assert set(history.values_list("history_type", "history_user")) == {("+", pmo.pk)}, model.__name__
    committee_entry = Committee.history.get()
    assert committee_entry.members.count() == 8


def test_second_run_changes_nothing_and_keeps_a_changed_password(demo):
    # given the demo and a user who changed their password
    before = fingerprint()
    cio = User.objects.get(username="cio")
    cio.set_password("my own secret")
    cio.save()
    out = io.StringIO()
    # when the demo is built again, even for another date
    again = build_demo(as_of=AS_OF + datetime.timedelta(days=30), stdout=out)
    # then nothing changed, the password is still theirs, and the logins are printed anyway
    assert again.created is False
    assert again.counts == {}
    assert fingerprint() == before
    assert authenticate(login_request(), username="cio", password="my own secret") is not None
    assert authenticate(login_request(), username="cio", password=DEMO_PASSWORD) is None
    assert out.getvalue().splitlines()[0] == ALREADY_PRESENT
    assert "  cio       Executive           bearing-demo" in out.getvalue().splitlines()


def test_demo_is_deterministic_for_the_same_as_of(demo):
    # given the fingerprint of a first build
    first = fingerprint()
    # when the portfolio is deleted and built again for the same date
    clear_portfolio()
    assert Initiative.objects.count() == 0
    second_result = build_demo(as_of=AS_OF)
    # then every row is identical
    assert second_result.created is True
    assert len(first) == (
        sum(demo.counts.values())
        + TierPolicy.objects.count()
        + FinancialPolicy.objects.count()
        + len(DEMO_ACCOUNTS)
    )
    assert fingerprint() == first


def test_demo_depends_on_as_of(demo):
    # given the fingerprint of the build for AS_OF
    first = fingerprint()
    clear_portfolio()
    # when built for another date
    build_demo(as_of=AS_OF + datetime.timedelta(days=1))
    # then the data differ (so the fingerprint can tell builds apart)
    assert fingerprint() != first


def test_seed_demo_command_loads_the_demo_and_prints_the_logins(db):
    out = io.StringIO()
    call_command("seed_demo", "--as-of", "2026-11-21", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Demo portfolio loaded: 7 programs, 19 objectives, 20 KPIs, 152 readings")
    assert "  username  role                password" in lines
    assert "  admin     Admin               bearing-demo" in lines
    assert Reading.objects.order_by("-date").values_list("date", flat=True).first() == LATEST_QUARTER_END


def test_seed_demo_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="--as-of must be a date like 2026-11-21, not '21/11/2026'"):
        call_command("seed_demo", "--as-of", "21/11/2026", stdout=io.StringIO())
    assert User.objects.count() == 0
    assert Contribution.objects.count() == 0
