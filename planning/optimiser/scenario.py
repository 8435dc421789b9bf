"""The optimiser's input: a scenario's candidates, horizon, limits and rules, checked once and compiled into
arrays, so that every solve (the optimum, the frontier's points, the greedy baseline, the explanations) reads
the same numbers.

Everything here is plain data: the caller (a scenario model, a benchmark, a test) computes each candidate's
value (priority score, strategic value or NPV) and costs; the optimiser never reads the database.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Shift:
    """Another way to fund a candidate: its start moved `months` later (at least 1), with the costs and effort
    that move gives. The caller works them out (the optimiser knows no calendar); funding a candidate takes
    at most one of its ways."""

    months: int
    costs: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    effort: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """An initiative the scenario may fund. `costs` maps a year to (capex, opex); years outside the horizon
    are not counted. `effort` maps a capacity row (e.g. "team-a:2027-03") to the effort it needs there; a row
    without a limit constrains nothing. `shifts` are the later starts it may be funded at instead (none: only
    as planned)."""

    id: int
    label: str
    value: float
    costs: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    effort: Mapping[str, float] = field(default_factory=dict)
    shifts: Sequence[Shift] = ()


@dataclass(frozen=True)
class YearBudget:
    """One year's budget limits; None is no limit."""

    capex: float | None = None
    opex: float | None = None
    total: float | None = None


@dataclass(frozen=True)
class Scenario:
    """What to choose from and under which limits and rules. `requires` holds pairs (a, b): a only with b;
    `excludes` holds pairs (a, b): not both. `budget` caps the total cost (capex + opex) over the horizon
    (the efficient frontier sets it; a scenario may too)."""

    candidates: Sequence[Candidate]
    years: Sequence[int]
    budgets: Mapping[int, YearBudget] = field(default_factory=dict)
    capacity: Mapping[str, float] = field(default_factory=dict)
    force_in: Collection[int] = ()
    force_out: Collection[int] = ()
    mandatory: Collection[int] = ()
    requires: Sequence[tuple[int, int]] = ()
    excludes: Sequence[tuple[int, int]] = ()
    budget: float | None = None
    # how explanations name a capacity row ("Data platform, March 2027"); a row without one is named as it is
    capacity_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Constraint:
    """One named constraint group: a limit (kind capex, opex or total with its year; capacity with its row;
    budget, over the horizon) or a rule (kind mandatory, force_in, force_out, requires or excludes, with the
    candidate ids it names). Explanations and conflicts are made of these."""

    kind: str
    year: int | None = None
    row: str | None = None
    items: tuple[int, ...] = ()


