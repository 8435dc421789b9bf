"""Writes for teams, members, capacity overrides, run demand, effort estimates and the capacity policy.

The PMO (and admins) edit teams, capacity and run demand; an initiative's effort estimates are edited by
whoever may edit the initiative (the PMO, or its manager). Everyone else reads. Every write checks the
role here as well as in the view, validates the whole record and saves nothing when refused."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import FloatField, Max, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from capacity.models import (
    COMMITTED_STAGES,
    MAX_PERSON_DAYS,
    PROPOSED_STAGES,
    CapacityOverride,
    CapacityPolicy,
    ChangeDemand,
    ChangeDemandMonth,
    ChangeLoad,
    RunDemand,
    Team,
    TeamMember,
)
from capacity.months import months_between
from core import history
from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.models import VersionedModel
from core.records import record_create, record_delete, record_update
from core.roles import can_edit_initiative, can_edit_portfolio
from portfolio.models import Initiative

T = TypeVar("T", bound=VersionedModel)

PMO_ONLY = "Only the PMO edits teams, capacity and run demand."
MAX_FILL_MONTHS = 60
SPREAD_PLACES = Decimal("0.001")

DEFAULT_POLICY: dict[str, Any] = {
    "change_share_target": Decimal("40"),
    "overload_threshold": Decimal("100"),
    "max_shift_months": 0,
    "note": "Bearing's default policy (see docs/capacity.md).",
}


def _pmo(user: Any, _record: Any = None) -> bool:
    return can_edit_portfolio(user)


def _team_changed(team_ids: Iterable[int]) -> None:
    """Tell the engine that the initiatives with effort on these teams may have new capacity signals."""
    ids = ChangeDemand.objects.filter(team_id__in=list(team_ids)).values_list("initiative_id", flat=True)
    portfolio_changed(initiative_ids=set(ids))


# ------------------------------------------------------------------------------------------------ teams


def team_create(*, user: Any, data: dict[str, Any]) -> Team:
    """Add a team (PMO)."""
    return record_create(Team, user=user, values=data, allowed=can_edit_portfolio(user))


def team_update(*, user: Any, team_id: int, version: int, data: dict[str, Any]) -> Team:
    return record_update(Team, pk=team_id, version=version, user=user, values=data, authorize=_pmo)


def team_delete(*, user: Any, team_id: int, version: int) -> None:
    """Delete a team with its members, capacity, run demand and effort estimates (PMO)."""
    with transaction.atomic():
        ids = set(ChangeDemand.objects.filter(team_id=team_id).values_list("initiative_id", flat=True))
        record_delete(Team, pk=team_id, version=version, user=user, authorize=_pmo)
        portfolio_changed(initiative_ids=ids)


# A team's members, capacity overrides and run demand are written alike: through the record services, then the
# team's stored change load and capacity follow (_team_changed), all in one transaction. PMO only.


def team_record_create(model: type[T], *, user: Any, team: Team, data: dict[str, Any]) -> T:
    with transaction.atomic():
        record = record_create(
            model, user=user, values={**data, "team": team}, allowed=can_edit_portfolio(user)
        )
        _team_changed([team.pk])
    return record


def team_record_update(model: type[T], *, user: Any, pk: int, version: int, data: dict[str, Any]) -> T:
    values = {k: v for k, v in data.items() if k != "team"}
    with transaction.atomic():
        record = record_update(model, pk=pk, version=version, user=user, values=values, authorize=_pmo)
        _team_changed([record.team_id])  # type: ignore[attr-defined]
    return record


def team_record_delete(model: type[VersionedModel], *, user: Any, pk: int, version: int) -> None:
    with transaction.atomic():
        team_id = getattr(model._default_manager.filter(pk=pk).first(), "team_id", None)
        record_delete(model, pk=pk, version=version, user=user, authorize=_pmo)
        if team_id is not None:
            _team_changed([team_id])


def member_create(*, user: Any, team: Team, data: dict[str, Any]) -> TeamMember:
    return team_record_create(TeamMember, user=user, team=team, data=data)


def member_update(*, user: Any, member_id: int, version: int, data: dict[str, Any]) -> TeamMember:
    return team_record_update(TeamMember, user=user, pk=member_id, version=version, data=data)


def member_delete(*, user: Any, member_id: int, version: int) -> None:
    team_record_delete(TeamMember, user=user, pk=member_id, version=version)


# ------------------------------------------------------------------------------------ capacity overrides


def override_create(*, user: Any, team: Team, data: dict[str, Any]) -> CapacityOverride:
    """Set a team's capacity in one month by hand (holidays, hiring), in place of its members' (PMO)."""
    return team_record_create(CapacityOverride, user=user, team=team, data=data)


def override_update(*, user: Any, override_id: int, version: int, data: dict[str, Any]) -> CapacityOverride:
    return team_record_update(CapacityOverride, user=user, pk=override_id, version=version, data=data)


def override_delete(*, user: Any, override_id: int, version: int) -> None:
    team_record_delete(CapacityOverride, user=user, pk=override_id, version=version)


# ------------------------------------------------------------------------------------------ run demand


def run_demand_fill(
    *,
    user: Any,
    team: Team,
    category: str,
    first_month: datetime.date,
    last_month: datetime.date,
    person_days: Decimal,
    note: str = "",
) -> int:
    """Set a team's run demand of one category to the same person-days in every month from `first_month`
    to `last_month` (the months already entered are overwritten, each as a new version). Returns how many
    months were set. PMO only."""
    if not can_edit_portfolio(user):
        raise NotAllowed(PMO_ONLY)
    months = months_between(first_month, last_month)
    errors: dict[str, list[str]] = {}
    if not months:
        errors["last_month"] = ["The last month cannot come before the first."]
    elif len(months) > MAX_FILL_MONTHS:
        errors["last_month"] = [f"Fill at most {MAX_FILL_MONTHS} months at once."]
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    with transaction.atomic():
        existing = {
            row.month: row for row in RunDemand.objects.filter(team=team, category=category, month__in=months)
        }
        for month in months:
            row = existing.get(month)
            if row is None:
                record_create(
                    RunDemand,
                    user=user,
                    values={
                        "team": team,
                        "month": month,
                        "category": category,
                        "person_days": person_days,
                        "note": note,
                    },
                    allowed=True,
                )
            else:
                record_update(
                    RunDemand,
                    pk=row.pk,
                    version=row.version,
                    user=user,
                    values={"person_days": person_days, "note": note},
                    authorize=_pmo,
                )
        _team_changed([team.pk])
    return len(months)


def run_demand_update(*, user: Any, run_id: int, version: int, data: dict[str, Any]) -> RunDemand:
    return team_record_update(RunDemand, user=user, pk=run_id, version=version, data=data)


def run_demand_delete(*, user: Any, run_id: int, version: int) -> None:
    team_record_delete(RunDemand, user=user, pk=run_id, version=version)


# -------------------------------------------------------------------------------------- change demand


def even_spread(
    total: Decimal, start: datetime.date | None, end: datetime.date | None
) -> dict[datetime.date, Decimal]:
    """An effort spread evenly over the planned months, from the start's month to the end's (the start's
    month alone without an end, nothing without a start). Each month gets the total / n rounded down to a
    thousandth of a person-day; the last month takes the rest, so the months add up to the total exactly."""
    if start is None:
        return {}
    months = months_between(start, end) if end is not None and end >= start else [start.replace(day=1)]
    share = (total / len(months)).quantize(SPREAD_PLACES, rounding=ROUND_DOWN)
    spread = dict.fromkeys(months, share)
    spread[months[-1]] = total - share * (len(months) - 1)
    return spread


def loads_refresh(team_ids: Iterable[int] | None = None) -> int:
    """Rewrite the change load (ChangeLoad) of these teams (None: every team) from their estimates' months
    and their initiatives' stages: one grouped query, a delete and a bulk insert. Returns the rows written."""
    rows = ChangeDemandMonth.objects.filter(initiative__stage__in=COMMITTED_STAGES | PROPOSED_STAGES)
    target = ChangeLoad.objects.all()
    if team_ids is not None:
        ids = sorted(set(team_ids))
        if not ids:
            return 0
        rows = rows.filter(team_id__in=ids)
        target = target.filter(team_id__in=ids)
    grouped = (
        rows.values_list("team_id", "month")
        .annotate(
            committed=Cast(
                Sum("person_days", filter=Q(initiative__stage__in=COMMITTED_STAGES)), FloatField()
            ),
            proposed=Cast(Sum("person_days", filter=Q(initiative__stage__in=PROPOSED_STAGES)), FloatField()),
        )
        .order_by()
    )
    loads = [
        ChangeLoad(team_id=team_id, month=month, committed=committed or 0.0, proposed=proposed or 0.0)
        for team_id, month, committed, proposed in grouped
    ]
    with transaction.atomic():
        target.delete()
        ChangeLoad.objects.bulk_create(loads, batch_size=2000)
    return len(loads)


