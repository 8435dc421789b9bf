"""Digests: the weekly executive digest (the worked example of docs/events.md, reproduced exactly) and each
person's daily digest of the notifications they chose to receive that way, in HTML and text."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import PortfolioIndex, Signal
from core import roles
from events import digests
from events.models import EXECUTIVE_DIGEST, Channel, Notification, Preference
from portfolio.benefits import Quarter
from portfolio.models import Initiative
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from portfolio.services.business_cases import LineInput, business_case_save
from steering.models import PortfolioDecision
from tests.events.support import NOW
from tests.factories import (
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ReadingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
MONDAY = D(2026, 11, 23)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def planned(
    user: Any, code: str, title: str, stage: str, lines: list[tuple[LineInput, dict[Quarter, PeriodInput]]]
) -> None:
    """An initiative with a business case of these benefit lines, each with its plan's quarters."""
    initiative = InitiativeFactory(code=code, title=title, stage=stage, go_live_date=D(2026, 1, 1))
    business_case_save(
        user=user,
        initiative_id=initiative.pk,
        version=None,
        first_year=2026,
        lines=[line for line, _ in lines],
    )
    for stored, (line, periods) in zip(
        initiative.business_case.lines.order_by("position"), lines, strict=True
    ):
        benefit_plan_save(user=user, line_id=stored.pk, version=None, kpi=line.kpi, periods=periods)


def q(quarter: int, expected: str, actual: str | None = None) -> dict[Quarter, PeriodInput]:
    return {Quarter(2026, quarter): PeriodInput(expected, actual)}


def benefit_plans(user: Any) -> None:
    """The benefit plans of docs/events.md's worked example (as of Monday 23 November 2026 the quarters to
    date are 2026 Q1 to Q3)."""
    planned(
        user,
        "ECOM-1",
        "Web <shop>",
        "live",
        [
            (
                LineInput("revenue", "Online <sales>", {2026: "40000"}),
                {**q(1, "10000", "9000"), **q(2, "10000", "6000"), **q(3, "10000"), **q(4, "10000")},
            )
        ],
    )
    kpi = KPIFactory(name="Days to hire")
    planned(
        user,
        "HR-3",
        "Payroll",
        "live",
        [
            (LineInput("revenue", "Faster hiring", {2026: "8000"}), q(3, "8000", "6000")),
            (LineInput("non_financial", "Time to hire", {2026: "5"}, kpi=kpi.pk), q(3, "5", "2")),
        ],
    )
    planned(
        user,
        "FIN-5",
        "Ledger",
        "live",
        [
            (
                LineInput("cost_saving", "Fewer licences", {2026: "20000"}),
                {**q(2, "5000", "5500"), **q(3, "5000", "5000"), **q(4, "5000")},
            )
        ],
    )
    planned(
        user,
        "DL-4",
        "Data lake",
        "in_delivery",
        [(LineInput("revenue", "Insights", {2026: "10000"}), q(1, "10000", "0"))],
    )


@pytest.fixture
def week(pmo) -> None:
    """The week of 16 to 22 November 2026, as docs/events.md tells it."""
    crm = InitiativeFactory(code="CRM-2", title="CRM <renewal>")
    PortfolioIndex.objects.create(date=D(2026, 11, 16), computed_at=at(D(2026, 11, 16)), alignment_index=70.0)
    PortfolioIndex.objects.create(date=MONDAY, computed_at=at(MONDAY, 6), alignment_index=72.44)
    for key, severity, day, message in [
        ("a", "red", D(2026, 11, 18), "CRM-2: cost overrun of 25%"),
        ("b", "red", D(2026, 11, 10), "Raised before the week"),
        ("c", "amber", D(2026, 11, 19), "Amber, not red"),
    ]:
        Signal.objects.create(
            key=key,
            rule="cost_overrun",
            severity=severity,
            initiative=crm,
            message=message,
            first_seen=at(day),
            last_seen=at(day),
        )
    CheckpointReviewFactory(initiative=crm, held_on=D(2026, 11, 20), decision="realign")
    CheckpointReviewFactory(initiative=crm, held_on=D(2026, 11, 2))
    PortfolioDecision.objects.create(
        kind="proposal_review",
        outcome="approved",
        subject="Data lake",
        rationale="Worth it",
        decided_at=at(D(2026, 11, 17)),
    )
    slipped = MilestoneFactory(
        initiative=crm, name="Go-live", baseline_date=D(2026, 12, 1), forecast_date=D(2026, 12, 15)
    )
    early = MilestoneFactory(
        initiative=crm, name="Design", baseline_date=D(2026, 12, 1), forecast_date=D(2026, 11, 28)
    )
    old = MilestoneFactory(
        initiative=crm, name="Pilot", baseline_date=D(2026, 10, 1), forecast_date=D(2026, 10, 20)
    )
    type(slipped).objects.filter(pk=slipped.pk).update(forecast_updated_at=at(D(2026, 11, 19)))
    type(early).objects.filter(pk=early.pk).update(forecast_updated_at=at(D(2026, 11, 19)))
    type(old).objects.filter(pk=old.pk).update(forecast_updated_at=at(D(2026, 11, 1)))
    benefit_plans(pmo)


