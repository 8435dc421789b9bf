"""The scenario's optimal selection, solved exactly as a mixed-integer program by HiGHS (scipy.optimize.milp),
and the explanation of every candidate: why it is in, and which rule or limit keeps it out.

The program: maximise sum(value_i * x_i) over binary x_i, subject to one row per limit (sum of usage_ik * x_i
<= limit_k), x_a - x_b <= 0 per requires pair, x_a + x_b <= 1 per excludes pair, and bounds fixing forced and
mandatory items to 1 and forced-out items to 0. When candidates may move their start (their `shifts`), each
way of funding one is a binary of its own and x_i is their sum, at most 1: the rows above read x_i so, and each
limit row reads the usage of the way chosen. "Optimal" means proven optimal within the relative gap asked
for: by default 0, exact (HiGHS still stops at its absolute gap of 1e-6 in value); a caller may accept a small
gap (the benchmark's large scenarios use 5e-4, see docs/planning-scenarios.md). Among several optimal
selections HiGHS returns one, the same for the same input.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from planning.optimiser.conflicts import Conflict, minimal_conflict
from planning.optimiser.scenario import Constraint, FloatArray, Model, Scenario, amount

OPTIMAL = "optimal"
TIME_LIMIT = "time_limit"
INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class Breach:
    """A limit that a selection passes: how much it uses against the limit."""

    constraint: Constraint
    used: float
    limit: float

    @property
    def over(self) -> float:
        return self.used - self.limit


@dataclass(frozen=True)
class Decision:
    """Why a candidate is in or out. `reason` is one of: mandatory, force_in, chosen (in); force_out, requires,
    excludes, limits, fits (out). `others` are the candidates a requires/excludes reason names; `breaches` the
    limits that adding the candidate would break. A candidate funded with its start moved has `shift` (months
    later) and `moved`: the limits its planned start would break, the others being as they are."""

    candidate: int
    selected: bool
    reason: str
    text: str
    others: tuple[int, ...] = ()
    breaches: tuple[Breach, ...] = ()
    shift: int = 0
    moved: tuple[Breach, ...] = ()


@dataclass(frozen=True)
class LimitUse:
    """A limit's use by the selection. It is binding when it keeps at least one candidate out."""

    constraint: Constraint
    name: str
    used: float
    limit: float
    binding: bool


@dataclass(frozen=True)
class Solution:
    """The optimiser's answer. status: optimal (proven within the gap asked for), time_limit (the best
    selection found when time ran out, or none if none was found) or infeasible (then `conflicts` names a minimal conflicting set).
    `gap` is the relative distance proven between `value` and the best value possible; `spend` the
    selection's (capex, opex) in each year of the horizon, limited or not."""

    status: str
    value: float | None
    selected: tuple[int, ...]
    decisions: Mapping[int, Decision]
    limits: tuple[LimitUse, ...]
    conflicts: tuple[Conflict, ...]
    gap: float | None
    seconds: float
    spend: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    shifts: Mapping[int, int] = field(default_factory=dict)  # candidate id: months its start moved


