"""Writes for business cases and the financial policy, and the stored figures they keep up to date.

A case is saved whole (its first year and every line with its amounts), validated whole before anything is
written, and its figures recomputed in the same transaction. Publishing a financial policy adds its next
version and recomputes every case's figures under it, set-based, in a tracked job.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from core import jobs
from core.bulk import bulk_insert, new_records
from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.history import bulk_history_copy
from core.jobs import Progress, run_job
from core.records import record_put
from core.roles import can_edit_initiative, can_edit_portfolio
from portfolio import finance
from portfolio.events import benefit_plan_event
from portfolio.models import (
    KPI,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    FinancialPolicy,
    Initiative,
)
from portfolio.models.business_cases import FIGURE_FIELDS

MAX_LINES = 50
KIND_VALUES = frozenset(kind.value for kind in finance.LineKind)
MAX_MONEY = Decimal("1e12")
RECOMPUTE_BATCH = 1000
MOVED_ASIDE = 1000  # added to the positions of lines that move while a case is saved (a case has at most 50)
FIGURES_JOB = jobs.register_kind("case_figures", "Business case figures")


@dataclass(frozen=True)
class LineInput:
    """A line as entered: its kind, label, KPI (a KPI or its id, non-financial lines only) and its amounts
    by calendar year (a missing year is no amount)."""

    kind: str
    label: str
    amounts: Mapping[int, Any] = field(default_factory=dict)
    kpi: Any = None
    # the stored line this one is (the edit grid's rows name it): a line keeps its id, history and benefit plan
    # when a line above it is removed. None: a new line; when no line of a save names one, each line is the
    # stored line at its position.
    id: int | None = None


DEFAULT_POLICY = {
    "discount_rate": Decimal("8"),
    "horizon_years": 5,
    "note": "Bearing's default policy (see docs/business-case.md).",
}


def current_policy() -> FinancialPolicy:
    """The current financial policy: the latest version. Migration 0012 publishes the default as version 1;
    a database emptied since (a flush) gets it back here, so there always is one."""
    policy = FinancialPolicy.objects.order_by("-version").first()
    if policy is None:
        policy, _ = FinancialPolicy.objects.get_or_create(version=1, defaults=DEFAULT_POLICY)
    return policy


def can_edit_business_case(user: Any, initiative: Initiative) -> bool:
    """Who edits an initiative's business case: whoever edits the initiative (PMO all, a manager their own)."""
    return can_edit_initiative(user, initiative)


def case_lines(case: BusinessCase) -> list[finance.CaseLine]:
    """The case's lines as finance takes them (amounts by year index), in their order."""
    lines = list(case.lines.select_related("kpi").prefetch_related("amounts"))
    return [
        finance.CaseLine(
            kind=line.line_kind,
            label=line.label,
            amounts={a.year - case.first_year: a.amount for a in line.amounts.all()},
            kpi=line.kpi.name if line.kpi else "",
        )
        for line in lines
    ]


def evaluate(case: BusinessCase, policy: FinancialPolicy | None = None) -> finance.BusinessCaseResult:
    """The case's figures under a policy (the current one unless given), computed now from its lines."""
    return finance.evaluate_business_case(case_lines(case), (policy or current_policy()).policy())


def _set_figures(case: BusinessCase, result: finance.BusinessCaseResult) -> None:
    case.policy_version = result.policy_version
    case.npv = result.npv
    case.irr = result.irr
    case.irr_note = result.irr_note[:300]
    case.payback_years = result.payback_years
    case.discounted_payback_years = result.discounted_payback_years
    case.roi = result.roi
    case.total_cost = result.total_costs
    case.total_benefit = result.total_benefits


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None


