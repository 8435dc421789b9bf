"""The worked example of the benefit signals in docs/scoring.md (rules 16 to 18), reproduced exactly."""

from __future__ import annotations

import pytest

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from portfolio.models import BenefitPlan
from tests.alignment.benefit_signal_support import line, live, plan, set_actual
from tests.alignment.signal_support import TODAY, D, subject
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies")]

BENEFIT_RULES = ["benefits_behind_plan", "live_no_benefit_actuals", "sponsor_overpromised"]


def signals() -> list[tuple[str, str, str, str, float | None, float | None]]:
    services.recompute(today=TODAY)
    return list(
        Signal.objects.filter(rule__in=BENEFIT_RULES)
        .order_by("initiative__code")
        .values_list("initiative__code", "rule", "severity", "message", "measured", "threshold")
    )


@pytest.fixture
def dana(themes):  # type: ignore[no-untyped-def]
    """Dana's BOPS-1 (live since 15 February 2026), CRM-9 (live since 1 June 2026) and NEW-1 (proposed)."""
    sponsor = UserFactory(first_name="Dana", last_name="Diaz")
    bops = live(themes, code="BOPS-1", go_live=D(2026, 2, 15), sponsor=sponsor)
    labour = plan(
        bops,
        "Store labour saved",
        [((2026, 1), "10000", "8000"), ((2026, 2), "20000", "12000"), ((2026, 3), "20000", "10000")],
    )
    plan(bops, "Returns avoided", [((2026, 2), "5000", "4000"), ((2026, 3), "5000", "5000")], position=1)
    crm = live(themes, code="CRM-9", go_live=D(2026, 6, 1), sponsor=sponsor)
    churn = plan(crm, "Churn reduction", [((2026, 3), "15000", None), ((2026, 4), "15000", None)])
    subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=sponsor, review=None)
    return {"labour": labour, "churn": churn, "crm": crm}


def test_the_worked_example(dana):
    assert signals() == [
        (
            "BOPS-1",
            "benefits_behind_plan",
            "amber",
            "BOPS-1 has realised €39,000 of the €60,000 its benefit plans expected to date, 65.0% (below 80%); "
            "furthest behind: “Store labour saved” €30,000 of €50,000; “Returns avoided” €9,000 of €10,000.",
            0.65,
            0.8,
        ),
        (
            "CRM-9",
            "live_no_benefit_actuals",
            "amber",
            "CRM-9 went live on 2026-06-01, 173 days ago, and no benefit actual has been entered or derived from "
            "KPI readings for any quarter ended: its benefit plans expected a benefit in 2026 Q3 and nothing "
            "says what came of it.",
            173.0,
            120.0,
        ),
        (
            "NEW-1",
            "sponsor_overpromised",
            "amber",
            "The sponsor of NEW-1 (proposed): past initiatives realised 52% of what was promised, over 2 "
            "initiatives (€39,000 of €75,000 expected to date; below 70%). Test the benefits this one promises.",
            0.52,
            0.7,
        ),
    ]


def test_with_no_q3_labour_saving_bops_1_is_red(dana):
    set_actual(dana["labour"], 2026, 3, "0")

    assert signals()[0][1:5] == (
        "benefits_behind_plan",
        "red",
        "BOPS-1 has realised €29,000 of the €60,000 its benefit plans expected to date, 48.3% (below 80%); "
        "furthest behind: “Store labour saved” €20,000 of €50,000; “Returns avoided” €9,000 of €10,000.",
        0.4833,
    )


def test_gone_live_on_25_july_crm_9_raises_nothing(dana):
    crm = dana["crm"]
    crm.go_live_date = D(2026, 7, 25)
    crm.save()

    assert [code for code, *_ in signals()] == ["BOPS-1", "NEW-1"]


def test_crm_9_with_no_plan_for_its_benefit_line(dana):
    BenefitPlan.objects.filter(pk=dana["churn"].pk).delete()

    assert signals()[1][2:4] == (
        "amber",
        "CRM-9 went live on 2026-06-01, 173 days ago, and its business case promises benefits (“Churn "
        "reduction”) that no benefit plan tracks: nothing says what they should bring each quarter, nor what "
        "they brought.",
    )


def test_with_crm_9_alone_the_record_rests_on_one_initiative(themes):
    sponsor = UserFactory()
    crm = live(themes, code="CRM-9", go_live=D(2026, 6, 1), sponsor=sponsor)
    plan(crm, "Churn reduction", [((2026, 3), "15000", None), ((2026, 4), "15000", None)])
    line(crm, "Upsell", kind="revenue", position=1)
    subject(themes, code="NEW-1", stage=Stage.PROPOSED, sponsor=sponsor, review=None)

    assert [rule for _, rule, *_ in signals()] == ["live_no_benefit_actuals"]