class Program:
    """A model's mixed-integer program, built once (sparse rows) and solved with or without a cap on the
    total cost over the horizon, so the frontier's points reuse one matrix. Its columns are the candidates
    (as planned) and then, when some may move, each of their later starts (model.shift_of)."""

    def __init__(self, model: Model) -> None:
        # SciPy is imported by the processes that solve, not by every process that loads the app (the web
        # workers would each hold some 50 MB more)
        from scipy import sparse  # noqa: PLC0415  # see above

        self.model = model
        n = len(model.ids)
        m = len(model.shift_of)
        width = n + m
        self.owner = np.concatenate([np.arange(n, dtype=np.int64), np.array(model.shift_of, dtype=np.int64)])
        usage = np.vstack([model.usage, model.shift_usage]) if m else model.usage
        # funded[i, j] = 1 when column j funds candidate i: the rules read a candidate through it
        funded = sparse.csr_array((np.ones(width), (self.owner, np.arange(width))), shape=(n, width))
        rows = [sparse.csr_array(usage.T)]
        upper = [model.limit_values]
        lower: list[FloatArray] = [np.full(len(model.limit_values), -np.inf)]
        for kind, rhs, sign in (("requires", 0.0, -1.0), ("excludes", 1.0, 1.0)):
            pairs = [(model.index[r.items[0]], model.index[r.items[1]]) for r in model.rules_of(kind)]
            if pairs:
                count = len(pairs)
                cols = np.array(pairs, dtype=np.int64).ravel()
                data = np.tile([1.0, sign], count)
                block = sparse.csr_array((data, (np.repeat(np.arange(count), 2), cols)), shape=(count, n))
                rows.append(sparse.csr_array(block @ funded) if m else block)
                upper.append(np.full(count, rhs))
                lower.append(np.full(count, -np.inf))
        forced = {model.index[r.items[0]] for r in model.rules if r.kind in ("mandatory", "force_in")}
        banned = {model.index[r.items[0]] for r in model.rules if r.kind == "force_out"}
        if m:
            # at most one way of funding each candidate that may move; exactly one when it is forced in
            movers = sorted(set(model.shift_of))
            rows.append(sparse.csr_array(funded[movers]))
            upper.append(np.ones(len(movers)))
            lower.append(np.array([1.0 if i in forced else -np.inf for i in movers]))
        self.costs: FloatArray = (
            np.concatenate([model.total_cost, model.shift_cost]) if m else model.total_cost
        )
        rows.append(sparse.csr_array(self.costs.reshape(1, width)))
        upper.append(np.array([np.inf]))
        lower.append(np.array([-np.inf]))
        self.matrix = sparse.vstack(rows, format="csr")
        self.upper: FloatArray = np.concatenate(upper)
        self.lower_rows: FloatArray | float = np.concatenate(lower) if m else -np.inf
        self.values: FloatArray = (
            np.concatenate([model.values, model.values[model.shift_of]]) if m else model.values
        )
        self.lower = np.zeros(width)
        self.higher = np.ones(width)
        for i in forced:
            if not m or i not in set(model.shift_of):
                self.lower[i] = 1.0
        for i in banned:
            self.higher[self.owner == i] = 0.0

    def run(
        self, *, cap: float | None = None, time_limit: float = 60.0, gap: float = 0.0, relax: bool = False
    ) -> tuple[str, FloatArray | None, float | None]:
        """Solve (the LP relaxation with `relax`) within a relative gap: the status, x over the columns (None
        when none was found) and the relative gap proven between x's value and HiGHS's bound."""
        if gap < 0:
            raise ValueError("The relative gap cannot be negative.")
        width = len(self.values)
        upper = self.upper.copy()
        upper[-1] = np.inf if cap is None else cap
        if width == 0:
            feasible = bool(np.all(upper >= 0))
            return (OPTIMAL, np.zeros(0), 0.0) if feasible else (INFEASIBLE, None, None)
        if np.any(self.lower > self.higher):
            return INFEASIBLE, None, None
        from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415  # see __init__

        result = milp(
            -self.values,
            integrality=np.zeros(width) if relax else np.ones(width),
            bounds=Bounds(self.lower, self.higher),
            constraints=LinearConstraint(self.matrix, self.lower_rows, upper),
            options={"time_limit": time_limit, "mip_rel_gap": gap},
        )
        if result.status == 2:
            return INFEASIBLE, None, None
        if result.status not in (0, 1):
            # 3 (unbounded) cannot happen with bounded binaries; 4 is HiGHS failing, which no caller can fix
            raise RuntimeError(f"HiGHS could not solve the scenario: {result.message}")
        if result.x is None:
            return TIME_LIMIT, None, None
        x = result.x if relax else np.round(result.x)
        gap = 0.0 if relax else float(getattr(result, "mip_gap", 0.0) or 0.0)
        return (OPTIMAL if result.status == 0 else TIME_LIMIT), x, gap

    def ways(self, x: FloatArray) -> tuple[np.ndarray, dict[int, int]]:
        """The selection of an integer x: a boolean per candidate, and the candidates (by index) funded with
        a later start, each with the index of that shift (model.shift_of)."""
        n = len(self.model.ids)
        on = x > 0.5
        chosen = on[:n].copy()
        moved: dict[int, int] = {}
        for k in np.flatnonzero(on[n:]):
            i = int(self.model.shift_of[k])
            chosen[i] = True
            moved[i] = int(k)
        return chosen, moved

    def cost(self, x: FloatArray) -> float:
        """The total cost over the horizon of an integer x."""
        n = len(self.model.ids)
        if len(self.values) == n:
            return float(self.model.total_cost[x[:n] > 0.5].sum())
        return float(self.costs[x > 0.5].sum())