def _write_months(demand: ChangeDemand, spread: Mapping[datetime.date, Decimal]) -> None:
    ChangeDemandMonth.objects.filter(demand=demand).delete()
    ChangeDemandMonth.objects.bulk_create(
        ChangeDemandMonth(
            demand=demand,
            team_id=demand.team_id,
            initiative_id=demand.initiative_id,
            month=month,
            person_days=days,
        )
        for month, days in sorted(spread.items())
        if days
    )
    loads_refresh([demand.team_id])


def _spread(demand: ChangeDemand) -> None:
    initiative = demand.initiative
    _write_months(demand, even_spread(demand.person_days, initiative.planned_start, initiative.planned_end))


def _initiative_rule(user: Any, demand: ChangeDemand) -> bool:
    return can_edit_initiative(user, demand.initiative)


def change_demand_create(*, user: Any, initiative: Initiative, data: dict[str, Any]) -> ChangeDemand:
    """Estimate an initiative's effort for one team (PMO, or the initiative's manager): spread evenly over
    its planned months."""
    values = {**data, "initiative": initiative, "custom": False}
    with transaction.atomic():
        demand = record_create(
            ChangeDemand, user=user, values=values, allowed=can_edit_initiative(user, initiative)
        )
        _spread(demand)
        portfolio_changed(initiative_ids=[initiative.pk])
    return demand


