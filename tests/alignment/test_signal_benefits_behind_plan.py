"""Rule 16, benefits behind plan: a live or closed initiative's money benefit plans realised less than 80% of
what they expected to date (red below 50%)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from tests.alignment.benefit_signal_support import live, plan, plan_url, raised_by, set_actual
from tests.alignment.signal_support import TODAY, D, raised

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]

EXPECTED = [((2026, 1), "10000", None), ((2026, 2), "10000", None), ((2026, 3), "10000", None)]


def quarters(*actuals: str | None) -> list[tuple[tuple[int, int], str | None, str | None]]:
    """2026 Q1 to Q3 (ended by 21 November 2026) expecting 10,000 each, and 2026 Q4 (under way) 10,000."""
    return [
        *((q, e, a) for (q, e, _), a in zip(EXPECTED, actuals, strict=True)),
        ((2026, 4), "10000", None),
    ]


def test_behind_plan_raises_amber_with_the_figures_and_the_plan_behind(themes):
    # given: 23,999 realised of 30,000 expected to date (79.997%)
    initiative = live(themes)
    saving = plan(initiative, "Fewer store visits", quarters("8000", "8000", "7999"))

    # then
    assert raised() == [
        (
            "benefits_behind_plan",
            "amber",
            "SUBJ-1 has realised €23,999 of the €30,000 its benefit plans expected to date, 79.9% (below 80%); "
            "furthest behind: “Fewer store visits” €23,999 of €30,000.",
            [
                {"label": "Benefit plan “Fewer store visits”", "url": plan_url(saving)},
                {
                    "label": "SUBJ-1 benefits",
                    "url": reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#benefits",
                },
            ],
        )
    ]
    stored = Signal.objects.get(rule="benefits_behind_plan")
    assert (stored.measured, stored.threshold) == (0.8, 0.8)  # 0.79997 to 4 decimals


def test_exactly_at_the_amber_threshold_raises_nothing(themes):
    plan(live(themes), "Fewer store visits", quarters("8000", "8000", "8000"))

    assert raised() == []


def test_red_below_half(themes):
    # given: 14,999.99 realised of 30,000 (49.99997%) and, beside it, exactly 15,000 of 30,000
    plan(live(themes, code="HALF-1"), "Saving", quarters("7500", "7500", "0"))
    plan(live(themes, code="LESS-1"), "Saving", quarters("7500", "7499.99", "0"))

    assert [(code, severity) for code, severity, _ in raised_by("benefits_behind_plan")] == [
        ("HALF-1", "amber"),
        ("LESS-1", "red"),
    ]


def test_the_plans_furthest_behind_are_named_first_and_only_money_plans_count(themes):
    # given: three money plans and a non-financial one (in a KPI's unit, far behind: not added to money)
    initiative = live(themes)
    plan(initiative, "Small gap", quarters("9000", "10000", "10000"), position=0)
    plan(initiative, "Big gap", quarters("1000", "1000", "1000"), position=1)
    plan(initiative, "On plan", quarters("10000", "10000", "10000"), position=2)
    kpi = initiative.contributions.get().kpi
    plan(initiative, "Satisfaction", quarters("0", "0", "0"), kind="non_financial", kpi=kpi, position=3)

    # then: 62,000 of 90,000
    assert raised_by("benefits_behind_plan") == [
        (
            "SUBJ-1",
            "amber",
            "SUBJ-1 has realised €62,000 of the €90,000 its benefit plans expected to date, 68.8% (below 80%); "
            "furthest behind: “Big gap” €3,000 of €30,000; “Small gap” €29,000 of €30,000.",
        )
    ]


def test_cleared_when_the_actuals_come_in(themes):
    # given: behind plan while 2026 Q3's actual is missing
    benefit_plan = plan(live(themes), "Fewer store visits", quarters("10000", "10000", None))
    assert [severity for _, severity, _ in raised_by("benefits_behind_plan")] == ["amber"]

    # when: the actual is entered and the initiative recomputed on its own
    set_actual(benefit_plan, 2026, 3, "9000")
    services.recompute(initiative_ids=[benefit_plan.line.case_id], today=TODAY)

    # then
    assert not Signal.objects.filter(rule="benefits_behind_plan").exists()


def test_a_closed_initiative_is_watched_too(themes):
    plan(live(themes, stage=Stage.CLOSED), "Saving", quarters("1000", "1000", "1000"))

    assert [severity for _, severity, _ in raised_by("benefits_behind_plan")] == ["red"]


@pytest.mark.parametrize("stage", [Stage.IN_DELIVERY, Stage.APPROVED])
def test_not_before_go_live(themes, stage):
    plan(live(themes, stage=stage), "Saving", quarters("1000", "1000", "1000"))

    assert raised_by("benefits_behind_plan") == []


def test_nothing_expected_to_date_raises_nothing(themes):
    # given: only the quarter under way and those to come expect a benefit
    plan(
        live(themes, go_live=D(2026, 10, 1)),
        "Saving",
        [((2026, 4), "10000", "100"), ((2027, 1), "10000", None)],
    )

    assert raised_by("benefits_behind_plan") == []


def test_without_any_actual_it_is_live_no_benefit_actuals_that_speaks(themes):
    plan(live(themes), "Saving", quarters(None, None, None))

    assert [rule for rule, *_ in raised()] == ["live_no_benefit_actuals"]
