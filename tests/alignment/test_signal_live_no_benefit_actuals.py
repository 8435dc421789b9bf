"""Rule 17, live with no benefit actuals: 120 days after go-live, benefit plans that expected a benefit in a
quarter already ended have no actual (entered or derived from KPI readings) for any quarter ended; or the
business case has benefit lines and no plan tracks any of them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from tests.alignment.benefit_signal_support import line, live, plan, plan_url, raised_by, set_actual
from tests.alignment.signal_support import TODAY, D, raised
from tests.factories import ReadingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]

Q3_Q4 = [((2026, 3), "15000", None), ((2026, 4), "15000", None)]


def test_raised_120_days_after_go_live_with_no_actual(themes):
    # given: live since 24 July 2026 (120 days), 2026 Q3 expected 15,000 and has no actual
    churn = plan(live(themes, go_live=D(2026, 7, 24)), "Churn reduction", Q3_Q4)

    # then
    assert raised() == [
        (
            "live_no_benefit_actuals",
            "amber",
            "SUBJ-1 went live on 2026-07-24, 120 days ago, and no benefit actual has been entered or derived "
            "from KPI readings for any quarter ended: its benefit plans expected a benefit in 2026 Q3 and "
            "nothing says what came of it.",
            [{"label": "Benefit plan “Churn reduction”", "url": plan_url(churn)}],
        )
    ]
    stored = Signal.objects.get(rule="live_no_benefit_actuals")
    assert (stored.measured, stored.threshold) == (120.0, 120.0)


def test_not_raised_119_days_after_go_live(themes):
    plan(live(themes, go_live=D(2026, 7, 25)), "Churn reduction", Q3_Q4)

    assert raised() == []


def test_the_quarters_expected_are_counted(themes):
    initiative = live(themes, go_live=D(2026, 2, 15))
    plan(initiative, "Churn reduction", [((2026, 1), "5000", None), ((2026, 2), "5000", None), *Q3_Q4])
    plan(initiative, "Upsell", [((2026, 2), "1000", None)], kind="revenue", position=1)

    assert raised_by("live_no_benefit_actuals") == [
        (
            "SUBJ-1",
            "amber",
            "SUBJ-1 went live on 2026-02-15, 279 days ago, and no benefit actual has been entered or derived "
            "from KPI readings for any quarter ended: its benefit plans expected a benefit in 3 quarters "
            "(2026 Q1 to 2026 Q3) and nothing says what came of it.",
        )
    ]


def test_cleared_when_an_actual_is_entered(themes):
    churn = plan(live(themes, go_live=D(2026, 7, 24)), "Churn reduction", Q3_Q4)
    assert len(raised_by("live_no_benefit_actuals")) == 1

    # when: 2026 Q3's actual is entered, on plan, and the initiative recomputed on its own
    set_actual(churn, 2026, 3, "15000")
    services.recompute(initiative_ids=[churn.line.case_id], today=TODAY)

    # then
    assert not Signal.objects.exists()


def test_an_actual_derived_from_a_kpi_reading_counts(themes):
    # given: a plan derived from the initiative's KPI (claimed +5 from 10), read at 15 in 2026 Q3 after go-live
    initiative = live(themes, go_live=D(2026, 7, 24))
    contribution = initiative.contributions.get()
    contribution.expected_change = Decimal("5")
    contribution.save()
    ReadingFactory(kpi=contribution.kpi, date=D(2026, 9, 30), value=Decimal("15"))
    plan(initiative, "Churn reduction", Q3_Q4, kpi=contribution.kpi, source="derived")

    # then: 2026 Q3 derives 15,000 x 1: nothing to say
    assert raised() == []


def test_a_derived_plan_without_a_reading_in_any_quarter_ended_is_raised(themes):
    initiative = live(themes, go_live=D(2026, 7, 24))
    contribution = initiative.contributions.get()
    contribution.expected_change = Decimal("5")
    contribution.save()
    plan(initiative, "Churn reduction", Q3_Q4, kpi=contribution.kpi, source="derived")

    assert [severity for _, severity, _ in raised_by("live_no_benefit_actuals")] == ["amber"]


def test_benefit_lines_without_any_plan_are_raised(themes):
    # given: a business case with two benefit lines and a cost line, and no plan
    initiative = live(themes, go_live=D(2026, 7, 24))
    saving = line(initiative, "Churn reduction", position=0)
    upsell = line(initiative, "Upsell", kind="revenue", position=1)
    line(initiative, "Licences", kind="opex", position=2)

    # then
    assert raised() == [
        (
            "live_no_benefit_actuals",
            "amber",
            "SUBJ-1 went live on 2026-07-24, 120 days ago, and its business case promises benefits "
            "(“Churn reduction”, “Upsell”) that no benefit plan tracks: nothing says what they should bring "
            "each quarter, nor what they brought.",
            [
                {"label": "Plan “Churn reduction”", "url": plan_url(saving)},
                {"label": "Plan “Upsell”", "url": plan_url(upsell)},
            ],
        )
    ]


def test_only_cost_lines_or_no_business_case_raise_nothing(themes):
    line(live(themes, code="COST-1", go_live=D(2026, 2, 1)), "Licences", kind="opex")
    live(themes, code="NONE-1", go_live=D(2026, 2, 1))

    assert raised() == []


@pytest.mark.parametrize("stage", [Stage.CLOSED, Stage.IN_DELIVERY])
def test_only_live_initiatives(themes, stage):
    plan(live(themes, go_live=D(2026, 2, 15), stage=stage), "Churn reduction", Q3_Q4)

    assert raised_by("live_no_benefit_actuals") == []


def test_nothing_expected_in_a_quarter_ended_raises_nothing(themes):
    plan(live(themes, go_live=D(2026, 2, 15)), "Churn reduction", [((2026, 4), "15000", None)])

    assert raised() == []
