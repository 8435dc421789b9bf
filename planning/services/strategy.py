"""Writes of strategy versions: draft, change weights (directly or by pairwise comparison), propose and
retire objectives, compute the what-if, publish, discard. The PMO (and admins) write; everyone reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from core import jobs
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.roles import can_edit_portfolio
from core.validators import CODE_VALIDATOR
from planning import ahp
from planning.models import (
    PairwiseComparison,
    StrategyImpact,
    StrategyVersion,
    StrategyWeight,
    VersionStatus,
)
from portfolio.models import Objective, ObjectiveStatus
from portfolio.models.objectives import MAX_OBJECTIVE_DEPTH
from portfolio.services.objectives import objective_create, objective_update

PMO_ONLY = "Only the PMO drafts and publishes strategy versions."
MIN_WEIGHT, MAX_WEIGHT = Decimal("0.01"), Decimal("1000")
CODE_LENGTH = 20  # an objective's code (portfolio.models.Objective.code)
PAIRWISE_SCALE = Decimal("100")  # pairwise weights (summing to 1) are stored as percentages of the group


def _require_pmo(user: Any) -> None:
    if not can_edit_portfolio(user):
        raise NotAllowed(PMO_ONLY)


def _draft(strategy_id: int, version: int | None = None) -> StrategyVersion:
    """The draft, locked; refused when it is no longer a draft or (with `version`) was changed since."""
    strategy = StrategyVersion.objects.select_for_update().filter(pk=strategy_id).first()
    if strategy is None:
        raise ApplicationError("This strategy version no longer exists.")
    if not strategy.is_draft:
        raise ApplicationError(
            f"Version {strategy.number} is {strategy.get_status_display().lower()}: only a draft changes."
        )
    if version is not None and strategy.version != version:
        raise StaleEdit(strategy)
    return strategy


def _touched(strategy: StrategyVersion) -> None:
    """A change to a draft: its version moves on and its what-if no longer holds."""
    StrategyVersion.objects.filter(pk=strategy.pk).update(
        version=F("version") + 1, impact={}, impact_at=None, updated_at=timezone.now()
    )
    StrategyImpact.objects.filter(strategy=strategy).delete()
    strategy.refresh_from_db()


def strategy_draft(*, user: Any, title: str, rationale: str = "") -> StrategyVersion:
    """A new draft: a copy of every objective's weight and status as they stand now."""
    _require_pmo(user)
    title = title.strip()
    if not title:
        raise ApplicationError(
            "Name the draft.", field_errors={"title": ["Name the draft, e.g. “2027 refresh”."]}
        )
    with transaction.atomic():
        strategy = _numbered(title=title[:120], rationale=rationale.strip()[:2000], created_by=user)
        StrategyWeight.objects.bulk_create(
            StrategyWeight(
                strategy=strategy,
                objective_id=pk,
                code=code,
                local_weight=weight,
                status=status,
                base_weight=weight,
                base_status=status,
            )
            for pk, code, weight, status in Objective.objects.order_by("code").values_list(
                "pk", "code", "local_weight", "status"
            )
        )
    return strategy


