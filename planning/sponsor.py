"""The sponsor adjustment (issue 14, part 3): a sponsor's track record of benefits realised against promised
discounts the NPV that prioritisation and scenarios use, when a scoring model version or a scenario switches
it on. See docs/scoring.md, "The sponsor adjustment".

Pure: the record is the one the `sponsor_overpromised` signal reads (alignment.engine.inputs.SponsorRecord,
loaded by planning/services/sponsor.py); this module turns it into a factor and says where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

# how much of a sponsor's shortfall is taken off the value: realised 52% of the promise (a shortfall of 48%)
# with a strength of 0.5 keeps 1 - 0.5 × 0.48 = 0.76 of it; the factor is never below 1 - STRENGTH
STRENGTH = 0.5
FACTOR_PLACES = 6
CENT = Decimal("0.01")


def sponsor_factor(rate: float | None, initiatives: int, *, strength: float, min_initiatives: int) -> float:
    """The factor (from 1 - strength to 1) a candidate's value is multiplied by, from its sponsor's record:
    1 - strength × (1 - rate), the rate clamped to 0..1, when the record rests on at least `min_initiatives`
    initiatives; 1 when there is no record or it is too thin. A sponsor who delivered more than promised gets
    1, never a bonus. Rounded to 6 decimals, so a documented factor (0.76) is the factor used."""
    if not 0 <= strength <= 1:
        raise ValueError(f"The strength is from 0 to 1, not {strength}.")
    if rate is None or initiatives < max(1, min_initiatives):
        return 1.0
    shortfall = 1 - min(1.0, max(0.0, rate))
    return round(1 - strength * shortfall, FACTOR_PLACES)


@dataclass(frozen=True)
class SponsorAdjustment:
    """What a candidate's value is multiplied by, and the record it comes from (`initiatives` 0: none)."""

    factor: float
    realised: Decimal = Decimal("0")
    promised: Decimal = Decimal("0")
    initiatives: int = 0
    thin: bool = False  # a record below the minimum number of initiatives: no adjustment

    @property
    def rate(self) -> float | None:
        return float(self.realised / self.promised) if self.promised else None

    @property
    def percent(self) -> int | None:
        """The rate as a whole percent rounded down, as the signal says it (a 69.99% record never reads 70%)."""
        if not self.promised:
            return None
        return int((100 * self.realised / self.promised).to_integral_value(ROUND_FLOOR))

    @property
    def factor_text(self) -> str:
        """The factor as pages and exports show it: 0.76, 0.833333, 1."""
        return f"{self.factor:.{FACTOR_PLACES}f}".rstrip("0").rstrip(".")

    @property
    def adjusts(self) -> bool:
        return self.factor < 1

    def apply(self, value: Decimal | float | None) -> Decimal | None:
        """The value after the factor, to the cent (None stays None: a missing NPV stays missing)."""
        if value is None:
            return None
        return (Decimal(str(value)) * Decimal(repr(self.factor))).quantize(CENT)

    @property
    def text(self) -> str:
        """Where the factor comes from, in a sentence's words."""
        if not self.initiatives:
            return (
                "no track record: the sponsor has no initiative past go-live that promised benefits to date"
            )
        plural = "s" if self.initiatives != 1 else ""
        said = (
            f"sponsor's past initiatives realised {self.percent}% of promised benefits over "
            f"{self.initiatives} initiative{plural}"
        )
        if self.thin:
            return f"{said}: too few to judge, no adjustment"
        if not self.adjusts:
            return f"{said}: no shortfall, no adjustment"
        return said


NO_RECORD = SponsorAdjustment(factor=1.0)


def adjustment(
    realised: Decimal,
    promised: Decimal,
    initiatives: int,
    *,
    strength: float = STRENGTH,
    min_initiatives: int,
) -> SponsorAdjustment:
    """The adjustment a sponsor's record gives (realised and promised to date, over so many initiatives)."""
    rate = float(realised / promised) if promised else None
    return SponsorAdjustment(
        factor=sponsor_factor(rate, initiatives, strength=strength, min_initiatives=min_initiatives),
        realised=realised,
        promised=promised,
        initiatives=initiatives,
        thin=initiatives < min_initiatives,
    )