def amount(x: float) -> str:
    """A figure as people write it: thousands separated, at most six decimals, no trailing zeros."""
    text = f"{x:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Model:
    """A checked scenario as arrays: candidate i's value, its use of every limit (usage[i, k]) and the
    index pairs of its rules. Raises ValueError, naming the culprit, on input that has no meaning."""

    def __init__(self, scenario: Scenario) -> None:
        years = list(scenario.years)
        if not years:
            raise ValueError("The horizon has no year.")
        if len(set(years)) != len(years):
            raise ValueError("A year appears twice in the horizon.")
        horizon = set(years)
        self.ids: list[int] = []
        self.index: dict[int, int] = {}
        self.labels: dict[int, str] = {}
        for c in scenario.candidates:
            if c.id in self.index:
                raise ValueError(f"Candidate id {c.id} appears twice.")
            if not math.isfinite(c.value):
                raise ValueError(f"Candidate {c.id} has a value that is not a number: {c.value}.")
            self.index[c.id] = len(self.ids)
            self.ids.append(c.id)
            self.labels[c.id] = c.label
        n = len(self.ids)
        self.values: FloatArray = np.array([c.value for c in scenario.candidates], dtype=np.float64)

        limits: list[tuple[Constraint, float]] = []
        for year, budget in sorted(scenario.budgets.items()):
            if year not in horizon:
                raise ValueError(f"A budget is given for {year}, outside the horizon.")
            for kind in ("capex", "opex", "total"):
                limit = getattr(budget, kind)
                if limit is not None:
                    limits.append((Constraint(kind, year=year), _limit(limit, f"The {year} {kind} limit")))
        for row, limit in sorted(scenario.capacity.items()):
            limits.append((Constraint("capacity", row=row), _limit(limit, f"The capacity of {row}")))
        if scenario.budget is not None:
            limits.append((Constraint("budget"), _limit(scenario.budget, "The budget over the horizon")))
        self.capacity_labels = dict(scenario.capacity_labels)
        self.limits: list[Constraint] = [c for c, _ in limits]
        self.limit_values: FloatArray = np.array([v for _, v in limits], dtype=np.float64)
        column = {c: k for k, c in enumerate(self.limits)}

        self.years: list[int] = years
        self.column = column
        self.usage: FloatArray = np.zeros((n, len(limits)), dtype=np.float64)
        self.total_cost: FloatArray = np.zeros(n, dtype=np.float64)
        # spend[i, j] = (capex, opex) of candidate i in the horizon's j-th year, for the per-year report
        self.spend: FloatArray = np.zeros((n, len(years), 2), dtype=np.float64)
        self.position = {y: j for j, y in enumerate(years)}
        for i, c in enumerate(scenario.candidates):
            self.total_cost[i] = self._fill(c.id, c.costs, c.effort, self.usage[i], self.spend[i])
        # the later starts (shifts) as extra columns: alternative k is candidate shift_of[k] moved by
        # shift_months[k]; empty unless some candidate may move, and then the program grows by these only
        self.shift_of: list[int] = []
        self.shift_months: list[int] = []
        for i, c in enumerate(scenario.candidates):
            moves: set[int] = set()
            for shift in c.shifts:
                if shift.months < 1 or shift.months in moves:
                    raise ValueError(
                        f"Candidate {c.id} has a shift of {shift.months} months twice or below 1."
                    )
                moves.add(shift.months)
                self.shift_of.append(i)
                self.shift_months.append(shift.months)
        m = len(self.shift_of)
        self.shift_usage: FloatArray = np.zeros((m, len(limits)), dtype=np.float64)
        self.shift_spend: FloatArray = np.zeros((m, len(years), 2), dtype=np.float64)
        self.shift_cost: FloatArray = np.zeros(m, dtype=np.float64)
        k = 0
        for c in scenario.candidates:
            for shift in c.shifts:
                self.shift_cost[k] = self._fill(
                    c.id, shift.costs, shift.effort, self.shift_usage[k], self.shift_spend[k]
                )
                k += 1
        if scenario.budget is not None:
            self.usage[:, column[Constraint("budget")]] = self.total_cost
            self.shift_usage[:, column[Constraint("budget")]] = self.shift_cost

        self.rules: list[Constraint] = []
        for kind, ids in (
            ("mandatory", scenario.mandatory),
            ("force_in", scenario.force_in),
            ("force_out", scenario.force_out),
        ):
            for cid in sorted(set(ids)):
                self._known(cid, kind.replace("_", " "))
                self.rules.append(Constraint(kind, items=(cid,)))
        for kind, pairs in (("requires", scenario.requires), ("excludes", scenario.excludes)):
            seen: set[tuple[int, int]] = set()
            for a, b in pairs:
                self._known(a, kind)
                self._known(b, kind)
                if a == b:
                    raise ValueError(f"Candidate {a} {kind} itself.")
                pair = (a, b) if kind == "requires" else (min(a, b), max(a, b))
                if pair not in seen:
                    seen.add(pair)
                    self.rules.append(Constraint(kind, items=pair))

    def _fill(
        self,
        cid: int,
        costs: Mapping[int, tuple[float, float]],
        effort: Mapping[str, float],
        usage: FloatArray,
        spend: FloatArray,
    ) -> float:
        """One way of funding a candidate: its use of every limit and its spend per year of the horizon
        (filled in), and its total cost over the horizon."""
        total = 0.0
        for year, (capex, opex) in costs.items():
            if not (math.isfinite(capex) and math.isfinite(opex)) or capex < 0 or opex < 0:
                raise ValueError(f"Candidate {cid} has a negative or unknown cost in {year}.")
            if year not in self.position:
                continue
            total += capex + opex
            spend[self.position[year]] += (capex, opex)
            for kind, spent in (("capex", capex), ("opex", opex), ("total", capex + opex)):
                k = self.column.get(Constraint(kind, year=year))
                if k is not None:
                    usage[k] += spent
        for row, days in effort.items():
            if not math.isfinite(days) or days < 0:
                raise ValueError(f"Candidate {cid} has a negative or unknown effort on {row}.")
            k = self.column.get(Constraint("capacity", row=row))
            if k is not None:
                usage[k] += days
        return total

    @property
    def shifted(self) -> bool:
        """Whether some candidate may move its start (the program then has a column per way of funding)."""
        return bool(self.shift_of)

    def _known(self, cid: int, what: str) -> None:
        if cid not in self.index:
            raise ValueError(f"Unknown candidate id {cid} in {what}.")

    def rules_of(self, kind: str) -> list[Constraint]:
        return [r for r in self.rules if r.kind == kind]

    def name(self, cid: int) -> str:
        return f"{self.labels[cid]} (#{cid})"

    def limit_name(self, constraint: Constraint) -> str:
        """How a limit is named in explanations: "2027 capex", "capacity team-a:2027", ..."""
        if constraint.kind == "capacity":
            label = self.capacity_labels.get(constraint.row or "")
            return f"capacity of {label}" if label else f"capacity {constraint.row}"
        if constraint.kind == "budget":
            return "budget over the horizon"
        word = "total cost" if constraint.kind == "total" else constraint.kind
        return f"{constraint.year} {word}"

    def tolerance(self, limit: float) -> float:
        """How far a use may pass a limit and still count as within it: the solver works in floating point,
        so a sum that is exactly the limit may come out a hair above it."""
        return 1e-9 * max(1.0, abs(limit))


def _limit(value: float, what: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a number of at least zero, not {value}.")
    return float(value)