def _numbered(**fields: Any) -> StrategyVersion:
    """A new version numbered one above the last; two drafts started at the same moment cannot take the same
    number (the unique number refuses the second, which takes the next)."""
    for _attempt in range(5):
        number = (StrategyVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return StrategyVersion.objects.create(number=number, **fields)
        except IntegrityError:
            continue
    raise ApplicationError("Another draft was being started at the same moment: try again.")


def _weight(value: Any, field: str) -> Decimal:
    try:
        weight = Decimal(str(value).strip())
    except ArithmeticError:
        raise ApplicationError(
            "Not a number.", field_errors={field: ["Enter a number, e.g. 2 or 0.5."]}
        ) from None
    if not weight.is_finite() or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        raise ApplicationError(
            "A weight out of range.", field_errors={field: ["A weight is from 0.01 to 1000."]}
        )
    return weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def strategy_weights_set(
    *, user: Any, strategy_id: int, version: int, values: Mapping[int, tuple[Any, str]]
) -> StrategyVersion:
    """Set entries' weights and statuses: {entry id: (weight, status)}. Every value is checked before any is
    saved; a problem is reported at its entry (field "weight-<id>" or "status-<id>")."""
    _require_pmo(user)
    with transaction.atomic():
        strategy = _draft(strategy_id, version)
        entries = {entry.pk: entry for entry in strategy.weights.filter(pk__in=list(values))}
        errors: dict[str, list[str]] = {}
        changed = []
        for pk, (raw_weight, status) in values.items():
            entry = entries.get(pk)
            if entry is None:
                errors[f"weight-{pk}"] = ["This objective is not in the draft."]
                continue
            try:
                weight = _weight(raw_weight, f"weight-{pk}")
            except ApplicationError as error:
                errors.update(error.field_errors or {})
                continue
            if status not in ObjectiveStatus.values:
                errors[f"status-{pk}"] = ["Choose active or retired."]
                continue
            if (entry.local_weight, entry.status) != (weight, status):
                entry.local_weight, entry.status, entry.from_pairwise = weight, status, False
                changed.append(entry)
        if errors:
            raise ApplicationError("Nothing was saved: correct the weights marked.", field_errors=errors)
        if changed:
            StrategyWeight.objects.bulk_update(changed, ["local_weight", "status", "from_pairwise"])
            _touched(strategy)
    return strategy


def strategy_objective_propose(
    *, user: Any, strategy_id: int, version: int, code: str, title: str, parent_id: int | None, weight: Any
) -> StrategyWeight:
    """Propose a new objective in the draft (created when the draft is published)."""
    _require_pmo(user)
    code, title = code.strip(), title.strip()
    with transaction.atomic():
        strategy = _draft(strategy_id, version)
        errors: dict[str, list[str]] = {}
        if not code:
            errors["code"] = ["Give the new objective a code, e.g. O4."]
        elif not re.match(CODE_VALIDATOR.regex, code) or len(code) > CODE_LENGTH:
            errors["code"] = [f"{CODE_VALIDATOR.message} At most {CODE_LENGTH} characters."]
        elif (
            Objective.objects.filter(code__iexact=code).exists()
            or strategy.weights.filter(objective__isnull=True, code__iexact=code).exists()
        ):
            errors["code"] = [f"The code {code} is taken."]
        if not title:
            errors["title"] = ["Give the new objective a title."]
        parent = None
        if parent_id is not None:
            parent = Objective.objects.filter(pk=parent_id).select_related("parent__parent").first()
            if parent is None:
                errors["parent"] = ["That objective no longer exists."]
            elif _depth(parent) >= MAX_OBJECTIVE_DEPTH:
                errors["parent"] = [
                    f"The tree is at most {MAX_OBJECTIVE_DEPTH} levels deep: choose a higher parent."
                ]
        try:
            local_weight = _weight(weight, "weight")
        except ApplicationError as error:
            errors.update(error.field_errors or {})
        if errors:
            raise ApplicationError("The objective was not proposed.", field_errors=errors)
        entry = StrategyWeight.objects.create(
            strategy=strategy, code=code, title=title[:200], parent=parent, local_weight=local_weight
        )
        _touched(strategy)
    return entry


def _depth(objective: Objective) -> int:
    depth, node = 1, objective
    while node.parent_id is not None and node.parent is not None:
        depth, node = depth + 1, node.parent
    return depth


def siblings(strategy: StrategyVersion, parent_id: int | None) -> list[StrategyWeight]:
    """The draft's entries under one parent (the themes when None), active ones only, in code order."""
    entries = strategy.weights.select_related("objective").filter(status=ObjectiveStatus.ACTIVE)
    found = [
        entry
        for entry in entries
        if (entry.objective.parent_id if entry.objective is not None else entry.parent_id) == parent_id
    ]
    return sorted(found, key=lambda entry: entry.objective.code if entry.objective else entry.code)


def pairwise_result(entries: list[StrategyWeight], judgements: Mapping[str, str]) -> ahp.AhpResult:
    """AHP over the entries from judgements keyed "<entry id>:<entry id>" (the first's importance over the
    second's, as "3" or "1/3"); a ValueError names the pair that is missing or off the scale."""
    names = [str(entry.pk) for entry in entries]
    parsed: dict[tuple[str, str], Fraction] = {}
    for key, raw in judgements.items():
        first, _, second = key.partition(":")
        try:
            parsed[first, second] = Fraction(str(raw).strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(
                f"Judgement ({first}, {second}): {raw!r} is not a number on the scale."
            ) from None
    return ahp.pairwise_weights(names, parsed)


def strategy_pairwise_apply(
    *, user: Any, strategy_id: int, version: int, parent_id: int | None, judgements: Mapping[str, str]
) -> ahp.AhpResult:
    """Weight one group of siblings of the draft from pairwise judgements: their local weights become the
    principal eigenvector's, as percentages of the group (normalised, they are the same shares); the
    judgements and the consistency ratio are kept with the draft."""
    _require_pmo(user)
    with transaction.atomic():
        strategy = _draft(strategy_id, version)
        entries = siblings(strategy, parent_id)
        if len(entries) < 2:
            raise ApplicationError(
                "There is nothing to compare: the group has fewer than two active objectives."
            )
        try:
            result = pairwise_result(entries, judgements)
        except ValueError as error:
            raise ApplicationError(str(error), field_errors={"judgements": [str(error)]}) from None
        for entry, weight in zip(entries, result.weights, strict=True):
            scaled = (Decimal(str(weight)) * PAIRWISE_SCALE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            entry.local_weight, entry.from_pairwise = max(MIN_WEIGHT, scaled), True
        StrategyWeight.objects.bulk_update(entries, ["local_weight", "from_pairwise"])
        PairwiseComparison.objects.update_or_create(
            strategy=strategy,
            parent_id=parent_id,
            defaults={"judgements": dict(judgements), "consistency_ratio": result.consistency_ratio},
        )
        _touched(strategy)
    return result


def strategy_discard(*, user: Any, strategy_id: int, version: int) -> StrategyVersion:
    _require_pmo(user)
    with transaction.atomic():
        strategy = _draft(strategy_id, version)
        strategy.status = VersionStatus.DISCARDED
        strategy.version += 1
        strategy.save(update_fields=["status", "version", "updated_at"])
        StrategyImpact.objects.filter(strategy=strategy).delete()
    return strategy


def strategy_publish(*, user: Any, strategy_id: int, version: int) -> StrategyVersion:
    """Make the draft the strategy: each objective whose weight or status differs takes the draft's (through
    the objectives' own service: validated, versioned, in their history, the engine told), each proposed
    objective is created, the version published before is superseded; all or nothing. The draft then holds
    every objective as published (those added since it was drafted included), to compare with later."""
    _require_pmo(user)
    with transaction.atomic():
        strategy = _draft(strategy_id, version)
        live = {o.pk: o for o in Objective.objects.select_for_update()}
        entries = list(strategy.weights.all())
        for entry in sorted(entries, key=lambda e: (e.objective_id is None, e.pk)):
            if entry.objective_id is None:
                try:
                    created = objective_create(
                        user=user,
                        data={
                            "code": entry.code,
                            "title": entry.title,
                            "parent": entry.parent,
                            "local_weight": entry.local_weight,
                            "status": entry.status,
                        },
                    )
                except ApplicationError as error:
                    raise ApplicationError(
                        f"The new objective {entry.code} could not be created: {error}"
                    ) from None
                entry.objective = created
                entry.base_weight, entry.base_status = None, ""
                continue
            objective = live.get(entry.objective_id)
            if objective is None:
                continue
            if (objective.local_weight, objective.status) != (entry.local_weight, entry.status):
                objective_update(
                    user=user,
                    objective_id=objective.pk,
                    version=objective.version,
                    data={"local_weight": entry.local_weight, "status": entry.status},
                )
        StrategyWeight.objects.bulk_update(entries, ["objective", "base_weight", "base_status"])
        held = {entry.objective_id for entry in entries}
        StrategyWeight.objects.bulk_create(
            StrategyWeight(
                strategy=strategy, objective=o, code=o.code, local_weight=o.local_weight, status=o.status
            )
            for pk, o in live.items()
            if pk not in held
        )
        StrategyVersion.objects.filter(status=VersionStatus.PUBLISHED).update(
            status=VersionStatus.SUPERSEDED, version=F("version") + 1
        )
        strategy.status = VersionStatus.PUBLISHED
        strategy.published_by, strategy.published_at = user, timezone.now()
        strategy.version += 1
        strategy.save(update_fields=["status", "published_by", "published_at", "version", "updated_at"])
    return strategy


# ------------------------------------------------------------------------------------------- what-if job


def run_whatif(*, job_id: int | None, strategy_id: int) -> dict[str, Any] | None:
    """The what-if of a version as a tracked job (its progress shown on the version's page)."""
    from planning.whatif import compute_impact

    def work(progress: jobs.Progress | None) -> dict[str, Any]:
        strategy = StrategyVersion.objects.get(pk=strategy_id)
        return compute_impact(strategy, progress=progress)

    return jobs.run_job(
        job_id,
        work,
        lambda summary: (
            "The draft changed while this ran: run it again"
            if summary.get("stale")
            else f"{summary['gaining']:,} initiatives gain and {summary['losing']:,} lose"
        ),
        lambda summary: {"gaining": summary["gaining"], "losing": summary["losing"]},
    )


def whatif_start(*, user: Any, strategy_id: int) -> Any:
    """Start (or join) the what-if of a version; anyone who reads strategy versions may ask for it."""
    from planning import tasks

    return jobs.start(
        tasks.WHATIF,
        user=user,
        task=tasks.strategy_whatif,
        run=run_whatif,
        target=f"strategy:{strategy_id}",
        strategy_id=strategy_id,
    )
