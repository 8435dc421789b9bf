"""The scenario's optimal selection, solved exactly as a mixed-integer program by HiGHS (scipy.optimize.milp),
and the explanation of every candidate: why it is in, and which rule or limit keeps it out.

The program: maximise sum(value_i * x_i) over binary x_i, subject to one row per limit (sum of usage_ik * x_i
<= limit_k), x_a - x_b <= 0 per requires pair, x_a + x_b <= 1 per excludes pair, and bounds fixing forced and
mandatory items to 1 and forced-out items to 0. "Optimal" means proven optimal within the relative gap asked
for: by default 0, exact (HiGHS still stops at its absolute gap of 1e-6 in value); a caller may accept a small
gap (the benchmark's large scenarios use 5e-4, see docs/planning-scenarios.md). Among several optimal
selections HiGHS returns one, the same for the same input.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

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
    limits that adding the candidate would break."""

    candidate: int
    selected: bool
    reason: str
    text: str
    others: tuple[int, ...] = ()
    breaches: tuple[Breach, ...] = ()


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


class Program:
    """A model's mixed-integer program, built once (sparse rows) and solved with or without a cap on the
    total cost over the horizon, so the frontier's points reuse one matrix."""

    def __init__(self, model: Model) -> None:
        self.model = model
        n = len(model.ids)
        rows = [sparse.csr_array(model.usage.T)]
        upper = [model.limit_values]
        for kind, rhs, sign in (("requires", 0.0, -1.0), ("excludes", 1.0, 1.0)):
            pairs = [(model.index[r.items[0]], model.index[r.items[1]]) for r in model.rules_of(kind)]
            if pairs:
                m = len(pairs)
                cols = np.array(pairs, dtype=np.int64).ravel()
                data = np.tile([1.0, sign], m)
                rows.append(sparse.csr_array((data, (np.repeat(np.arange(m), 2), cols)), shape=(m, n)))
                upper.append(np.full(m, rhs))
        rows.append(sparse.csr_array(model.total_cost.reshape(1, n)))
        upper.append(np.array([np.inf]))
        self.matrix = sparse.vstack(rows, format="csr")
        self.upper: FloatArray = np.concatenate(upper)
        self.lower = np.zeros(n)
        self.higher = np.ones(n)
        for rule in model.rules:
            i = model.index[rule.items[0]]
            if rule.kind in ("mandatory", "force_in"):
                self.lower[i] = 1.0
            elif rule.kind == "force_out":
                self.higher[i] = 0.0

    def run(
        self, *, cap: float | None = None, time_limit: float = 60.0, gap: float = 0.0, relax: bool = False
    ) -> tuple[str, FloatArray | None, float | None]:
        """Solve (the LP relaxation with `relax`) within a relative gap: the status, x (None when none was
        found) and the relative gap proven between x's value and HiGHS's bound."""
        if gap < 0:
            raise ValueError("The relative gap cannot be negative.")
        n = len(self.model.ids)
        upper = self.upper.copy()
        upper[-1] = np.inf if cap is None else cap
        if n == 0:
            feasible = bool(np.all(upper >= 0))
            return (OPTIMAL, np.zeros(0), 0.0) if feasible else (INFEASIBLE, None, None)
        if np.any(self.lower > self.higher):
            return INFEASIBLE, None, None
        result = milp(
            -self.model.values,
            integrality=np.zeros(n) if relax else np.ones(n),
            bounds=Bounds(self.lower, self.higher),
            constraints=LinearConstraint(self.matrix, -np.inf, upper),
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
    return explain(model, x > 0.5, status=status, gap=proven, started=started)


def explain(model: Model, chosen: np.ndarray, *, status: str, gap: float | None, started: float) -> Solution:
    """The Solution of a selection (a boolean per candidate): decisions, limits' use, value."""
    used = model.usage[chosen].sum(axis=0)
    limits = model.limit_values
    tolerance = np.array([model.tolerance(v) for v in limits])
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
            text = "would break " + "; ".join(
                f"{model.limit_name(b.constraint)}: {amount(b.over)} over the {amount(b.limit)} limit"
                for b in breaches
            )
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
    spend = {y: (float(spent[j, 0]), float(spent[j, 1])) for j, y in enumerate(model.years)}
    seconds = time.perf_counter() - started
    return Solution(status, value, selected, decisions, uses, (), gap, seconds, spend)