def test_the_executive_digest_worked_example(week):
    digest = digests.executive_digest(MONDAY)
    assert (digest.start, digest.end, digest.index, digest.index_before, digest.change) == (
        D(2026, 11, 16),
        MONDAY,
        72.4,
        70.0,
        2.4,
    )
    assert digest.red_count == 1
    assert [s["message"] for s in digest.red_signals] == ["CRM-2: cost overrun of 25%"]
    assert digest.decision_count == 2
    assert digest.decisions == [
        {"day": D(2026, 11, 20), "text": "CRM-2 CRM <renewal>: Realign"},
        {"day": D(2026, 11, 17), "text": "Proposal review: Data lake (Approved)"},
    ]
    assert digest.slipped_count == 1
    assert digest.slipped == [
        {
            "initiative": "CRM-2 CRM <renewal>",
            "name": "Go-live",
            "baseline": D(2026, 12, 1),
            "forecast": D(2026, 12, 15),
            "days": 14,
        }
    ]
    benefits = digest.benefits
    total = benefits.total
    assert (total.plans, total.realised_to_date, total.expected_to_date, total.variance) == (
        3,
        Decimal("31500.00"),
        Decimal("48000.00"),
        Decimal("-16500.00"),
    )
    assert total.variance_pct == Decimal("-34.375")
    assert benefits.behind_count == 2
    assert [{k: v for k, v in row.items() if k != "link"} for row in benefits.behind] == [
        {
            "initiative": "ECOM-1 Web <shop>",
            "line": "Online <sales>",
            "realised": Decimal("15000.00"),
            "expected": Decimal("30000.00"),
            "variance": Decimal("-15000.00"),
            "variance_pct": Decimal("-50.0000"),
        },
        {
            "initiative": "HR-3 Payroll",
            "line": "Faster hiring",
            "realised": Decimal("6000.00"),
            "expected": Decimal("8000.00"),
            "variance": Decimal("-2000.00"),
            "variance_pct": Decimal("-25.0000"),
        },
    ]
    ecom = Initiative.objects.get(code="ECOM-1")
    assert benefits.behind[0]["link"] == f"http://127.0.0.1:8000/initiatives/{ecom.pk}/#benefits"


def test_executives_receive_it_in_html_and_text_unless_they_turned_it_off(week, executive):
    off = UserFactory(username="exec2", roles=[roles.EXECUTIVE])
    Preference.objects.create(user=off, kind=EXECUTIVE_DIGEST, channel=Channel.NONE)
    UserFactory(username="pmo2", roles=[roles.PMO])

    assert digests.executive_digests(today=MONDAY) == 1

    (message,) = mail.outbox
    assert message.to == [executive.email]
    assert message.subject == "Bearing: the portfolio's week to 2026-11-23"
    assert "Alignment index: 72.4 (+2.4 in the week)" in message.body
    assert "New red signals: 1\n- CRM-2: cost overrun of 25%" in message.body
    assert (
        "Decisions: 2\n- 2026-11-20 CRM-2 CRM <renewal>: Realign\n- 2026-11-17 Proposal review: Data lake (Approved)"
        in message.body
    )
    assert (
        "Slipped milestones: 1\n- CRM-2 CRM <renewal>: Go-live, baseline 2026-12-01, forecast 2026-12-15 (+14 days)"
        in message.body
    )
    assert (
        "Benefits against plan: realised €31,500 of €48,000 expected to date (−€16,500, −34.4%), "
        "3 plans of live initiatives\n"
        "Plans behind: 2\n"
        "- ECOM-1 Web <shop>: Online <sales>, realised €15,000 of €30,000 (−€15,000, −50.0%)\n"
        "- HR-3 Payroll: Faster hiring, realised €6,000 of €8,000 (−€2,000, −25.0%)\n\nDashboard:"
        in message.body
    )
    documented = DOCS.read_text().split("The text e-mail reads:\n\n```\n", 1)[1].split("```", 1)[0]
    assert documented in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "<td>CRM-2 CRM &lt;renewal&gt;</td>" in html
    assert "<renewal>" not in html
    assert (
        "Realised to date <strong>€31,500</strong> of €48,000 expected (variance −€16,500, −34.4%), over 3 "
        "benefit plans of live initiatives." in html
    )
    assert "<strong>Plans behind: 2</strong>" in html
    assert (
        '>ECOM-1 Web &lt;shop&gt;</a></td><td>Online &lt;sales&gt;</td><td align="right">€15,000</td>'
        '<td align="right">€30,000</td><td align="right">−€15,000 (−50.0%)</td>' in html
    )
    assert "<shop>" not in html
    assert "<sales>" not in html


