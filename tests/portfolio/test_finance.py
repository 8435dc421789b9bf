"""The business case's figures reproduce spreadsheet results and published examples (portfolio.finance).

Expected values are written out. Where a figure is a published one (Excel's documentation of NPV and IRR,
the classic IRR example), the published rounding is asserted as well as our stored precision; the rates are
also checked independently: the NPV, computed here with exact fractions, changes sign within ±0.5e-6 of
the stored IRR.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.finance import (
    CaseLine,
    FinancialPolicy,
    IgnoredAmount,
    LineKind,
    _polish,
    _rate,
    _single_root,
    evaluate_business_case,
    internal_rate_of_return,
    net_present_value,
    payback,
)


def flows(*values: int) -> list[Decimal]:
    return [Decimal(value) for value in values]


def exact_npv(rate: Fraction, values: list[Decimal]) -> Fraction:
    return sum((Fraction(value) / (1 + rate) ** year for year, value in enumerate(values)), Fraction(0))


def assert_is_a_root(rate: Decimal, values: list[Decimal]) -> None:
    half_step = Fraction(1, 2_000_000)
    below = exact_npv(Fraction(rate) - half_step, values)
    above = exact_npv(Fraction(rate) + half_step, values)
    assert below * above < 0


def worked_example_lines() -> list[CaseLine]:
    """The worked example of docs/business-case.md."""
    return [
        CaseLine(LineKind.CAPEX, "Platform build", {0: Decimal(250_000), 1: Decimal(40_000)}),
        CaseLine(LineKind.OPEX, "Run and licences", {year: Decimal(30_000) for year in (1, 2, 3, 4)}),
        CaseLine(
            LineKind.COST_SAVING,
            "Legacy system retired",
            {1: Decimal(60_000), 2: Decimal(90_000), 3: Decimal(90_000), 4: Decimal(90_000)},
        ),
        CaseLine(
            LineKind.REVENUE,
            "Online sales",
            {
                1: Decimal(20_000),
                2: Decimal(60_000),
                3: Decimal(100_000),
                4: Decimal(110_000),
                5: Decimal(110_000),
            },
        ),
        CaseLine(LineKind.NON_FINANCIAL, "Customer satisfaction", {2: Decimal(5), 3: Decimal(10)}, kpi="NPS"),
    ]


def test_the_worked_example_of_the_docs_is_reproduced_to_the_cent():
    # given the 5-year case of docs/business-case.md under policy version 1 (8 %, 5 years)
    policy = FinancialPolicy(version=1, discount_rate=Decimal("0.08"), horizon_years=5)

    # when it is evaluated
    result = evaluate_business_case(worked_example_lines(), policy)

    # then every year's flows and every figure are those of the page
    assert [(y.year, y.costs, y.benefits, y.net) for y in result.years] == [
        (0, Decimal("250000.00"), Decimal("0.00"), Decimal("-250000.00")),
        (1, Decimal("70000.00"), Decimal("80000.00"), Decimal("10000.00")),
        (2, Decimal("30000.00"), Decimal("150000.00"), Decimal("120000.00")),
        (3, Decimal("30000.00"), Decimal("190000.00"), Decimal("160000.00")),
        (4, Decimal("30000.00"), Decimal("200000.00"), Decimal("170000.00")),
    ]
    assert [y.discounted_net for y in result.years] == [
        Decimal("-250000.00"),
        Decimal("9259.26"),
        Decimal("102880.66"),
        Decimal("127013.16"),
        Decimal("124955.07"),
    ]
    assert [y.cumulative_net for y in result.years] == [
        Decimal("-250000.00"),
        Decimal("-240000.00"),
        Decimal("-120000.00"),
        Decimal("40000.00"),
        Decimal("210000.00"),
    ]
    assert [y.cumulative_discounted_net for y in result.years] == [
        Decimal("-250000.00"),
        Decimal("-240740.74"),
        Decimal("-137860.08"),
        Decimal("-10846.92"),
        Decimal("114108.15"),
    ]
    assert result.policy_version == 1
    assert result.total_costs == Decimal("410000.00")
    assert result.total_benefits == Decimal("620000.00")
    assert result.npv == Decimal("114108.15")
    assert result.irr == Decimal("0.226110")
    assert result.irr_note == ""
    assert result.payback_years == Decimal("2.7500")
    assert result.discounted_payback_years == Decimal("3.0868")
    assert result.roi == Decimal("0.512195")
    assert [line.label for line in result.non_financial] == ["Customer satisfaction"]
    assert result.ignored == (IgnoredAmount("Online sales", LineKind.REVENUE, 5, Decimal(110_000)),)


def test_the_worked_example_figures_agree_with_the_formulas_computed_by_hand():
    # given the example's net flows, computed by hand from its lines
    net = flows(-250_000, 10_000, 120_000, 160_000, 170_000)

    # then NPV = sum of F_t / 1.08^t (exact fractions), payback = 2 + 120000 / 160000,
    # discounted payback = 3 + 10846.92.. / 124955.07.., ROI = (620000 - 410000) / 410000, and the IRR is a root
    npv = exact_npv(Fraction("0.08"), net)
    assert round(npv, 2) == Fraction("114108.15")
    assert payback(net) == Decimal("2.7500")
    discounted = [Fraction(value) / Fraction("1.08") ** year for year, value in enumerate(net)]
    assert round(3 - sum(discounted[:4]) / discounted[4], 4) == Fraction("3.0868")
    assert round(Fraction(210_000, 410_000), 6) == Fraction("0.512195")
    assert_is_a_root(Decimal("0.226110"), net)


def test_npv_matches_excels_documented_example_when_year_0_is_empty():
    # given Excel's NPV(10%, -10000, 3000, 4200, 6800) = 1,188.44, which discounts its first value one period:
    # in Bearing's convention that is year 0 empty and the four values in years 1 to 4
    values = flows(0, -10_000, 3_000, 4_200, 6_800)

    # then
    assert net_present_value(Decimal("0.10"), values) == Decimal("1188.44")


def test_npv_matches_excels_documented_investment_example_with_year_0_undiscounted():
    # given Excel's =NPV(8%, B4:B8) + B3 with B3 = -40,000 (1,922.06), and with a loss of 9,000 in a sixth
    # year (-3,749.47)
    values = flows(-40_000, 8_000, 9_200, 10_000, 12_000, 14_500)

    # then
    assert net_present_value(Decimal("0.08"), values) == Decimal("1922.06")
    assert net_present_value(Decimal("0.08"), [*values, Decimal(-9_000)]) == Decimal("-3749.47")


@pytest.mark.parametrize(
    ("values", "stored", "published_percent"),
    [
        # Excel's IRR documentation: four years -2.1 %, five years 8.7 % (8.66 % to two decimals)
        ((-70_000, 12_000, 15_000, 18_000, 21_000), Decimal("-0.021245"), Decimal("-2.1")),
        ((-70_000, 12_000, 15_000, 18_000, 21_000, 26_000), Decimal("0.086631"), Decimal("8.7")),
        # ... and two years, -44.4 %
        ((-70_000, 12_000, 15_000), Decimal("-0.443507"), Decimal("-44.4")),
        # the classic example: -100, 39, 59, 55, 20 gives 28.09 %
        ((-100, 39, 59, 55, 20), Decimal("0.280948"), Decimal("28.09")),
    ],
)
def test_irr_matches_published_examples(values, stored, published_percent):
    # when
    irr, note, candidates = internal_rate_of_return(flows(*values))

    # then
    assert irr == stored
    assert (irr * 100).quantize(published_percent) == published_percent
    assert note == ""
    assert candidates == (stored,)
    assert_is_a_root(stored, flows(*values))


def test_excels_two_decimal_irr_figure_is_reproduced():
    irr, _, _ = internal_rate_of_return(flows(-70_000, 12_000, 15_000, 18_000, 21_000, 26_000))

    assert irr is not None
    assert (irr * 100).quantize(Decimal("0.01")) == Decimal("8.66")


def test_several_sign_changes_list_every_irr_and_report_the_one_nearest_zero():
    # given -100, 230, -132: NPV = 0 at 10 % and at 20 %
    irr, note, candidates = internal_rate_of_return(flows(-100, 230, -132))

    assert candidates == (Decimal("0.100000"), Decimal("0.200000"))
    assert irr == Decimal("0.100000")
    assert note == (
        "The net flows change sign 2 times and have 2 IRRs (10.0000 %, 20.0000 %); the one nearest 0 is shown."
    )


def test_several_sign_changes_without_a_real_root_have_no_irr():
    # given -100, 100, -100: the NPV's polynomial -100 + 100x - 100x^2 has no real root
    irr, note, candidates = internal_rate_of_return(flows(-100, 100, -100))

    assert (irr, candidates) == (None, ())
    assert note == "No IRR: the NPV is never zero at a rate above -100 %."


def policy(rate: str = "0.08", horizon: int = 5) -> FinancialPolicy:
    return FinancialPolicy(version=3, discount_rate=Decimal(rate), horizon_years=horizon)


def test_an_all_zero_case_has_no_irr_no_roi_and_pays_back_at_once():
    result = evaluate_business_case([CaseLine(LineKind.CAPEX, "Nothing", {0: Decimal(0)})], policy())

    assert result.npv == Decimal("0.00")
    assert (result.irr, result.irr_note) == (None, "No IRR: the net flows never change sign.")
    assert result.roi is None
    assert result.payback_years == Decimal("0.0000")
    assert result.discounted_payback_years == Decimal("0.0000")


def test_a_case_with_only_costs_never_pays_back_and_loses_everything():
    lines = [
        CaseLine(LineKind.CAPEX, "Build", {0: Decimal(1_000)}),
        CaseLine(LineKind.OPEX, "Run", {1: Decimal(100)}),
    ]

    result = evaluate_business_case(lines, policy("0.10"))

    # -1000 - 100 / 1.1 = -1090.909..
    assert result.npv == Decimal("-1090.91")
    assert result.irr is None
    assert result.payback_years is None
    assert result.discounted_payback_years is None
    assert result.roi == Decimal("-1.000000")


def test_a_benefit_before_the_cost_pays_back_when_the_cumulative_flow_turns_non_negative_for_good():
    # given +50, -100, +80: cumulative 50, -50, 30
    lines = [
        CaseLine(LineKind.REVENUE, "Early sales", {0: Decimal(50), 2: Decimal(80)}),
        CaseLine(LineKind.CAPEX, "Build", {1: Decimal(100)}),
    ]

    result = evaluate_business_case(lines, policy("0", 3))

    # payback = 1 + 50 / 80; with a zero rate the discounted payback is the same
    assert result.payback_years == Decimal("1.6250")
    assert result.discounted_payback_years == Decimal("1.6250")
    assert result.npv == Decimal("30.00")
    assert result.roi == Decimal("0.300000")


def test_a_zero_discount_rate_makes_the_npv_the_plain_sum():
    result = evaluate_business_case(worked_example_lines(), policy("0"))

    assert result.npv == Decimal("210000.00")
    assert result.discounted_payback_years == result.payback_years == Decimal("2.7500")


def test_a_one_year_horizon_keeps_year_0_only_and_reports_the_rest():
    result = evaluate_business_case(worked_example_lines(), policy("0.08", 1))

    assert [y.year for y in result.years] == [0]
    assert result.npv == Decimal("-250000.00")
    assert result.total_costs == Decimal("250000.00")
    assert result.total_benefits == Decimal("0.00")
    assert result.payback_years is None
    assert [(i.label, i.year) for i in result.ignored] == [
        ("Platform build", 1),
        ("Run and licences", 1),
        ("Run and licences", 2),
        ("Run and licences", 3),
        ("Run and licences", 4),
        ("Legacy system retired", 1),
        ("Legacy system retired", 2),
        ("Legacy system retired", 3),
        ("Legacy system retired", 4),
        ("Online sales", 1),
        ("Online sales", 2),
        ("Online sales", 3),
        ("Online sales", 4),
        ("Online sales", 5),
        ("Customer satisfaction", 2),
        ("Customer satisfaction", 3),
    ]


def test_a_year_before_the_case_starts_is_ignored_and_reported():
    lines = [CaseLine(LineKind.CAPEX, "Study", {-1: Decimal(500), 0: Decimal(1_000)})]

    result = evaluate_business_case(lines, policy())

    assert result.total_costs == Decimal("1000.00")
    assert result.ignored == (IgnoredAmount("Study", LineKind.CAPEX, -1, Decimal(500)),)


def test_non_financial_amounts_never_enter_the_money_figures():
    lines = [
        CaseLine(LineKind.CAPEX, "Build", {0: Decimal(100)}),
        CaseLine(LineKind.NON_FINANCIAL, "Satisfaction", {1: Decimal(1_000_000)}, kpi="NPS"),
    ]

    result = evaluate_business_case(lines, policy())

    assert result.total_benefits == Decimal("0.00")
    assert result.npv == Decimal("-100.00")
    assert result.non_financial == (lines[1],)


def test_a_non_financial_line_must_name_its_kpi():
    with pytest.raises(ValueError, match="Non-financial line 'Satisfaction' must name the KPI"):
        CaseLine(LineKind.NON_FINANCIAL, "Satisfaction", {1: Decimal(5)})


def test_a_negative_amount_is_refused_with_its_line_and_year():
    with pytest.raises(ValueError, match=r"Line 'Build', year 2: amount -5 is negative"):
        CaseLine(LineKind.CAPEX, "Build", {2: Decimal(-5)})


@pytest.mark.parametrize(
    ("rate", "horizon", "message"),
    [
        ("-1", 5, "The discount rate must be above -1"),
        ("0.05", 0, "The horizon must be 1 to 50 years, not 0"),
        ("0.05", 51, "The horizon must be 1 to 50 years, not 51"),
    ],
)
def test_a_policy_out_of_bounds_is_refused(rate, horizon, message):
    with pytest.raises(ValueError, match=message):
        FinancialPolicy(version=1, discount_rate=Decimal(rate), horizon_years=horizon)


def test_money_in_before_money_out_gives_the_borrowing_rate():
    # given 100 received now and 50 paid a year later: 100 - 50 / (1 + r) = 0 at r = -50 %
    irr, note, _ = internal_rate_of_return(flows(100, -50))

    assert (irr, note) == (Decimal("-0.500000"), "")


def test_a_flow_paid_back_once_at_the_end_has_the_textbook_rate():
    # given -100 now and 500 in year 9: (1 + r)^9 = 5, r = 5^(1/9) - 1 = 19.5813 %
    irr, _, _ = internal_rate_of_return(flows(-100, 0, 0, 0, 0, 0, 0, 0, 0, 500))

    assert irr == Decimal("0.195813")
    assert_is_a_root(Decimal("0.195813"), flows(-100, 0, 0, 0, 0, 0, 0, 0, 0, 500))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=4),
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=2),
)
def test_the_quick_root_of_a_single_sign_change_is_the_one_numpy_finds(costs, returns, zeros):
    # given an investment followed by returns (one sign change: exactly one IRR), with quiet years between
    coefficients = [float(-c) for c in costs] + [0.0] * zeros + [float(r) for r in returns]
    # when the root is found by bisection, and by numpy's eigenvalues
    quick = _single_root(coefficients)
    roots = [
        _polish(coefficients, float(x.real))
        for x in np.roots(coefficients[::-1])
        if abs(x.imag) < 1e-9 and x.real > 0
    ]
    # then both give the same rate to the reported places
    assert quick is not None
    assert {_rate(Decimal(1 / x - 1)) for x in roots} == {_rate(Decimal(1 / quick - 1))}