def solve(scenario: Scenario, *, time_limit: float = 60.0, gap: float = 0.0) -> Solution:
    """The best selection of a scenario (proven within the relative `gap`, exact by default), every
    candidate's decision and every limit's use; when infeasible, a minimal set of conflicting constraints."""
    started = time.perf_counter()
    model = Model(scenario)
    program = Program(model)
    status, x, proven = program.run(time_limit=time_limit, gap=gap)
    if status == INFEASIBLE or x is None:
        # x is None only when HiGHS stopped before finding any selection
        conflicts = minimal_conflict(model) if status == INFEASIBLE else ()
        return Solution(status, None, (), {}, (), conflicts, proven, time.perf_counter() - started)
    chosen, moved = program.ways(x)
    if moved:
        moved = settle(model, chosen, moved)
    return explain(model, chosen, status=status, gap=proven, started=started, moved=moved)


def usage_of(model: Model, chosen: np.ndarray, moved: Mapping[int, int]) -> FloatArray:
    """What a selection uses of every limit, the candidates in `moved` at their later start."""
    used = model.usage[chosen].sum(axis=0)
    for i, k in moved.items():
        used = used - model.usage[i] + model.shift_usage[k]
    return used


def settle(model: Model, chosen: np.ndarray, moved: dict[int, int]) -> dict[int, int]:
    """Move each candidate funded with a later start back to the earliest start that still keeps every
    limit, the others as they are, until none can move back: a start moves only as far as it must, so its
    planned start breaks some limit. (The solver is indifferent between starts that fit alike.)"""
    moved = dict(moved)
    limits = model.limit_values
    room = limits + np.array([model.tolerance(v) for v in limits])
    used = usage_of(model, chosen, moved)
    later: dict[int, list[int]] = {}
    for k, i in enumerate(model.shift_of):
        later.setdefault(i, []).append(k)
    changed = True
    while changed:
        changed = False
        for i in sorted(moved):
            k = moved[i]
            options = [(0, None)] + sorted(
                (model.shift_months[a], a) for a in later[i] if model.shift_months[a] < model.shift_months[k]
            )
            for _months, a in options:
                trial = used - model.shift_usage[k] + (model.usage[i] if a is None else model.shift_usage[a])
                # only what the move adds must fit (a row the solver filled to its tolerance stays as it is)
                if np.all((trial <= room) | (trial <= used)):
                    used = trial
                    if a is None:
                        del moved[i]
                    else:
                        moved[i] = a
                    changed = True
                    break
    return moved