def change_demand_update(*, user: Any, demand_id: int, version: int, data: dict[str, Any]) -> ChangeDemand:
    """Change an estimate's total or note; a new total is spread evenly again (edited months are reset)."""
    values = {k: v for k, v in data.items() if k not in ("initiative", "custom")}
    with transaction.atomic():
        before = ChangeDemand.objects.filter(pk=demand_id).values_list("person_days", "team_id").first()
        demand = record_update(
            ChangeDemand,
            pk=demand_id,
            version=version,
            user=user,
            values=values,
            authorize=_initiative_rule,
        )
        if before is None or (demand.person_days, demand.team_id) != before or not demand.custom:
            if demand.custom:
                ChangeDemand.objects.filter(pk=demand.pk).update(custom=False)
                demand.custom = False
            _spread(demand)
        portfolio_changed(initiative_ids=[demand.initiative_id])
    return demand


def change_demand_set_months(
    *, user: Any, demand_id: int, version: int, months: Mapping[datetime.date, Decimal]
) -> ChangeDemand:
    """Set an estimate's months one by one: its total becomes their sum and it is no longer spread evenly.
    A month may fall outside the initiative's planned dates (an estimate of work before or after them)."""
    errors: dict[str, list[str]] = {}
    for month, days in months.items():
        if month.day != 1:
            errors.setdefault("months", []).append(f"{month.isoformat()} is not a month's first day.")
        if days < 0 or days > MAX_PERSON_DAYS:
            errors.setdefault("months", []).append(f"{month:%Y-%m}: give 0 to {MAX_PERSON_DAYS} person-days.")
    total = sum(months.values(), Decimal("0"))
    if total > MAX_PERSON_DAYS:
        errors.setdefault("months", []).append(
            f"The months add up to more than {MAX_PERSON_DAYS} person-days."
        )
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    with transaction.atomic():
        demand = record_update(
            ChangeDemand,
            pk=demand_id,
            version=version,
            user=user,
            values={"person_days": total.quantize(Decimal("0.1")), "custom": True},
            authorize=_initiative_rule,
        )
        _write_months(demand, months)
        portfolio_changed(initiative_ids=[demand.initiative_id])
    return demand


def change_demand_reset(*, user: Any, demand_id: int, version: int) -> ChangeDemand:
    """Spread an estimate evenly over its initiative's planned months again."""
    with transaction.atomic():
        demand = record_update(
            ChangeDemand,
            pk=demand_id,
            version=version,
            user=user,
            values={"custom": False},
            authorize=_initiative_rule,
        )
        _spread(demand)
        portfolio_changed(initiative_ids=[demand.initiative_id])
    return demand