def test_an_empty_week_says_so(executive):
    digests.executive_digests(today=MONDAY)
    (message,) = mail.outbox
    assert "Alignment index: not computed yet" in message.body
    assert "New red signals: 0" in message.body
    assert "Benefits against plan: no benefit plans of live initiatives yet\n" in message.body
    assert "No benefit plans of live initiatives yet." in message.alternatives[0][0]  # type: ignore[attr-defined]


def test_the_benefits_section_reads_as_many_queries_for_two_plans_as_for_eight(pmo):
    """One query for the plans, one for their quarters, two for the derived plans' claims and readings."""
    kpi = KPIFactory(name="Calls")
    ReadingFactory(kpi=kpi, date=D(2026, 5, 1), value=Decimal("15"))
    derived = InitiativeFactory(code="DER-1", stage="live", go_live_date=D(2026, 1, 1))
    ContributionFactory(initiative=derived, objective=kpi.objective, kpi=kpi, expected_change=Decimal("10"))
    business_case_save(
        user=pmo,
        initiative_id=derived.pk,
        version=None,
        first_year=2026,
        lines=[LineInput("revenue", "Calls", {2026: "4000"})],
    )
    benefit_plan_save(
        user=pmo,
        line_id=derived.business_case.lines.get().pk,
        version=None,
        kpi=kpi,
        source="derived",
        periods=q(2, "1000"),
    )

    def count(plans: int) -> tuple[int, int]:
        for i in range(plans):
            planned(
                pmo,
                f"P-{plans}-{i}",
                "Plan",
                "live",
                [(LineInput("revenue", "Sales", {2026: "4"}), q(1, "4", "1"))],
            )
        with CaptureQueriesContext(connection) as queries:
            found = digests.benefits_against_plan(MONDAY)
        return len(queries), found.total.plans

    few, with_two = count(1)
    many, with_eight = count(6)
    assert (with_two, with_eight) == (2, 8)
    assert few == many == 4


def test_the_daily_digest_sends_each_person_one_email_once(manager, executive):
    for user, channel, n in [
        (manager, Channel.DAILY, 3),
        (executive, Channel.WEEKLY, 2),
        (executive, Channel.DAILY, 1),
    ]:
        first = Notification.objects.filter(user=user).count()
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    event_id=first + i + 1,
                    kind="decision.recorded",
                    title=f"<b>Decision {i}</b>",
                    url="/steering/decisions/",
                    channel=channel,
                    created_at=NOW,
                )
                for i in range(n)
            ]
        )

    assert digests.personal_digests(Channel.DAILY, now=NOW) == 2
    assert digests.personal_digests(Channel.DAILY, now=NOW) == 0

    by_person = {m.to[0]: m for m in mail.outbox}
    message = by_person[manager.email]
    assert message.subject == "Bearing: your daily digest (3 notifications)"
    assert (
        "- Decision recorded: <b>Decision 2</b>\n  http://127.0.0.1:8000/steering/decisions/" in message.body
    )
    assert "&lt;b&gt;Decision 0&lt;/b&gt;" in message.alternatives[0][0]  # type: ignore[attr-defined]
    assert by_person[executive.email].subject == "Bearing: your daily digest (1 notification)"
    assert Notification.objects.filter(channel=Channel.WEEKLY, emailed_at__isnull=True).count() == 2
    assert digests.personal_digests(Channel.WEEKLY, now=NOW) == 1


def test_the_plans_behind_are_capped_and_counted(week, monkeypatch):
    monkeypatch.setattr(digests, "DIGEST_ROWS", 1)

    benefits = digests.executive_digest(MONDAY).benefits

    assert benefits.behind_count == 2
    assert [row["initiative"] for row in benefits.behind] == ["ECOM-1 Web <shop>"]
