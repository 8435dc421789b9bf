"""The indices of each program: the same numbers as the portfolio's formulas over the program's own initiatives,
made in one pass over the portfolio, with work that grows with the portfolio and not with programs x
objectives (no scan of the whole strategy per program)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from alignment.engine import compute
from alignment.engine.compute import compute_portfolio, compute_programs
from alignment.engine.inputs import ContributionRow, InitiativeRow, MilestoneRow, ObjectiveRow
from tests.alignment.formula_support import D, initiative_row, portfolio_inputs, score

STAGES = ["idea", "proposed", "approved", "in_delivery", "live", "closed", "cancelled"]
STRENGTHS = ["none", "weak", "moderate", "strong"]


def strategy(themes: int, per_theme: int) -> list[ObjectiveRow]:
    """Themes, objectives under them and a sub-objective under each, a few retired."""
    tree: list[ObjectiveRow] = []
    pk = 0
    for t in range(themes):
        pk += 1
        theme = pk
        tree.append(ObjectiveRow(theme, f"T{t}", f"Theme {t}", None, float(1 + t % 3), "active", None))
        for o in range(per_theme):
            pk += 1
            status = "retired" if (t + o) % 7 == 6 else "active"
            tree.append(ObjectiveRow(pk, f"O{pk}", f"Objective {pk}", theme, float(1 + o % 4), status, None))
            pk += 1
            tree.append(ObjectiveRow(pk, f"S{pk}", f"Sub-objective {pk}", pk - 1, 1.0, "active", None))
    return tree


class CountedRow(InitiativeRow):
    """An initiative row that counts how often its contributions are read."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "contributions":
            self.__dict__["reads"] += 1
        return super().__getattribute__(name)


def initiatives(n: int, programs: int, tree: list[ObjectiveRow], seed: int = 3) -> list[InitiativeRow]:
    rng = random.Random(seed)
    ids = [o.id for o in tree]
    rows = []
    for pk in range(1, n + 1):
        row = initiative_row(
            pk,
            stage=rng.choice(STAGES),
            category=rng.choice(["run", "grow", "transform"]),
            budget=float(rng.randint(0, 40) * 25_000),
            program_id=rng.randint(1, programs) if rng.random() < 0.85 else None,
            contributions=[
                ContributionRow(pk * 10 + k, objective, rng.choice(STRENGTHS), None)
                for k, objective in enumerate(rng.sample(ids, rng.randint(0, 3)))
            ],
            milestones=[MilestoneRow(pk, "Go-live", D(2026, rng.randint(1, 12), 1), None, None)],
        )
        rows.append(row)
    return rows


def counted(rows: list[InitiativeRow]) -> list[InitiativeRow]:
    out: list[InitiativeRow] = []
    for row in rows:
        copy = CountedRow.__new__(CountedRow)
        copy.__dict__.update(row.__dict__)
        copy.__dict__["reads"] = 0
        out.append(copy)
    return out


def indices(result: Any) -> dict[str, Any]:
    """What is stored of a program's indices."""
    return {
        "funded_budget": result.funded_budget,
        "alignment_index": result.alignment_index,
        "top_share": result.top_share,
        "misallocation": result.misallocation,
        "coverage": result.coverage,
        "predictability": result.predictability,
        "details": result.details,
    }


@pytest.mark.parametrize(("n", "programs"), [(60, 4), (400, 25)])
def test_each_programs_indices_are_the_portfolio_formulas_over_its_own_initiatives(n, programs):
    # given: a strategy and a portfolio spread over programs (some initiatives in none)
    tree = strategy(themes=4, per_theme=6)
    inputs = portfolio_inputs(initiatives(n, programs, tree), objectives=tree, kpis=(), readings={})
    scores = {row.id: score(row, inputs) for row in inputs.initiatives.values()}

    # when
    results = compute_programs(inputs, scores)

    # then: each program's indices are those of the portfolio's computation over its initiatives alone
    members: dict[int, list[InitiativeRow]] = {}
    for row in inputs.initiatives.values():
        if row.program_id is not None:
            members.setdefault(row.program_id, []).append(row)
    assert set(results) == set(members)
    for program, rows in members.items():
        alone = compute_portfolio(inputs, scores, rows)
        assert indices(results[program]) == indices(alone), program
        assert results[program].objectives == {}  # only the portfolio's objective facts are stored
    assert any(r.misallocation for r in results.values())
    assert any(r.coverage for r in results.values())


class ScanCounter(dict):  # type: ignore[type-arg]
    """The priority units, counting the scans of all of them."""

    scans = 0

    def __iter__(self) -> Any:
        type(self).scans += 1
        return super().__iter__()

    def values(self) -> Any:
        type(self).scans += 1
        return super().values()

    def items(self) -> Any:
        type(self).scans += 1
        return super().items()


def work(programs: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[int]]:
    """Scans of the whole set of priority units, and reads of each initiative's contributions, made by
    compute_programs over a portfolio of 300 initiatives in `programs` programs."""
    tree = strategy(themes=6, per_theme=20)
    rows: list[InitiativeRow] = counted(initiatives(300, programs, tree))
    inputs = portfolio_inputs(rows, objectives=tree, kpis=(), readings={})
    scores = {row.id: score(row, inputs) for row in rows}
    for row in rows:
        row.__dict__["reads"] = 0
    real = compute.priority_units

    def counting_units(objectives: Any, weights: Any) -> Any:
        units, routes = real(objectives, weights)
        return ScanCounter(units), routes

    monkeypatch.setattr(compute, "priority_units", counting_units)
    ScanCounter.scans = 0
    results = compute_programs(inputs, scores)
    assert len(results) > programs // 2  # (a program may draw no initiative)
    return ScanCounter.scans, [row.__dict__["reads"] for row in rows]


def test_the_work_per_program_does_not_scan_the_strategy_or_revisit_initiatives(monkeypatch):
    # when: the same portfolio is split into 3 programs, then into 60
    few_scans, few_reads = work(3, monkeypatch)
    many_scans, many_reads = work(60, monkeypatch)

    # then: the strategy's units are scanned a fixed number of times (when the priorities are worked out),
    # not once per program, and each initiative is read at most twice (its program's sums) either way
    assert few_scans == many_scans <= 4
    assert max(few_reads) <= 2
    assert max(many_reads) <= 2
