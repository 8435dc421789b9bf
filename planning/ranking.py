"""Ranking candidate initiatives: a weighted scoring model, WSJF, and the ranking's sensitivity (issue 12, part 3).

Pure functions, no database: planning/services/ranking.py reads the candidates' figures (strategic fit from
the engine, NPV from the business case, risk, urgency, the mandatory flag) and calls these.
docs/planning-priorities.md holds the definitions and worked examples that tests/planning/test_ranking.py
and tests/planning/test_ranking_top.py reproduce.

Rules shared by both methods:

- A mandatory (regulatory) item is ranked ahead of every optional one, whatever its score, and flagged: a
  legal obligation is not traded against value. Mandatory items are ranked among themselves by score.
- Ties are broken deterministically: equal scores (compared at 9 decimals) rank by the candidate's key,
  ascending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeAlias

import numpy as np

SCORE_PLACES = 9
ROOT_TOLERANCE = 1e-12  # roots of the sensitivity closer than this are one crossing
# A candidate's score fraction as (a, b, c, d) = (a + b·w) / (c + d·w) in a moved weight w (see sensitivity).
Line: TypeAlias = tuple[float, float, float, float]


class Normalisation(StrEnum):
    """How a criterion's raw value becomes 0..1: on a fixed scale, or min-max across the candidates."""

    FIXED = "fixed"
    MIN_MAX = "min_max"


@dataclass(frozen=True)
class Criterion:
    """One criterion of the scoring model.

    FIXED maps [low, high] linearly onto [0, 1] (a value outside it is an error); MIN_MAX maps the lowest
    value among the candidates to 0 and the highest to 1, and gives every candidate 0.5 when they are all
    equal (the criterion then tells them apart by nothing, and moves no rank). With `higher_is_better`
    false the result is reversed (1 - x), as for risk.
    """

    key: str
    label: str
    weight: float
    normalisation: Normalisation
    higher_is_better: bool = True
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError(f"Criterion {self.key!r}: the weight must not be negative, not {self.weight}.")
        if self.normalisation is Normalisation.FIXED and not self.low < self.high:
            raise ValueError(f"Criterion {self.key!r}: the scale's low end must be below its high end.")


