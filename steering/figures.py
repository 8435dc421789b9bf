"""What changed between a review's frozen figures and later ones, in words. Pure functions over JSON-shaped
dicts (no database), so they read any review's figures, including those frozen before a key was added.

A dict of numbers compares number by number ("scores": {name: number}), a list of records compares record by
record, matched by "rule", "name", "key", "code", "id" or "title" ("signals", "kpis", "milestones"), ISO
dates say how many days they moved, and anything else says old -> new.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alignment.engine.formulas import ACHIEVED, AT_RISK, OFF_TRACK, ON_TRACK
from alignment.models import Severity
from core.templatetags.bearing import currency_symbol
from portfolio.models import Milestone
from portfolio.sections import milestone_state


@dataclass(frozen=True)
class FigureChange:
    """One readable difference between two sets of figures: where (area), what (text), and whether it is worse,
    better or neither where the direction is known (tone: "bad", "good", "neutral")."""

    area: str
    text: str
    tone: str = "neutral"

    def __str__(self) -> str:
        return self.text


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Labels and bookkeeping, not figures: a change in them alone is not news.
IGNORED_KEYS = {"as_of", "stage_label", "title", "code", "items", "url", "evidence", "explanation", "id"}
# Derived from figures that are compared themselves (forecast and actual cost).
DERIVED_KEYS = {"variance", "spent_pct"}
# Which way is better, where it is known: scores up; cost forecasts and pending scope changes down.
HIGHER_IS_BETTER_AREAS = {"scores"}
LOWER_IS_BETTER_KEYS = {"forecast_cost", "pending", "pending_cost", "pending_days"}
MONEY_KEYS = {
    "budget",
    "actual_cost",
    "forecast_cost",
    "variance",
    "expected_annual_benefit",  # in the figures frozen before business cases (portfolio migration 0013)
    "npv",
    "pending_cost",
    "cost_impact",
}
ORDINAL_KEYS = {"tier"}
# The order changes are told in: the order initiative_figures builds the figures in, per area. It is never read
# from a stored dict, since PostgreSQL keeps a JSON document's keys in an order of its own; keys not named here
# follow, alphabetically.
FIGURE_ORDER: dict[str, tuple[str, ...]] = {
    "": ("initiative", "spend", "milestones", "scope_changes", "scores", "tier", "signals", "kpis"),
    "initiative": (
        "stage",
        "stage_since",
        "sponsor",
        "manager",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "go_live_date",
    ),
    "spend": (
        "budget",
        "actual_cost",
        "forecast_cost",
        "variance",
        "spent_pct",
        "npv",
        "roi_pct",
        "expected_annual_benefit",
    ),
    "milestones": ("name", "baseline", "forecast", "actual"),
    "scope_changes": (
        "pending",
        "pending_cost",
        "pending_days",
        "items",
        "date",
        "description",
        "rationale",
        "cost_impact",
        "schedule_impact_days",
    ),
    "scores": ("alignment", "fit", "outcome", "delivery", "governance"),
    "signals": ("rule", "severity", "message"),
    "kpis": ("name", "unit", "target", "target_date", "status", "latest", "latest_date", "forecast"),
}
_RANKS = {area: {key: n for n, key in enumerate(keys)} for area, keys in FIGURE_ORDER.items()}
AREA_LABELS = {
    "initiative": "Initiative",
    "spend": "Spend",
    "milestones": "Milestones",
    "scope_changes": "Scope changes",
    "scores": "Scores",
    "signals": "Signals",
    "kpis": "KPIs",
}
KEY_LABELS = {
    "stage_since": "in stage since",
    "go_live_date": "go-live",
    "actual_cost": "actual cost",
    "forecast_cost": "forecast cost",
    "spent_pct": "spent",
    "expected_annual_benefit": "expected annual benefit",
    "npv": "NPV",
    "roi_pct": "ROI",
    "pending": "pending scope changes",
    "pending_cost": "cost of pending scope changes",
    "pending_days": "days added by pending scope changes",
    "fit": "strategic fit",
}
ENTRY_KEYS = ("rule", "name", "key", "code", "id", "title")
# A KPI status, the best first.
STATUS_ORDER = {ACHIEVED: 0, ON_TRACK: 1, AT_RISK: 2, OFF_TRACK: 3}


def by_severity(signals: Iterable[Any]) -> list[Any]:
    """The signals of a set of figures (dicts with a "severity"), the worst first, in their order within a
    severity; anything that is not a signal is left out."""
    return sorted(
        (signal for signal in signals if isinstance(signal, Mapping)),
        key=lambda signal: Severity.rank(signal.get("severity")),
    )


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def milestone_rows(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The milestones of a set of figures, each with its "state" against its baseline as of the figures' day
    (portfolio.sections.milestone_state, the one definition the initiative page uses too: label, tone and
    slip in days), or None without a baseline."""
    day = _date(figures.get("as_of")) or datetime.date.min
    rows = []
    for row in figures.get("milestones") or []:
        if not isinstance(row, Mapping):
            continue
        baseline = _date(row.get("baseline"))
        state = None
        if baseline is not None:
            milestone = Milestone(
                name=str(row.get("name") or ""),
                baseline_date=baseline,
                forecast_date=_date(row.get("forecast")),
                actual_date=_date(row.get("actual")),
            )
            state = milestone_state(milestone, day)
        rows.append({**row, "state": state})
    return rows


