"""The imports of capacity (see portfolio.imports): teams (by name), their members (by team + the person's name,
or their username when they have no name), capacity overrides (by team + month), run demand (by team + month +
category), effort estimates (by initiative code + team) and their months one by one (by initiative code + team +
month). Each row is checked by the form of the team pages or the initiative page; what the services do after a
write (even spreads, change load, the engine told) is done once per chunk by the services' import helpers.
Months are written as the exports write them (2027-03)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from capacity import services
from capacity.forms import (
    CapacityOverrideForm,
    ChangeDemandForm,
    MonthField,
    RunDemandForm,
    TeamForm,
    TeamMemberForm,
)
from capacity.models import (
    MAX_PERSON_DAYS,
    CapacityOverride,
    ChangeDemand,
    ChangeDemandMonth,
    RunCategory,
    RunDemand,
    Team,
    TeamMember,
)
from capacity.months import parse_month, short
from capacity.services import SPREAD_PLACES
from core import sheets
from portfolio import forms as portfolio_forms
from portfolio.imports import registry
from portfolio.imports.base import FormKind, ImportFormMixin, Reference, choices_of, person_reference
from portfolio.imports.children import INITIATIVE_FIELD, InitiativeChildKind
from portfolio.imports.engine import Checked, ImportField, ImportKind, Outcome, Problem, Row
from portfolio.models import Initiative

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


class EffortMonthKind(ImportKind):
    """An estimate's months one by one, as on its months page: each row sets one month of an existing
    estimate (0 removes it); the months the file does not name are kept, and the estimate's total becomes
    the sum of its months (capacity.services.change_demand_months_write). Months hold up to three decimals,
    as an even spread stores them, so the effort-by-month export imports back unchanged."""

    slug = "effort-months"
    order = 25
    label = "Effort by month"
    noun = "month of an effort estimate"
    sheet = "Effort by month"
    model = ChangeDemandMonth
    key = ("initiative", "team", "month")
    fields = (
        INITIATIVE_FIELD,
        ImportField(
            "team", "Team", ("Team name", "Pool"), True, example="Data platform", accepts="the name of a team"
        ),
        ImportField("month", "Month", ("Period",), True, example="2027-03", accepts=MONTH_ACCEPTS),
        ImportField(
            "person_days",
            "Person-days",
            ("Effort", "Effort in the month"),
            True,
            example="12.5",
            accepts=f"person-days from 0 to {MAX_PERSON_DAYS}, at most three decimals; 0 removes the month",
        ),
    )

    def check_chunk(self, rows: list[Row], columns: dict[str, str], outcome: Outcome) -> list[Checked]:
        texts = [
            (
                number,
                {name: sheets.as_text(month_cell(v) if name == "month" else v) for name, v in values.items()},
            )
            for number, values in rows
        ]
        codes = {data.get("initiative", "") for _n, data in texts} - {""}
        names = {data.get("team", "") for _n, data in texts} - {""}
        initiatives = {i.code: i for i in Initiative.objects.filter(code__in=codes)}
        teams = {t.name: t for t in Team.objects.filter(name__in=names)}
        demands = {
            (d.initiative_id, d.team_id): d
            for d in ChangeDemand.objects.select_for_update(of=("self",)).filter(
                initiative__code__in=codes, team__name__in=names
            )
        }
        stored: dict[tuple[int, datetime.date], ChangeDemandMonth] = {
            (m.demand_id, m.month): m
            for m in ChangeDemandMonth.objects.filter(demand_id__in=[d.pk for d in demands.values()])
        }
        totals: dict[int, Decimal] = {}
        for (demand_id, _month), month_row in stored.items():
            totals[demand_id] = totals.get(demand_id, Decimal("0")) + month_row.person_days
        results: list[Checked] = []
        rows_of: dict[int, list[int]] = {}
        seen: dict[tuple[int, datetime.date], int] = {}
        for number, data in texts:
            problems = self._problems(number, data, columns, initiatives, teams, demands)
            if isinstance(problems, list):
                for problem in problems:
                    outcome.add(problem)
                results.append(Checked(number))
                continue
            demand, month, days = problems
            if (demand.pk, month) in seen:  # the same month written another way (a date cell, 2027-03-01)
                outcome.add(
                    Problem(
                        number,
                        columns.get("month", "month"),
                        data.get("month", ""),
                        f"Row {seen[demand.pk, month]} has the same initiative + team + month; each may appear "
                        "once in a file.",
                    )
                )
                results.append(Checked(number))
                continue
            seen[demand.pk, month] = number
            current = stored.get((demand.pk, month))
            before = current.person_days if current is not None else Decimal("0")
            totals[demand.pk] = totals.get(demand.pk, Decimal("0")) - before + days
            rows_of.setdefault(demand.pk, []).append(len(results))
            if current is None:
                if not days:
                    results.append(Checked(number, None, "unchanged"))
                    continue
                record = ChangeDemandMonth(
                    demand=demand, team_id=demand.team_id, initiative_id=demand.initiative_id, month=month
                )
                record.person_days = days
                results.append(Checked(number, record, "create", ("person_days",)))
            elif current.person_days == days:
                results.append(Checked(number, current, "unchanged"))
            else:
                current.person_days = days
                results.append(Checked(number, current, "update", ("person_days",)))
        for demand_id, total in totals.items():
            if total > MAX_PERSON_DAYS:
                for index in rows_of.get(demand_id, []):
                    checked = results[index]
                    outcome.add(
                        Problem(
                            checked.row,
                            columns.get("person_days", "person_days"),
                            texts[index][1].get("person_days", ""),
                            f"The estimate's months add up to more than {MAX_PERSON_DAYS} person-days.",
                        )
                    )
                    results[index] = Checked(checked.row)
        return results

    def _problems(
        self,
        number: int,
        data: dict[str, str],
        columns: dict[str, str],
        initiatives: dict[str, Initiative],
        teams: dict[str, Team],
        demands: dict[tuple[int, int], ChangeDemand],
    ) -> list[Problem] | tuple[ChangeDemand, datetime.date, Decimal]:
        """The row's problems, or the estimate, month and person-days it sets."""
        problems: list[Problem] = []

        def refuse(name: str, message: str) -> None:
            problems.append(Problem(number, columns.get(name, name), data.get(name, ""), message))

        initiative = initiatives.get(data.get("initiative", ""))
        team = teams.get(data.get("team", ""))
        if initiative is None:
            refuse("initiative", f"No initiative has the code “{data.get('initiative', '')}”.")
        if team is None:
            refuse("team", f"No team is named “{data.get('team', '')}”.")
        try:
            month = MonthField().clean(data.get("month", ""))
        except ValidationError as error:
            refuse("month", error.messages[0])
        try:
            days = Decimal(data.get("person_days", ""))
            if (
                not days.is_finite()
                or not Decimal("0") <= days <= MAX_PERSON_DAYS
                or days != days.quantize(SPREAD_PLACES)
            ):
                raise InvalidOperation
        except InvalidOperation:
            refuse("person_days", f"Give 0 to {MAX_PERSON_DAYS} person-days, with at most three decimals.")
        demand = None
        if initiative is not None and team is not None:
            demand = demands.get((initiative.pk, team.pk))
            if demand is None:
                refuse(
                    "team",
                    f"{initiative.code} has no effort estimate for {team.name}: add the estimate first (or import "
                    "it as an effort estimate).",
                )
        if problems or demand is None:
            return problems
        return demand, month, days

    def write(self, checked: list[Checked], *, user: Any, reason: str) -> None:
        create = [item.record for item in checked if item.action == "create"]
        changed = [item.record for item in checked if item.action == "update"]
        services.change_demand_months_write(
            user=user,
            create=create,  # type: ignore[arg-type]
            update=[m for m in changed if m.person_days],  # type: ignore[union-attr,misc]
            delete=[m.pk for m in changed if not m.person_days],  # type: ignore[union-attr,misc]
            reason=reason,
        )


def register_kinds() -> None:
    kinds = (
        TeamKind(),
        TeamMemberKind(),
        CapacityOverrideKind(),
        RunDemandKind(),
        EffortKind(),
        EffortMonthKind(),
    )
    for kind in kinds:
        registry.register(kind)
