"""Reads of strategy versions for the pages: a version's tree with its weights next to the live tree's, the
groups of siblings to compare pairwise, the what-if's summary as rows, two versions compared."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alignment.engine.inputs import ObjectiveRow, load_objectives
from planning import ahp
from planning.models import StrategyVersion, StrategyWeight
from planning.whatif import version_objectives
from portfolio.models import Objective
from portfolio.selectors import global_weights


@dataclass
class TreeRow:
    entry: StrategyWeight | None  # None: an objective added after the draft was made (kept as it stands)
    key: int  # the objective's id in the version's tree (negative for a proposed one)
    code: str
    title: str
    depth: int
    parent_key: int | None
    weight: Decimal
    status: str
    live_weight: Decimal | None  # None: proposed, not an objective yet
    live_status: str
    moved_since_drafted: bool  # the live objective changed after the draft copied it
    global_now: float
    global_then: float
    shown_weight: str = ""  # what the weight field shows (the typed value after a refused save)
    error: str = ""

    @property
    def changed(self) -> bool:
        return self.live_weight is None or (self.live_weight, self.live_status) != (self.weight, self.status)

    @property
    def global_change(self) -> float:
        return self.global_then - self.global_now


def entry_label(entry: StrategyWeight) -> str:
    objective = entry.objective
    return (
        f"{objective.code} {objective.title}"
        if objective is not None
        else f"{entry.code} {entry.title} (new)"
    )


def version_tree(
    version: StrategyVersion, *, posted: Any = None, errors: dict[str, list[str]] | None = None
) -> list[TreeRow]:
    """The version's objectives in tree order (themes, then what is under each), with global weights as the
    tree stands and as the version has it. A draft also shows the objectives added since it was made, which it
    leaves as they stand (a published version shows only what it held)."""
    errors = errors or {}
    entries = list(version.weights.select_related("objective"))
    live = load_objectives()
    then = version_objectives(live, entries)
    now_weights, then_weights = global_weights(live.values()), global_weights(then.values())
    by_key: dict[int, StrategyWeight] = {}
    for entry in entries:
        by_key[entry.objective_id if entry.objective_id is not None else -entry.pk] = entry
    children: dict[int | None, list[ObjectiveRow]] = {}
    for row in then.values():
        if row.id in by_key or version.is_draft:
            children.setdefault(row.parent_id, []).append(row)
    ordered: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: r.code):
            entry = by_key.get(row.id)
            objective = live.get(row.id)
            live_weight = (
                Decimal(str(objective.local_weight)).quantize(Decimal("0.01")) if objective else None
            )
            weight = entry.local_weight if entry is not None else live_weight or Decimal("0")
            shown = posted.get(f"weight-{entry.pk}", "") if posted is not None and entry is not None else ""
            ordered.append(
                TreeRow(
                    entry=entry,
                    key=row.id,
                    code=row.code,
                    title=row.title,
                    depth=depth,
                    parent_key=parent,
                    weight=weight,
                    status=entry.status if entry is not None else row.status,
                    live_weight=live_weight,
                    live_status=objective.status if objective else "",
                    moved_since_drafted=bool(
                        version.is_draft
                        and objective is not None
                        and entry is not None
                        and entry.base_weight is not None
                        and (entry.base_weight, entry.base_status) != (live_weight, objective.status)
                    ),
                    global_now=now_weights.get(row.id, 0.0),
                    global_then=then_weights.get(row.id, 0.0),
                    shown_weight=shown or f"{weight}",
                    error=""
                    if entry is None
                    else " ".join(
                        errors.get(f"weight-{entry.pk}", []) + errors.get(f"status-{entry.pk}", [])
                    ),
                )
            )
            walk(row.id, depth + 1)

    walk(None, 0)
    return ordered


@dataclass(frozen=True)
class Group:
    parent: int | None  # None for the themes
    label: str
    size: int
    consistency_ratio: float | None


def sibling_groups(version: StrategyVersion, tree: list[TreeRow]) -> list[Group]:
    """The groups of two or more active siblings of existing parents (or the themes), to compare pairwise."""
    counts: dict[int | None, int] = {}
    labels: dict[int | None, str] = {None: "Strategic themes"}
    for row in tree:
        if row.status == "active" and (row.parent_key is None or row.parent_key > 0):
            counts[row.parent_key] = counts.get(row.parent_key, 0) + 1
        labels[row.key] = f"Under {row.code} {row.title}"
    ratios = {c.parent_id: c.consistency_ratio for c in version.comparisons.all()}
    return [
        Group(parent, labels.get(parent, ""), size, ratios.get(parent))
        for parent, size in sorted(
            counts.items(), key=lambda item: (item[0] is not None, labels.get(item[0], ""))
        )
        if size >= 2
    ]


def parent_choices(version: StrategyVersion) -> list[tuple[int, str]]:
    """The objectives a proposed one may sit under: the themes and the objectives below them."""
    return [
        (pk, f"{code} {title}")
        for pk, code, title in Objective.objects.filter(parent__parent__isnull=True)
        .order_by("code")
        .values_list("pk", "code", "title")
    ]


def parent_label(parent_id: int | None) -> str:
    if parent_id is None:
        return "the strategic themes"
    objective = Objective.objects.filter(pk=parent_id).values_list("code", "title").first()
    return f"the objectives under {objective[0]} {objective[1]}" if objective else "a group"


@dataclass(frozen=True)
class PairwiseView:
    weights: list[tuple[str, float]]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    inconsistent: bool
    pair: tuple[str, str, str, str] | None  # first, second, judged, suggested


def _fraction(value: Any) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def pairwise_view(result: ahp.AhpResult, names: dict[int, str]) -> PairwiseView:
    pair = result.most_inconsistent
    return PairwiseView(
        weights=[
            (names[int(item)], weight) for item, weight in zip(result.items, result.weights, strict=True)
        ],
        lambda_max=result.lambda_max,
        consistency_index=result.consistency_index,
        consistency_ratio=result.consistency_ratio,
        inconsistent=result.inconsistent,
        pair=(
            names[int(pair.first)],
            names[int(pair.second)],
            _fraction(pair.judgement),
            _fraction(pair.suggested),
        )
        if pair is not None
        else None,
    )


def impact_rows(impact: dict[str, Any]) -> list[tuple[str, Any, Any, str]]:
    """The what-if's portfolio figures as (label, now, under the version, unit)."""
    before, after = impact.get("before", {}), impact.get("after", {})

    def percent(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    return [
        (
            "Alignment index (budget-weighted)",
            before.get("alignment_index"),
            after.get("alignment_index"),
            "points",
        ),
        (
            "Share of spend on the top objectives",
            percent(before.get("top_share")),
            percent(after.get("top_share")),
            "%",
        ),
        (
            "Misallocation (½ Σ |spend share − weight share|)",
            percent(before.get("misallocation")),
            percent(after.get("misallocation")),
            "%",
        ),
        ("Objective coverage", percent(before.get("coverage")), percent(after.get("coverage")), "%"),
    ]


@dataclass(frozen=True)
class Compared:
    code: str
    title: str
    first: tuple[Decimal, str, float] | None  # local weight, status, global weight
    second: tuple[Decimal, str, float] | None

    @property
    def differs(self) -> bool:
        return self.first is None or self.second is None or self.first[:2] != self.second[:2]


def compare(first: StrategyVersion, second: StrategyVersion) -> dict[str, Any]:
    """Each objective's weight and status in two versions (proposed objectives by their code)."""

    def held(version: StrategyVersion) -> dict[str, tuple[str, Decimal, str, float]]:
        entries = list(version.weights.select_related("objective"))
        rows = {
            (e.objective_id if e.objective_id is not None else -e.pk): ObjectiveRow(
                e.objective_id if e.objective_id is not None else -e.pk,
                e.objective.code if e.objective else e.code,
                e.objective.title if e.objective else e.title,
                (e.objective.parent_id if e.objective else e.parent_id),
                float(e.local_weight),
                e.status,
                None,
            )
            for e in entries
        }
        weights = global_weights(rows.values())
        return {
            row.code: (
                row.title,
                Decimal(str(row.local_weight)).quantize(Decimal("0.01")),
                row.status,
                weights.get(key, 0.0),
            )
            for key, row in rows.items()
        }

    a, b = held(first), held(second)
    rows = [
        Compared(
            code,
            (a.get(code) or b[code])[0],
            a[code][1:] if code in a else None,
            b[code][1:] if code in b else None,
        )
        for code in sorted(set(a) | set(b))
    ]
    return {
        "first": first,
        "second": second,
        "rows": rows,
        "differing": sum(1 for row in rows if row.differs),
    }
