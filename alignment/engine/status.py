"""An initiative's status per dimension (schedule, cost, scope, benefits) as red, amber or green: the status the
data suggests, and the current status, which is the latest checkpoint review's while it is recent and the data's
after. Pure functions: the engine stores the current status with the scores (the register, the initiative's
header, the exports and the API read it), and the steering app offers the data's suggestion, with its reasons,
when a committee records a review. docs/steering.md gives the rules with examples."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from alignment.engine.formulas import AT_RISK, NO_DATA, OFF_TRACK, MilestoneDates, slip_days
from alignment.engine.policy import SignalPolicy

DIMENSIONS = ("schedule", "cost", "scope", "benefits")
GREEN, AMBER, RED = "green", "amber", "red"  # core.models.RAG's values
RANK = {GREEN: 0, AMBER: 1, RED: 2}
LETTERS = {GREEN: "g", AMBER: "a", RED: "r"}  # the stored form: one letter per dimension, "gagr"
FROM_LETTER = {letter: rag for rag, letter in LETTERS.items()}

# A milestone not yet achieved that is late by this many days (forecast, or today when even its forecast has
# passed) makes the schedule amber, or red, whatever the initiative's overall slip.
MILESTONE_SLIP_AMBER_DAYS = 14
MILESTONE_SLIP_RED_DAYS = 45


@dataclass(frozen=True)
class Suggestion:
    rag: str
    reason: str


def worst(*rags: str) -> str:
    return max(rags, key=RANK.__getitem__)


def _banded(value: float, amber: float, red: float) -> str:
    return RED if value >= red else AMBER if value >= amber else GREEN


def schedule(
    milestones: Iterable[tuple[str, datetime.date, datetime.date | None]],
    slip_days_overall: int | None,
    slip_ratio: float | None,
    today: datetime.date,
    policy: SignalPolicy,
) -> Suggestion:
    """The worse of the whole schedule's slip ratio (the schedule-slip signal's thresholds) and the lateness of
    each milestone not yet achieved, given as (name, baseline, forecast)."""
    late = []
    for name, baseline, forecast in milestones:
        days = slip_days([MilestoneDates(baseline, forecast, None)], None, today)
        if days >= MILESTONE_SLIP_AMBER_DAYS:
            late.append((days, name))
    late.sort(key=lambda pair: (-pair[0], pair[1]))
    milestone_rag = _banded(late[0][0], MILESTONE_SLIP_AMBER_DAYS, MILESTONE_SLIP_RED_DAYS) if late else GREEN
    listed = ""
    if late:
        named = ", ".join(f"“{name}” {days} days" for days, name in late[:3])
        more = f" and {len(late) - 3} more" if len(late) > 3 else ""
        listed = (
            f" Milestones late: {named}{more} (amber from {MILESTONE_SLIP_AMBER_DAYS} days, "
            f"red from {MILESTONE_SLIP_RED_DAYS})."
        )
    if slip_ratio is None:
        if late:
            return Suggestion(milestone_rag, f"No plan dates to measure the whole schedule against.{listed}")
        return Suggestion(AMBER, "No plan dates to measure the schedule against.")
    return Suggestion(
        worst(_banded(slip_ratio, policy.slip_amber, policy.slip_red), milestone_rag),
        f"{slip_days_overall or 0} days behind plan: {slip_ratio:.0%} of the planned duration "
        f"(amber from {policy.slip_amber:.0%}, red from {policy.slip_red:.0%}).{listed}",
    )


def cost(overrun: float | None, policy: SignalPolicy) -> Suggestion:
    """The forecast overrun against the cost-overrun signal's thresholds."""
    if overrun is None:
        return Suggestion(AMBER, "No budget to measure cost against.")
    return Suggestion(
        _banded(overrun, policy.overrun_amber, policy.overrun_red),
        (f"Forecast {overrun:.0%} over budget" if overrun else "Forecast within budget")
        + f" (amber from {policy.overrun_amber:.0%}, red from {policy.overrun_red:.0%}).",
    )