def _clean_lines(
    lines: Sequence[LineInput], errors: dict[str, list[str]]
) -> list[tuple[LineInput, KPI | None, dict[int, Decimal]]]:
    kpi_ids = {_pk(line.kpi) for line in lines if line.kpi not in (None, "")}
    kpis = KPI.objects.in_bulk([k for k in kpi_ids if isinstance(k, int)])
    cleaned = []
    for n, line in enumerate(lines):
        prefix = f"lines-{n}-"
        kind = finance.LineKind(line.kind) if line.kind in KIND_VALUES else None
        if kind is None:
            errors.setdefault(prefix + "kind", []).append("Choose the kind of line.")
        label = (line.label or "").strip()
        if not label:
            errors.setdefault(prefix + "label", []).append("Give the line a label.")
        elif len(label) > 200:
            errors.setdefault(prefix + "label", []).append("Keep the label to 200 characters.")
        kpi = kpis.get(_pk(line.kpi)) if line.kpi not in (None, "") else None
        if line.kpi not in (None, "") and kpi is None:
            errors.setdefault(prefix + "kpi", []).append("This KPI no longer exists.")
        elif kind is finance.LineKind.NON_FINANCIAL and kpi is None:
            errors.setdefault(prefix + "kpi", []).append("A non-financial line names the KPI it is tied to.")
        elif kind is not None and kind.is_financial and kpi is not None:
            errors.setdefault(prefix + "kpi", []).append("Only a non-financial line names a KPI.")
        amounts: dict[int, Decimal] = {}
        for year, value in sorted(line.amounts.items()):
            key = f"{prefix}amount-{year}"
            try:
                amount = _amount(value)
            except ValueError:
                errors.setdefault(key, []).append("Enter a number.")
                continue
            if amount is None:
                continue
            if not 1900 <= year <= 2200:
                errors.setdefault(key, []).append(
                    f"Year {year} is not a calendar year Bearing takes (1900 to 2200)."
                )
            elif kind is not None and kind.is_financial:
                if amount < 0:
                    errors.setdefault(key, []).append("Enter a positive sum: the line's kind gives its sign.")
                elif amount >= MAX_MONEY or amount != amount.quantize(finance.CENT):
                    errors.setdefault(key, []).append("Enter a sum in whole cents below 1,000,000,000,000.")
                elif amount:
                    amounts[year] = amount
            elif abs(amount) >= Decimal("1e14") or amount != amount.quantize(Decimal("0.0001")):
                errors.setdefault(key, []).append("Enter a KPI value with at most 4 decimals.")
            else:
                amounts[year] = amount
        cleaned.append((line, kpi, amounts))
    return cleaned


