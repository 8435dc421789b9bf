"""Helpers shared by the portfolio and risk tests: database snapshots and form data as a browser posts it."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.forms import BaseForm
from django.utils import timezone

SNAPSHOT_APPS = ("portfolio", "risk", "steering")


def db_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row (all columns) of every portfolio, risk and steering table, history tables included."""
    state: dict[str, list[dict[str, Any]]] = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            pk = model._meta.pk.attname
            state[model._meta.label] = list(model._default_manager.order_by(pk).values())
    return state


def row_counts() -> dict[str, int]:
    return {label: len(rows) for label, rows in db_rows().items()}


def _post_value(value: Any) -> str | list[str]:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list | tuple):
        return [str(v.pk if isinstance(v, models.Model) else v) for v in value]
    return str(value)


def form_data(form: BaseForm, **changes: Any) -> dict[str, Any]:
    """What a browser would post for an unbound form as rendered (its initial values), with `changes` applied.

    Disabled fields are left out, as a browser leaves them out; a change of None removes a field.
    """
    data: dict[str, Any] = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = _post_value(bound.value())
        if value not in ("", []):
            data[bound.html_name] = value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = _post_value(value)
    return data


VERSION_INPUT = re.compile(r'<input[^>]*name="version"[^>]*>')


def version_in(html: str) -> int:
    """The value of the hidden version field of the (only) form on a page."""
    tags = VERSION_INPUT.findall(html)
    assert len(tags) == 1, tags
    match = re.search(r'value="(\d+)"', tags[0])
    assert match is not None, tags[0]
    return int(match.group(1))


def input_tag(html: str, name: str) -> str:
    """The opening tag of the input, select or textarea named `name`."""
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match is not None, f"no field named {name}"
    return match.group(0)


def field_error(html: str, field_id: str) -> list[str]:
    """The error messages shown under the field with id `field_id`."""
    return re.findall(
        rf'<div class="invalid-feedback d-block" id="{re.escape(field_id)}_error">(.*?)</div>', html
    )


def days(today: datetime.date, n: int) -> datetime.date:
    return today + datetime.timedelta(days=n)


def days_ago(n_days: int) -> datetime.datetime:
    """The moment n days before now (the test sets the clock)."""
    return timezone.now() - datetime.timedelta(days=n_days)


@dataclass
class World:
    """The records a service case needs, built from the shared fixtures (the `world` fixture)."""

    executive: Any
    manager: Any
    theme: Any
    objective: Any
    kpi: Any
    program: Any
    initiative: Any


def history_of(record: Any) -> list[tuple[str, Any]]:
    """(type, user) of each audit-trail row of `record`, oldest first."""
    rows = type(record).history.filter(id=record.pk).order_by("history_date", "history_id")
    return [(row.history_type, row.history_user) for row in rows]


def initiative_post(**changes: Any) -> dict[str, Any]:
    """What the new-initiative form posts for a valid idea, with `changes` applied."""
    data = {
        "code": "NEW-1",
        "title": "Self-service returns",
        "category": "grow",
        "stage": "idea",
        "budget_capex": "0",
        "budget_opex": "0",
        "actual_cost": "0",
        "criticality": "3",
    }
    return data | changes