def change_demand_delete(*, user: Any, demand_id: int, version: int) -> None:
    with transaction.atomic():
        initiative_id = (
            ChangeDemand.objects.filter(pk=demand_id).values_list("initiative_id", flat=True).first()
        )
        team_id = ChangeDemand.objects.filter(pk=demand_id).values_list("team_id", flat=True).first()
        record_delete(ChangeDemand, pk=demand_id, version=version, user=user, authorize=_initiative_rule)
        if team_id is not None:
            loads_refresh([team_id])
        portfolio_changed(initiative_ids=[initiative_id])


def respread(initiative_ids: Collection[int] | None = None) -> int:
    """Spread again the evenly spread estimates of these initiatives (None: all), after their planned dates
    moved (edited months are left as they are), and rewrite the change load of their teams (of every team
    for None). Set-based: a few queries whatever the number. Returns how many estimates were spread."""
    demands = ChangeDemand.objects.filter(custom=False)
    if initiative_ids is not None:
        demands = demands.filter(initiative_id__in=list(initiative_ids))
    with transaction.atomic():
        ids = _spread_evenly(demands)
        if initiative_ids is None:
            loads_refresh()
        else:
            teams = ChangeDemand.objects.filter(initiative_id__in=list(initiative_ids)).values_list(
                "team_id", flat=True
            )
            loads_refresh(set(teams))
    return len(ids)


def _spread_evenly(demands: Any) -> list[int]:
    """Rewrite the months of these estimates as their even spread: one read, a delete per 900 estimates and
    a bulk insert. Returns the estimates' ids."""
    rows: list[ChangeDemandMonth] = []
    ids: list[int] = []
    for demand in (
        demands.select_related("initiative")
        .only(
            "pk",
            "team_id",
            "initiative_id",
            "person_days",
            "initiative__planned_start",
            "initiative__planned_end",
        )
        .iterator(chunk_size=2000)
    ):
        ids.append(demand.pk)
        initiative = demand.initiative
        for month, days in even_spread(
            demand.person_days, initiative.planned_start, initiative.planned_end
        ).items():
            if days:
                rows.append(
                    ChangeDemandMonth(
                        demand_id=demand.pk,
                        team_id=demand.team_id,
                        initiative_id=demand.initiative_id,
                        month=month,
                        person_days=days,
                    )
                )
    for start in range(0, len(ids), 900):
        ChangeDemandMonth.objects.filter(demand_id__in=ids[start : start + 900]).delete()
    ChangeDemandMonth.objects.bulk_create(rows, batch_size=2000)
    return ids


def change_demand_imported(*, demand_ids: Collection[int]) -> None:
    """What the services do after writing an estimate, for the estimates an import wrote (its records are
    checked by the estimate form and written in bulk by portfolio.imports): those not edited month by month
    are spread evenly over their initiatives' planned months, their teams' change load is rewritten and the
    engine is told. Set-based: a few queries whatever the number of estimates."""
    ids = list(demand_ids)
    if not ids:
        return
    written = ChangeDemand.objects.filter(pk__in=ids)
    _spread_evenly(written.filter(custom=False))
    loads_refresh(set(written.values_list("team_id", flat=True)))
    portfolio_changed(initiative_ids=set(written.values_list("initiative_id", flat=True)))