def ignored(key: str) -> bool:
    return key in IGNORED_KEYS or key in DERIVED_KEYS or key.endswith("_as_of")


def humanize(key: str) -> str:
    """ "forecast_cost" -> "forecast cost"."""
    return KEY_LABELS.get(key, key.replace("_", " ").replace("-", " ").strip())


def status_key(value: Any) -> str:
    """ "Off track" or "off_track" -> "off_track"."""
    return str(value or "").strip().lower().replace(" ", "_").replace("-", "_")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: float, key: str = "") -> str:
    if key in MONEY_KEYS:
        text = f"{currency_symbol()}{abs(value):,.0f}"
    elif isinstance(value, float):
        text = f"{abs(value):,.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{abs(value):,}"
    sign = "−" if value < 0 else ""
    return f"{sign}{text}%" if key.endswith("_pct") else f"{sign}{text}"


def _shown(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_number(value):
        return _number(value, key)
    if isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", value):
        return humanize(value)
    return str(value)


def _scalar(area: str, label: str, key: str, before: Any, after: Any, unit: str = "") -> FigureChange | None:
    if before == after:
        return None
    prefix = f"{label}: " if label else ""
    if _is_number(before) and _is_number(after):
        delta = after - before
        moved = "" if key in ORDINAL_KEYS else f" ({'+' if delta > 0 else '−'}{_number(abs(delta), key)})"
        tone = "neutral"
        if area in HIGHER_IS_BETTER_AREAS:
            tone = "good" if delta > 0 else "bad"
        elif key in LOWER_IS_BETTER_KEYS:
            tone = "bad" if delta > 0 else "good"
        return FigureChange(
            area, f"{prefix}{_shown(before, key)}{unit} → {_shown(after, key)}{unit}{moved}", tone
        )
    if (
        isinstance(before, str)
        and isinstance(after, str)
        and ISO_DATE.match(before)
        and ISO_DATE.match(after)
    ):
        days = (datetime.date.fromisoformat(after) - datetime.date.fromisoformat(before)).days
        later = f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'later' if days > 0 else 'earlier'}"
        return FigureChange(area, f"{prefix}{before} → {after} ({later})", "bad" if days > 0 else "neutral")
    return FigureChange(area, f"{prefix}{_shown(before, key)}{unit} → {_shown(after, key)}{unit}")


