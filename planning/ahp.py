"""Weights of sibling objectives from pairwise comparisons: Saaty's analytic hierarchy process (issue 12, part 3).

Pure functions, no database. The judgements are the upper triangle of a reciprocal matrix on Saaty's 1-9
scale; the weights are its principal eigenvector, the consistency ratio says how far the judgements are from
agreeing with each other, and the most inconsistent judgement is named with the value that would fit the
weights. docs/planning-priorities.md holds a worked example that tests/planning/test_ahp.py reproduces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# Saaty's random consistency index RI for n = 1..15: the mean consistency index of random reciprocal
# matrices, as tabulated in T. L. Saaty, The Analytic Hierarchy Process (McGraw-Hill, 1980). Other authors'
# simulations give slightly different values; this is the table most software and textbooks use.
RANDOM_INDEX: Mapping[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
CONSISTENCY_THRESHOLD = 0.10
_SCALE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class InconsistentPair:
    """The judgement that deviates most from the derived weights, and the scale value that would fit them.

    For a judgement a_ij, e = a_ij * w_j / w_i is 1 when it agrees with the weights; its deviation is
    max(e, 1/e). `suggested` is w_i / w_j rounded to the scale (to the nearest whole number above 1, to the
    nearest reciprocal of one below).
    """

    first: str
    second: str
    judgement: Fraction
    deviation: float
    suggested: Fraction


@dataclass(frozen=True)
class AhpResult:
    """Weights (summing to 1, in the order the items were given), λmax, CI, CR and the consistency verdict."""

    items: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    inconsistent: bool
    most_inconsistent: InconsistentPair | None

    def weight_of(self, item: str) -> float:
        return self.weights[self.items.index(item)]


def scale_value(value: float | Fraction | int) -> Fraction:
    """The Saaty scale value (1/9 .. 9) that `value` stands for, or ValueError: 0.333 and 1/3 both mean 1/3."""
    if value <= 0:
        raise ValueError(f"A judgement must be positive, not {value}.")
    if value >= 1:
        whole = round(float(value))
        if abs(float(value) - whole) <= _SCALE_TOLERANCE * whole and whole <= 9:
            return Fraction(whole)
    else:
        whole = round(1 / float(value))
        if abs(1 / float(value) - whole) <= _SCALE_TOLERANCE * whole and whole <= 9:
            return Fraction(1, whole)
    raise ValueError(f"{value} is not on Saaty's scale (1 to 9 or their reciprocals 1/2 to 1/9).")


def pairwise_weights(
    items: Sequence[str], judgements: Mapping[tuple[str, str], float | Fraction | int]
) -> AhpResult:
    """Weights of `items` from one judgement per pair: judgements[(a, b)] = how much more important a is than b.

    Each pair is given once, in either order (the reciprocal fills the other cell). A missing pair, a pair
    given twice, an unknown item or a value off the scale is a ValueError naming the pair.
    """
    names = tuple(items)
    if not names:
        raise ValueError("There is nothing to compare.")
    if len(set(names)) != len(names):
        raise ValueError("Each item may be compared only once; the items have a duplicate name.")
    index = {name: position for position, name in enumerate(names)}
    n = len(names)
    matrix = [[Fraction(1)] * n for _ in range(n)]
    seen: set[tuple[int, int]] = set()
    for (first, second), value in judgements.items():
        for name in (first, second):
            if name not in index:
                raise ValueError(f"Judgement ({first}, {second}): {name!r} is not one of the items compared.")
        i, j = index[first], index[second]
        if i == j:
            raise ValueError(f"Judgement ({first}, {second}) compares an item with itself.")
        pair = (min(i, j), max(i, j))
        if pair in seen:
            raise ValueError(f"The pair ({names[pair[0]]}, {names[pair[1]]}) is judged twice.")
        seen.add(pair)
        try:
            judged = scale_value(value)
        except ValueError as error:
            raise ValueError(f"Judgement ({first}, {second}): {error}") from None
        matrix[i][j] = judged
        matrix[j][i] = 1 / judged
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) not in seen:
                raise ValueError(f"The pair ({names[i]}, {names[j]}) has no judgement.")
    return _evaluate(names, matrix)


def _evaluate(names: tuple[str, ...], matrix: list[list[Fraction]]) -> AhpResult:
    n = len(names)
    values = np.array([[float(cell) for cell in row] for row in matrix])
    eigenvalues, eigenvectors = np.linalg.eig(values)
    principal = int(np.argmax(eigenvalues.real))
    vector = np.abs(eigenvectors[:, principal].real)
    weights = vector / vector.sum()
    lambda_max = float(eigenvalues[principal].real)
    # A consistent matrix has λmax = n exactly; rounding must not turn that into a tiny negative CI.
    ci = max(0.0, (lambda_max - n) / (n - 1)) if n > 2 else 0.0
    ri = RANDOM_INDEX.get(n)
    if ri is None:
        raise ValueError(f"At most {max(RANDOM_INDEX)} items can be compared at once, not {n}.")
    cr = ci / ri if ri else 0.0
    return AhpResult(
        items=names,
        matrix=tuple(tuple(float(cell) for cell in row) for row in matrix),
        weights=tuple(float(weight) for weight in weights),
        lambda_max=lambda_max,
        consistency_index=ci,
        random_index=ri,
        consistency_ratio=cr,
        inconsistent=cr > CONSISTENCY_THRESHOLD,
        most_inconsistent=_most_inconsistent(names, matrix, [float(weight) for weight in weights]),
    )


def _most_inconsistent(
    names: tuple[str, ...], matrix: list[list[Fraction]], weights: list[float]
) -> InconsistentPair | None:
    """The upper-triangle judgement deviating most from the weights (the first in order on a tie); None if none does."""
    best: InconsistentPair | None = None
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            e = float(matrix[i][j]) * weights[j] / weights[i]
            deviation = max(e, 1 / e)
            if deviation > 1 + 1e-9 and (best is None or deviation > best.deviation + 1e-12):
                best = InconsistentPair(
                    first=names[i],
                    second=names[j],
                    judgement=matrix[i][j],
                    deviation=deviation,
                    suggested=nearest_scale_value(weights[i] / weights[j]),
                )
    return best


def nearest_scale_value(ratio: float) -> Fraction:
    """A ratio rounded to the scale: to the nearest whole number 1..9 above 1, to 1/k (k = 1..9) below it."""
    if ratio >= 1:
        return Fraction(min(9, max(1, round(ratio))))
    return Fraction(1, min(9, max(1, round(1 / ratio))))
