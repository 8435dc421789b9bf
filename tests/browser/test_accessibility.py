"""Accessibility: axe-core (vendored for these tests, see vendor/axe-core/README.md) checks every page as the
PMO and the admin, and as one of the reading roles in turn, with WCAG 2.1 A and AA rules: no serious or
critical violation anywhere. And a keyboard alone gets through the register, a form and a checkpoint review."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import services
from capacity.models import Team
from demo import northwind as demo
from demo.capacity import build_capacity
from demo.northwind import DEMO_PASSWORD, build_demo
from demo.scenarios import build_scenarios
from demo.strategy import build_strategy
from planning.models import Scenario, StrategyVersion, VersionStatus
from portfolio.models import KPI, Initiative, Objective, Program
from risk.models import TierPolicy
from steering.models import ActionItem, AgendaItem, CheckpointReview, MeetingStatus, SteeringMeeting
from tests.browser.conftest import login, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.split('\\n')[1])}));
}"""
ROLES = ["cio", "pmo", "manager", "steering", "admin"]
# The PMO and the admin see every control a page has, so they walk every page; the three reading roles share
# the walk, a page in three each, so every page is also checked as a reader (and the suite stays in budget).
FULL_WALK = {"pmo", "admin"}


# the day the walk runs on (its clock is set: the demo's meetings, reviews and months fall on any day alike)
TODAY = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)


@pytest.fixture
def demo_portfolio(time_machine: Any) -> None:
    time_machine.move_to(TODAY)
    today = timezone.localdate()
    build_demo(as_of=today)
    build_capacity(today=today)
    services.backfill_history(today=today, months=2)
    demo.prepare_meetings()
    build_strategy(today=today)
    build_scenarios(today=today)


def pages() -> list[str]:
    """Every kind of page, on the demo portfolio (lists, records, forms, steering, account pages)."""
    initiative = Initiative.objects.filter(contributions__isnull=False).order_by("code")[0]
    objective = Objective.objects.get(code="O1.2")
    kpi = KPI.objects.filter(objective=objective).order_by("name")[0]
    meeting = SteeringMeeting.objects.get(status=MeetingStatus.PLANNED, held_on=timezone.localdate())
    item = AgendaItem.objects.filter(meeting=meeting, review__isnull=True).order_by("position")[0]
    review = CheckpointReview.objects.order_by("pk")[0]
    action = ActionItem.objects.order_by("pk")[0]
    milestone = initiative.milestones.order_by("pk")[0]
    draft = StrategyVersion.objects.get(status=VersionStatus.DRAFT)
    scenarios = list(Scenario.objects.order_by("pk").values_list("pk", flat=True))
    team = Team.objects.get(name="Data platform")
    return [
        "/dashboard/",
        "/initiatives/",
        f"/initiatives/{initiative.pk}/",
        f"/initiatives/{initiative.pk}/why/",
        f"/initiatives/{initiative.pk}/edit/",
        "/initiatives/new/",
        f"/initiatives/{initiative.pk}/milestones/new/",
        f"/records/milestones/{milestone.pk}/edit/",
        "/milestones/",
        "/worklist/",
        "/objectives/",
        f"/objectives/{objective.pk}/",
        f"/objectives/{objective.pk}/edit/",
        f"/kpis/{kpi.pk}/",
        "/programs/",
        f"/programs/{Program.objects.order_by('pk')[0].pk}/edit/",
        "/risks/",
        "/tiers/",
        f"/tiers/{TierPolicy.objects.get(tier=1).pk}/edit/",
        "/signals/",
        "/recompute/",
        "/scoring/",
        "/steering/",
        f"/steering/meetings/{meeting.pk}/",
        f"/steering/meetings/{meeting.pk}/edit/",
        reverse("steering:review-create", args=[item.pk]),
        f"/steering/reviews/{review.pk}/",
        "/steering/decisions/",
        "/steering/actions/",
        f"/steering/actions/{action.pk}/edit/",
        f"/steering/meetings/{meeting.pk}/pack/",
        "/accounts/password/change/",
        f"/planning/strategy/{draft.pk}/",
        f"/planning/strategy/{draft.pk}/pairwise/themes/",
        "/planning/scenarios/",
        f"/planning/scenarios/{scenarios[0]}/",
        f"/planning/scenarios/compare/?s={scenarios[0]}&s={scenarios[1]}",
        "/planning/priorities/",
        "/planning/priorities/?method=wsjf",
        "/planning/priorities/scoring-model/",
        "/planning/priorities/sensitivity/",
        "/notifications/",
        "/notifications/preferences/",
        "/notifications/watching/",
        "/webhooks/",
        "/webhooks/new/",
        "/capacity/?proposals=on",
        "/capacity/teams/",
        f"/capacity/teams/{team.pk}/",
        f"/capacity/teams/{team.pk}/months/{timezone.localdate():%Y-%m}/",
        "/capacity/policy/",
        "/benefits/",
        "/benefits/track-record/?by=program",
        # a proposal's page: its header shows the sponsor's track record
        f"/initiatives/{Initiative.objects.filter(stage='proposed').order_by('code')[0].pk}/",
    ]


def violations(page: Any, path: str) -> list[str]:
    page.goto(path)  # a page this role may not open shows its refusal page, which is checked instead
    settle(page)
    page.evaluate(AXE)
    return [f"{path}: {json.dumps(v)}" for v in page.evaluate(RUN_AXE)]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_or_critical_accessibility_violation(page, demo_portfolio, role):
    # given the demo, as this role
    login(page, role, DEMO_PASSWORD)

    # when axe checks every page (the reading roles: their share of them)
    readers = [r for r in ROLES if r not in FULL_WALK]
    walk = [p for i, p in enumerate(pages()) if role in FULL_WALK or i % len(readers) == readers.index(role)]
    found = [v for path in walk for v in violations(page, path)]

    # then
    assert found == [], "\n".join(found)


def test_the_login_page_has_no_serious_or_critical_accessibility_violation(page):
    assert violations(page, "/accounts/login/") == []


@pytest.mark.parametrize("passwords", [True, False])
def test_the_login_page_with_single_sign_on_has_no_serious_or_critical_accessibility_violation(
    page, settings, passwords
):
    settings.BEARING_OIDC_ENABLED = True
    settings.BEARING_LOCAL_PASSWORDS = passwords
    assert violations(page, "/accounts/login/") == []


def test_the_break_glass_page_has_no_serious_or_critical_accessibility_violation(page):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from identity.tokens import break_glass_tokens
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    uid = urlsafe_base64_encode(force_bytes(admin.pk))
    path = reverse("identity:break-glass", args=[uid, break_glass_tokens.make_token(admin)])
    assert violations(page, path) == []
