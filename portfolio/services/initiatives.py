"""Writes for initiatives and what hangs off them: contributions, milestones, scope changes, artefacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from core import outbox
from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.extensions import registry
from core.models import VersionedModel
from core.records import record_create, record_delete, record_update
from core.roles import can_edit_initiative, can_edit_portfolio, can_record_decisions
from core.stages import Stage
from portfolio.events import contribution_event, initiative_event
from portfolio.models import Artefact, Contribution, Initiative, Milestone, ScopeChange, ScopeChangeStatus

M = TypeVar("M", bound=VersionedModel)
ChildRule = Callable[[Any, Initiative], bool]

# Who answers for an initiative is the PMO's call, not the initiative manager's.
PMO_ONLY_INITIATIVE_FIELDS = ("sponsor", "manager")


def check_stage_move(before: Initiative, after: Initiative) -> None:
    """May the initiative, as it stood (`before`: its stage and since when), move to `after`'s stage? Every
    registered stage gate is asked (their reasons go on the stage field), and an initiative moved to Live must
    have gone live already (on the go-live field). Called inside the write's transaction, so a refusal undoes
    it."""
    errors: dict[str, list[str]] = {}
    go_live = after.go_live_date
    if after.stage == Stage.LIVE and go_live is not None and go_live > timezone.localdate():
        errors["go_live_date"] = [
            f"It goes live on {go_live.isoformat()}, in the future: move it to Live on or after that day, "
            "or enter the day it actually went live."
        ]
    reasons = [reason for gate in registry.stage_gates if (reason := gate(before, after.stage))]
    if reasons:
        errors["stage"] = reasons
    if errors:
        raise ApplicationError(" ".join(m for ms in errors.values() for m in ms), field_errors=errors)


def initiative_create(*, user: Any, data: dict[str, Any]) -> Initiative:
    """Register a new initiative (PMO); the stage gates may refuse the stage it starts in."""
    with transaction.atomic():
        initiative = record_create(
            Initiative,
            user=user,
            values={**data, "stage_since": timezone.localdate()},
            allowed=can_edit_portfolio(user),
        )
        check_stage_move(initiative, initiative)
        portfolio_changed(initiative_ids=[initiative.pk])
        initiative_event(outbox.INITIATIVE_REGISTERED, initiative, actor=user)
    return initiative


def initiative_update(*, user: Any, initiative_id: int, version: int, data: dict[str, Any]) -> Initiative:
    """Change an initiative; its manager may edit it but not reassign its sponsor or manager. A new stage is
    dated (stage_since) and must pass the stage gates."""

    def authorize(user: Any, current: Initiative) -> bool:
        if not can_edit_initiative(user, current):
            return False
        if can_edit_portfolio(user):
            return True
        for field in PMO_ONLY_INITIATIVE_FIELDS:
            if field in data and _pk(data[field]) != getattr(current, f"{field}_id"):
                raise NotAllowed(f"Only the PMO can change the {field} of an initiative.")
        return True

    return _initiative_write(
        user=user, initiative_id=initiative_id, version=version, data=data, authorize=authorize
    )


def initiative_stage_decide(*, user: Any, initiative_id: int, version: int, stage: str) -> Initiative:
    """Move an initiative to the stage a decision gave it (a proposal approved at intake, a plan approved):
    allowed to whoever records decisions (steering members, the PMO, admins) as well as to its editors. Dated,
    audited and passed through the stage gates as any stage change."""
    if stage not in Stage.values:
        raise ApplicationError("Not a stage.", field_errors={"stage": ["Choose a lifecycle stage."]})
    return _initiative_write(
        user=user,
        initiative_id=initiative_id,
        version=version,
        data={"stage": stage},
        authorize=lambda user, current: can_record_decisions(user) or can_edit_initiative(user, current),
    )


def _initiative_write(
    *,
    user: Any,
    initiative_id: int,
    version: int,
    data: dict[str, Any],
    authorize: Callable[[Any, Initiative], bool],
) -> Initiative:
    moved: list[Initiative] = []
    changed: list[str] = []

    def stamp_stage(before: Initiative, after: Initiative) -> None:
        changed.extend(
            f.name
            for f in Initiative._meta.concrete_fields
            if f.name not in ("version", "updated_at", "stage", "stage_since")
            and getattr(before, f.attname) != getattr(after, f.attname)
        )
        if before.stage != after.stage:
            after.stage_since = timezone.localdate()
            moved.append(before)

    with transaction.atomic():
        initiative = record_update(
            Initiative,
            pk=initiative_id,
            version=version,
            user=user,
            values=data,
            authorize=authorize,
            prepare=stamp_stage,
        )
        # After validation, so a refused stage comes with the form's other errors fixed first; the gates see
        # the initiative as it was (its stage and since when) and the stage it would move to.
        for before in moved:
            check_stage_move(before, initiative)
        portfolio_changed(initiative_ids=[initiative.pk])
        for before in moved:
            initiative_event(outbox.INITIATIVE_STAGE_MOVED, initiative, actor=user, stage_from=before.stage)
        if changed:
            initiative_event(outbox.INITIATIVE_CHANGED, initiative, actor=user, fields=changed)
    return initiative


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def child_create(
    model: type[M],
    *,
    user: Any,
    initiative: Initiative,
    data: dict[str, Any],
    rule: ChildRule = can_edit_initiative,
) -> M:
    """Create a record that belongs to one initiative, checked against the rule for that initiative."""
    with transaction.atomic():
        record = record_create(
            model, user=user, values={**data, "initiative": initiative}, allowed=rule(user, initiative)
        )
        portfolio_changed(initiative_ids=[initiative.pk])
    return record


def child_update(
    model: type[M],
    *,
    user: Any,
    pk: int,
    version: int,
    data: dict[str, Any],
    rule: ChildRule = can_edit_initiative,
    prepare: Callable[[M, M], None] | None = None,
) -> M:
    """Update an initiative's record; the initiative it belongs to cannot be changed this way."""
    values = {field: value for field, value in data.items() if field != "initiative"}
    with transaction.atomic():
        record = record_update(
            model,
            pk=pk,
            version=version,
            user=user,
            values=values,
            authorize=lambda user, current: rule(user, current.initiative),
            prepare=prepare,
        )
        portfolio_changed(initiative_ids=[record.initiative_id])  # type: ignore[attr-defined]  # all child models have one
    return record


