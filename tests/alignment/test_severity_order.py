"""One order of severity, red before amber, wherever signals are listed: the signal list, the initiative's
scorecard and "why" page, the objective page and the KPI page. Sorting the stored words would put amber
first."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alignment import selectors
from alignment.models import InitiativeScore, Severity, Signal, severity_order
from portfolio.models import KPI, Initiative, Objective
from tests.factories import InitiativeFactory, KPIFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def signal(rule: str, severity: str, subject: str, **about: Initiative | Objective | KPI | None) -> Signal:
    now = timezone.now()
    return Signal.objects.create(
        key=f"{rule}:{subject}",
        rule=rule,
        severity=severity,
        message=f"{severity} {rule} on {subject}",
        first_seen=now,
        last_seen=now,
        **about,
    )


@pytest.fixture
def signals(db) -> dict[str, object]:
    """Amber and red signals whose rules, in alphabetical order, would mix the severities."""
    initiative = InitiativeFactory(code="SIG-1")
    other = InitiativeFactory(code="SIG-2")
    objective = ObjectiveFactory(code="T9", title="Signals theme")
    kpi = KPIFactory(objective=objective, name="Queue time")
    signal("checkpoint_overdue", "amber", "SIG-1", initiative=initiative)
    signal("orphan", "red", "SIG-1", initiative=initiative)
    signal("cost_overrun", "red", "SIG-1", initiative=initiative)
    signal("schedule_slip", "amber", "SIG-2", initiative=other)
    signal("uncovered", "amber", "T9", objective=objective)
    signal("down_weighted", "red", "T9", objective=objective)
    signal("kpi_off_track", "amber", "SIG-2-kpi", initiative=other, kpi=kpi)
    signal("kpi_off_track", "red", "SIG-1-kpi", initiative=initiative, kpi=kpi)
    return {"initiative": initiative, "objective": objective, "kpi": kpi}


INITIATIVE_ORDER = [
    "red cost_overrun on SIG-1",
    "red kpi_off_track on SIG-1-kpi",
    "red orphan on SIG-1",
    "amber checkpoint_overdue on SIG-1",
]


def order_in(html: str, messages: list[str]) -> list[str]:
    """The messages in the order they appear in the page."""
    assert all(m in html for m in messages), [m for m in messages if m not in html]
    return sorted(messages, key=html.index)


def test_rank_puts_red_first_and_unknown_values_last():
    assert [Severity.rank(v) for v in ["red", "amber", "green", None]] == [0, 1, 2, 2]
    assert sorted(["amber", "red", "amber", "red"], key=Severity.rank) == ["red", "red", "amber", "amber"]


def test_the_ordering_expression_and_the_default_ordering_put_red_first(signals):
    by_expression = Signal.objects.order_by(severity_order(), "rule", "key").values_list("message", flat=True)
    expected = [
        "red cost_overrun on SIG-1",
        "red down_weighted on T9",
        "red kpi_off_track on SIG-1-kpi",
        "red orphan on SIG-1",
        "amber checkpoint_overdue on SIG-1",
        "amber kpi_off_track on SIG-2-kpi",
        "amber schedule_slip on SIG-2",
        "amber uncovered on T9",
    ]
    assert list(by_expression) == expected
    assert list(Signal.objects.values_list("message", flat=True)) == expected
    # and through a relation, as the signal list filters by initiative
    through = Initiative.objects.filter(code="SIG-1").order_by(severity_order("signals__severity"))
    assert list(through.values_list("signals__severity", flat=True)) == ["red", "red", "red", "amber"]


def test_the_signal_list_shows_red_before_amber(signals, client: Client, executive):
    client.force_login(executive)

    response = client.get(reverse("alignment:signal-list"))

    assert response.status_code == 200
    listed = [s.message for s in response.context["page"].object_list]
    assert order_in(response.content.decode(), listed) == listed
    assert listed == [
        "red cost_overrun on SIG-1",
        "red down_weighted on T9",
        "red kpi_off_track on SIG-1-kpi",
        "red orphan on SIG-1",
        "amber checkpoint_overdue on SIG-1",
        "amber kpi_off_track on SIG-2-kpi",
        "amber schedule_slip on SIG-2",
        "amber uncovered on T9",
    ]


def test_the_initiatives_scorecard_and_why_page_show_red_before_amber(signals, client: Client, executive):
    initiative = signals["initiative"]
    assert [s.message for s in selectors.initiative_scorecard(initiative)["signals"]] == INITIATIVE_ORDER
    client.force_login(executive)
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    assert order_in(page, INITIATIVE_ORDER) == INITIATIVE_ORDER


def test_the_why_page_shows_red_before_amber(signals, client: Client, executive):
    initiative = signals["initiative"]
    InitiativeScore.objects.create(
        initiative=initiative, computed_at=timezone.now()
    )  # the page lists signals of scored initiatives
    client.force_login(executive)

    response = client.get(reverse("alignment:initiative-why", args=[initiative.pk]))

    assert [s.message for s in response.context["signals"]] == INITIATIVE_ORDER


def test_the_objective_page_shows_red_before_amber(signals, client: Client, executive):
    objective = signals["objective"]
    expected = ["red down_weighted on T9", "amber uncovered on T9"]
    assert [s.message for s in selectors.objective_scorecard(objective)["signals"]] == expected
    client.force_login(executive)
    page = client.get(reverse("portfolio:objective-detail", args=[objective.pk])).content.decode()
    assert order_in(page, expected) == expected


def test_the_kpi_page_shows_red_before_amber(signals, client: Client, executive):
    kpi = signals["kpi"]
    expected = ["red kpi_off_track on SIG-1-kpi", "amber kpi_off_track on SIG-2-kpi"]
    assert [s.message for s in selectors.kpi_scorecard(kpi)["signals"]] == expected
    client.force_login(executive)
    page = client.get(reverse("portfolio:kpi-detail", args=[kpi.pk])).content.decode()
    assert order_in(page, expected) == expected


def test_the_stored_rank_is_the_rank_of_the_severity(signals):
    assert {(s.severity, s.severity_rank) for s in Signal.objects.all()} == {
        ("red", Severity.rank("red")),
        ("amber", Severity.rank("amber")),
    }


def test_the_signal_list_shows_the_newest_first_within_a_rule(db, client: Client, executive):
    # given: three red signals of one rule, raised on different days, and an amber one raised last
    now = timezone.now()
    for subject, days_ago in [("A", 3), ("B", 1), ("C", 2)]:
        Signal.objects.create(
            key=f"cost_overrun:{subject}",
            rule="cost_overrun",
            severity="red",
            message=f"overrun {subject}",
            first_seen=now - datetime.timedelta(days=days_ago),
            last_seen=now,
        )
    Signal.objects.create(
        key="cost_overrun:D",
        rule="cost_overrun",
        severity="amber",
        message="overrun D",
        first_seen=now,
        last_seen=now,
    )
    client.force_login(executive)

    # when
    response = client.get(reverse("alignment:signal-list"))

    # then
    assert [s.message for s in response.context["page"].object_list] == [
        "overrun B",
        "overrun C",
        "overrun A",
        "overrun D",
    ]


def test_the_signal_list_counts_each_rule_up_to_a_bound(signals, client: Client, executive, monkeypatch):
    # given: a bound of one
    monkeypatch.setattr("alignment.views.SIGNAL_COUNT_BOUND", 1)
    client.force_login(executive)

    # when
    response = client.get(reverse("alignment:signal-list"))
    amber_only = client.get(reverse("alignment:signal-list"), {"severity": "amber"})

    # then: kpi_off_track has one red and one amber (neither beyond the bound); no rule has two of a severity
    summary = {name: (str(red), str(amber)) for name, _rule, red, amber in response.context["summary"]}
    assert summary == {
        "checkpoint_overdue": ("0", "1"),
        "cost_overrun": ("1", "0"),
        "kpi_off_track": ("1", "1"),
        "orphan": ("1", "0"),
        "schedule_slip": ("0", "1"),
    }
    assert [s.message for s in amber_only.context["page"].object_list] == [
        "amber checkpoint_overdue on SIG-1",
        "amber kpi_off_track on SIG-2-kpi",
        "amber schedule_slip on SIG-2",
        "amber uncovered on T9",
    ]
    assert {name: (str(red), str(amber)) for name, _rule, red, amber in amber_only.context["summary"]} == {
        "checkpoint_overdue": ("0", "1"),
        "kpi_off_track": ("0", "1"),
        "schedule_slip": ("0", "1"),
    }
