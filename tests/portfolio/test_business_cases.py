"""Business cases as entered data: the service that saves them, the stored figures, the financial policy."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.models import Job
from portfolio import finance
from portfolio.models import BusinessCase, BusinessCaseAmount, BusinessCaseLine, FinancialPolicy
from portfolio.services.business_cases import (
    LineInput,
    Seed,
    business_case_save,
    business_cases_seed,
    financial_policy_publish,
    recompute_figures,
)
from tests.factories import InitiativeFactory, KPIFactory

pytestmark = pytest.mark.django_db

# docs/business-case.md's worked example, with year 0 = 2027
WORKED = [
    LineInput("capex", "Platform build", {2027: "250000", 2028: "40000"}),
    LineInput("opex", "Run and licences", {2028: "30000", 2029: "30000", 2030: "30000", 2031: "30000"}),
    LineInput(
        "cost_saving", "Legacy system retired", {2028: "60000", 2029: "90000", 2030: "90000", 2031: "90000"}
    ),
    LineInput(
        "revenue",
        "Online sales",
        {2028: "20000", 2029: "60000", 2030: "100000", 2031: "110000", 2032: "110000"},
    ),
]


def _save(user, initiative, lines=WORKED, version=None, first_year=2027):
    return business_case_save(
        user=user, initiative_id=initiative.pk, version=version, first_year=first_year, lines=lines
    )


def _figures(case: BusinessCase) -> dict:
    case.refresh_from_db()
    return {
        "policy_version": case.policy_version,
        "npv": case.npv,
        "irr": case.irr,
        "payback_years": case.payback_years,
        "discounted_payback_years": case.discounted_payback_years,
        "roi": case.roi,
        "total_cost": case.total_cost,
        "total_benefit": case.total_benefit,
    }


WORKED_FIGURES = {
    "policy_version": 1,
    "npv": Decimal("114108.15"),
    "irr": Decimal("0.226110"),
    "payback_years": Decimal("2.7500"),
    "discounted_payback_years": Decimal("3.0868"),
    "roi": Decimal("0.512195"),
    "total_cost": Decimal("410000.00"),
    "total_benefit": Decimal("620000.00"),
}


def test_the_default_policy_is_8_percent_over_5_years():
    # the data migration's policy, version 1
    policy = FinancialPolicy.objects.get()
    assert (policy.version, policy.discount_rate, policy.horizon_years) == (1, Decimal("8.0000"), 5)
    assert policy.policy() == finance.FinancialPolicy(1, Decimal("0.08"), 5)


def test_pmo_saves_the_worked_example_and_its_figures_are_stored(pmo):
    # given an initiative without a case
    initiative = InitiativeFactory()

    # when the PMO enters the worked example
    case = _save(pmo, initiative)

    # then its lines, amounts and figures are stored, the figures those of docs/business-case.md
    assert case.version == 1
    assert list(case.lines.values_list("position", "kind", "label")) == [
        (0, "capex", "Platform build"),
        (1, "opex", "Run and licences"),
        (2, "cost_saving", "Legacy system retired"),
        (3, "revenue", "Online sales"),
    ]
    assert BusinessCaseAmount.objects.filter(line__case=case).count() == 15
    assert _figures(case) == WORKED_FIGURES
    assert case.irr_note == ""


def test_stored_figures_equal_finance_evaluate(pmo):
    # given a saved case
    initiative = InitiativeFactory()
    case = _save(pmo, initiative)

    # then the stored figures are finance.evaluate_business_case's for the same lines
    result = finance.evaluate_business_case(
        [
            finance.CaseLine(
                finance.LineKind(line.kind),
                line.label,
                {y - 2027: Decimal(a) for y, a in line.amounts.items()},
            )
            for line in WORKED
        ],
        finance.FinancialPolicy(1, Decimal("0.08"), 5),
    )
    assert _figures(case) == {
        "policy_version": result.policy_version,
        "npv": result.npv,
        "irr": result.irr,
        "payback_years": result.payback_years,
        "discounted_payback_years": result.discounted_payback_years,
        "roi": result.roi,
        "total_cost": result.total_costs,
        "total_benefit": result.total_benefits,
    }


def test_a_second_save_changes_only_what_changed_and_the_history_says_so(pmo):
    # given the worked example
    initiative = InitiativeFactory()
    case = _save(pmo, initiative)
    line_ids = list(case.lines.values_list("id", flat=True))

    # when the PMO raises one year's sales and drops the last line
    lines = [*WORKED[:3]]
    lines[2] = LineInput(
        "cost_saving", "Legacy system retired", {2028: "60000", 2029: "90000", 2030: "90000", 2031: "100000"}
    )
    case = _save(pmo, initiative, lines=lines, version=1)

    # then the kept lines are the same rows, one amount changed, the dropped line gone with its amounts
    assert case.version == 2
    assert list(case.lines.values_list("id", flat=True)) == line_ids[:3]
    assert BusinessCaseLine.history.filter(id=line_ids[3], history_type="-").count() == 1
    assert list(
        BusinessCaseAmount.history.filter(line_id=line_ids[2], history_type="~").values_list("year", "amount")
    ) == [(2031, Decimal("100000.0000"))]
    assert _figures(case)["total_benefit"] == Decimal("340000.00")


def test_a_stale_version_is_refused_and_nothing_changes(pmo):
    # given a case at version 2 (saved twice)
    initiative = InitiativeFactory()
    _save(pmo, initiative)
    _save(pmo, initiative, version=1)

    # when someone saves over version 1
    with pytest.raises(StaleEdit):
        _save(pmo, initiative, lines=WORKED[:1], version=1)

    # then the case is as the second save left it
    case = BusinessCase.objects.get(pk=initiative.pk)
    assert case.version == 2
    assert case.lines.count() == 4


def test_a_case_created_meanwhile_is_not_overwritten(pmo):
    # given a case someone else created after the page was opened (version None: no case seen)
    initiative = InitiativeFactory()
    _save(pmo, initiative)

    # when a save that saw no case arrives
    with pytest.raises(StaleEdit):
        _save(pmo, initiative, lines=WORKED[:1], version=None)

    # then nothing changed
    assert BusinessCase.objects.get(pk=initiative.pk).lines.count() == 4


def test_bad_lines_are_refused_at_their_field_and_nothing_is_saved(pmo):
    # given an initiative and a KPI
    initiative = InitiativeFactory()
    kpi = KPIFactory()

    # when the lines have every kind of mistake
    lines = [
        LineInput("capex", "", {2027: "-5"}),
        LineInput("non_financial", "Happier customers", {2028: "-3"}),
        LineInput("revenue", "Sales", {2028: "abc", 2029: "10.005"}, kpi=kpi.pk),
        LineInput("gift", "Unknown", {}),
    ]
    with pytest.raises(ApplicationError) as refused:
        _save(pmo, initiative, lines=lines, first_year=1800)

    # then each mistake is named at its field or row, and no case exists
    assert refused.value.field_errors == {
        "first_year": ["Enter the case's first calendar year (1900 to 2200)."],
        "lines-0-label": ["Give the line a label."],
        "lines-0-amount-2027": ["Enter a positive sum: the line's kind gives its sign."],
        "lines-1-kpi": ["A non-financial line names the KPI it is tied to."],
        "lines-2-kpi": ["Only a non-financial line names a KPI."],
        "lines-2-amount-2028": ["Enter a number."],
        "lines-2-amount-2029": ["Enter a sum in whole cents below 1,000,000,000,000."],
        "lines-3-kind": ["Choose the kind of line."],
    }
    assert not BusinessCase.objects.exists()
    assert not BusinessCaseLine.objects.exists()


def test_a_non_financial_line_keeps_its_kpi_and_negative_values_but_counts_in_no_money_figure(pmo):
    # given the worked example plus a non-financial line
    initiative = InitiativeFactory()
    kpi = KPIFactory(name="NPS")
    lines = [
        *WORKED,
        LineInput("non_financial", "Customer satisfaction", {2029: "5", 2030: "-2"}, kpi=kpi.pk),
    ]

    # when it is saved
    case = _save(pmo, initiative, lines=lines)

    # then the line is kept with its KPI, and the money figures are the worked example's
    line = case.lines.get(position=4)
    assert (line.kind, line.kpi_id) == ("non_financial", kpi.pk)
    assert sorted(line.amounts.values_list("year", "amount")) == [
        (2029, Decimal("5.0000")),
        (2030, Decimal("-2.0000")),
    ]
    assert _figures(case) == WORKED_FIGURES


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("pmo", True),
        ("admin_user", True),
        ("manager", True),
        ("other_manager", False),
        ("executive", False),
        ("steering_member", False),
        ("outsider", False),
    ],
    indirect=["persona"],
)
def test_who_may_save_a_business_case(persona, allowed, manager):
    # given an initiative that `manager` manages
    initiative = InitiativeFactory(manager=manager)

    # when the persona saves a case
    if allowed:
        case = _save(persona, initiative)
        # then it is saved
        assert case.lines.count() == 4
    else:
        with pytest.raises(NotAllowed):
            _save(persona, initiative)
        # then nothing is
        assert not BusinessCase.objects.exists()


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("pmo", True),
        ("admin_user", True),
        ("manager", False),
        ("executive", False),
        ("steering_member", False),
        ("outsider", False),
    ],
    indirect=["persona"],
)
def test_who_may_publish_a_financial_policy(persona, allowed):
    if allowed:
        policy = financial_policy_publish(user=persona, discount_rate="10", horizon_years=4, note="CFO, 2026")
        assert (policy.version, policy.discount_rate, policy.horizon_years) == (2, Decimal("10"), 4)
    else:
        with pytest.raises(NotAllowed):
            financial_policy_publish(user=persona, discount_rate="10", horizon_years=4)
        assert FinancialPolicy.objects.count() == 1


def test_a_bad_policy_is_refused_at_its_fields(pmo):
    with pytest.raises(ApplicationError) as refused:
        financial_policy_publish(user=pmo, discount_rate="eight", horizon_years=0)
    assert refused.value.field_errors == {
        "discount_rate": ["Enter the discount rate in per cent, e.g. 8."],
        "horizon_years": ["Enter a horizon of 1 to 50 years."],
    }
    assert FinancialPolicy.objects.count() == 1


def test_publishing_a_policy_recomputes_every_case_in_a_tracked_job(pmo, django_capture_on_commit_callbacks):
    # given the worked example under version 1
    initiative = InitiativeFactory()
    case = _save(pmo, initiative)

    # when the PMO publishes 10 % over 4 years
    with django_capture_on_commit_callbacks(execute=True):
        financial_policy_publish(user=pmo, discount_rate="10", horizon_years=4)

    # then the job recomputed the case under version 2 (years 0 to 3: −250,000, 10,000, 120,000, 160,000)
    job = Job.objects.get(kind="case_figures")
    assert (job.status, job.result) == ("done", {"cases": 1})
    figures = _figures(case)
    assert figures["policy_version"] == 2
    assert figures["npv"] == Decimal("-21525.17")
    assert figures["total_cost"] == Decimal("380000.00")
    assert figures["total_benefit"] == Decimal("420000.00")


def _recompute_queries(pmo, count: int) -> int:
    for _ in range(count):
        _save(pmo, InitiativeFactory())
    FinancialPolicy.objects.create(version=2, discount_rate=Decimal("10"), horizon_years=4)
    with CaptureQueriesContext(connection) as queries:
        assert recompute_figures() == count
    assert set(BusinessCase.objects.values_list("policy_version", flat=True)) == {2}
    return len(queries)


def test_the_recompute_takes_the_same_queries_for_3_and_30_cases(pmo):
    # 1 policy, 1 count, then per batch: cases, lines, amounts, the bulk update; and the empty batch at the end
    assert _recompute_queries(pmo, 3) == 7
    BusinessCase.objects.all().delete()
    FinancialPolicy.objects.filter(version=2).delete()
    assert _recompute_queries(pmo, 30) == 7


def test_seeded_cases_carry_the_figures_a_recompute_gives(pmo):
    # given two initiatives seeded from their budget and expected annual benefit (as the demo's are)
    first, second = InitiativeFactory(), InitiativeFactory()
    made = business_cases_seed(
        [
            Seed(
                first.pk,
                2026,
                datetime.date(2027, 6, 30),
                None,
                Decimal("250000"),
                Decimal("30000.01"),
                Decimal("120000"),
            ),
            Seed(second.pk, 2026, None, None, Decimal("0"), Decimal("0"), Decimal("0")),
        ],
        user=pmo,
    )

    # then one case (the second has nothing to seed), with migration 0012's lines and figures
    assert made == 1
    case = BusinessCase.objects.get()
    seeded = _figures(case)
    assert (seeded["npv"], seeded["total_cost"], seeded["total_benefit"]) == (
        Decimal("7455.21"),
        Decimal("280000.01"),
        Decimal("360000.00"),
    )
    assert case.history.get().history_user == pmo

    # and a recompute finds the same
    recompute_figures()
    assert _figures(case) == seeded
