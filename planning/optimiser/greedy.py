"""The baseline the optimiser is measured against: rank candidates by value per cost and add each, with what
it requires, when it fits every limit and dependency. It is what a spreadsheet would do, so the benchmark
prints its value next to the optimum's to show what solving exactly gains."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.optimiser.conflicts import closure, violated
from planning.optimiser.scenario import Model, Scenario


@dataclass(frozen=True)
class Greedy:
    """The greedy selection and its value; feasible is False (and value None) when the forced items alone
    break a rule or limit."""

    feasible: bool
    value: float | None
    selected: tuple[int, ...]


def greedy(scenario: Scenario) -> Greedy:
    """Start from the forced and mandatory items with what they require, then take the candidates of positive
    value in decreasing value per total cost (free ones first, ties by id), each with its unchosen
    requirements, whenever that keeps every limit, exclusion and forced-out rule."""
    model = Model(scenario)
    if violated(model, [*model.rules, *model.limits]):
        return Greedy(False, None, ())
    needs: dict[int, list[int]] = {}
    for rule in model.rules_of("requires"):
        needs.setdefault(rule.items[0], []).append(rule.items[1])
    foes: dict[int, set[int]] = {}
    for rule in model.rules_of("excludes"):
        a, b = rule.items
        foes.setdefault(a, set()).add(b)
        foes.setdefault(b, set()).add(a)
    banned = {r.items[0] for r in model.rules_of("force_out")}
    chosen = closure(model, model.rules)
    used = model.usage[[model.index[c] for c in chosen]].sum(axis=0)
    room = model.limit_values + np.array([model.tolerance(v) for v in model.limit_values])

    def ratio(i: int) -> float:
        cost = model.total_cost[i]
        return float("inf") if cost == 0 else float(model.values[i] / cost)

    order = sorted(
        (i for i in range(len(model.ids)) if model.values[i] > 0),
        key=lambda i: (-ratio(i), model.ids[i]),
    )
    for i in order:
        cid = model.ids[i]
        if cid in chosen:
            continue
        group: set[int] = set()
        todo = [cid]
        while todo:
            item = todo.pop()
            if item not in chosen and item not in group:
                group.add(item)
                todo.extend(needs.get(item, ()))
        if group & banned or any(foes.get(item, set()) & (chosen | group) for item in group):
            continue
        extra = model.usage[[model.index[c] for c in group]].sum(axis=0)
        if np.all(used + extra <= room):
            chosen |= group
            used = used + extra
    selected = tuple(sorted(chosen))
    value = float(sum(model.values[model.index[c]] for c in selected))
    return Greedy(True, value, selected)