def _pk(value: Any) -> Any:
    value = getattr(value, "pk", value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def business_case_save(
    *, user: Any, initiative_id: int, version: int | None, first_year: int, lines: Sequence[LineInput]
) -> BusinessCase:
    """Create or replace an initiative's business case (its first year and all its lines), if the user may
    edit the initiative and the case is still at `version` (None: the user saw no case). Everything is
    validated before anything is written; the errors name the field (`first_year`) or the line's field
    (`lines-<n>-label`, `lines-<n>-amount-<year>`). The stored figures are recomputed under the current
    policy in the same transaction; a line removed with its benefit plan records `benefit.plan_changed`
    (removed)."""
    initiative = Initiative.objects.filter(pk=initiative_id).first()
    if initiative is None:
        raise ApplicationError("This initiative no longer exists.")
    if not can_edit_business_case(user, initiative):
        raise NotAllowed("You may not change the business case of this initiative.")
    errors: dict[str, list[str]] = {}
    if not isinstance(first_year, int) or not 1900 <= first_year <= 2200:
        errors["first_year"] = ["Enter the case's first calendar year (1900 to 2200)."]
    if len(lines) > MAX_LINES:
        errors["lines"] = [f"A business case has at most {MAX_LINES} lines."]
    cleaned = _clean_lines(lines, errors)
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    policy = current_policy()
    with transaction.atomic():
        case = record_put(
            BusinessCase,
            pk=initiative_id,
            version=version,
            user=user,
            values={"first_year": first_year},
            make=lambda: BusinessCase(initiative=initiative),
        )
        _write_lines(case, cleaned, user)
        _set_figures(case, evaluate(case, policy))
        BusinessCase.objects.filter(pk=case.pk).update(
            **{name: getattr(case, name) for name in FIGURE_FIELDS}
        )
        portfolio_changed(initiative_ids=[initiative_id])
    return case


def _write_lines(
    case: BusinessCase, cleaned: list[tuple[LineInput, KPI | None, dict[int, Decimal]]], user: Any
) -> None:
    """Bring the stored lines to the entered ones, so the audit trail records what changed (a relabelled line,
    one year's amount) rather than everything deleted and added again. An entered line that names a stored
    line of this case (its id) changes that line, wherever it now stands: removing a line deletes that line
    (and its benefit plan) only, and the lines below it keep theirs. Without ids, lines are matched by
    position."""
    held = list(case.lines.select_related("benefit_plan").prefetch_related("amounts"))
    by_id = {line.pk: line for line in held}
    by_position = {line.position: line for line in held}
    named = any(entered.id is not None for entered, _kpi, _amounts in cleaned)
    matched: list[BusinessCaseLine | None] = []
    for position, (entered, _kpi, _amounts) in enumerate(cleaned):
        if named:  # an id that is not this case's, or named twice, is a new line
            line = by_id.pop(entered.id, None) if entered.id is not None else None
        else:
            line = by_position.get(position)
        matched.append(line)
    kept = {line.pk for line in matched if line is not None}
    for line in sorted(held, key=lambda line: -line.position):
        if line.pk not in kept:
            plan = getattr(
                line, "benefit_plan", None
            )  # no plan: the reverse one-to-one raises AttributeError
            if plan is not None:
                benefit_plan_event(plan, line, case.initiative, actor=user, action="removed")
            line._history_user = user  # type: ignore[attr-defined]
            line.delete()
    moving = [
        line.pk for position, line in enumerate(matched) if line is not None and line.position != position
    ]
    if moving:  # out of the way of the positions they take (each position is unique within a case)
        BusinessCaseLine.objects.filter(pk__in=moving).update(position=F("position") + MOVED_ASIDE)
    for position, ((entered, kpi, amounts), line) in enumerate(zip(cleaned, matched, strict=True)):
        stored = line is not None
        line = line or BusinessCaseLine(case=case, position=position)
        values = {
            "kind": entered.kind,
            "label": entered.label.strip(),
            "kpi_id": kpi.pk if kpi else None,
            "position": position,
        }
        if line.pk is None or any(getattr(line, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(line, name, value)
            line._history_user = user  # type: ignore[attr-defined]
            line.save()
        before = {a.year: a for a in line.amounts.all()} if stored else {}
        for year, row in before.items():
            if year not in amounts:
                row._history_user = user  # type: ignore[attr-defined]
                row.delete()
            elif row.amount != amounts[year]:
                row.amount = amounts[year]
                row._history_user = user  # type: ignore[attr-defined]
                row.save()
        for year, amount in amounts.items():
            if year not in before:
                row = BusinessCaseAmount(line=line, year=year, amount=amount)
                row._history_user = user  # type: ignore[attr-defined]
                row.save()


def recompute_figures(*, progress: Progress | None = None) -> int:
    """Recompute every business case's stored figures under the current policy, in batches of cases: per
    batch one query each for the cases, their lines and their amounts, and one bulk update. Returns how
    many cases were recomputed."""
    policy = current_policy()
    rules = policy.policy()
    total = BusinessCase.objects.count()
    done = 0
    last = 0
    while True:
        cases = list(
            BusinessCase.objects.filter(pk__gt=last).order_by("pk").only("pk", "first_year")[:RECOMPUTE_BATCH]
        )
        if not cases:
            break
        low, last = cases[0].pk, cases[-1].pk
        lines: defaultdict[int, list[Any]] = defaultdict(list)
        for line in (
            BusinessCaseLine.objects.filter(case_id__gte=low, case_id__lte=last)
            .order_by("case_id", "position")
            .values("id", "case_id", "kind", "label", "kpi_id")
        ):
            lines[line["case_id"]].append(line)
        amounts: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for line_id, year, amount in BusinessCaseAmount.objects.filter(
            line__case_id__gte=low, line__case_id__lte=last
        ).values_list("line_id", "year", "amount"):
            amounts[line_id][year] = amount
        for case in cases:
            result = finance.evaluate_business_case(
                [
                    finance.CaseLine(
                        kind=finance.LineKind(line["kind"]),
                        label=line["label"],
                        amounts={year - case.first_year: a for year, a in amounts[line["id"]].items()},
                        kpi=str(line["kpi_id"] or ""),
                    )
                    for line in lines[case.pk]
                ],
                rules,
            )
            _set_figures(case, result)
        BusinessCase.objects.bulk_update(cases, FIGURE_FIELDS)
        done += len(cases)
        if progress and total:
            progress(min(99, done * 100 // total), f"{done} of {total} business cases recomputed")
    return done


def run_figures_recompute(*, job_id: int | None = None) -> int | None:
    """Recompute every case's figures as the tracked job `job_id` (None: untracked, e.g. from a command)."""
    return run_job(
        job_id,
        lambda progress: recompute_figures(progress=progress),
        lambda count: f"{count} business cases recomputed",
        lambda count: {"cases": count},
    )


def financial_policy_publish(
    *, user: Any, discount_rate: Any, horizon_years: Any, note: str = ""
) -> FinancialPolicy:
    """Publish the next version of the financial policy (PMO and admins) and, after commit, start the job
    that recomputes every business case's figures under it."""
    if not can_edit_portfolio(user):
        raise NotAllowed("Only the PMO publishes the financial policy.")
    errors: dict[str, list[str]] = {}
    try:
        rate = Decimal(str(discount_rate))
        if not Decimal("-99.9999") <= rate <= Decimal("100") or rate != rate.quantize(Decimal("0.0001")):
            errors["discount_rate"] = ["Enter a rate from -99.9999 to 100 per cent, with at most 4 decimals."]
    except InvalidOperation:
        errors["discount_rate"] = ["Enter the discount rate in per cent, e.g. 8."]
    try:
        horizon = int(horizon_years)
        if not 1 <= horizon <= finance.MAX_HORIZON_YEARS:
            errors["horizon_years"] = [f"Enter a horizon of 1 to {finance.MAX_HORIZON_YEARS} years."]
    except (TypeError, ValueError):
        errors["horizon_years"] = ["Enter the horizon in whole years."]
    if len(note) > 300:
        errors["note"] = ["Keep the note to 300 characters."]
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    with transaction.atomic():
        latest = FinancialPolicy.objects.aggregate(latest=Max("version"))["latest"] or 0
        try:
            with transaction.atomic():
                policy = FinancialPolicy.objects.create(
                    version=latest + 1,
                    discount_rate=rate,
                    horizon_years=horizon,
                    note=note.strip(),
                    created_by=user,
                )
        except IntegrityError:
            raise ApplicationError(
                "Someone published a financial policy at the same moment; nothing was changed. Reload and try again."
            ) from None
        transaction.on_commit(lambda: start_figures_recompute(user=user))
    return policy


def start_figures_recompute(*, user: Any = None) -> Any:
    """Start (or join) the job that recomputes every case's figures, where jobs run."""
    from portfolio import tasks

    return jobs.start(FIGURES_JOB, user=user, task=tasks.recompute_case_figures, run=run_figures_recompute)


BENEFIT_LABEL = "Expected annual benefit (entered before business cases)"


@dataclass(frozen=True)
class Seed:
    """What a business case is seeded from: an initiative's dates, approved budget and expected annual benefit
    (the data a loader or an older database has, before anyone entered a case)."""

    initiative_id: int
    first_year: int
    planned_end: datetime.date | None
    go_live_date: datetime.date | None
    capex: Decimal
    opex: Decimal
    annual_benefit: Decimal


def seeded_lines(seed: Seed, horizon: int) -> list[tuple[str, str, dict[int, Decimal]]]:
    """The lines a case is seeded with (kind, label, amounts by calendar year), as portfolio migration 0012
    seeded them: the capex in the first year; the opex spread evenly over the calendar years to the planned
    end (the last year takes the cents left over); the expected annual benefit as a cost saving every year
    from the year after go-live (else the planned end) to the horizon's last year (docs/business-case.md)."""
    first = seed.first_year
    lines: list[tuple[str, str, dict[int, Decimal]]] = []
    if seed.capex > 0:
        lines.append((finance.LineKind.CAPEX.value, "Budget (capex)", {first: seed.capex}))
    if seed.opex > 0:
        spread = list(range(first, max(first, seed.planned_end.year if seed.planned_end else first) + 1))
        share = (seed.opex / len(spread)).quantize(finance.CENT, rounding=ROUND_DOWN)
        amounts = dict.fromkeys(spread, share)
        amounts[spread[-1]] = seed.opex - share * (len(spread) - 1)
        lines.append((finance.LineKind.OPEX.value, "Budget (opex)", amounts))
    if seed.annual_benefit > 0:
        live = seed.go_live_date or seed.planned_end
        start = live.year + 1 if live else first + 1
        end = max(start, first + horizon - 1)
        lines.append(
            (
                finance.LineKind.COST_SAVING.value,
                BENEFIT_LABEL,
                dict.fromkeys(range(start, end + 1), seed.annual_benefit),
            )
        )
    return lines


def business_cases_seed(
    seeds: Sequence[Seed], *, user: Any = None, when: datetime.datetime | None = None
) -> int:
    """Create the seeded business cases of initiatives that have none (a loader's: the demo, the scale data)
    with their figures under the current policy, set-based: one bulk insert each for the cases, their lines
    and their amounts, and one for each of their audit trails' "created" entries (by `user`, at `when`),
    whatever the number of cases (PostgreSQL inserts each list in one statement)."""
    if not seeds:
        return 0
    policy = current_policy()
    rules = policy.policy()
    ids = [s.initiative_id for s in seeds]
    existing = set(
        BusinessCase.objects.filter(pk__gte=min(ids), pk__lte=max(ids)).values_list("pk", flat=True)
    )
    seeded: dict[int, list[tuple[str, str, dict[int, Decimal]]]] = {}
    cases = []
    for seed in seeds:
        entered = seeded_lines(seed, policy.horizon_years)
        if seed.initiative_id in existing or not entered:
            continue
        seeded[seed.initiative_id] = entered
        case = BusinessCase(initiative_id=seed.initiative_id, first_year=seed.first_year)
        result = finance.evaluate_business_case(
            [
                finance.CaseLine(
                    finance.LineKind(kind), label, {year - seed.first_year: a for year, a in amounts.items()}
                )
                for kind, label, amounts in entered
            ],
            rules,
        )
        _set_figures(case, result)
        cases.append(case)
    # COPY on PostgreSQL and history rows copied by the database (core.bulk, core.history): the scale data
    # seeds 100,000 cases with 300,000 lines and 600,000 yearly amounts
    history = {"history_type": "+", "user": user, "reason": None, "date": when}
    bulk_insert(BusinessCase, cases)  # keyed by their initiatives
    bulk_history_copy(BusinessCase, cases, **history)
    lines = new_records(
        BusinessCaseLine,
        ["case_id", "position", "kind", "label"],
        (
            (case.pk, n, kind, label)
            for case in cases
            for n, (kind, label, _amounts) in enumerate(seeded[case.pk])
        ),
    )
    bulk_insert(BusinessCaseLine, lines)  # sets the lines' ids
    bulk_history_copy(BusinessCaseLine, lines, **history)
    amounts = new_records(
        BusinessCaseAmount,
        ["line_id", "year", "amount"],
        (
            (line.pk, year, amount)
            for line in lines
            for year, amount in seeded[line.case_id][line.position][2].items()
        ),
    )
    bulk_insert(BusinessCaseAmount, amounts)
    bulk_history_copy(BusinessCaseAmount, amounts, **history)
    return len(cases)