def child_delete(
    model: type[M], *, user: Any, pk: int, version: int, rule: ChildRule = can_edit_initiative
) -> None:
    with transaction.atomic():
        initiative_id = model._default_manager.filter(pk=pk).values_list("initiative_id", flat=True).first()
        record_delete(
            model,
            pk=pk,
            version=version,
            user=user,
            authorize=lambda user, current: rule(user, current.initiative),
        )
        portfolio_changed(initiative_ids=[initiative_id])


def _pmo_rule(user: Any, _initiative: Initiative) -> bool:
    return can_edit_portfolio(user)


def contribution_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> Contribution:
    """Link an initiative to an objective with a strength and a rationale (PMO: the contribution drives the scores)."""
    with transaction.atomic():
        contribution = child_create(Contribution, user=user, initiative=initiative, data=data, rule=_pmo_rule)
        contribution_event(contribution, actor=user, action="added")
    return contribution


def contribution_update(
    *, user: Any, contribution_id: int, version: int, data: dict[str, Any]
) -> Contribution:
    with transaction.atomic():
        contribution = child_update(
            Contribution, user=user, pk=contribution_id, version=version, data=data, rule=_pmo_rule
        )
        contribution_event(contribution, actor=user, action="changed")
    return contribution


def contribution_delete(*, user: Any, contribution_id: int, version: int) -> None:
    with transaction.atomic():
        contribution = (
            Contribution.objects.select_related("initiative", "objective").filter(pk=contribution_id).first()
        )
        child_delete(Contribution, user=user, pk=contribution_id, version=version, rule=_pmo_rule)
        if contribution is not None:
            contribution_event(contribution, actor=user, action="removed")


def _stamp_forecast(before: Milestone, after: Milestone) -> None:
    if before.forecast_date != after.forecast_date:
        after.forecast_updated_at = timezone.now()


def milestone_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> Milestone:
    """Add a milestone; its baseline date is the promise that predictability is measured against."""
    if data.get("forecast_date"):
        data = {**data, "forecast_updated_at": timezone.now()}
    return child_create(Milestone, user=user, initiative=initiative, data=data)


def milestone_update(*, user: Any, milestone_id: int, version: int, data: dict[str, Any]) -> Milestone:
    """Change a milestone; a new forecast date is time-stamped so stale forecasts can be found."""
    return child_update(
        Milestone, user=user, pk=milestone_id, version=version, data=data, prepare=_stamp_forecast
    )


def milestone_delete(*, user: Any, milestone_id: int, version: int) -> None:
    child_delete(Milestone, user=user, pk=milestone_id, version=version)


def scope_change_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> ScopeChange:
    """Log a scope change with its cost and schedule impact (a missing rationale is allowed but flagged)."""
    return child_create(ScopeChange, user=user, initiative=initiative, data=data)


def scope_change_update(
    *, user: Any, scope_change_id: int, version: int, data: dict[str, Any]
) -> ScopeChange:
    return child_update(ScopeChange, user=user, pk=scope_change_id, version=version, data=data)


def can_decide_scope_changes(user: Any) -> bool:
    """Steering members, the PMO and admins approve or reject scope changes (a manager logs them)."""
    return can_record_decisions(user)


def scope_change_decide(*, user: Any, scope_change_id: int, version: int, status: str) -> ScopeChange:
    """Approve or reject a scope change awaiting a decision, recording who decided (steering members, PMO,
    admins): from a review, or wherever the change is shown."""
    if status not in (ScopeChangeStatus.APPROVED, ScopeChangeStatus.REJECTED):
        raise ApplicationError(
            "A scope change is approved or rejected.", field_errors={"status": ["Approve or reject it."]}
        )

    def prepare(before: ScopeChange, after: ScopeChange) -> None:
        if before.status != ScopeChangeStatus.PENDING:
            raise ApplicationError(
                f"This scope change was already {before.get_status_display().lower()}; nothing was changed."
            )

    with transaction.atomic():
        record = record_update(
            ScopeChange,
            pk=scope_change_id,
            version=version,
            user=user,
            values={"status": status, "approved_by": user},
            authorize=lambda user, current: can_decide_scope_changes(user),
            prepare=prepare,
        )
        portfolio_changed(initiative_ids=[record.initiative_id])
    return record


def scope_change_delete(*, user: Any, scope_change_id: int, version: int) -> None:
    child_delete(ScopeChange, user=user, pk=scope_change_id, version=version)


def artefact_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> Artefact:
    """Record a governance artefact (business case, reviews, plans) that the tier policy may require."""
    return child_create(Artefact, user=user, initiative=initiative, data=data)


def artefact_update(*, user: Any, artefact_id: int, version: int, data: dict[str, Any]) -> Artefact:
    return child_update(Artefact, user=user, pk=artefact_id, version=version, data=data)


def artefact_delete(*, user: Any, artefact_id: int, version: int) -> None:
    child_delete(Artefact, user=user, pk=artefact_id, version=version)
