"""The imports of capacity (see portfolio.imports): teams (by name), their members (by team + the person's name,
or their username when they have no name), capacity overrides (by team + month), run demand (by team + month +
category) and effort estimates (by initiative code + team). Each row is checked by the form of the team pages
or the initiative page; what the services do after a write (even spreads, change load, the engine told) is
done once per chunk by the services' import helpers. Months are written as the exports write them (2027-03)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from capacity import services
from capacity.forms import (
    CapacityOverrideForm,
    ChangeDemandForm,
    RunDemandForm,
    TeamForm,
    TeamMemberForm,
)
from capacity.models import CapacityOverride, ChangeDemand, RunCategory, RunDemand, Team, TeamMember
from capacity.months import parse_month, short
from portfolio import forms as portfolio_forms
from portfolio.imports import registry
from portfolio.imports.base import FormKind, ImportFormMixin, Reference, choices_of, person_reference
from portfolio.imports.children import INITIATIVE_FIELD, InitiativeChildKind
from portfolio.imports.engine import Checked, ImportField, Outcome, Row

MONTH_ACCEPTS = "a month written YYYY-MM (2027-03), or a date on a month's first day"
FIRST_DAY = re.compile(r"\A(\d{4}-\d{2})-01\Z")
TEAM_FIELD = ImportField(
    "team",
    "Team",
    ("Team name", "Pool"),
    True,
    example="Data platform",
    accepts="the name of an existing team",
)


def month_cell(value: Any) -> Any:
    """A month cell as the month field reads it: a date (a date cell, or an ISO date) on a month's first day
    is that month (2027-03); anything else is left for the field to accept or refuse."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return short(value) if value.day == 1 else value.isoformat()
    if type(value) is str and (found := FIRST_DAY.match(value.strip())):
        return found.group(1)
    return value


def month_key(text: str) -> str:
    """A row's month as the key compares it: YYYY-MM, or the text as typed when it is not a month."""
    month = parse_month(text)
    return short(month) if month else text