def change_demand_months_write(
    *,
    user: Any,
    create: Collection[ChangeDemandMonth],
    update: Collection[ChangeDemandMonth],
    delete: Collection[int],
    reason: str,
) -> None:
    """Set months of estimates one by one, in bulk (an import of effort by month): the months given are
    added, changed or (at 0) removed, the others kept; as on the estimate's months page, each estimate
    touched gets the sum of its months as its total, is marked as edited month by month and moves to its
    next version with a history row. The checks (a month, 0 to 99999.9 person-days, a total within the
    limit, the PMO's right) are the caller's. Set-based: a few queries whatever the number of months."""
    if not can_edit_portfolio(user) and user is not None:
        raise NotAllowed(PMO_ONLY)
    demand_ids = {m.demand_id for m in (*create, *update)} | set(
        ChangeDemandMonth.objects.filter(pk__in=list(delete)).values_list("demand_id", flat=True)
    )
    if not demand_ids:
        return
    with transaction.atomic():
        ChangeDemandMonth.objects.filter(pk__in=list(delete)).delete()
        ChangeDemandMonth.objects.bulk_update(list(update), ["person_days"], batch_size=1000)
        ChangeDemandMonth.objects.bulk_create(list(create), batch_size=1000)
        totals = dict(
            ChangeDemandMonth.objects.filter(demand_id__in=demand_ids)
            .values_list("demand_id")
            .annotate(total=Sum("person_days"))
            .order_by()
        )
        demands = list(ChangeDemand.objects.select_for_update().filter(pk__in=demand_ids).order_by("pk"))
        now = timezone.now()
        for demand in demands:
            demand.person_days = (totals.get(demand.pk) or Decimal("0")).quantize(Decimal("0.1"))
            demand.custom = True
            demand.version += 1
            demand.updated_at = now
        ChangeDemand.objects.bulk_update(demands, ["person_days", "custom", "version", "updated_at"])
        person = user if getattr(user, "is_authenticated", False) else None
        history.bulk_history_copy(ChangeDemand, demands, history_type="~", user=person, reason=reason)
        loads_refresh({demand.team_id for demand in demands})
        portfolio_changed(initiative_ids={demand.initiative_id for demand in demands})


def team_records_imported(*, team_ids: Collection[int]) -> None:
    """What the services do after writing a team's member, capacity override or run demand, for the teams an
    import wrote them in: the initiatives with effort on those teams may have new capacity signals."""
    _team_changed(team_ids)


def on_portfolio_change(change: Any) -> None:
    """Change notice listener: an initiative's planned dates or stage may have changed; its even spreads and
    its teams' change load follow, in the same transaction. One query when the initiatives have no estimate."""
    if (
        change.initiative_ids
        and ChangeDemand.objects.filter(initiative_id__in=change.initiative_ids).exists()
    ):
        respread(change.initiative_ids)


# --------------------------------------------------------------------------------------------- policy


def current_policy() -> CapacityPolicy:
    """The current capacity policy: the latest version; the default is published as version 1 when there is
    none, so there always is one."""
    policy = CapacityPolicy.objects.order_by("-version").first()
    if policy is None:
        try:
            with transaction.atomic():
                policy, _ = CapacityPolicy.objects.get_or_create(version=1, defaults=DEFAULT_POLICY)
        except IntegrityError:
            policy = CapacityPolicy.objects.get(version=1)
    return policy


def capacity_policy_publish(
    *, user: Any, change_share_target: Any, overload_threshold: Any, max_shift_months: Any = 0, note: str = ""
) -> CapacityPolicy:
    """Publish the next version of the capacity policy (PMO and admins)."""
    if not can_edit_portfolio(user):
        raise NotAllowed("Only the PMO publishes the capacity policy.")
    errors: dict[str, list[str]] = {}
    target = _percent(change_share_target, Decimal("0"), Decimal("100"), "change_share_target", errors)
    threshold = _percent(overload_threshold, Decimal("50"), Decimal("200"), "overload_threshold", errors)
    try:
        shift = int(max_shift_months)
        if not 0 <= shift <= 12:
            errors["max_shift_months"] = ["Allow 0 to 12 months."]
    except (TypeError, ValueError):
        errors["max_shift_months"] = ["Give whole months, 0 to 12."]
    if not isinstance(note, str) or len(note) > 300:
        errors["note"] = ["Keep the note to 300 characters."]
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    with transaction.atomic():
        latest = CapacityPolicy.objects.aggregate(latest=Max("version"))["latest"] or 0
        try:
            with transaction.atomic():
                policy = CapacityPolicy.objects.create(
                    version=latest + 1,
                    change_share_target=target,
                    overload_threshold=threshold,
                    max_shift_months=shift,
                    note=note.strip(),
                    created_by=user,
                )
        except IntegrityError:
            raise ApplicationError(
                "Someone published a capacity policy at the same moment; nothing was changed. Reload and try again."
            ) from None
    return policy


def _percent(value: Any, low: Decimal, high: Decimal, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value))
        if not number.is_finite() or not low <= number <= high or number != number.quantize(Decimal("0.1")):
            raise InvalidOperation
    except InvalidOperation:
        errors[field] = [f"Give a percentage from {low} to {high}, with at most one decimal."]
        return low
    return number