@dataclass(frozen=True)
class ScoringModel:
    """A versioned set of criteria; the weights are used in proportion (divided by their sum)."""

    version: int
    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        keys = [criterion.key for criterion in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("Each criterion may appear only once in a scoring model.")
        if sum(criterion.weight for criterion in self.criteria) <= 0:
            raise ValueError("At least one criterion must have a positive weight.")

    def weights(self) -> dict[str, float]:
        total = sum(criterion.weight for criterion in self.criteria)
        return {criterion.key: criterion.weight / total for criterion in self.criteria}


def default_scoring_model() -> ScoringModel:
    """Version 1: strategic fit 0-100, NPV min-max, risk exposure 1-25 (lower is better), urgency 1-5."""
    return ScoringModel(
        version=1,
        criteria=(
            Criterion("strategic_fit", "Strategic fit", 0.40, Normalisation.FIXED, low=0, high=100),
            Criterion("financial_value", "Financial value (NPV)", 0.30, Normalisation.MIN_MAX),
            Criterion(
                "risk", "Risk exposure", 0.15, Normalisation.FIXED, higher_is_better=False, low=1, high=25
            ),
            Criterion("urgency", "Urgency", 0.15, Normalisation.FIXED, low=1, high=5),
        ),
    )


@dataclass(frozen=True)
class Candidate:
    """A candidate initiative: its key, title, raw value per criterion (None = missing) and mandatory flag.

    Values may be Decimals (an NPV from portfolio.finance); they are scored as floats.
    """

    key: str
    title: str
    values: Mapping[str, float | Decimal | None]
    mandatory: bool = False


@dataclass(frozen=True)
class Contribution:
    """One criterion's part in a candidate's score: weight after renormalisation, and points = 100 × weight × value."""

    criterion: str
    raw: float
    normalised: float
    weight: float
    points: float


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate's rank with its explanation criterion by criterion.

    `score` (0-100) is None when every weighted criterion is missing; such a candidate ranks last. `missing`
    names the criteria without a value, whose weight was shared among the others in proportion.
    """

    rank: int
    key: str
    title: str
    mandatory: bool
    score: float | None
    contributions: tuple[Contribution, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    """The candidates in rank order under one scoring model version."""

    model_version: int
    items: tuple[RankedCandidate, ...]


def rank_candidates(model: ScoringModel, candidates: Sequence[Candidate]) -> Ranking:
    """Score every candidate under the model and rank them, each with its criterion-by-criterion explanation."""
    _check(model, candidates)
    normalised = _normalise(model, candidates)
    weights = model.weights()
    scored = [_score(candidate, model, weights, normalised[candidate.key]) for candidate in candidates]
    ordered = sorted(scored, key=lambda item: _order(item.mandatory, item.score, item.key))
    return Ranking(
        model_version=model.version,
        items=tuple(
            RankedCandidate(
                rank, item.key, item.title, item.mandatory, item.score, item.contributions, item.missing
            )
            for rank, item in enumerate(ordered, start=1)
        ),
    )


def _check(model: ScoringModel, candidates: Sequence[Candidate]) -> None:
    keys = [candidate.key for candidate in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("Each candidate must have its own key.")
    known = {criterion.key for criterion in model.criteria}
    for candidate in candidates:
        unknown = sorted(set(candidate.values) - known)
        if unknown:
            raise ValueError(
                f"Candidate {candidate.key!r}: {', '.join(unknown)} is not a criterion of the model."
            )


def _order(mandatory: bool, score: float | None, key: str) -> tuple[bool, bool, float, str]:
    """The one sort key of both methods: mandatory first, scored before unscored, higher score, then key."""
    return (not mandatory, score is None, -round(score or 0.0, SCORE_PLACES), key)


def _normalise(model: ScoringModel, candidates: Sequence[Candidate]) -> dict[str, dict[str, float]]:
    """Each candidate's normalised value (0..1) per criterion it has a value for."""
    result: dict[str, dict[str, float]] = {candidate.key: {} for candidate in candidates}
    for criterion in model.criteria:
        present = {
            candidate.key: float(value)
            for candidate in candidates
            if (value := candidate.values.get(criterion.key)) is not None
        }
        if criterion.normalisation is Normalisation.FIXED:
            low, high = criterion.low, criterion.high
            for key, value in present.items():
                if not low <= value <= high:
                    raise ValueError(
                        f"Candidate {key!r}: {criterion.label} {value:g} is outside its scale {low:g} to {high:g}."
                    )
        else:
            low, high = min(present.values(), default=0.0), max(present.values(), default=0.0)
        for key, value in present.items():
            share = 0.5 if high == low else (value - low) / (high - low)
            result[key][criterion.key] = share if criterion.higher_is_better else 1 - share
    return result


def _score(
    candidate: Candidate, model: ScoringModel, weights: Mapping[str, float], values: Mapping[str, float]
) -> RankedCandidate:
    counted = [c for c in model.criteria if c.key in values and weights[c.key] > 0]
    missing = tuple(c.key for c in model.criteria if c.key not in values and weights[c.key] > 0)
    total = sum(weights[c.key] for c in counted)
    raw = {key: float(value) for key, value in candidate.values.items() if value is not None}
    contributions = tuple(
        Contribution(
            criterion=c.key,
            raw=raw[c.key],
            normalised=values[c.key],
            weight=weights[c.key] / total,
            points=100 * weights[c.key] / total * values[c.key],
        )
        for c in counted
    )
    score = sum(item.points for item in contributions) if counted else None
    return RankedCandidate(
        0, candidate.key, candidate.title, candidate.mandatory, score, contributions, missing
    )


# WSJF -------------------------------------------------------------------------------------------------------

WSJF_SCALE = (1, 2, 3, 5, 8, 13, 20)


@dataclass(frozen=True)
class WsjfItem:
    """A candidate sized for WSJF: each part on the modified Fibonacci scale 1, 2, 3, 5, 8, 13, 20."""

    key: str
    title: str
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    mandatory: bool = False

    def __post_init__(self) -> None:
        for part in ("business_value", "time_criticality", "risk_reduction", "job_size"):
            value = getattr(self, part)
            if value not in WSJF_SCALE:
                raise ValueError(
                    f"Item {self.key!r}: {part.replace('_', ' ')} {value} is not on the scale "
                    f"{', '.join(map(str, WSJF_SCALE))}."
                )


@dataclass(frozen=True)
class WsjfRanked:
    """A WSJF rank with its explanation: the cost of delay's three parts, the job size and the quotient."""

    rank: int
    item: WsjfItem
    cost_of_delay: int
    wsjf: float


def rank_wsjf(items: Sequence[WsjfItem]) -> tuple[WsjfRanked, ...]:
    """Rank by WSJF = (business value + time criticality + risk reduction) / job size, highest first.

    Mandatory items first; equal WSJF (at 9 decimals) ranks by key, as in the scoring model.
    """
    if len({item.key for item in items}) != len(items):
        raise ValueError("Each item must have its own key.")
    figures = [
        (
            item,
            cost := item.business_value + item.time_criticality + item.risk_reduction,
            cost / item.job_size,
        )
        for item in items
    ]
    figures.sort(key=lambda entry: _order(entry[0].mandatory, entry[2], entry[0].key))
    return tuple(
        WsjfRanked(rank, item, cost, wsjf) for rank, (item, cost, wsjf) in enumerate(figures, start=1)
    )


# Sensitivity ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    """The weight at which the top of the ranking changes, and the candidate that leads just past it."""

    weight: float
    change: float
    new_leader: str


@dataclass(frozen=True)
class CriterionSensitivity:
    """How far one criterion's weight can move (up, down) before another candidate takes the lead; None = never."""

    criterion: str
    weight: float
    up: Crossing | None
    down: Crossing | None


@dataclass(frozen=True)
class Sensitivity:
    """The first-ranked candidate (None when there are no candidates) and each criterion's sensitivity."""

    leader: str | None
    criteria: tuple[CriterionSensitivity, ...]


def sensitivity(model: ScoringModel, candidates: Sequence[Candidate]) -> Sensitivity:
    """For each criterion, the weight at which the first-ranked candidate loses the lead, up and down.

    Moving criterion c's weight from w0 to w rescales the others by (1 - w) / (1 - w0), so the weights still
    sum to 1. A candidate's score is then N(w) / D(w) with N and D linear in w (D is constant, and the score
    linear, unless some other criterion is missing for it), so the difference with the leader's score
    changes sign only at the roots of a polynomial of degree 2 at most, found exactly. Between consecutive
    roots the order against the leader cannot change, so the leader is tested at their midpoints. Only
    candidates in the leader's group can take the lead (a mandatory leader is never displaced by an optional
    candidate). A candidate without a score at some weight (at 0 or 1 a criterion, or all the others, weigh
    nothing) ranks last there, as in `rank_candidates`. A criterion holding all the weight (w0 = 1) has
    nothing to move against and reports None both ways.
    """
    ranking = rank_candidates(model, candidates)
    if not ranking.items:
        return Sensitivity(None, ())
    leader = ranking.items[0]
    normalised = _normalise(model, candidates)
    contenders = [c for c in candidates if c.mandatory == leader.mandatory]
    base = model.weights()
    report = []
    for criterion in model.criteria:
        w0 = base[criterion.key]
        if w0 >= 1:
            report.append(CriterionSensitivity(criterion.key, w0, None, None))
            continue
        lines = {c.key: _ratio_line(base, criterion.key, normalised[c.key]) for c in contenders}
        roots = sorted(
            {root for key in lines if key != leader.key for root in _crossings(lines[key], lines[leader.key])}
        )
        report.append(
            CriterionSensitivity(
                criterion.key,
                w0,
                _first_change(lines, leader.key, w0, _distinct([r for r in roots if r > w0]), 1.0),
                _first_change(lines, leader.key, w0, _distinct([r for r in reversed(roots) if r < w0]), 0.0),
            )
        )
    return Sensitivity(leader.key, tuple(report))


def _distinct(roots: list[float]) -> list[float]:
    """The roots in walking order without near-duplicates: three scores meeting at one weight give roots that
    differ in the last bits, and a probe between two of them would sit on the crossing itself."""
    kept: list[float] = []
    for root in roots:
        if not kept or abs(root - kept[-1]) > ROOT_TOLERANCE:
            kept.append(root)
    return kept


def _ratio_line(weights: Mapping[str, float], moved: str, values: Mapping[str, float]) -> Line:
    """(a, b, c, d) with the candidate's score fraction = (a + b·w) / (c + d·w) when `moved` has weight w.

    With k = (1 - w) / (1 - w0), N(w) = w·v_m·[m present] + k·P and D(w) = w·[m present] + k·Q, P and Q
    summing w_d·v_d and w_d over the other criteria present. Multiplying both by (1 - w0) keeps them linear.
    """
    w0 = weights[moved]
    present = moved in values
    p = sum(weights[key] * value for key, value in values.items() if key != moved)
    q = sum(weights[key] for key in values if key != moved)
    v = values.get(moved, 0.0)
    scale = 1 - w0
    a, c = p, q
    b = (v * scale if present else 0.0) - p
    d = (scale if present else 0.0) - q
    return a, b, c, d


def _at(line: Line, w: float) -> float | None:
    """The score at weight w; None where the candidate has no weighted criterion left (it then ranks last)."""
    a, b, c, d = line
    denominator = c + d * w
    return 100 * (a + b * w) / denominator if denominator > 1e-15 else None


def _crossings(line: Line, leader: Line) -> list[float]:
    """Weights in [0, 1] where the two scores are equal: roots of N_i·D_L - N_L·D_i (degree 2 at most)."""
    a1, b1, c1, d1 = line
    a2, b2, c2, d2 = leader
    constant = a1 * c2 - a2 * c1
    linear = a1 * d2 + b1 * c2 - a2 * d1 - b2 * c1
    quadratic = b1 * d2 - b2 * d1
    tolerance = 1e-15
    if abs(quadratic) <= tolerance:
        roots = [] if abs(linear) <= tolerance else [-constant / linear]
    else:
        discriminant = linear * linear - 4 * quadratic * constant
        if discriminant < 0:
            return []
        root = discriminant**0.5
        roots = [(-linear - root) / (2 * quadratic), (-linear + root) / (2 * quadratic)]
    return [min(1.0, max(0.0, r)) for r in roots if -1e-12 <= r <= 1 + 1e-12]


def _leader_at(lines: Mapping[str, Line], w: float) -> str:
    """The first-ranked contender at weight w, ordered as `rank_candidates` orders them."""
    return min(lines, key=lambda key: _order(False, _at(lines[key], w), key))


def _first_change(
    lines: Mapping[str, Line], leader: str, w0: float, roots: list[float], end: float
) -> Crossing | None:
    """The first root, walking from w0 towards `end`, past which another candidate leads.

    w0 itself is tried first: when the leader is tied at the base weights (and leads by its key), the
    smallest move may already hand the lead over. The end of the range is tried last: there a criterion,
    or all the others, weigh nothing, and a candidate may lose its score without any crossing.
    """
    points = [w0, *roots]
    for position, root in enumerate(points):
        following = points[position + 1] if position + 1 < len(points) else end
        probe = (root + following) / 2 if following != root else root
        new_leader = _leader_at(lines, probe)
        if new_leader != leader:
            return Crossing(weight=root, change=root - w0, new_leader=new_leader)
    new_leader = _leader_at(lines, end)
    if new_leader != leader:
        return Crossing(weight=end, change=end - w0, new_leader=new_leader)
    return None


# Sensitivity of the top N --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopShift:
    """The weight at which the top N changes: `entering` joins it, `leaving` drops out of it."""

    weight: float
    change: float
    entering: str
    leaving: str


@dataclass(frozen=True)
class TopCriterionSensitivity:
    """How far one criterion's weight can move (up, down) before the top N changes; None = never."""

    criterion: str
    weight: float
    up: TopShift | None
    down: TopShift | None


@dataclass(frozen=True)
class TopSensitivity:
    """The top N (in rank order) and each criterion's sensitivity; `top` is the N asked for."""

    top: int
    members: tuple[str, ...]
    criteria: tuple[TopCriterionSensitivity, ...]


def top_sensitivity(model: ScoringModel, candidates: Sequence[Candidate], top: int = 1) -> TopSensitivity:
    """For each criterion, the weight at which the set of the first `top` candidates changes, up and down.

    The generalisation of `sensitivity` (equal to it for top = 1, which a test pins): weights move as there,
    each candidate's score is the same ratio of two linear functions of the moved weight, and until the set
    changes every member ranks above every non-member, so the first change is at a root of some
    (non-member, member) pair's difference, found exactly (degree 2 at most). The roots are walked from the
    base weight and the set tested just past each, then at the end of the range. Mandatory precedence holds:
    only candidates of the group that straddles the boundary (the N-th and the N+1-th are both mandatory or
    both optional) can enter or leave; when the boundary falls between the groups, nothing moves the set.
    Work is O(n × N) per criterion in numpy, so it holds at many thousand candidates.
    """
    if top < 1:
        raise ValueError("The top must hold at least one candidate.")
    ranking = rank_candidates(model, candidates)
    order = [item.key for item in ranking.items]
    members = tuple(order[:top])
    base = model.weights()
    never = tuple(TopCriterionSensitivity(c.key, base[c.key], None, None) for c in model.criteria)
    if len(order) <= top:
        return TopSensitivity(top, members, never)
    mandatory = {item.key: item.mandatory for item in ranking.items}
    group = mandatory[order[top - 1]]
    if mandatory[order[top]] != group:
        return TopSensitivity(top, members, never)
    contenders = [key for key in order if mandatory[key] == group]
    slots = top - sum(1 for key in members if mandatory[key] != group)
    normalised = _normalise(model, candidates)
    # the tie-break: equal rounded scores rank by key (ascending)
    position = {key: index for index, key in enumerate(sorted(contenders))}
    key_rank = np.array([position[key] for key in contenders])
    report = []
    for criterion in model.criteria:
        w0 = base[criterion.key]
        if w0 >= 1:
            report.append(TopCriterionSensitivity(criterion.key, w0, None, None))
            continue
        lines = np.array(
            [_ratio_line(base, criterion.key, normalised[key]) for key in contenders], dtype=float
        )

        def top_at(w: float, lines: Any = lines) -> list[int]:
            denominator = lines[:, 2] + lines[:, 3] * w
            scored = denominator > 1e-15
            safe = np.where(scored, denominator, 1.0)
            scores = np.where(
                scored, np.round(100 * (lines[:, 0] + lines[:, 1] * w) / safe, SCORE_PLACES), 0.0
            )
            ranked = np.lexsort((key_rank, -scores, ~scored))
            return [int(index) for index in ranked[:slots]]

        inside = top_at(w0)
        outside = np.setdiff1d(np.arange(len(contenders)), inside)
        roots = _pair_roots(lines[outside], lines[inside])
        report.append(
            TopCriterionSensitivity(
                criterion.key,
                w0,
                _first_shift(
                    top_at, contenders, inside, w0, _distinct(sorted(r for r in roots if r > w0)), 1.0
                ),
                _first_shift(
                    top_at,
                    contenders,
                    inside,
                    w0,
                    _distinct(sorted((r for r in roots if r < w0), reverse=True)),
                    0.0,
                ),
            )
        )
    return TopSensitivity(top, members, tuple(report))


def _pair_roots(outside: Any, inside: Any) -> set[float]:
    """Every weight in [0, 1] where a non-member's score equals a member's (as `_crossings`, for all pairs)."""
    a1, b1, c1, d1 = (outside[:, None, k] for k in range(4))
    a2, b2, c2, d2 = (inside[None, :, k] for k in range(4))
    constant = (a1 * c2 - a2 * c1).ravel()
    linear = (a1 * d2 + b1 * c2 - a2 * d1 - b2 * c1).ravel()
    quadratic = (b1 * d2 - b2 * d1).ravel()
    tolerance = 1e-15
    found: list[Any] = []
    flat = np.abs(quadratic) <= tolerance
    straight = flat & (np.abs(linear) > tolerance)
    found.append(-constant[straight] / linear[straight])
    curved = ~flat
    discriminant = linear[curved] ** 2 - 4 * quadratic[curved] * constant[curved]
    real = discriminant >= 0
    root = np.sqrt(discriminant[real])
    q, lin = quadratic[curved][real], linear[curved][real]
    found.append((-lin - root) / (2 * q))
    found.append((-lin + root) / (2 * q))
    values = np.concatenate(found) if found else np.array([])
    values = values[(values >= -1e-12) & (values <= 1 + 1e-12)]
    return {min(1.0, max(0.0, float(value))) for value in values}


def _first_shift(
    top_at: Any, keys: Sequence[str], inside: list[int], w0: float, roots: list[float], end: float
) -> TopShift | None:
    """The first root, walking from w0 towards `end`, past which the top set differs (as `_first_change`)."""
    before = set(inside)
    points = [w0, *roots]
    for position, root in enumerate(points):
        following = points[position + 1] if position + 1 < len(points) else end
        probe = (root + following) / 2 if following != root else root
        shift = _shift(top_at(probe), inside, before, keys, root, w0)
        if shift is not None:
            return shift
    return _shift(top_at(end), inside, before, keys, end, w0)


def _shift(
    now: list[int], inside: list[int], before: set[int], keys: Sequence[str], at: float, w0: float
) -> TopShift | None:
    if set(now) == before:
        return None
    entering = next(index for index in now if index not in before)
    leaving = next(index for index in reversed(inside) if index not in set(now))
    return TopShift(weight=at, change=at - w0, entering=keys[entering], leaving=keys[leaving])
