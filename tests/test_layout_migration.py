"""A database at the December 2026 layout, with the demo loaded, migrates forward with every row intact.

The demo rows (tests/data/demo_at_layout_2026_12.json.gz, see tests/data/README.md) are written into a
database migrated back to that layout, through the models as the migrations knew them then; the database is
migrated forward to today's layout; then every table is read back through today's migration state and
compared row by row, history rows and the frozen figures of checkpoint reviews included.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

DATA = Path(__file__).parent / "data" / "demo_at_layout_2026_12.json.gz"

# the layout the data was written at: these apps at these migrations, the apps born later not yet there
OLD_LAYOUT = [
    ("portfolio", "0004_stage_since"),
    ("risk", "0002_default_tier_policies"),
    ("alignment", "0011_score_history_day_sums"),
    ("core", None),
    ("steering", None),
]

STEERING_TABLES = [
    "committee",
    "committee_members",
    "historicalcommittee",
    "historicalcommittee_members",
    "steeringmeeting",
    "steeringmeeting_attendees",
    "historicalsteeringmeeting",
    "historicalsteeringmeeting_attendees",
    "checkpointreview",
    "checkpointreview_attendees",
    "historicalcheckpointreview",
    "historicalcheckpointreview_attendees",
    "agendaitem",
    "historicalagendaitem",
    "actionitem",
    "historicalactionitem",
]
# where each moved table lives now
NEW_TABLES = {
    **{f"portfolio_{name}": f"steering_{name}" for name in STEERING_TABLES},
    "alignment_job": "core_job",
    "alignment_boardpack": "steering_boardpack",
    "alignment_reminderlog": "steering_reminderlog",
    "alignment_dashboardsnapshot": "alignment_storeddashboard",  # alignment 0017: one word per concept
}

# Columns a later migration renamed (the data kept): table -> {old name: new name}.
RENAMED_COLUMNS = {
    # steering 0002: one word per concept, a review's frozen "snapshot" is its "figures"
    "steering_checkpointreview": {"snapshot": "figures"},
}


def _explanation_facts(row: dict[str, Any]) -> dict[str, Any]:
    """alignment 0018: a score's explanation is built on demand; the facts pages list move into columns."""
    explanation = row["explanation"] or {}
    delivery = explanation.get("delivery") or {}
    return {
        "missing": explanation.get("missing") or {},
        "fit_points": [
            [t["objective"], t["points"]] for t in (explanation.get("fit") or {}).get("terms", [])
        ],
        "slip_days": delivery.get("slip_days"),
        "slip_ratio": delivery.get("slip_ratio"),
        "overrun": delivery.get("overrun"),
    }


# Columns a later migration reshaped (the data kept, in other columns): table -> (the old columns, and what
# the new columns must hold, from the old row).
RESHAPED = {
    "alignment_initiativescore": ({"explanation", "missing"}, _explanation_facts),
}


def _change_log(fields: list[str], rows: list[list[Any]]) -> tuple[list[list[Any]], list[Any]]:
    """alignment 0019: the score history keeps a row only where an initiative's recorded values change (the
    scores, tier, budget, policy version and fit points by objective); each row kept is valid until the next.
    Returns the rows kept (by primary key) and each one's end."""
    column = {name: n for n, name in enumerate(fields)}
    compared = ["policy_version", "fit", "outcome", "delivery", "governance", "alignment", "tier", "budget"]

    def key(row: list[Any]) -> tuple[Any, ...]:
        terms = ((row[column["explanation"]] or {}).get("fit") or {}).get("terms") or []
        points = tuple((t.get("objective"), t.get("points")) for t in terms)
        return (row[column["initiative_id"]], *(row[column[name]] for name in compared), points)

    kept: list[list[Any]] = []
    for row in sorted(rows, key=lambda r: (r[column["initiative_id"]], r[column["date"]])):
        if not kept or key(kept[-1]) != key(row):
            kept.append(row)
    ends = {
        id(row): after[column["date"]]
        for row, after in zip(kept, kept[1:], strict=False)
        if after[column["initiative_id"]] == row[column["initiative_id"]]
    }
    kept.sort(key=lambda r: r[column["id"]])
    return kept, [ends.get(id(row)) for row in kept]


