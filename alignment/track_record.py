"""Track record (issue 14, parts 3 and 6): how predictably each sponsor, program and manager delivers what was
promised. Over their initiatives that were funded (approved, in delivery, live or closed):

- **say/do**: milestones delivered by their baseline date of those due (the engine's stored counts);
- **schedule**: the average slip over the planned duration (the engine's slip ratio, where there is a plan);
- **cost**: the budget-weighted forecast overrun (the engine's overrun, where there is a budget);
- **benefits**: what the money benefit plans of their initiatives past go-live (live or closed) realised of
  what they promised to date (portfolio.benefits' rules, as on the benefits view).

One query for the delivery figures and at most four for the benefits (the plans, their quarters, and the claims
and readings of the derived ones), whatever the number of initiatives.
docs/benefits.md ("Track record") gives the rules with a worked example.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from alignment.benefits import Group
from core.formkit import PERSON_LABEL_FIELDS, person_label
from core.stages import Stage
from core.templatetags.bearing import pct_of, signed_pct
from portfolio.benefit_selectors import money_plans, plan_results
from portfolio.models import Initiative

TRACKED = (Stage.APPROVED, Stage.IN_DELIVERY, Stage.LIVE, Stage.CLOSED)
PAST_GO_LIVE = (Stage.LIVE, Stage.CLOSED)
DIMENSIONS = {"sponsor": "Sponsor", "program": "Program", "manager": "Manager"}
LIMIT = 50  # records shown on the page; the CSV has them all


@dataclass
class Record:
    """One sponsor's, program's or manager's record."""

    key: int | None
    name: str
    initiatives: int = 0
    milestones_due: int = 0
    milestones_on_time: int = 0
    slip: float | None = None  # average slip ratio over the initiatives with a planned schedule
    overrun: float | None = None  # budget-weighted forecast overrun over those with a budget
    benefits: Group = field(default_factory=lambda: Group(""))

    @property
    def say_do(self) -> float | None:
        return self.milestones_on_time / self.milestones_due if self.milestones_due else None

    @property
    def overrun_pct(self) -> float | None:
        return None if self.overrun is None else self.overrun * 100

    @property
    def realisation(self) -> float | None:
        expected = self.benefits.expected_to_date
        return float(self.benefits.realised_to_date / expected) if expected else None


def _name(by: str, row: dict[str, Any]) -> str:
    if row[by] is None:
        return f"No {by}"
    if by == "program":
        return str(row["program__name"])
    return person_label([row[f"{by}__{part}"] for part in PERSON_LABEL_FIELDS])


def records(by: str, as_of: datetime.date, *, keys: Iterable[int] | None = None) -> list[Record]:
    """Every record of one dimension ("sponsor", "program" or "manager"), the most initiatives first; with
    `keys`, only those people or programs."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    rows = Initiative.objects.filter(stage__in=TRACKED)
    if keys is not None:
        rows = rows.filter(**{f"{by}_id__in": list(keys)})
    names = ["program__name"] if by == "program" else [f"{by}__{part}" for part in PERSON_LABEL_FIELDS]
    budget = F("budget_capex") + F("budget_opex")
    with_budget = Q(score__overrun__isnull=False) & (Q(budget_capex__gt=0) | Q(budget_opex__gt=0))
    found: dict[int | None, Record] = {}
    for row in (
        rows.values(by, *names)
        .annotate(
            initiatives=Count("pk"),
            due=Sum("score__milestones_due"),
            on_time=Sum("score__milestones_on_time"),
            slip_sum=Sum("score__slip_ratio"),
            slipped=Count("pk", filter=Q(score__slip_ratio__isnull=False)),
            overrun_sum=Sum(Cast(budget, FloatField()) * F("score__overrun"), filter=with_budget),
            budget_sum=Sum(Cast(budget, FloatField()), filter=with_budget),
        )
        .order_by()
    ):
        found[row[by]] = Record(
            key=row[by],
            name=_name(by, row),
            initiatives=row["initiatives"],
            milestones_due=row["due"] or 0,
            milestones_on_time=row["on_time"] or 0,
            slip=row["slip_sum"] / row["slipped"] if row["slipped"] else None,
            overrun=row["overrun_sum"] / row["budget_sum"] if row["budget_sum"] else None,
        )
    # the plans the sponsor-over-promised signal weighs (alignment.engine.inputs.load_benefits): of live and
    # closed initiatives whose go-live date has come
    plans = money_plans().filter(
        line__case__initiative__stage__in=PAST_GO_LIVE, line__case__initiative__go_live_date__lte=as_of
    )
    if keys is not None:
        plans = plans.filter(**{f"line__case__initiative__{by}_id__in": list(keys)})
    for result in plan_results(list(plans), as_of).values():
        key = getattr(result.plan.line.case.initiative, f"{by}_id")
        if key in found:
            found[key].benefits.add(result.realisation)
    return sorted(found.values(), key=lambda r: (-r.initiatives, r.name))


COLUMNS = [
    "group",
    "initiatives",
    "milestones_due",
    "milestones_on_time",
    "say_do_pct",
    "average_slip_pct",
    "cost_overrun_pct",
    "benefits_expected_to_date",
    "benefits_realised_to_date",
    "benefits_realised_pct",
]


def _pct(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value * 100, 1)))


def rows(found: list[Record]) -> list[list[Any]]:
    """The records as the CSV has them (percentages to one decimal, money to the cent)."""
    return [
        [
            r.name,
            r.initiatives,
            r.milestones_due,
            r.milestones_on_time,
            _pct(r.say_do),
            _pct(r.slip),
            _pct(r.overrun),
            r.benefits.expected_to_date,
            r.benefits.realised_to_date,
            _pct(r.realisation),
        ]
        for r in found
    ]


JUDGED = (Stage.IDEA, Stage.PROPOSED)  # the stages whose header shows the sponsor's record


def sponsor_header(initiative: Initiative) -> str:
    """On an idea or a proposal, its sponsor's track record in one line, linked to the whole table."""
    if initiative.stage not in JUDGED or initiative.sponsor_id is None:
        return ""
    found = records("sponsor", timezone.localdate(), keys=[initiative.sponsor_id])
    if not found:
        return mark_safe(
            '<div class="small text-body-secondary track-line">Sponsor\'s track record: no funded initiative '
            "yet.</div>"
        )
    record = found[0]
    parts = [f"{record.initiatives} funded initiative{pluralize(record.initiatives)}"]
    if record.milestones_due:
        parts.append(
            f"milestones on time {pct_of(record.say_do)} ({record.milestones_on_time} of {record.milestones_due})"
        )
    if record.overrun is not None:
        parts.append(f"cost {signed_pct(record.overrun_pct, 1)} against budget")
    if record.realisation is not None:
        parts.append(f"benefits realised {pct_of(record.realisation)} of promised to date")
    return format_html(
        '<div class="small track-line">Sponsor\'s track record: {} (<a href="{}?by=sponsor">all sponsors</a>)'
        "</div>",
        "; ".join(parts),
        reverse("alignment:track-record"),
    )