def explain(
    model: Model,
    chosen: np.ndarray,
    *,
    status: str,
    gap: float | None,
    started: float,
    moved: Mapping[int, int] | None = None,
) -> Solution:
    """The Solution of a selection (a boolean per candidate, the candidates in `moved` funded at a later
    start): decisions, limits' use, value."""
    moved = moved or {}
    used = usage_of(model, chosen, moved)
    limits = model.limit_values
    tolerance = np.array([model.tolerance(v) for v in limits])
    later: dict[int, list[int]] = {}
    for k, i in enumerate(model.shift_of):
        later.setdefault(i, []).append(k)
    rule_of: dict[int, str] = {}
    for forced in model.rules:
        if forced.kind in ("mandatory", "force_in", "force_out"):
            rule_of.setdefault(forced.items[0], forced.kind)
    needs: dict[int, list[int]] = {}
    for pair in model.rules_of("requires"):
        needs.setdefault(pair.items[0], []).append(pair.items[1])
    foes: dict[int, list[int]] = {}
    for pair in model.rules_of("excludes"):
        a, b = pair.items
        foes.setdefault(a, []).append(b)
        foes.setdefault(b, []).append(a)
    is_in = {cid: bool(chosen[i]) for i, cid in enumerate(model.ids)}
    # the limits each out-candidate alone would push over, for all of them at once
    over = used[None, :] + model.usage - (limits + tolerance)[None, :]
    decisions: dict[int, Decision] = {}
    binding = np.zeros(len(limits), dtype=bool)
    for i, cid in enumerate(model.ids):
        rule = rule_of.get(cid)
        if is_in[cid]:
            reason = rule if rule in ("mandatory", "force_in") else "chosen"
            text = {"mandatory": "mandatory", "force_in": "forced in"}.get(reason, "chosen")
            if i in moved:
                k = moved[i]
                at_start = used - model.shift_usage[k] + model.usage[i]
                broken = np.flatnonzero(at_start > limits + tolerance)
                binding[broken] = True
                why = tuple(Breach(model.limits[b], float(at_start[b]), float(limits[b])) for b in broken)
                months = model.shift_months[k]
                text += f", its start moved {months} month{'s' if months != 1 else ''} later"
                if why:
                    text += ": at its planned start it would break " + _breaches(model, why)
                decisions[cid] = Decision(cid, True, reason, text, shift=months, moved=why)
                continue
            decisions[cid] = Decision(cid, True, reason, text)
            continue
        missing = tuple(b for b in needs.get(cid, ()) if not is_in[b])
        rivals = tuple(sorted(b for b in foes.get(cid, ()) if is_in[b]))
        broken = np.flatnonzero(over[i] > 0)
        if rule == "force_out":
            decisions[cid] = Decision(cid, False, "force_out", "forced out")
        elif missing:
            names = ", ".join(model.name(b) for b in missing)
            decisions[cid] = Decision(cid, False, "requires", f"requires {names}, which is out", missing)
        elif rivals:
            names = ", ".join(model.name(b) for b in rivals)
            decisions[cid] = Decision(cid, False, "excludes", f"excludes {names}, which is in", rivals)
        elif len(broken):
            binding[broken] = True
            breaches = tuple(
                Breach(model.limits[k], float(used[k] + model.usage[i, k]), float(limits[k])) for k in broken
            )
            text = "would break " + _breaches(model, breaches)
            if i in later:
                fits = [
                    model.shift_months[k]
                    for k in later[i]
                    if not np.any(used[:] + model.shift_usage[k] > limits + tolerance)
                ]
                furthest = max(model.shift_months[k] for k in later[i])
                if fits:
                    # only a selection short of the exact optimum leaves this
                    text += (
                        f" at its planned start; it fits with its start moved {min(fits)} months later, but the "
                        "solver stopped within its gap before adding it"
                    )
                    decisions[cid] = Decision(cid, False, "fits", text, breaches=breaches)
                    continue
                text += f"; no start up to {furthest} month{'s' if furthest != 1 else ''} later fits either"
            decisions[cid] = Decision(cid, False, "limits", text, breaches=breaches)
        elif model.values[i] <= 0:
            text = f"fits every limit but adds no value (value {amount(model.values[i])})"
            decisions[cid] = Decision(cid, False, "fits", text)
        else:
            # only a selection short of the exact optimum (time limit, or a gap accepted) leaves this
            text = f"fits every limit; the solver stopped within its gap before adding it (value {amount(model.values[i])})"
            decisions[cid] = Decision(cid, False, "fits", text)
    uses = tuple(
        LimitUse(c, model.limit_name(c), float(used[k]), float(limits[k]), bool(binding[k]))
        for k, c in enumerate(model.limits)
    )
    selected = tuple(sorted(cid for cid in model.ids if is_in[cid]))
    value = float(model.values[chosen].sum())
    spent = model.spend[chosen].sum(axis=0)
    for i, k in moved.items():
        spent = spent - model.spend[i] + model.shift_spend[k]
    spend = {y: (float(spent[j, 0]), float(spent[j, 1])) for j, y in enumerate(model.years)}
    shifts = {model.ids[i]: model.shift_months[k] for i, k in sorted(moved.items())}
    seconds = time.perf_counter() - started
    return Solution(status, value, selected, decisions, uses, (), gap, seconds, spend, shifts)


def _breaches(model: Model, breaches: tuple[Breach, ...]) -> str:
    return "; ".join(
        f"{model.limit_name(b.constraint)}: {amount(b.over)} over the {amount(b.limit)} limit"
        for b in breaches
    )