def _benefits(state_apps: Apps) -> dict[int, set[str]]:
    """portfolio 0012: each initiative's expected annual benefit is its business case's benefit line; the
    amounts of that line by initiative."""
    Amount = state_apps.get_model("portfolio", "BusinessCaseAmount")
    amounts: dict[int, set[str]] = {}
    for case_id, amount in Amount.objects.filter(
        line__kind="cost_saving", line__label="Expected annual benefit (entered before business cases)"
    ).values_list("line__case_id", "amount"):
        amounts.setdefault(case_id, set()).add(_plain(amount))
    return amounts


# Columns a later migration removed, their data carried elsewhere (checked apart): table -> columns.
DROPPED_COLUMNS = {
    # portfolio 0013: the expected annual benefit lives in the business case (0012), see _benefits
    "portfolio_initiative": {"expected_annual_benefit"},
    # ... and its past values leave the audit trail with the column
    "portfolio_historicalinitiative": {"expected_annual_benefit"},
}


# Computed tables that a later migration changed on purpose (computed rows are rebuilt by a recompute): the
# columns it rewrote, and what every row must hold in them after the migration.
RECOMPUTE_MARKS = {
    # alignment 0013 stores the checkpoint due date: every score is marked stale for the sweep to fill it
    "alignment_initiativescore": {"stale": True, "digest": ""},
}

# Computed tables a later migration emptied on purpose (drawn again by the next recompute).
FORGOTTEN = {
    # alignment 0012: dashboards stored before chart labels were escaped for Plotly
    "alignment_dashboardsnapshot",
}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _load() -> dict[str, Any]:
    with gzip.open(DATA, "rt") as f:
        return json.load(f)


