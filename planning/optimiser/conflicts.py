"""Why a scenario has no feasible selection: the smallest set of constraint groups that conflict.

Costs, efforts and limits are never negative (the model refuses them), so choosing nothing satisfies every
limit and every dependency; only the items a scenario forces in (mandatory or forced) can make it infeasible.
Adding an item only uses more of every limit, so a scenario is feasible exactly when the smallest selection
its rules imply is: the forced items plus everything they require, transitively (their closure). This check is
exact and takes microseconds, so the deletion filter below uses it as its feasibility test instead of a
solver call per group; the tests confirm the result against exhaustive search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from planning.optimiser.scenario import Constraint, Model, amount


@dataclass(frozen=True)
class Conflict:
    """A member of the conflicting set, with the sentence that names it."""

    constraint: Constraint
    text: str


def closure(model: Model, groups: Iterable[Constraint]) -> set[int]:
    """The candidate ids the given groups force into every selection: forced and mandatory items and, through
    the given requires groups, everything they need."""
    groups = list(groups)
    needs: dict[int, list[int]] = {}
    for g in groups:
        if g.kind == "requires":
            needs.setdefault(g.items[0], []).append(g.items[1])
    todo = [g.items[0] for g in groups if g.kind in ("mandatory", "force_in")]
    chosen: set[int] = set()
    while todo:
        cid = todo.pop()
        if cid not in chosen:
            chosen.add(cid)
            todo.extend(needs.get(cid, ()))
    return chosen


def violated(model: Model, groups: Iterable[Constraint]) -> list[Constraint]:
    """The groups among `groups` that the smallest selection they imply breaks (empty: they are feasible)."""
    groups = list(groups)
    chosen = closure(model, groups)
    used = _usage(model, chosen)
    column = {c: k for k, c in enumerate(model.limits)}
    broken = []
    for g in groups:
        if g.kind == "force_out":
            bad = g.items[0] in chosen
        elif g.kind == "excludes":
            bad = g.items[0] in chosen and g.items[1] in chosen
        elif g.kind in ("mandatory", "force_in", "requires"):
            bad = False
        else:
            k = column[g]
            bad = used[k] > model.limit_values[k] + model.tolerance(model.limit_values[k])
        if bad:
            broken.append(g)
    return broken


def minimal_conflict(model: Model) -> tuple[Conflict, ...]:
    """An irreducible infeasible subset of the scenario's constraint groups (rules and limits), found by a
    deletion filter: drop each group in turn and keep it out if the rest still conflict. The result conflicts,
    and dropping any one member of it leaves a feasible scenario. Empty when the scenario is feasible."""
    keep = [*model.rules, *model.limits]
    if not violated(model, keep):
        return ()
    for group in list(keep):
        rest = [g for g in keep if g != group]
        if violated(model, rest):
            keep = rest
    return tuple(Conflict(g, _text(model, g, keep)) for g in keep)


def _usage(model: Model, chosen: set[int]) -> np.ndarray:
    rows = [model.index[cid] for cid in sorted(chosen)]
    return model.usage[rows].sum(axis=0) if rows else np.zeros(len(model.limits))


def _text(model: Model, group: Constraint, conflict: list[Constraint]) -> str:
    if group.kind in ("mandatory", "force_in", "force_out"):
        word = {"mandatory": "is mandatory", "force_in": "is forced in", "force_out": "is forced out"}
        return f"{model.name(group.items[0])} {word[group.kind]}"
    if group.kind in ("requires", "excludes"):
        return f"{model.name(group.items[0])} {group.kind} {model.name(group.items[1])}"
    k = model.limits.index(group)
    used = _usage(model, closure(model, conflict))[k]
    return (
        f"{model.limit_name(group)} limit {amount(model.limit_values[k])}: "
        f"the items above need {amount(used)}"
    )