def scope(
    changes: Iterable[tuple[datetime.date, str]], today: datetime.date, policy: SignalPolicy
) -> Suggestion:
    """Scope changes (date, status) in the policy's window, rejected ones aside, against the frequent-scope-
    change signal's counts; one awaiting a decision makes it at least amber."""
    since = today - datetime.timedelta(days=policy.scope_window_days)
    counted = [status for date, status in changes if date >= since and status != "rejected"]
    n, pending = len(counted), counted.count("pending")
    rag = _banded(n, policy.scope_changes_amber, policy.scope_changes_red)
    if pending:
        rag = worst(rag, AMBER)
    return Suggestion(
        rag,
        f"{n} scope change{'s' if n != 1 else ''} in {policy.scope_window_days} days"
        + (f", {pending} awaiting a decision." if pending else "."),
    )


def benefits(
    statuses: Iterable[tuple[str, str]],
    realised: tuple[Decimal, Decimal] | None = None,
    policy: SignalPolicy | None = None,
) -> Suggestion:
    """The status of the KPIs its contributions name, (name, status): red when one is off track, amber when one
    is at risk or none has readings. After go-live, `realised` = (realised, expected) to date over the money
    benefit plans (once a quarter has an actual) is judged too, under the benefits-behind-plan thresholds
    (red below 50%, amber below 80%), and the worse of the two stands; with no KPI named, the plans alone."""
    statuses = sorted(set(statuses))
    off = [name for name, status in statuses if status == OFF_TRACK]
    risk = [name for name, status in statuses if status == AT_RISK]
    if not statuses:
        kpis = Suggestion(AMBER, "No KPI is named to show the benefits.")
    elif off:
        kpis = Suggestion(RED, f"Off track: {', '.join(sorted(set(off)))}.")
    elif risk:
        kpis = Suggestion(AMBER, f"At risk: {', '.join(sorted(set(risk)))}.")
    elif all(status == NO_DATA for _, status in statuses):
        kpis = Suggestion(AMBER, "The named KPIs have no readings yet.")
    else:
        kpis = Suggestion(GREEN, "The named KPIs are on track or achieved.")
    if realised is None or policy is None:
        return kpis
    ratio = float(realised[0] / realised[1])
    rag = (
        RED
        if ratio < policy.benefits_behind_red
        else AMBER
        if ratio < policy.benefits_behind_amber
        else GREEN
    )
    # rounded down, so a ratio just below a threshold never reads as the threshold (79.9% is "79%", amber)
    said = f"Benefits realised {math.floor(ratio * 100)}% of those expected to date."
    if not statuses:
        return Suggestion(rag, said)
    return Suggestion(worst(kpis.rag, rag), f"{kpis.reason} {said}")


def review_is_current(held_on: datetime.date, cadence_days: int, today: datetime.date) -> bool:
    """A review's RAG stands until the tier's next checkpoint falls due (held on + cadence)."""
    return held_on + datetime.timedelta(days=cadence_days) >= today


def current(
    suggested: Sequence[str],
    latest_review: tuple[datetime.date, Sequence[str]] | None,
    cadence_days: int,
    today: datetime.date,
) -> tuple[str, datetime.date | None]:
    """The current status as stored (a letter per dimension) and the day of the review it comes from: the
    latest review's RAG while it is current (review_is_current), else the data's suggestion (None)."""
    if latest_review is not None and review_is_current(latest_review[0], cadence_days, today):
        return "".join(LETTERS[rag] for rag in latest_review[1]), latest_review[0]
    return "".join(LETTERS[rag] for rag in suggested), None


def read(stored: str) -> list[tuple[str, str]]:
    """(dimension, rag) pairs back from the stored letters; empty when no status is kept."""
    if len(stored) != len(DIMENSIONS):
        return []
    return [(dimension, FROM_LETTER[letter]) for dimension, letter in zip(DIMENSIONS, stored, strict=True)]