class MonthColumns(FormKind):
    """A kind with month columns: read as the exports write them, and written back the same way."""

    month_fields: tuple[str, ...] = ()

    def check_chunk(self, rows: list[Row], columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        months = self.month_fields
        rows = [
            (number, {name: month_cell(v) if name in months else v for name, v in values.items()})
            for number, values in rows
        ]
        return super().check_chunk(rows, columns, outcome)

    def _as_form_text(self, record: Any, name: str) -> str:
        if name in self.month_fields:
            value = getattr(record, name)
            return short(value) if value else ""
        return super()._as_form_text(record, name)


class NoUniqueQuery(ImportFormMixin):
    """A form whose uniqueness over several fields is the kind's key: the records the chunk's keys name were
    read before the rows are checked, so a new record's key is in no stored record, and the chunk's own rows
    are compared with each other (FormKind.clash_keys). Asking the database again for each row would add a
    query per row for nothing."""

    def validate_unique(self) -> None:
        return None


# ------------------------------------------------------------------------------------------------ teams


class TeamImportForm(ImportFormMixin, TeamForm):
    resolved = ("manager",)


class TeamKind(FormKind):
    slug = "teams"
    order = 20
    label = "Teams"
    noun = "team"
    sheet = "Teams"
    model = Team
    key = ("name",)
    form_class = TeamImportForm
    fields = (
        ImportField("name", "Name", ("Team", "Team name", "Pool"), True, example="Data platform"),
        ImportField("description", "Description", ("Details",), example="Warehouse and pipelines"),
        ImportField("manager", "Manager", ("Team manager", "Lead"), accepts="the username of a person"),
    )
    references = {  # noqa: RUF012 - read only
        "manager": person_reference("No active person has the username “{value}”.", portfolio_forms.people),
    }

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        rows = Team.objects.select_for_update(of=("self",)).select_related("manager")
        return {(team.name,): team for team in rows.filter(name__in=[name for (name,) in keys if name])}


# ------------------------------------------------------------------------------- what hangs off a team


class TeamRecordKind(MonthColumns):
    """A record of one team, keyed by the team's name and the record's own fields."""

    def __init__(self) -> None:
        self._teams: dict[str, Team] = {}

    def prefetch(self, rows: list[dict[str, str]]) -> None:
        """The chunk's teams, by name, in one query."""
        names = {row.get("team", "") for row in rows} - {""}
        self._teams = {team.name: team for team in Team.objects.filter(name__in=names)}

    def key_of(self, values: dict[str, str]) -> tuple[str, ...]:
        return tuple(
            month_key(values.get(name, "")) if name in self.month_fields else values.get(name, "")
            for name in self.key
        )

    def record_key(self, record: Any) -> tuple[str, ...]:
        return tuple(
            record.team.name
            if name == "team"
            else short(getattr(record, name))
            if name in self.month_fields
            else str(getattr(record, name))
            for name in self.key
        )

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        """The chunk's teams' records in the months the chunk names."""
        ids = [team.pk for team in self._teams.values()]
        months = {parse_month(key[self.key.index("month")]) for key in keys} - {None}
        rows: Any = self.model._default_manager.select_for_update(of=("self",)).select_related("team")
        return {self.record_key(r): r for r in rows.filter(team_id__in=ids, month__in=months)}

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        name = data.get("team", "")
        team = self._teams.get(name)
        if team is None:
            if not name:
                return None, "team", "Give the name of a team."
            return None, "team", f"No team is named “{name}”: add it first (or import the teams)."
        return self.model(team=team), "", ""

    def changed(self, records: list[Any]) -> None:
        services.team_records_imported(team_ids={record.team_id for record in records})


class TeamMemberImportForm(ImportFormMixin, TeamMemberForm):
    resolved = ("user",)


class TeamMemberKind(TeamRecordKind):
    """Members are matched within their team by their name, or by their username when they have no name; a
    name used twice in one team matches neither (the row says so)."""

    slug = "team-members"
    order = 21
    label = "Team members"
    noun = "team member"
    sheet = "Members"
    model = TeamMember
    key = ("team", "name")
    month_fields = ("start_month", "end_month")
    form_class = TeamMemberImportForm
    fields = (
        TEAM_FIELD,
        ImportField(
            "name",
            "Member",
            ("Name", "Person", "Member name"),
            example="Alice Martin",
            accepts="the person's name (or give their username under user)",
        ),
        ImportField("user", "User", ("Username", "Login"), accepts="the username of a person, or empty"),
        ImportField(
            "availability",
            "Availability (%)",
            ("availability_percent", "Availability percent", "Allocation", "Share of time"),
            example="100",
            accepts="a whole number from 0 to 100 (empty: 100 for a new member)",
        ),
        ImportField(
            "start_month", "First month", ("Start month", "From"), example="2027-01", accepts=MONTH_ACCEPTS
        ),
        ImportField("end_month", "Last month", ("End month", "Until"), accepts=MONTH_ACCEPTS),
    )
    references = {  # noqa: RUF012 - read only
        "user": person_reference("No active person has the username “{value}”.", portfolio_forms.people),
    }

    def __init__(self) -> None:
        super().__init__()
        self._ambiguous: set[tuple[str, ...]] = set()

    def key_of(self, values: dict[str, str]) -> tuple[str, ...]:
        name = values.get("name", "").strip()
        return (values.get("team", ""), name, "" if name else values.get("user", ""))

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        ids = [team.pk for team in self._teams.values()]
        rows = TeamMember.objects.select_for_update(of=("self",)).select_related("team", "user")
        found: dict[tuple[str, ...], Any] = {}
        self._ambiguous = set()
        for member in rows.filter(team_id__in=ids):
            name = member.name.strip()
            user = "" if name or member.user is None else member.user.get_username()
            key = (member.team.name, name, user)
            if key in found:
                self._ambiguous.add(key)
            found[key] = member
        return {key: member for key, member in found.items() if key not in self._ambiguous}

    def new_record(self, data: dict[str, str]) -> tuple[Any, str, str]:
        if self.key_of(data) in self._ambiguous:
            column = "name" if data.get("name", "").strip() else "user"
            return (
                None,
                column,
                f"Team {data.get('team', '')} has more than one member named so: rename one of them on the "
                "team's page first.",
            )
        return super().new_record(data)

    def clash_keys(self, record: Any) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
        """A member may appear once in a file: by name, or by user when nameless."""
        name = record.name.strip()
        if name:
            return [(("team", "name"), (record.team_id, name))]
        return [(("team", "user"), (record.team_id, record.user_id))]


class CapacityOverrideImportForm(NoUniqueQuery, CapacityOverrideForm):
    pass


class CapacityOverrideKind(TeamRecordKind):
    slug = "capacity-overrides"
    order = 22
    label = "Capacity overrides"
    noun = "capacity override"
    sheet = "Capacity"
    model = CapacityOverride
    key = ("team", "month")
    month_fields = ("month",)
    form_class = CapacityOverrideImportForm
    fields = (
        TEAM_FIELD,
        ImportField("month", "Month", ("Period",), True, example="2027-08", accepts=MONTH_ACCEPTS),
        ImportField(
            "person_days",
            "Capacity (person-days)",
            ("Capacity", "Person-days", "capacity_person_days"),
            True,
            example="20",
            accepts="person-days from 0 to 99999.9, one decimal",
        ),
        ImportField("reason", "Reason", ("Why", "Note"), example="Summer holidays"),
    )


class RunDemandImportForm(NoUniqueQuery, RunDemandForm):
    pass


class RunDemandKind(TeamRecordKind):
    slug = "run-demand"
    order = 23
    label = "Run demand"
    noun = "run demand"
    sheet = "Run demand"
    model = RunDemand
    key = ("team", "month", "category")
    month_fields = ("month",)
    form_class = RunDemandImportForm
    fields = (
        TEAM_FIELD,
        ImportField("month", "Month", ("Period",), True, example="2027-03", accepts=MONTH_ACCEPTS),
        ImportField(
            "category",
            "Category",
            ("Run category", "Type"),
            True,
            choices=choices_of(RunCategory.choices),
            example="support",
        ),
        ImportField(
            "person_days",
            "Person-days",
            ("Run demand", "Effort", "run_person_days"),
            True,
            example="10",
            accepts="person-days from 0 to 99999.9, one decimal",
        ),
        ImportField("note", "Note", ("Comment",)),
    )


# ------------------------------------------------------------------------------------ effort estimates


class EffortImportForm(NoUniqueQuery, ChangeDemandForm):
    resolved = ("team",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the page keeps an estimate's team fixed; here the team is part of the key that found the estimate,
        # so it cannot change, and the form does not depend on the record (one form is bound to each row)
        self.fields["team"].disabled = False

    def clean(self) -> dict[str, Any]:
        # the page's form asks the database whether the initiative has an estimate for the team already: here
        # the key (initiative + team) found that estimate, and the file's rows are compared with each other
        return super(ChangeDemandForm, self).clean() or {}


class EffortKind(InitiativeChildKind):
    """Effort estimates: the total for one team over the initiative's plan, spread evenly over its planned
    months as on the initiative's page. A changed total of an estimate whose months were edited one by one is
    spread evenly again (as on the page); an unchanged total keeps the edited months."""

    slug = "effort"
    order = 24
    label = "Effort estimates"
    noun = "effort estimate"
    sheet = "Effort"
    model = ChangeDemand
    key = ("initiative", "team")
    own_key = "team"
    form_class = EffortImportForm
    extra_update_fields = ("custom",)
    fields = (
        INITIATIVE_FIELD,
        ImportField(
            "team", "Team", ("Team name", "Pool"), True, example="Data platform", accepts="the name of a team"
        ),
        ImportField(
            "person_days",
            "Effort (person-days)",
            ("Effort", "Person-days", "Estimate"),
            True,
            example="60",
            accepts="person-days over the whole plan, from 0 to 99999.9, one decimal",
        ),
        ImportField("note", "Note", ("Comment",)),
    )
    references = {  # noqa: RUF012 - read only
        "team": Reference(lambda: Team.objects.all(), "name", "No team is named “{value}”."),
    }

    def own_value(self, record: Any) -> str:
        return str(record.team.name)

    def existing(self, keys: set[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        ids = [initiative.pk for initiative in self._initiatives.values()]
        rows = ChangeDemand.objects.select_for_update(of=("self",)).select_related("initiative", "team")
        names = {team for _code, team in keys}
        return {
            (demand.initiative.code, demand.team.name): demand
            for demand in rows.filter(initiative_id__in=ids, team__name__in=names)
        }

    def after_clean(self, before: Any | None, record: Any) -> None:
        """As the estimate services: a new estimate is spread evenly; so is one whose total changes."""
        if before is None or before.person_days != record.person_days:
            record.custom = False

    def changed(self, records: list[Any]) -> None:
        services.change_demand_imported(demand_ids=[record.pk for record in records])


def register_kinds() -> None:
    for kind in (TeamKind(), TeamMemberKind(), CapacityOverrideKind(), RunDemandKind(), EffortKind()):
        registry.register(kind)