def _keys(area: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The keys of either side, in the order FIGURE_ORDER gives for the area."""
    ranks = _RANKS.get(area, {})
    return sorted({*before, *after}, key=lambda key: (ranks.get(key, len(ranks)), key))


def _entry_key(entries: Sequence[Any]) -> str | None:
    if not entries or not all(isinstance(entry, Mapping) for entry in entries):
        return None
    return next((key for key in ENTRY_KEYS if all(key in entry for entry in entries)), None)


def _entry_name(area: str, entry: Mapping[str, Any], key: str) -> str:
    if area == "signals":
        return str(entry.get("message") or humanize(str(entry.get(key))))
    noun = {"milestones": "Milestone", "kpis": "KPI"}.get(area, humanize(area).capitalize())
    return f"{noun} “{entry.get(key)}”"


def _badness(key: str, value: Any) -> int | None:
    """How bad a severity or a KPI status is (higher is worse); None for a value that is neither."""
    if key == "severity":
        return -Severity.rank(status_key(value))
    return STATUS_ORDER.get(status_key(value))


def _ranked(key: str, before: Any, after: Any) -> str:
    old, new = _badness(key, before), _badness(key, after)
    if old is None or new is None:
        return "neutral"
    return "bad" if new > old else "good" if new < old else "neutral"


def _entry_changes(
    area: str, name: str, before: Mapping[str, Any], after: Mapping[str, Any], ident: str
) -> list[FigureChange]:
    changes = []
    for key in _keys(area, before, after):
        old, new = before.get(key), after.get(key)
        if key in (ident, "message", "unit") or ignored(key) or old == new:
            continue
        if area == "milestones" and key == "actual" and old is None and new:
            changes.append(FigureChange(area, f"{name} done on {new}", "good"))
        elif key == "severity" and area == "signals":
            text = f"Signal now {_shown(new)} (was {_shown(old)}): {name}"
            changes.append(FigureChange(area, text, _ranked(key, old, new)))
        elif key in ("severity", "status"):
            text = f"{name}: {_shown(old)} → {_shown(new)}"
            changes.append(FigureChange(area, text, _ranked(key, old, new)))
        else:
            unit = f" {after.get('unit')}" if after.get("unit") and _is_number(new) else ""
            change = _scalar(area, f"{name} {humanize(key)}", key, old, new, unit)
            if change is not None:
                changes.append(change)
    return changes


def _list_changes(area: str, label: str, before: Sequence[Any], after: Sequence[Any]) -> list[FigureChange]:
    key = _entry_key([*before, *after])
    prefix = f"{label}: " if label else ""
    if key is None:
        return [
            FigureChange(area, f"{prefix}added {_shown(item)}") for item in after if item not in before
        ] + [FigureChange(area, f"{prefix}removed {_shown(item)}") for item in before if item not in after]
    old = {entry[key]: entry for entry in before}
    new = {entry[key]: entry for entry in after}
    changes: list[FigureChange] = []
    for ident, entry in new.items():
        name = _entry_name(area, entry, key)
        if ident in old:
            changes.extend(_entry_changes(area, name, old[ident], entry, key))
        elif area == "signals":
            severity = f" ({entry['severity']})" if entry.get("severity") else ""
            changes.append(FigureChange(area, f"New signal{severity}: {name}", "bad"))
        else:
            changes.append(FigureChange(area, f"{name} added"))
    for ident, entry in old.items():
        if ident not in new:
            name = _entry_name(area, entry, key)
            if area == "signals":
                changes.append(FigureChange(area, f"Signal cleared: {name}", "good"))
            else:
                changes.append(FigureChange(area, f"{name} removed"))
    return changes


def _dict_changes(
    area: str, before: Mapping[str, Any], after: Mapping[str, Any], path: str = ""
) -> list[FigureChange]:
    changes: list[FigureChange] = []
    for key in _keys(area, before, after):
        old, new = before.get(key), after.get(key)
        if ignored(key) or old == new:
            continue
        label = f"{path} {humanize(key)}".strip()
        if area == "initiative" and key == "stage":
            old_label, new_label = (
                before.get("stage_label") or _shown(old),
                after.get("stage_label") or _shown(new),
            )
            changes.append(FigureChange(area, f"Stage: {old_label} → {new_label}"))
        else:
            changes.extend(_value_changes(area, label.capitalize(), key, old, new))
    return changes


def _value_changes(area: str, label: str, key: str, old: Any, new: Any) -> list[FigureChange]:
    if isinstance(old, Mapping | None) and isinstance(new, Mapping | None) and (old or new):
        path = "" if area == key and key in AREA_LABELS else label.lower()
        return _dict_changes(area, old or {}, new or {}, path)
    if isinstance(old, list | None) and isinstance(new, list | None):
        return _list_changes(area, "" if area == key and key in AREA_LABELS else label, old or [], new or [])
    change = _scalar(area, label, key, old, new)
    return [change] if change is not None else []


def figure_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FigureChange]:
    """What changed between two sets of figures, in words: numbers that moved (scores, spend), signals raised
    or cleared, KPI statuses, milestone dates that moved, the stage; generic over the figures' shape."""
    changes: list[FigureChange] = []
    for area in _keys("", before, after):
        old, new = before.get(area), after.get(area)
        if ignored(area) or old == new:
            continue
        changes.extend(
            _value_changes(area, AREA_LABELS.get(area, humanize(area).capitalize()), area, old, new)
        )
    return changes


def comparable(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The figures without their time stamps ("as_of", "..._as_of"): what a fingerprint of them covers."""
    return {
        key: comparable(value) if isinstance(value, Mapping) else value
        for key, value in figures.items()
        if not (key == "as_of" or key.endswith("_as_of"))
    }
