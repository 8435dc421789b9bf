"""The business case's financial figures: net flows, NPV, IRR, payback and ROI (issue 12, part 1).

Pure functions over plain values, no database: a later step stores business cases and financial policies
and calls `evaluate_business_case`. docs/business-case.md holds the formulas, the conventions and a worked
example that tests/portfolio/test_finance.py reproduces.

Conventions, chosen once here and used everywhere:

- Years are indices: year 0 is the first calendar year of the business case, year t the t-th after it.
- Every amount is entered as a positive sum; its sign comes from its line's kind (costs out, benefits in).
- Each year's flow is counted at the **start** of that year: year 0 is not discounted, year t is discounted
  by t periods. A spreadsheet with year 0 in B1 and the last year in Bn gives the same NPV with
  `=B1+NPV(r, B2:Bn)` (a spreadsheet's NPV() discounts its first value by one period).
- The horizon H covers years 0 .. H-1; lines in other years are ignored and reported.
- Money is rounded to the cent, half away from zero (as a spreadsheet's ROUND does); IRR and ROI are
  fractions rounded to 6 decimals (a percentage to 4); paybacks are years rounded to 4 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
YEAR_PLACES = Decimal("0.0001")
MAX_HORIZON_YEARS = 50


class LineKind(StrEnum):
    """What a business case line is: two kinds of cost and five kinds of benefit."""

    CAPEX = "capex"
    OPEX = "opex"
    REVENUE = "revenue"
    COST_SAVING = "cost_saving"
    COST_AVOIDANCE = "cost_avoidance"
    RISK_REDUCTION = "risk_reduction"
    NON_FINANCIAL = "non_financial"

    @property
    def is_cost(self) -> bool:
        return self in (LineKind.CAPEX, LineKind.OPEX)

    @property
    def is_financial(self) -> bool:
        return self is not LineKind.NON_FINANCIAL


@dataclass(frozen=True)
class CaseLine:
    """One line of a business case: its kind, a label, and an amount per year index.

    Amounts are positive sums of money, except on a non-financial line, where they are the KPI's expected
    values (in the KPI's unit) and never enter the money figures; a non-financial line must name its KPI.
    """

    kind: LineKind
    label: str
    amounts: Mapping[int, Decimal]
    kpi: str = ""

    def __post_init__(self) -> None:
        if self.kind is LineKind.NON_FINANCIAL and not self.kpi:
            raise ValueError(f"Non-financial line {self.label!r} must name the KPI it is tied to.")
        if self.kind.is_financial:
            for year, amount in self.amounts.items():
                if amount < 0:
                    raise ValueError(
                        f"Line {self.label!r}, year {year}: amount {amount} is negative; enter a positive "
                        "sum, the line's kind gives its sign."
                    )


@dataclass(frozen=True)
class FinancialPolicy:
    """The versioned financial policy: the discount rate (a fraction, 0.08 for 8 %) and the horizon in years."""

    version: int
    discount_rate: Decimal
    horizon_years: int

    def __post_init__(self) -> None:
        if self.discount_rate <= -1:
            raise ValueError(f"The discount rate must be above -1 (-100 %), not {self.discount_rate}.")
        if not 1 <= self.horizon_years <= MAX_HORIZON_YEARS:
            raise ValueError(f"The horizon must be 1 to {MAX_HORIZON_YEARS} years, not {self.horizon_years}.")


@dataclass(frozen=True)
class IgnoredAmount:
    """An amount outside the horizon: left out of every figure, and listed so that nobody wonders why."""

    label: str
    kind: LineKind
    year: int
    amount: Decimal


@dataclass(frozen=True)
class YearFlows:
    """One year of the case: costs and benefits (financial lines only), the net flow and the cumulative sums."""

    year: int
    costs: Decimal
    benefits: Decimal
    net: Decimal
    discounted_net: Decimal
    cumulative_net: Decimal
    cumulative_discounted_net: Decimal


@dataclass(frozen=True)
class BusinessCaseResult:
    """Everything computed from a business case under one policy version.

    `irr` is None when it is undefined, with the reason in `irr_note`; `irr_candidates` lists every IRR
    found when the net flows change sign more than once. A payback is None when the case never pays back
    within the horizon; `roi` is None when there are no costs.
    """

    policy_version: int
    years: tuple[YearFlows, ...]
    total_costs: Decimal
    total_benefits: Decimal
    npv: Decimal
    irr: Decimal | None
    irr_note: str
    irr_candidates: tuple[Decimal, ...]
    payback_years: Decimal | None
    discounted_payback_years: Decimal | None
    roi: Decimal | None
    non_financial: tuple[CaseLine, ...]
    ignored: tuple[IgnoredAmount, ...]


def money(value: Decimal) -> Decimal:
    """Round a sum to the cent, half away from zero (a spreadsheet's ROUND(x, 2))."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def evaluate_business_case(lines: Sequence[CaseLine], policy: FinancialPolicy) -> BusinessCaseResult:
    """Compute net flows, NPV, IRR, paybacks and ROI of a business case under a financial policy."""
    horizon = policy.horizon_years
    costs = [Decimal(0)] * horizon
    benefits = [Decimal(0)] * horizon
    ignored: list[IgnoredAmount] = []
    for line in lines:
        for year, amount in sorted(line.amounts.items()):
            if not 0 <= year < horizon:
                ignored.append(IgnoredAmount(line.label, line.kind, year, amount))
            elif line.kind.is_cost:
                costs[year] += amount
            elif line.kind.is_financial:
                benefits[year] += amount
    net = [benefit - cost for benefit, cost in zip(benefits, costs, strict=True)]
    factor = 1 + policy.discount_rate
    discounted = [flow / factor**year for year, flow in enumerate(net)]
    cumulative = _running_sums(net)
    cumulative_discounted = _running_sums(discounted)
    years = tuple(
        YearFlows(
            year=year,
            costs=money(costs[year]),
            benefits=money(benefits[year]),
            net=money(net[year]),
            discounted_net=money(discounted[year]),
            cumulative_net=money(cumulative[year]),
            cumulative_discounted_net=money(cumulative_discounted[year]),
        )
        for year in range(horizon)
    )
    total_costs = sum(costs, Decimal(0))
    total_benefits = sum(benefits, Decimal(0))
    irr, irr_note, candidates = internal_rate_of_return(net)
    return BusinessCaseResult(
        policy_version=policy.version,
        years=years,
        total_costs=money(total_costs),
        total_benefits=money(total_benefits),
        npv=money(sum(discounted, Decimal(0))),
        irr=irr,
        irr_note=irr_note,
        irr_candidates=candidates,
        payback_years=payback(net),
        discounted_payback_years=payback(discounted),
        roi=_rate((total_benefits - total_costs) / total_costs) if total_costs else None,
        non_financial=tuple(line for line in lines if not line.kind.is_financial),
        ignored=tuple(ignored),
    )


def net_present_value(rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    """NPV of flows by year index, year 0 undiscounted, rounded to the cent (`=B1+NPV(rate, B2:Bn)`)."""
    return money(sum((flow / (1 + rate) ** year for year, flow in enumerate(flows)), Decimal(0)))


def payback(flows: Sequence[Decimal]) -> Decimal | None:
    """Years until the cumulative flow turns non-negative for good, interpolated linearly within the year.

    The payback is the last moment the cumulative flow crosses from negative to zero or above (so it stays
    there to the end of the horizon): with cumulative sum C_k < 0 and C_(k+1) >= 0 it is k + (-C_k) / F_(k+1),
    as a spreadsheet's payback column computes it. A case whose cumulative flow is never negative pays back
    at 0; one still negative at the end of the horizon never does (None).
    """
    cumulative = _running_sums(flows)
    if cumulative[-1] < 0:
        return None
    last_negative = max((year for year, total in enumerate(cumulative) if total < 0), default=None)
    if last_negative is None:
        return Decimal(0).quantize(YEAR_PLACES)
    fraction = -cumulative[last_negative] / flows[last_negative + 1]
    return (last_negative + fraction).quantize(YEAR_PLACES, rounding=ROUND_HALF_UP)


def internal_rate_of_return(flows: Sequence[Decimal]) -> tuple[Decimal | None, str, tuple[Decimal, ...]]:
    """The rate at which the flows' NPV is zero: (IRR or None, why it is None or how it was chosen, all IRRs).

    The IRRs are the real roots r > -1 of sum F_t / (1 + r)^t = 0, found as the positive real roots x of
    the polynomial sum F_t x^t (x = 1 / (1 + r)) and polished by Newton's method. Without a sign change in
    the flows there is none. With one sign change there is exactly one (Descartes' rule of signs). With
    several there may be several: all are listed, and the one nearest 0 is reported as the IRR, with a note
    that says so, because no single rate then describes the case and the NPV is the figure to trust.
    """
    signs = [flow > 0 for flow in flows if flow != 0]
    changes = sum(1 for before, after in zip(signs, signs[1:], strict=False) if before != after)
    if changes == 0:
        return None, "No IRR: the net flows never change sign.", ()
    coefficients = [float(flow) for flow in flows]
    single = _single_root(coefficients) if changes == 1 else None
    if single is not None:
        found = [single]
    else:
        import numpy as np  # noqa: PLC0415  # several sign changes only: processes that load the app need not

        found = [
            _polish(coefficients, float(root.real))
            for root in np.roots(coefficients[::-1])
            if abs(root.imag) < 1e-9
        ]
    rates = sorted({_rate(Decimal(1 / x - 1)) for x in found if x > 0 and math.isfinite(1 / x)})
    if not rates:
        return None, "No IRR: the NPV is never zero at a rate above -100 %.", ()
    if len(rates) == 1:
        return rates[0], "", tuple(rates)
    nearest = min(rates, key=lambda rate: (abs(rate), rate))
    listed = ", ".join(f"{rate * 100:.4f} %" for rate in rates)
    note = f"The net flows change sign {changes} times and have {len(rates)} IRRs ({listed}); the one nearest 0 is shown."
    return nearest, note, tuple(rates)


def _single_root(coefficients: Sequence[float]) -> float | None:
    """The positive root of sum c_t x^t when the coefficients change sign once (there is exactly one), by
    bisection between where the lowest and the highest power decide the sign, then _polish(); None when it
    cannot be bracketed in floating point (the caller then asks numpy for every root). Most cases are one
    investment followed by returns: this is some ten times quicker than the eigenvalues numpy's roots
    computes, which matters when thousands of cases are evaluated at once."""
    nonzero = [c for c in coefficients if c != 0]
    near_zero, far = nonzero[0] > 0, nonzero[-1] > 0

    def positive(x: float) -> bool:
        value = 0.0
        for c in reversed(coefficients):  # Horner
            value = value * x + c
        return value > 0

    low, high = 1.0, 1.0
    for _ in range(1100):  # down to about 1e-330 and up to about 1e330: beyond, floats cannot tell
        if positive(low) == near_zero and positive(high) == far:
            break
        if positive(low) != near_zero:
            low /= 2
        if positive(high) != far:
            high *= 2
    else:
        return None
    if low == 0.0 or not math.isfinite(high):
        return None
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if positive(middle) == near_zero:
            low = middle
        else:
            high = middle
    return _polish(coefficients, (low + high) / 2)


def _polish(coefficients: Sequence[float], x: float) -> float:
    """Refine a root x of sum c_t x^t with Newton's method (numpy's roots are accurate to about 1e-10)."""
    for _ in range(50):
        value = sum(c * x**t for t, c in enumerate(coefficients))
        slope = sum(t * c * x ** (t - 1) for t, c in enumerate(coefficients) if t)
        if slope == 0:
            break
        step = value / slope
        x -= step
        if abs(step) <= 1e-15 * max(1.0, abs(x)):
            break
    return x


def _rate(value: Decimal) -> Decimal:
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _running_sums(values: Sequence[Decimal]) -> list[Decimal]:
    sums: list[Decimal] = []
    total = Decimal(0)
    for value in values:
        total += value
        sums.append(total)
    return sums