def _plain(value: Any) -> Any:
    """A value as the data file writes it."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    return value


def _stored(value: Any) -> Any:
    """A value from the data file, as a model field takes it."""
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    return value


def _models_by_table(state_apps: Apps) -> dict[str, Any]:
    return {model._meta.db_table: model for model in state_apps.get_models(include_auto_created=True)}


def _write(state_apps: Apps, data: dict[str, Any]) -> None:
    """Empty every table of the data set, then insert its rows as they were (primary keys included)."""
    models = _models_by_table(state_apps)
    tables = [models[table] for table in data]
    with transaction.atomic():  # foreign keys are checked at commit, so the tables' order does not matter
        for model in reversed(tables):
            model._base_manager.all().delete()
        for table, content in data.items():
            model = models[table]
            for field in model._meta.concrete_fields:  # keep the stored time stamps, not the time of the test
                field.auto_now = field.auto_now_add = False
            objects = []
            for row in content["rows"]:
                obj = model()
                for attname, value in zip(content["fields"], row, strict=True):
                    setattr(obj, attname, _stored(value))
                objects.append(obj)
            model._base_manager.bulk_create(objects, batch_size=500)


def _read(state_apps: Apps, table: str, fields: list[str]) -> list[list[Any]]:
    model = _models_by_table(state_apps)[table]
    return [[_plain(v) for v in row] for row in model._base_manager.order_by("pk").values_list(*fields)]


def _migrate(targets: list[tuple[str, str | None]]) -> Apps:
    """Migrate to `targets` and return the models as the migrations know them there."""
    return MigrationExecutor(connection).migrate(targets).apps


def test_a_database_at_the_2026_12_layout_migrates_forward_with_every_row():
    # given: the demo written into a database at the December 2026 layout
    data = _load()
    try:
        old_apps = _migrate(OLD_LAYOUT)
        _write(old_apps, data)
        ContentType = old_apps.get_model("contenttypes", "ContentType")
        review_type = ContentType.objects.get(app_label="portfolio", model="checkpointreview").pk
        job_type = ContentType.objects.get(app_label="alignment", model="job").pk

        # when: it migrates to today's layout
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        new_apps = _migrate(leaves)

        # then: every table holds the same rows, in their new homes
        compared = dropped = 0
        for table, content in data.items():
            now = NEW_TABLES.get(table, table)
            fields, rows = content["fields"], content["rows"]
            if table in FORGOTTEN:
                assert _read(new_apps, now, fields) == [], table
                continue
            if now == "alignment_scorehistory":  # a change log now, with the days recorded apart
                days = sorted({row[fields.index("date")] for row in rows})
                rows, ends = _change_log(fields, rows)
                dropped = len(content["rows"]) - len(rows)
                assert [row[0] for row in _read(new_apps, now, ["until"])] == ends
                assert [row[0] for row in _read(new_apps, "alignment_historyday", ["date"])] == days
                assert 0 < len(rows) < len(content["rows"])
            reshaped = RESHAPED.get(now)
            if reshaped:  # the new columns hold the old ones' facts; the other columns are compared below
                old, facts = reshaped
                expected = [facts(dict(zip(fields, row, strict=True))) for row in rows]
                names = list(facts(dict.fromkeys(fields)))
                assert [dict(zip(names, row, strict=True)) for row in _read(new_apps, now, names)] == expected
                kept = [n for n, name in enumerate(fields) if name not in old]
                rows = [[row[n] for n in kept] for row in rows]
                fields = [fields[n] for n in kept]
            marks = RECOMPUTE_MARKS.get(table, {})
            if marks:  # the marked columns hold the marks, and stale_since when one is set
                kept = [n for n, name in enumerate(fields) if name not in {*marks, "stale_since"}]
                rows = [[row[n] for n in kept] for row in rows]
                fields = [fields[n] for n in kept]
                assert _read(new_apps, now, list(marks)) == [list(marks.values())] * len(rows), table
            dropped_columns = DROPPED_COLUMNS.get(table, set())
            if now == "portfolio_initiative":  # the benefit came through into the business cases
                benefit = fields.index("expected_annual_benefit")
                assert _benefits(new_apps) == {
                    row[0]: {f"{row[benefit]}00"} for row in rows if row[benefit] not in ("0", "0.00")
                }
            if dropped_columns:
                kept = [n for n, name in enumerate(fields) if name not in dropped_columns]
                rows = [[row[n] for n in kept] for row in rows]
                fields = [fields[n] for n in kept]
            renamed = RENAMED_COLUMNS.get(now, {})
            assert _read(new_apps, now, [renamed.get(name, name) for name in fields]) == rows, (
                f"{table} -> {now}"
            )
            compared += len(rows)
        # the 8 stored dashboards forgotten, and the score history's repeated rows (190 of 280) dropped
        assert (compared, dropped) == (2192 - 8 - 190, 190)
        # and the content types moved with the models (same rows, so permissions and log entries follow)
        ContentType = new_apps.get_model("contenttypes", "ContentType")
        assert ContentType.objects.get(pk=review_type).app_label == "steering"
        assert ContentType.objects.get(pk=job_type).app_label == "core"
        assert not ContentType.objects.filter(app_label="portfolio", model="checkpointreview").exists()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_data_set_holds_what_the_migration_must_carry():
    # the rows the test above depends on are really in the data set
    data = _load()
    counts = {table: len(content["rows"]) for table, content in data.items()}
    assert counts["portfolio_checkpointreview"] == 18
    assert counts["portfolio_historicalcheckpointreview"] == 20
    assert counts["portfolio_checkpointreview_attendees"] == 130
    assert counts["portfolio_actionitem"] == 9
    assert counts["alignment_job"] == 1
    assert counts["alignment_boardpack"] == 1
    assert counts["alignment_reminderlog"] == 3
    reviews = data["portfolio_checkpointreview"]
    frozen = [row for row in reviews["rows"] if row[reviews["fields"].index("snapshot")]]
    assert len(frozen) == 2
    scores = data["alignment_initiativescore"]
    facts = [_explanation_facts(dict(zip(scores["fields"], row, strict=True))) for row in scores["rows"]]
    assert sum(1 for f in facts if f["fit_points"] and f["slip_days"] is not None and f["missing"]) >= 3
